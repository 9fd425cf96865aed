"""A sales manager reads the fairness panel in a real browser (headless Chromium), at
desktop width and on a phone-sized screen, after a member left a rotation pool halfway
through: the one who left is named so and due only the leads given while they were in it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from reps.models import PoolMembership
from routing.models import Rule
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
