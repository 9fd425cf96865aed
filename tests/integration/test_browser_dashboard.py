"""A sales manager reads the dashboard per rep in a real browser (headless Chromium), at
desktop width and on a phone-sized screen: the charts draw without errors and with text
of at least 12 px, an empty period says so, methods are named in words, the page does
not overflow the screen, and a table downloads as CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from reps.models import Pool
from reps.roles import user_make_sales_manager
from routing.services.acknowledge import assignment_acknowledge
from tests.factories import AssignmentFactory, PoolFactory, PoolMembershipFactory, UserFactory
from tests.integration.test_browser import PHONE, browser  # noqa: F401 (the fixture)
from tests.roles import ensure_sales_manager_group
from tests.team import PASSWORD, build_team, submit

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}

# Every piece of text a chart draws goes through fillText: note the font it was drawn in.
RECORD_CANVAS_TEXT = """
window.canvasTextSizes = [];
const fillText = CanvasRenderingContext2D.prototype.fillText;
CanvasRenderingContext2D.prototype.fillText = function (...args) {
  const size = /([0-9.]+)px/.exec(this.font);
  if (size) window.canvasTextSizes.push(parseFloat(size[1]));
  return fillText.apply(this, args);
};
"""


@pytest.fixture
def manager_page(browser, live_server, request):  # noqa: F811
    ensure_sales_manager_group()
    manager = UserFactory(email="sam.manager@example.com", password=PASSWORD)
    user_make_sales_manager(user=manager)
    context = browser.new_context(viewport=request.param, accept_downloads=True)
    page = context.new_page()
    page.add_init_script(RECORD_CANVAS_TEXT)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/login/?next=/dashboard/")
    page.fill("#id_username", manager.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    yield page
    context.close()


VIEWPORTS = pytest.mark.parametrize(
    "manager_page", [DESKTOP, PHONE], ids=["desktop", "phone"], indirect=True
)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@VIEWPORTS
def test_the_dashboard_shows_each_rep_and_draws_legible_charts(manager_page, live_server):
    team = build_team()
    team.closers.method = Pool.Method.LEAST_LOADED
    team.closers.save()
    rotation = PoolFactory(name="Overflow", method=Pool.Method.ROUND_ROBIN)
    PoolMembershipFactory(pool=rotation, rep=team.dee)
    leads = [submit(source="demo_request", email=f"lead{n}@prospect.com") for n in range(3)]
    assignment_acknowledge(assignment=leads[0].assignments.get(), rep=team.ana, via="test")
    overdue = AssignmentFactory(
        rep=team.cy,
        lead__first_name="Lee",
        lead__last_name="Late",
        assigned_at=timezone.now() - timedelta(minutes=40),
        ack_due_at=timezone.now() - timedelta(minutes=25),
    )
    page = manager_page

    page.goto(f"{live_server.url}/dashboard/?days=7")

    for canvas in ("chart-volume", "chart-speed", "chart-reps", "chart-rules", "chart-pools"):
        assert page.evaluate(f"Chart.getChart('{canvas}') !== undefined"), canvas
    page.wait_for_function("window.canvasTextSizes.length > 0")
    assert min(page.evaluate("window.canvasTextSizes")) >= 12
    reps = page.locator("#table-reps")
    assert reps.locator("tr", has_text="Ana").locator("td").nth(1).inner_text() == "3"
    assert "Overflow" in page.locator("#table-next").inner_text()
    assert "Least loaded" in page.locator("#table-next").inner_text()
    late = page.locator("#table-breaching a", has_text="Lee Late")
    assert late.get_attribute("href") == f"/admin/routing/lead/{overdue.lead_id}/change/"
    text = page.locator("body").inner_text()
    assert "least_loaded" not in text and "round_robin" not in text
    assert fits_the_screen(page)
    assert page.errors == []

    with page.expect_download() as download_info:
        page.locator("#csv-reps").click()
    rows = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text())))
    assert {row["Rep"]: row["Leads received"] for row in rows}["Ana"] == "3"


@VIEWPORTS
def test_an_empty_period_says_so_without_errors(manager_page, live_server):
    page = manager_page

    page.goto(f"{live_server.url}/dashboard/?start=2020-01-01&end=2020-01-07")

    assert page.locator("#empty-volume").is_visible()
    assert "No leads were submitted" in page.locator("#empty-volume").inner_text()
    assert page.locator("#empty-speed").is_visible()
    assert page.locator("#empty-reps").is_visible()
    assert page.locator("canvas").count() == 0
    assert "No rep was given a lead in this period" in page.locator("#table-reps").inner_text()
    assert fits_the_screen(page)
    assert page.errors == []
