"""A sales manager reads the dashboard in a real browser (headless Chromium), at desktop
width and on a phone-sized screen: after a member left a rotation pool halfway through,
the fairness panel names them so and they are due only the leads given while they were
in it; the speed chart draws each day's median to a person's first action."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from reps.models import PoolMembership
from routing.models import Rule
from routing.services.acknowledge import assignment_acknowledge
from tests.integration.test_browser import browser  # noqa: F401 (the fixture)
from tests.integration.test_browser_dashboard import VIEWPORTS, fits_the_screen, manager_page  # noqa: F401
from tests.team import build_team, submit

pytestmark = pytest.mark.django_db(transaction=True)


@VIEWPORTS
def test_a_member_who_left_the_pool_is_due_only_the_leads_given_before(manager_page, live_server):  # noqa: F811
    team = build_team()
    Rule.objects.create(
        ruleset=team.ruleset,
        position=3,
        name="Pricing page",
        conditions={"source": "pricing_page"},
        route_to=Rule.RouteTo.POOL,
        route_pool=team.closers,
    )
    for n in range(2):
        submit(source="pricing_page", email=f"before{n}@prospect.com")
    PoolMembership.objects.get(pool=team.closers, rep=team.bo).delete()
    for n in range(2):
        submit(source="pricing_page", email=f"after{n}@prospect.com")
    page = manager_page

    page.goto(f"{live_server.url}/dashboard/?days=7")

    fairness = page.locator("#table-fairness")
    bo = fairness.locator("tr", has_text="Bo (left the pool)").locator("td")
    cy = fairness.locator("tr", has_text="Cy").locator("td")
    # Rep, leads, expected, could take: two turns shared, then two for Cy alone.
    assert [bo.nth(n).inner_text() for n in (2, 3, 4, 5)] == [
        "Bo (left the pool)",
        "1",
        "1.0",
        "2 of 4",
    ]
    assert [cy.nth(n).inner_text() for n in (2, 3, 4, 5)] == ["Cy", "3", "3.0", "4 of 4"]
    assert "joined or left during the period" in page.locator("main").inner_text()
    assert fits_the_screen(page)
    assert page.errors == []

    with page.expect_download() as download_info:
        page.locator("#csv-fairness").click()
    rows = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text())))
    assert {row["Rep"]: row["Expected"] for row in rows} == {
        "Bo (left the pool)": "1.0",
        "Cy": "3.0",
    }


@VIEWPORTS
def test_the_speed_chart_draws_each_days_median_to_a_persons_first_action(
    manager_page,  # noqa: F811
    live_server,
):
    team = build_team()
    lead = submit(source="demo_request", email="direct@prospect.com")
    assignment_acknowledge(assignment=lead.assignments.get(), rep=team.ana, via="queue")
    page = manager_page

    page.goto(f"{live_server.url}/dashboard/?days=7")

    page.wait_for_function("Chart.getChart('chart-speed') !== undefined")
    datasets = page.evaluate(
        "Chart.getChart('chart-speed').data.datasets.map((d) => [d.label, d.data.at(-1)])"
    )
    labels = [label for label, _ in datasets]
    assert labels[-1] == "Median to a person's first action (min)"
    # Acknowledged in the queue at once: a person's first action, today, after 0 minutes.
    assert dict(datasets)["Median to a person's first action (min)"] == 0
    assert fits_the_screen(page)
    assert page.errors == []
