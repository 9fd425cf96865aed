"""Rule conditions written as rows store exactly what the same conditions written as YAML
store, and rows that cannot be read say which row and why."""

from __future__ import annotations

import pytest

from routing.admin.condition_field import ConditionRows, ConditionsField
from routing.admin.condition_rows import (
    FIELD_CHOICES,
    Row,
    conditions_to_rows,
    rows_to_conditions,
)
from routing.conditions import DERIVED_FLAGS, LEAD_FIELDS


def _clean_rows(*rows: Row):
    return ConditionsField(required=False).clean(ConditionRows(tuple(rows)))


@pytest.mark.parametrize(
    ("rows", "yaml"),
    [
        ([Row("source", "eq", "Demo Request")], "source: Demo Request"),
        ([Row("country", "in", "US, NO, CA")], "country: [US, NO, CA]"),
        (
            [Row("employee_count", "gte", "50"), Row("employee_count", "lt", "500")],
            "employee_count: {gte: 50, lt: 500}",
        ),
        ([Row("postal_code", "in", "02134, 10001")], "postal_code: ['02134', 10001]"),
        (
            [Row("work_email", "yes"), Row("named_account", "no")],
            "work_email: true\nnamed_account: false",
        ),
        ([Row("attributes.plan", "filled")], "attributes.plan: {exists: true}"),
        ([Row("attributes.seats", "gt", "10")], "attributes.seats: {gt: 10}"),
        (
            [Row("email_domain", "not_in", "gmail.com, yahoo.com")],
            "email_domain: {not_in: [gmail.com, yahoo.com]}",
        ),
        (
            [Row("company", "prefix", "Acme"), Row("company", "ne", "Acme Test")],
            "company: {ne: Acme Test, prefix: Acme}",
        ),
        ([Row(), Row("source", "eq", "event"), Row()], "source: event"),
        ([], ""),
    ],
)
def test_rows_store_what_the_same_yaml_stores(rows, yaml):
    assert _clean_rows(*rows) == ConditionsField(required=False).clean(yaml)


@pytest.mark.parametrize(
    "conditions",
    [
        {"source": "pricing_page", "employee_count": {"gte": 50, "lt": 500}},
        {"country": ["US", "CA"], "work_email": True, "attributes.plan": {"exists": False}},
        {"postal_code": {"prefix": "021"}, "score": {"ne": 0.5}},
    ],
)
def test_stored_conditions_shown_as_rows_save_back_unchanged(conditions):
    rows = conditions_to_rows(conditions)
    assert rows is not None
    assert _clean_rows(*rows) == conditions


@pytest.mark.parametrize(
    "conditions",
    [
        {"any": [{"product": "Payments"}, {"attributes.interest": "payments"}]},
        {"not": {"source": "event"}},
        {"company": ["Acme, Inc.", "Globex"]},
        {"colour": "blue"},
    ],
)
def test_conditions_rows_cannot_show_are_left_to_yaml(conditions):
    assert conditions_to_rows(conditions) is None


def test_every_bad_row_is_named_with_what_to_do():
    conditions, errors = rows_to_conditions(
        [
            Row("employee_count", "gte", "lots"),
            Row("company", "gte", "5"),
            Row("source", "eq", ""),
            Row("attributes.", "eq", "pro"),
            Row("country", "in", "US"),
            Row("country", "in", "CA"),
            Row("shoe_size", "eq", "9"),
        ]
    )
    assert errors == [
        "Row 1: Employees needs a number, e.g. 500; not “lots”",
        "Row 2: Company can be tested with “is”, “is not”, “is one of”, “is none of”, "
        "“starts with”, “contains”, “is filled in”, “is empty”",
        "Row 3: give a value for “Source is”",
        "Row 4: type the attribute's name beside “Attribute…”, e.g. plan",
        "Row 6: row 5 already tests Country this way; keep one of them",
        "Row 7: choose a field from the list",
    ]
    assert conditions == {"country": ["US"]}


def test_a_field_with_bad_rows_is_not_valid_and_says_so():
    field = ConditionsField(required=False)
    with pytest.raises(Exception) as raised:
        field.clean(ConditionRows((Row("score", "lt", "high"),)))
    assert raised.value.messages == ["Row 1: Score needs a number, e.g. 500; not “high”"]


def test_every_field_a_rule_can_test_is_offered_as_a_row_choice():
    offered = {choice.name for choice in FIELD_CHOICES}
    assert {*LEAD_FIELDS, *DERIVED_FLAGS, "attributes"} == offered
