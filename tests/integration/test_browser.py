"""A rep works a lead in a real browser (headless Chromium driven by Playwright): signs
in on a phone-sized screen, sees the lead with its countdown, acknowledges it, records an
outcome; another rep gets a 404 for it.

Needs Debian's chromium (/usr/bin/chromium); CI installs it and sets REQUIRE_BROWSER=1,
so there a missing browser fails instead of skipping.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from routing.imports import lead_import_create, lead_import_run
from routing.models import Lead
from routing.services.acknowledge import assignment_acknowledge
from tests.factories import StaffUserFactory
from tests.team import PASSWORD, submit

pytestmark = pytest.mark.django_db(transaction=True)

CHROMIUM = Path("/usr/bin/chromium")
# As root and on a closed network: no sandbox, and nothing phoning home at start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test
    # makes between browser steps are ordinary synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield launched
            launched.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def sign_in(browser, live_server, email: str):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/queue/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/queue/")
    return page


def test_a_rep_acknowledges_and_records_an_outcome_and_nobody_else_sees_the_lead(
    browser, live_server, team
):
    lead = submit(source="demo_request", message="Please call after 3pm")

    page = sign_in(browser, live_server, "ana@example.com")
    assert page.locator("h1").inner_text() == "My leads"
    countdown = page.locator("time.sla").first
    page.wait_for_function("el => el.textContent.endsWith('left')", arg=countdown.element_handle())

    page.click("text=Pat")
    assert "Please call after 3pm" in page.content()
    assert page.get_by_text("Why you got this lead").is_visible()
    page.click("button:has-text('Acknowledge')")
    page.wait_for_selector("text=the clock has stopped")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.ACKNOWLEDGED

    page.select_option("#id_outcome", "qualified")
    page.fill("#id_note", "Budget approved, demo on Friday")
    page.click("button:has-text('Save outcome')")
    page.wait_for_selector("text=Recorded: qualified")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.QUALIFIED
    assert lead.outcome_note == "Budget approved, demo on Friday"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    other = sign_in(browser, live_server, "bo@example.com")
    response = other.goto(f"{live_server.url}/queue/leads/{lead.pk}/")
    assert response.status == 404


def test_the_dashboard_draws_its_charts_without_errors(browser, live_server, team):
    StaffUserFactory(email="manager@example.com", password=PASSWORD)
    lead = submit(source="demo_request")
    # Speed to lead is drawn once a lead is acknowledged (before: an empty state).
    assignment_acknowledge(assignment=lead.assignments.get(), rep=team.ana, via="test")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/login/?next=/dashboard/")
    page.fill("#id_username", "manager@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    for canvas in ("chart-volume", "chart-speed", "chart-rules", "chart-pools"):
        assert page.evaluate(f"Chart.getChart('{canvas}') !== undefined"), canvas
    assert errors == []


def test_an_import_page_follows_the_import_to_its_report(browser, live_server, team):
    StaffUserFactory(email="manager@example.com", password=PASSWORD)
    data = (
        "email,first_name,source\n"
        + "".join(f"lead{n}@prospect{n}.com,Lead{n},demo_request\n" for n in range(30))
        + "not-an-email,Nobody,demo_request\n"
    ).encode()
    lead_import = lead_import_create(name="expo.csv", size=len(data))
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    change = f"/admin/routing/leadimport/{lead_import.pk}/change/"
    page.goto(f"{live_server.url}/admin/login/?next={change}")
    page.fill("#id_username", "manager@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}{change}")
    assert page.locator("#import-status").inner_text() == "Queued"
    assert page.locator("#import-problems").count() == 0

    # The worker's part, done here: the page must notice on its own and show the report.
    lead_import_run(lead_import=lead_import, source=io.BytesIO(data))

    page.wait_for_selector("#import-problems", timeout=15_000)
    assert page.locator("#import-progress").get_attribute("value") == "100"
    assert page.locator("#import-status").inner_text() == "Done"
    assert "31 rows read, 30 new leads" in page.locator("#import-counts").inner_text()
    assert page.locator("#import-problems td").first.inner_text() == "32"  # its line
    assert errors == []
