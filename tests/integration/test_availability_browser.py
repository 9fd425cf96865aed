"""A rep pauses new leads and goes away with a cover from their queue in a real browser
(headless Chromium), at desktop width and on a phone-sized screen; the next leads are
routed accordingly, and a manager sees it in the reps list."""

from __future__ import annotations

import pytest

from reps.models import Rep
from routing.models import Rule
from tests.factories import AccountDomainFactory, NamedAccountFactory, StaffUserFactory
from tests.integration.test_browser import PHONE, browser  # noqa: F401 (the fixture)
from tests.team import PASSWORD, submit

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def acme(team):
    """Acme Corp is Ana's named account; its leads go to her first."""
    account = NamedAccountFactory(name="Acme Corp", owner=team.ana)
    AccountDomainFactory(account=account, domain="acme.com")
    Rule.objects.create(
        ruleset=team.ruleset,
        position=0,
        name="Named accounts",
        conditions={"named_account": True},
        route_to=Rule.RouteTo.ACCOUNT_OWNER,
    )
    team.ana.timezone = "Europe/Paris"
    team.ana.save()
    return team


def open_queue(browser, live_server, viewport, email):  # noqa: F811
    page = browser.new_context(viewport=viewport).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/queue/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/queue/")
    return page, errors


def fits(page, viewport) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_rep_pauses_new_leads_then_goes_away_with_a_cover_and_comes_back(
    browser,  # noqa: F811
    live_server,
    acme,
    viewport,
):
    page, errors = open_queue(browser, live_server, viewport, "ana@example.com")
    state = page.get_by_test_id("availability-state")
    assert state.inner_text() == "Taking new leads"
    if viewport == PHONE:  # one line above the queue, not a screenful
        assert page.get_by_test_id("availability").bounding_box()["height"] < 160

    page.get_by_role("button", name="Pause new leads").click()
    assert (
        "New leads paused: you keep the leads you have." in page.locator(".messages").inner_text()
    )
    assert state.inner_text().startswith("New leads paused since")
    assert page.get_by_text("Paused or away, you get no new leads").is_visible()
    assert submit(source="demo_request", email="sam@prospect.com").owner == acme.dee
    assert fits(page, viewport)

    page.get_by_role("button", name="Resume new leads").click()
    assert state.inner_text() == "Taking new leads"
    assert submit(source="demo_request", email="kim@prospect.com").owner == acme.ana

    page.get_by_text("Away until …").click()
    page.fill("#id_until", "2020-01-01T09:00")
    page.get_by_role("button", name="Set away").click()
    assert "That time has passed" in page.get_by_role("alert").inner_text()
    assert Rep.objects.get(pk=acme.ana.pk).out_of_office_until is None
    assert fits(page, viewport)

    page.fill("#id_until", "2099-01-05T09:00")
    page.select_option("#id_cover", label="Bo")
    page.get_by_role("button", name="Set away").click()
    page.wait_for_url(f"{live_server.url}/queue/")
    assert state.inner_text().startswith("Away until Mon 5 Jan, 09:00 Europe/Paris")
    assert "Bo covers your named accounts meanwhile." in state.inner_text()
    assert submit(email="pat@acme.com", company="Acme Corp").owner == acme.bo
    assert fits(page, viewport)

    page.get_by_role("button", name="I’m back").click()
    assert state.inner_text() == "Taking new leads"
    if viewport == PHONE:
        assert page.get_by_test_id("availability").bounding_box()["height"] < 160
    assert submit(email="lee@acme.com", company="Acme Corp").owner == acme.ana
    assert errors == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_sees_who_is_away_and_who_covers_in_the_reps_list(
    browser,  # noqa: F811
    live_server,
    acme,
    viewport,
):
    page, _ = open_queue(browser, live_server, viewport, "ana@example.com")
    page.get_by_text("Away until …").click()
    page.fill("#id_until", "2099-01-05T09:00")
    page.select_option("#id_cover", label="Bo")
    page.get_by_role("button", name="Set away").click()
    page.wait_for_url(f"{live_server.url}/queue/")

    StaffUserFactory(email="manager@example.com", password=PASSWORD)
    admin = browser.new_context(viewport=viewport).new_page()
    admin.goto(f"{live_server.url}/admin/login/?next=/admin/reps/rep/?availability=away")
    admin.fill("#id_username", "manager@example.com")
    admin.fill("#id_password", PASSWORD)
    admin.click("input[type=submit]")
    admin.wait_for_url("**/admin/reps/rep/?availability=away")

    rows = admin.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Ana" in rows.first.inner_text()
    assert (
        rows.first.locator("td.field-availability").inner_text()
        == "Away until Mon 05 Jan 09:00 (Europe/Paris)\ncovered by Bo"
    )

    rows.first.get_by_role("link", name="Ana", exact=True).click()
    admin.wait_for_url("**/admin/reps/rep/*/change/**")
    assert admin.input_value("#id_out_of_office_until_1") == "08:00:00"  # the admin's zone, UTC
    in_rep_time = admin.locator(".field-rep_local_times .readonly").inner_text()
    assert "Away until Mon 05 Jan 09:00" in in_rep_time
    assert in_rep_time.endswith("(Europe/Paris, the rep's time zone)")
    assert fits(admin, viewport)
