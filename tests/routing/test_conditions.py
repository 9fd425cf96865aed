from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from routing.conditions import (
    condition_errors,
    describe_conditions,
    fields_tested,
    normalize_conditions,
)
from routing.validators import validate_conditions


@pytest.mark.parametrize(
    "conditions",
    [
        {},
        {"source": "pricing_page", "work_email": True},
        {"employee_count": {"gte": 50, "lt": 500}},
        {"country": ["US", "CA"]},
        {"industry": {"not_in": ["Education"]}, "company": {"contains": "bank"}},
        {"postal_code": {"prefix": "10"}, "phone": {"exists": True}},
        {"attributes.plan": "enterprise", "named_account": True},
        {"score": {"gt": 0.5}, "source": {"ne": "event"}},
    ],
)
def test_valid_conditions_pass(conditions):
    assert condition_errors(conditions) == []


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ({"employees": 5}, "unknown field 'employees'"),
        ({"employee_count": {"greater": 5}}, "unknown operator 'greater' on 'employee_count'"),
        ({"country": {"in": "US"}}, "needs a non-empty list"),
        ({"employee_count": {"gte": "many"}}, "needs a number"),
        ({"company": {"gte": 3}}, "'company' is text"),
        ({"work_email": "yes"}, "true or false"),
        ({"phone": {"exists": "yes"}}, "true or false"),
        ({"company": {"prefix": ""}}, "needs some text"),
        ({"source": {}}, "empty set of operators"),
        (["source"], "must be a mapping"),
        ({"attributes.": 1}, "unknown field"),
    ],
)
def test_each_mistake_is_named(conditions, message):
    assert any(message in error for error in condition_errors(conditions))
    with pytest.raises(ValidationError):
        validate_conditions(conditions)


def test_conditions_read_as_plain_words():
    text = describe_conditions(
        {"employee_count": {"gte": 50, "lt": 500}, "work_email": True, "country": ["US", "CA"]}
    )
    assert text == "employee_count ≥ 50 and < 500, work e-mail, country is one of US, CA"
    assert describe_conditions({}) == "every lead"


INTENT = {
    "any": [{"product": "Payments"}, {"attributes.interest": "payments"}],
    "not": {"source": "event"},
}


@pytest.mark.parametrize(
    "conditions",
    [
        INTENT,
        {"any": [{"source": "pricing_page", "work_email": True}, {"named_account": True}]},
        {"not": {"any": [{"source": "event"}, {"source": "webinar"}]}},
        {"country": "US", "any": [{"not": {"employee_count": {"lt": 50}}}, {"score": {"gt": 80}}]},
    ],
)
def test_alternatives_and_negations_are_valid_conditions(conditions):
    assert condition_errors(conditions) == []


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ({"any": []}, "when.any: is empty, so no lead could meet it"),
        ({"any": {"product": "Payments"}}, "when.any: takes a list of alternatives"),
        ({"any": ["Payments"]}, "when.any[1]: an alternative is a mapping of conditions"),
        ({"any": [{"product": "x"}, {}]}, "when.any[2]: an empty alternative holds for every"),
        (
            {"any": [{"product": "x"}, {"sorce": "event"}]},
            "when.any[2]: unknown field 'sorce'; did you mean 'source'?",
        ),
        ({"not": [{"source": "event"}]}, "when.not: takes one mapping of conditions, not a list"),
        ({"not": "event"}, "when.not: takes a mapping of conditions"),
        ({"not": {}}, "when.not: is empty"),
        (
            {"not": {"any": [{"source": "event"}, {"employee_count": {"gte": "many"}}]}},
            "when.not.any[2]: 'employee_count: {gte: ...}' needs a number",
        ),
    ],
)
def test_a_mistake_inside_a_group_is_named_with_its_path(conditions, message):
    errors = condition_errors(conditions, where="when")
    assert any(error.startswith(message) for error in errors), errors
    with pytest.raises(ValidationError):
        validate_conditions(conditions)


def test_groups_read_as_plain_words():
    assert describe_conditions({"any": INTENT["any"]}) == (
        "product is Payments, or attributes.interest is payments"
    )
    assert describe_conditions({"not": {"source": "event"}}) == "not: source is event"
    assert describe_conditions({"work_email": True, **INTENT}) == (
        "work e-mail, (product is Payments, or attributes.interest is payments), "
        "not: source is event"
    )
    assert (
        describe_conditions(
            {"any": [{"source": "pricing_page", "work_email": True}, {"named_account": True}]}
        )
        == "(source is pricing_page and work e-mail), or a named account"
    )
    assert describe_conditions({"not": {"source": "event", "country": ["US", "CA"]}}) == (
        "not: (source is event and country is one of US, CA)"
    )


def test_numbers_for_text_fields_are_text_inside_groups_too():
    conditions = normalize_conditions(
        {"any": [{"postal_code": 10001}, {"employee_count": 5}], "not": {"postal_code": [7030]}}
    )
    assert conditions == {
        "any": [{"postal_code": "10001"}, {"employee_count": 5}],
        "not": {"postal_code": ["7030"]},
    }
    assert sorted(fields_tested(conditions)) == ["employee_count", "postal_code", "postal_code"]
