"""A manager allows a BI tool's intake key to read metrics in the admin, in a real browser
(headless Chromium) at desktop width and on a phone-sized screen; the tool, with no
session, then reads the figures with the key."""

from __future__ import annotations

import pytest

from routing.models import IntakeKey
from routing.services.intake_keys import intake_key_create
from tests.factories import StaffUserFactory
from tests.integration.test_browser import PHONE, browser  # noqa: F401 (the fixture)
from tests.team import PASSWORD, submit

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_allows_a_key_to_read_metrics_and_a_bi_tool_reads_them(
    browser,  # noqa: F811
    live_server,
    team,
    viewport,
):
    StaffUserFactory(email="manager@example.com", password=PASSWORD)
    submit(source="demo_request")
    key, raw = intake_key_create(name="Looker")
    # The BI tool: no browser session, only the key.
    tool = browser.new_context().request
    metrics = f"{live_server.url}/api/v1/metrics/?days=7"
    headers = {"Authorization": f"Api-Key {raw}"}
    refused = tool.get(metrics, headers=headers)
    assert refused.status == 403
    assert "may not read metrics" in refused.json()["detail"]

    page = browser.new_context(viewport=viewport).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "manager@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/routing/intakekey/{key.pk}/change/")
    toggle = page.get_by_label("May read metrics")
    assert toggle.is_visible() and not toggle.is_checked()
    toggle.check()
    page.click("input[name=_save]")
    page.wait_for_url(f"{live_server.url}/admin/routing/intakekey/")
    assert page.locator(".messagelist .success").is_visible()

    key.refresh_from_db()
    assert key.may_read_metrics
    answered = tool.get(metrics, headers=headers)
    assert answered.status == 200
    body = answered.json()
    assert body["leads"] == 1
    assert {"escalations", "speed_to_first_human_action", "conversion_by_path"} <= set(body)
    assert IntakeKey.objects.get(pk=key.pk).last_used_at is not None
    assert errors == []
