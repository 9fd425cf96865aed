from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from routing.conditions import condition_errors, describe_conditions
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
