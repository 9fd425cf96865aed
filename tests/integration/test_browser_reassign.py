"""A Sales manager moves leads in a real browser (headless Chromium), at desktop width
and on a phone-sized screen: a departed rep's open leads go to another rep in bulk from
the filtered lead list, then one lead goes back to the rules from its own page."""

from __future__ import annotations

import pytest

from reps.roles import user_make_sales_manager
from routing.models import Lead, LeadEvent
from tests.factories import UserFactory
from tests.integration.test_browser import PHONE, browser  # noqa: F401 (the fixture)
from tests.roles import ensure_sales_manager_group
from tests.team import PASSWORD, build_team, submit

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_bulk_moves_a_departed_reps_leads_and_returns_one_to_the_rules(
    browser,  # noqa: F811
    live_server,
    viewport,
):
    ensure_sales_manager_group()
    team = build_team()
    leads = [submit(email=f"lead{n}@prospect.com", source="demo_request") for n in range(2)]
    team.ana.is_active = False  # Ana has left: the rules now pass her by
    team.ana.save()
    manager = UserFactory(email="sam.manager@example.com", name="Sam", password=PASSWORD)
    user_make_sales_manager(user=manager)
    page = browser.new_context(viewport=viewport).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "sam.manager@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(
        f"{live_server.url}/admin/routing/lead/"
        f"?owner__id__exact={team.ana.pk}&status__exact=assigned"
    )
    page.check("#action-toggle")
    page.select_option("select[name=action]", "reassign_leads")
    page.click("button[name=index]")
    page.wait_for_selector("#lead-action-form")
    assert "Reassign: 2 leads" in page.title()
    page.select_option("#id_rep", label=str(team.bo))
    page.fill("#id_reason", "Ana has left the company")
    page.click("#lead-action-submit")

    assert page.locator(".messagelist .success").inner_text() == "Reassigned: 2 leads."
    for lead in leads:
        lead.refresh_from_db()
        assert lead.owner == team.bo
        assert lead.events.get(kind=LeadEvent.Kind.REASSIGNED).actor_user == manager

    first = leads[0]
    page.goto(f"{live_server.url}/admin/routing/lead/{first.pk}/change/")
    page.click("#lead-return")
    page.fill("#id_reason", "Bo is full: let the rules decide")
    page.click("#lead-action-submit")

    page.wait_for_url(f"{live_server.url}/admin/routing/lead/{first.pk}/change/")
    assert page.locator(".messagelist .success").inner_text() == "Routed again: 1 lead."
    assert page.get_by_text("Bo is full: let the rules decide").first.is_visible()
    returned = page.locator(".decision-steps li", has_text="returned to the rules").first
    assert "by: Sam ·" in returned.inner_text()
    assert "sam.manager@example.com" not in page.locator("#content").inner_text()
    first.refresh_from_db()
    assert first.owner == team.dee, "Ana is inactive: the rules' fallback takes it"
    assert first.status == Lead.Status.ASSIGNED
    assert errors == []
