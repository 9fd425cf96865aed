"""A manager writes a rule's conditions as rows in a real browser (headless Chromium), at
desktop width and on a phone-sized screen: the plain-words reading follows the typing,
a value that is not a number is refused with nothing saved, and the saved rule routes a
test lead as the rows say."""

from __future__ import annotations

import pytest

from routing.models import Rule
from tests.factories import RepFactory, RuleFactory, RuleSetFactory, StaffUserFactory
from tests.integration.test_browser import PHONE, browser  # noqa: F401 (the fixture)
from tests.team import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}


def _signed_in_page(browser, live_server, viewport):  # noqa: F811
    StaffUserFactory(email="manager@example.com", password=PASSWORD)
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "manager@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def _choose_rep(page, name: str) -> None:
    page.locator("[aria-labelledby=select2-id_rules-0-route_rep-container]").click()
    page.locator(".select2-search__field").fill(name)
    page.locator(".select2-results__option", has_text=name).click()


def _test_lead(page, live_server, ruleset, **fields: str) -> str:
    page.goto(f"{live_server.url}/admin/routing/ruleset/{ruleset.pk}/test/")
    for name, value in fields.items():
        page.fill(f"#id_{name}", value)
    page.click("input[type=submit][value=Test]")
    return page.locator("#test-result").inner_text()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_writes_conditions_as_rows_and_the_rule_routes_by_them(
    browser,  # noqa: F811
    live_server,
    viewport,
):
    RepFactory(name="Dana Demos", email="dana@example.com")
    ruleset = RuleSetFactory(name="Main", fallback_rep=RepFactory(name="Fran Fallback"))
    page = _signed_in_page(browser, live_server, viewport)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/routing/ruleset/{ruleset.pk}/change/")

    rule = page.locator("#rules-0")
    rule.locator("[name=rules-0-name]").fill("Big demos")
    editor = rule.locator(".conditions-editor")
    words = editor.locator(".conditions-words")
    rows = editor.locator(".condition-row")
    assert words.inner_text() == "every lead"
    rows.nth(0).locator(".condition-field").select_option("source")
    rows.nth(0).locator(".condition-value").fill("Demo Request")
    page.wait_for_function(
        "el => el.textContent === 'source is demo_request'", arg=words.element_handle()
    )

    editor.locator(".condition-add").click()
    second = rows.nth(1)
    second.locator(".condition-field").select_option("employee_count")
    offered = second.locator(".condition-operator option:not([disabled])").all_inner_texts()
    assert "is at least" in offered and "starts with" not in offered
    second.locator(".condition-operator").select_option("gte")
    second.locator(".condition-value").fill("lots")
    problems = editor.locator(".conditions-problems")
    problems.get_by_text("Row 2: Employees needs a number, e.g. 500; not “lots”").wait_for()
    assert second.locator(".condition-value").get_attribute("aria-invalid") == "true"

    rule.locator("[name=rules-0-route_to]").select_option("rep")
    _choose_rep(page, "Dana Demos")
    page.locator("input[name=_continue]").first.click()
    page.locator(".errorlist", has_text="Row 2: Employees needs a number").first.wait_for()
    assert not Rule.objects.filter(ruleset=ruleset).exists()

    rule = page.locator("#rules-0")
    value = rule.locator(".condition-row").nth(1).locator(".condition-value")
    assert value.input_value() == "lots"
    value.fill("500")
    words = rule.locator(".conditions-words")
    page.wait_for_function(
        "el => el.textContent === 'source is demo_request, employee_count ≥ 500'",
        arg=words.element_handle(),
    )
    page.locator("input[name=_continue]").first.click()
    page.locator(".messagelist .success").wait_for()
    saved = Rule.objects.get(ruleset=ruleset)
    assert saved.conditions == {"source": "demo_request", "employee_count": {"gte": 500}}

    assert "Dana Demos" in _test_lead(
        page, live_server, ruleset, source="demo_request", employee_count="800"
    )
    assert "Fran Fallback" in _test_lead(
        page, live_server, ruleset, source="demo_request", employee_count="40"
    )
    assert errors == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_switches_between_rows_and_yaml_and_groups_stay_yaml(
    browser,  # noqa: F811
    live_server,
    viewport,
):
    rule = RuleFactory(conditions={"country": ["US", "CA"], "employee_count": {"gte": 50}})
    page = _signed_in_page(browser, live_server, viewport)
    page.goto(f"{live_server.url}/admin/routing/ruleset/{rule.ruleset.pk}/change/")
    page.locator("#rules-0 .rule-name").click()  # a saved rule is one line until opened
    editor = page.locator("#rules-0 .conditions-editor")
    textarea = editor.locator(".conditions-yaml textarea")
    words = editor.locator(".conditions-words")
    # Every row's remove button lies inside the open rule, on a phone too.
    rule_box = page.locator("#rules-0 details.rule-edit").bounding_box()
    for button in editor.locator(".condition-remove").all():
        box = button.bounding_box()
        assert box["x"] + box["width"] <= rule_box["x"] + rule_box["width"]

    editor.locator(".conditions-modes input[value=yaml]").click()
    page.wait_for_function(
        "el => el.value === 'country: [US, CA]\\nemployee_count: {gte: 50}'",
        arg=textarea.element_handle(),
    )
    assert editor.locator(".conditions-rows").is_hidden()
    textarea.fill("any: [{product: Payments}, {country: [US, CA]}]")
    page.wait_for_function(
        "el => el.textContent === 'product is Payments, or country is one of US, CA'",
        arg=words.element_handle(),
    )
    textarea.fill("score: {lt: high}")
    editor.locator(".conditions-modes input[value=rows]").click()
    editor.get_by_text("'score: {lt: ...}' needs a number, not 'high'").wait_for()
    assert editor.locator(".conditions-modes input[value=yaml]").is_checked()
    assert textarea.input_value() == "score: {lt: high}"

    textarea.fill("any: [{product: Payments}, {country: [US, CA]}]")
    editor.locator(".conditions-modes input[value=rows]").click()
    editor.get_by_text("keep editing them as YAML").wait_for()
    assert editor.locator(".conditions-modes input[value=yaml]").is_checked()

    textarea.fill("source: event\nscore: {lt: 10}")
    page.wait_for_function(
        "el => el.textContent === 'source is event, score < 10'", arg=words.element_handle()
    )
    editor.locator(".conditions-modes input[value=rows]").click()
    rows = editor.locator(".condition-row")
    page.wait_for_function(
        "el => el.querySelector('.condition-field').value === 'source'",
        arg=editor.element_handle(),
    )
    assert rows.count() == 3  # the two conditions and a blank row
    assert rows.nth(1).locator(".condition-field").input_value() == "score"
    assert rows.nth(1).locator(".condition-value").input_value() == "10"
    rows.nth(1).locator(".condition-remove").click()
    page.wait_for_function("el => el.textContent === 'source is event'", arg=words.element_handle())

    page.locator("#rules-group .add-row a").click()
    added = page.locator("#rules-1 .conditions-editor")
    added.locator(".condition-add").click()
    assert added.locator(".condition-row").count() == 2

    page.locator("input[name=_continue]").first.click()
    page.locator(".messagelist .success").wait_for()
    rule.refresh_from_db()
    assert rule.conditions == {"source": "event"}


