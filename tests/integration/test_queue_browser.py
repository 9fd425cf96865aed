"""A rep with 60 leads works the queue in a real browser (headless Chromium), at desktop
width and on a phone-sized screen: tabs with counts, search, filters and pages, with
nothing wider than the screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from routing.models import Lead
from tests.factories import PoolMembershipFactory
from tests.integration.test_browser import PHONE, browser  # noqa: F401 (the fixture)
from tests.team import PASSWORD
from tests.web.queue_leads import owned_lead, unclaimed_lead

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}


def sixty_leads(team) -> None:
    """30 fresh Acme leads, 20 Globex leads past their deadline, 10 older Initech leads
    being worked; and 3 unclaimed leads in a pool of Ana's."""
    now = timezone.now()
    for number in range(30):
        owned_lead(
            team.ana,
            first_name="Acme",
            last_name=f"Buyer {number:02}",
            company="Acme",
            source="demo_request",
        )
    for number in range(20):
        owned_lead(
            team.ana,
            first_name="Globex",
            last_name=f"Lead {number:02}",
            company="Globex Corporation",
            created_at=now - timedelta(minutes=20),
            source="pricing_page",
        )
    for number in range(10):
        owned_lead(
            team.ana,
            first_name="Initech",
            last_name=f"Contact {number:02}",
            company="Initech",
            created_at=now - timedelta(days=10),
            acknowledged=True,
            status=Lead.Status.CONTACTED,
        )
    PoolMembershipFactory(pool=team.closers, rep=team.ana)
    for name in ("Alpha", "Bravo", "Charlie"):
        unclaimed_lead(team.closers, first_name="Waiting", last_name=name, company="Hooli")


def fits_the_screen(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_rep_with_sixty_leads_searches_filters_and_pages(browser, live_server, team, viewport):  # noqa: F811
    sixty_leads(team)
    page = browser.new_context(viewport=viewport).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/queue/")
    page.fill("#id_username", "ana@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/queue/")
    cards = page.locator(".lead-row")
    summary = page.locator(".summary")

    tabs = page.locator("nav.tabs a")
    assert tabs.nth(0).inner_text() == "My leads 60"
    assert tabs.nth(1).inner_text() == "Shared queue 3"
    assert cards.count() == 25 and "page 1 of 3" in summary.inner_text()
    assert "Pricing page" in page.locator(".lead-main").first.inner_text()  # the overdue first
    assert fits_the_screen(page)

    page.fill("#id_q", "acme")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**q=acme**")
    assert summary.inner_text() == "30 leads match · page 1 of 2"
    page.click("a[rel=next]")
    page.wait_for_url("**page=2**")
    assert cards.count() == 5 and "q=acme" in page.url
    assert page.input_value("#id_q") == "acme"
    assert fits_the_screen(page)

    # A lead opened from here leads back to this filtered second page.
    opened = page.locator(".lead-main > a").first.inner_text()
    page.locator(".lead-main > a").first.click()
    page.wait_for_url("**/queue/leads/**")
    assert page.locator("h1").inner_text().startswith(opened)
    page.click("a.back")
    page.wait_for_url("**page=2**")
    assert "q=acme" in page.url and page.input_value("#id_q") == "acme"
    assert summary.inner_text() == "30 leads match · page 2 of 2" and cards.count() == 5

    page.click("text=Clear")
    page.check("#id_overdue")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**overdue=on**")
    assert summary.inner_text() == "20 leads match"
    assert all(
        name.startswith("Globex") for name in page.locator(".lead-main > a").all_inner_texts()
    )

    page.click("text=Clear")
    page.select_option("#id_status", "contacted")
    page.select_option("#id_age", "older")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**status=contacted**")
    assert summary.inner_text() == "10 leads match"
    assert page.locator(".badge.contacted").count() == 10
    assert fits_the_screen(page)

    tabs.nth(1).click()
    page.wait_for_url("**tab=shared**")
    assert cards.count() == 3 and page.locator("button", has_text="Claim").count() == 3
    assert page.locator("#id_status").count() == 0  # every lead here is unclaimed
    page.fill("#id_q", "waiting bravo")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**q=waiting**")
    assert cards.count() == 1 and "tab=shared" in page.url
    assert fits_the_screen(page)
    assert errors == []
