"""A manager downloads the lead list as CSV from the admin in a real browser (headless
Chromium), at desktop width and on a phone-sized screen: the file holds the leads the
list shows, with formulas quoted."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from routing.models import Lead
from tests.factories import LeadFactory, StaffUserFactory
from tests.integration.test_browser import PHONE, browser  # noqa: F401 (the fixture)
from tests.team import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_downloads_the_filtered_lead_list_as_csv(browser, live_server, viewport):  # noqa: F811
    StaffUserFactory(email="manager@example.com", password=PASSWORD)
    LeadFactory(email="pat@acme.com", company="=Acme", status=Lead.Status.CONVERTED)
    LeadFactory(email="lee@globex.com", company="Globex", status=Lead.Status.ASSIGNED)
    page = browser.new_context(viewport=viewport, accept_downloads=True).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    changelist = "/admin/routing/lead/?status__exact=converted"
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "manager@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}{changelist}")

    button = page.locator("#lead-export")
    assert button.is_visible()
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename.startswith("leads-admin-")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert [(row["E-mail"], row["Company"], row["Status"]) for row in rows] == [
        ("pat@acme.com", "'=Acme", "Converted")
    ]
    assert errors == []
