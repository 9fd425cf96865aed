"""The rule set page's conditions editor, through the admin as a browser posts it: rows
save the conditions they show, bad rows are refused with nothing saved, YAML still
works for groups, and the reading in plain words is served for what is typed."""

from __future__ import annotations

import pytest
from django.test import Client

from routing.models import Rule, RuleSet
from tests.admin.helpers import admin_url, errors_of, inline_prefix, page_data, set_inline_rows
from tests.factories import RepFactory, RuleFactory, RuleSetFactory

pytestmark = pytest.mark.django_db

PREVIEW = "/admin/routing/ruleset/conditions/preview/"


def _rows(prefix: str, *rows: tuple[str, str, str], attribute: str = "") -> dict[str, object]:
    return {
        f"{prefix}_mode": "rows",
        f"{prefix}_field": [row[0] for row in rows],
        f"{prefix}_attribute": [attribute if row[0] == "attributes" else "" for row in rows],
        f"{prefix}_operator": [row[1] for row in rows],
        f"{prefix}_value": [row[2] for row in rows],
    }


def _new_rule_post(admin_client, ruleset, conditions: dict[str, object]):
    url = admin_url(RuleSet, "change", ruleset.pk)
    page = admin_client.get(url)
    prefix = inline_prefix(page, Rule)
    rep = RepFactory()
    rule = {"name": "Big demos", "is_enabled": "on", "route_to": "rep", "route_rep": rep.pk}
    data = set_inline_rows(page_data(page), prefix, [rule], initial=ruleset.rules.count())
    data.update(conditions)
    return admin_client.post(url, data)


def test_a_rule_written_as_rows_is_saved_with_the_conditions_the_rows_show(admin_client):
    ruleset = RuleSetFactory()

    response = _new_rule_post(
        admin_client,
        ruleset,
        _rows(
            "rules-0-conditions",
            ("source", "eq", "Demo Request"),
            ("employee_count", "gte", "50"),
            ("employee_count", "lt", "500"),
            ("country", "in", "US, NO"),
            ("attributes", "filled", ""),
            ("work_email", "yes", ""),
            ("", "eq", ""),
            attribute="plan",
        ),
    )

    assert response.status_code == 302, errors_of(response)
    assert Rule.objects.get(ruleset=ruleset).conditions == {
        "source": "demo_request",
        "employee_count": {"gte": 50, "lt": 500},
        "country": ["US", "NO"],
        "attributes.plan": {"exists": True},
        "work_email": True,
    }


def test_a_bad_row_is_refused_by_its_number_and_nothing_is_saved(admin_client):
    ruleset = RuleSetFactory()

    response = _new_rule_post(
        admin_client,
        ruleset,
        _rows(
            "rules-0-conditions",
            ("source", "eq", "demo_request"),
            ("employee_count", "gte", "lots"),
            ("company", "lt", "5"),
        ),
    )

    assert response.status_code == 200
    assert errors_of(response) == [
        "Row 2: Employees needs a number, e.g. 500; not “lots”",
        "Row 3: Company can be tested with “is”, “is not”, “is one of”, “is none of”, "
        "“starts with”, “contains”, “is filled in”, “is empty”",
    ]
    assert not Rule.objects.filter(ruleset=ruleset).exists()
    page = response.content.decode()
    assert 'value="lots"' in page  # the rows come back as typed, to be corrected


def test_conditions_chosen_as_yaml_are_read_as_yaml_even_with_rows_posted(admin_client):
    ruleset = RuleSetFactory()
    posted = _rows("rules-0-conditions", ("source", "eq", "event"))
    posted["rules-0-conditions_mode"] = "yaml"
    posted["rules-0-conditions"] = "any: [{product: Payments}, {attributes.interest: payments}]"

    response = _new_rule_post(admin_client, ruleset, posted)

    assert response.status_code == 302, errors_of(response)
    assert Rule.objects.get(ruleset=ruleset).conditions == {
        "any": [{"product": "Payments"}, {"attributes.interest": "payments"}]
    }


def test_a_rule_page_shows_flat_conditions_as_rows_and_groups_as_yaml(admin_client):
    flat = RuleFactory(conditions={"employee_count": {"gte": 50, "lt": 500}}, position=1)
    RuleFactory(ruleset=flat.ruleset, conditions={"not": {"source": "event"}}, position=2)

    page = admin_client.get(admin_url(RuleSet, "change", flat.ruleset.pk))

    html = page.content.decode()
    assert 'name="rules-0-conditions_mode" value="rows" checked' in html
    assert 'name="rules-1-conditions_mode" value="yaml" checked' in html
    assert "employee_count ≥ 50 and &lt; 500" in html
    assert "not: source is event" in html


def test_saving_the_rows_a_page_shows_records_no_change(admin_client):
    rule = RuleFactory(conditions={"employee_count": {"gte": 50}, "country": ["US", "CA"]})
    url = admin_url(RuleSet, "change", rule.ruleset.pk)
    data = page_data(admin_client.get(url))
    del data["rules-0-conditions"]
    data.update(
        _rows("rules-0-conditions", ("employee_count", "gte", "50"), ("country", "in", "US, CA"))
    )
    records = rule.history.count()

    response = admin_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    assert rule.history.count() == records


def test_the_reading_in_plain_words_follows_the_rows_typed(admin_client):
    answer = admin_client.post(
        PREVIEW,
        _rows("conditions", ("source", "eq", "Pricing Page"), ("employee_count", "gte", "500")),
    ).json()

    assert answer == {
        "words": "source is pricing_page, employee_count ≥ 500",
        "errors": [],
        "yaml": "source: pricing_page\nemployee_count: {gte: 500}",
        "rows": [
            {"field": "source", "attribute": "", "operator": "eq", "value": "pricing_page"},
            {"field": "employee_count", "attribute": "", "operator": "gte", "value": "500"},
        ],
    }


def test_the_reading_names_what_is_wrong_and_yaml_groups_cannot_become_rows(admin_client):
    bad = admin_client.post(PREVIEW, _rows("conditions", ("score", "lt", "high"))).json()
    groups = admin_client.post(
        PREVIEW, {"conditions_mode": "yaml", "conditions": "not: {source: event}"}
    ).json()

    assert bad == {
        "words": "",
        "errors": ["Row 1: Score needs a number, e.g. 500; not “high”"],
        "yaml": None,
        "rows": None,
    }
    assert (groups["words"], groups["rows"]) == ("not: source is event", None)


def test_the_reading_is_only_for_signed_in_staff_and_only_posted(admin_client):
    anonymous = Client().post(PREVIEW, _rows("conditions", ("source", "eq", "event")))
    fetched = admin_client.get(PREVIEW)

    assert anonymous.status_code == 302
    assert "/admin/login/" in anonymous["Location"]
    assert fetched.status_code == 405
