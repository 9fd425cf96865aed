"""A manager orders rules by dragging them and sets up a pool in a real browser (headless
Chromium), at desktop width and on a phone-sized screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from reps.models import Pool
from routing.models import RuleSet
from routing.services.intake import lead_simulate
from tests.factories import (
    PoolFactory,
    PoolMembershipFactory,
    RepFactory,
    RuleFactory,
    StaffUserFactory,
)
from tests.integration.test_browser import PHONE, browser  # noqa: F401 (the fixture)
from tests.team import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


def _signed_in_page(browser, live_server, viewport):  # noqa: F811
    StaffUserFactory(email="manager@example.com", password=PASSWORD)
    page = browser.new_context(viewport=viewport).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "manager@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page, errors


@VIEWPORTS
def test_a_manager_drags_a_rule_above_another_and_routing_follows(browser, live_server, viewport):  # noqa: F811
    ana, bo = RepFactory(name="Ana Silva"), RepFactory(name="Bo Chen")
    everyone = RuleFactory(name="Everyone", conditions={}, route_rep=ana, position=0)
    ruleset = everyone.ruleset
    RuleSet.objects.filter(pk=ruleset.pk).update(is_active=True)
    RuleFactory(
        ruleset=ruleset,
        name="Demo requests",
        conditions={"source": "demo_request"},
        route_rep=bo,
        position=1,
    )
    demo_lead = {"email": "pat@acme.com", "source": "demo_request"}
    assert lead_simulate(values=demo_lead).owner == ana
    page, errors = _signed_in_page(browser, live_server, viewport)
    page.goto(f"{live_server.url}/admin/routing/ruleset/{ruleset.pk}/change/")

    lines = page.locator("#rules-group .inline-related.has_original h3")
    assert lines.nth(1).inner_text().startswith("Demo requests")
    assert "When source is demo_request → rep Bo Chen" in lines.nth(1).inner_text()
    assert not page.locator("#id_rules-1-name").is_visible()  # closed until clicked
    # Dragged by its line, dropped on the top edge of the first rule's line.
    lines.nth(1).drag_to(
        lines.nth(0), source_position={"x": 10, "y": 10}, target_position={"x": 10, "y": 3}
    )
    expect(lines.nth(0)).to_contain_text("Demo requests")
    page.locator("input[name=_continue]").first.click()
    page.wait_for_load_state()

    expect(page.locator(".messagelist .success")).to_have_count(1)
    assert [rule.name for rule in ruleset.rules.order_by("position")] == [
        "Demo requests",
        "Everyone",
    ]
    assert lead_simulate(values=demo_lead).owner == bo
    assert lines.nth(0).inner_text().startswith("Demo requests")

    # The arrows move a rule without opening it, by mouse or by keyboard.
    lines.nth(0).get_by_role("button", name="Move to the bottom").click()
    expect(lines.nth(0)).to_contain_text("Everyone")
    lines.nth(1).get_by_role("button", name="Move to the top").press("Enter")
    expect(lines.nth(0)).to_contain_text("Demo requests")
    assert not page.locator("#id_rules-0-name").is_visible()
    assert not page.locator("#id_rules-1-name").is_visible()
    assert errors == []


@VIEWPORTS
def test_the_pool_form_shows_only_the_settings_of_the_chosen_method(browser, live_server, viewport):  # noqa: F811
    pool = PoolFactory(name="West", method=Pool.Method.ROUND_ROBIN)
    PoolMembershipFactory(pool=pool)
    page, errors = _signed_in_page(browser, live_server, viewport)
    page.goto(f"{live_server.url}/admin/reps/pool/{pool.pk}/change/")
    distance, window = (
        page.locator("#id_max_distance_km"),
        page.locator("#id_performance_window_days"),
    )
    no_match, weight = page.locator("#id_no_match"), page.locator("#id_memberships-0-weight")

    assert not any(field.is_visible() for field in (distance, window, no_match, weight))
    page.select_option("#id_method", "nearest")
    assert distance.is_visible()
    assert not any(field.is_visible() for field in (window, no_match, weight))
    page.select_option("#id_method", "weighted")
    assert weight.is_visible()
    assert not distance.is_visible()
    page.select_option("#id_method", "performance")
    assert window.is_visible()
    assert not any(field.is_visible() for field in (distance, no_match, weight))
    window.fill("14")
    page.locator("input[name=_continue]").first.click()
    page.wait_for_load_state()

    pool.refresh_from_db()
    assert (pool.method, pool.performance_window_days) == ("performance", 14)
    assert page.locator("#id_performance_window_days").is_visible()
    assert not page.locator("#id_max_distance_km").is_visible()
    assert errors == []


@VIEWPORTS
def test_the_admin_leads_to_the_dashboard_and_view_site_opens_it(browser, live_server, viewport):  # noqa: F811
    page, errors = _signed_in_page(browser, live_server, viewport)

    header = page.locator("nav.lead-router-nav")
    assert header.get_by_role("link", name="Coverage").is_visible()
    assert header.get_by_role("link", name="Queue").is_visible()
    page.get_by_role("link", name="View site").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
    assert errors == []