def test_without_scripts_the_rows_and_the_yaml_still_work(browser, live_server):  # noqa: F811
    rule = RuleFactory(conditions={"source": "event"})
    StaffUserFactory(email="manager@example.com", password=PASSWORD)
    page = browser.new_context(viewport=DESKTOP, java_script_enabled=False).new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "manager@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/routing/ruleset/{rule.ruleset.pk}/change/")
    page.locator("#rules-0 .rule-name").click()  # a saved rule is one line until opened
    editor = page.locator("#rules-0 .conditions-editor")
    assert editor.locator(".conditions-yaml textarea").is_hidden()
    assert editor.locator(".condition-add").is_hidden()

    blank = editor.locator(".condition-row").nth(1)
    blank.locator(".condition-field").select_option("score")
    blank.locator(".condition-operator").select_option("gte")
    blank.locator(".condition-value").fill("70")
    page.locator("input[name=_continue]").first.click()
    page.locator(".messagelist .success").wait_for()
    rule.refresh_from_db()
    assert rule.conditions == {"source": "event", "score": {"gte": 70}}

    page.locator("#rules-0 .rule-name").click()
    editor = page.locator("#rules-0 .conditions-editor")
    editor.locator(".conditions-modes input[value=yaml]").check()
    assert editor.locator(".conditions-rows").is_hidden()
    editor.locator(".conditions-yaml textarea").fill("not: {source: event}")
    page.locator("input[name=_continue]").first.click()
    page.locator(".messagelist .success").wait_for()
    rule.refresh_from_db()
    assert rule.conditions == {"not": {"source": "event"}}
