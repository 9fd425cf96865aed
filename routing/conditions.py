"""The `when` of a rule: which lead fields it tests and how, and checking that it makes sense.

A condition maps a field to either a plain value (equality), a list (one of), or a
mapping of operators that must all hold:

    {source: pricing_page, employee_count: {gte: 50, lt: 500}, country: [US, CA]}

Fields are the lead's own fields, `attributes.<name>` for the free attributes, and the
derived booleans `work_email` and `named_account`.
"""

from __future__ import annotations

from typing import Any

from routing.lead_fields import TESTABLE_FIELDS, Kind
from routing.normalize.keywords import keyword_test

# The lead fields rules test, by how they compare: text case-insensitively, numbers by size.
TEXT_FIELDS = tuple(field.name for field in TESTABLE_FIELDS if not field.is_number)
NUMBER_FIELDS = tuple(field.name for field in TESTABLE_FIELDS if field.is_number)
# Compared in their stored form (`pricing_page` for "Pricing Page"): see normalize/keywords.
KEYWORD_FIELDS = frozenset(field.name for field in TESTABLE_FIELDS if field.kind is Kind.KEYWORD)
DERIVED_FLAGS = ("work_email", "named_account")
LEAD_FIELDS = tuple(field.name for field in TESTABLE_FIELDS)
ATTRIBUTE_PREFIX = "attributes."

COMPARISONS = ("gte", "gt", "lte", "lt")
OPERATORS = ("eq", "ne", "in", "not_in", *COMPARISONS, "prefix", "contains", "exists")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _field_errors(field: str) -> list[str]:
    if field in LEAD_FIELDS or field in DERIVED_FLAGS:
        return []
    if field.startswith(ATTRIBUTE_PREFIX) and len(field) > len(ATTRIBUTE_PREFIX):
        return []
    return [
        f"unknown field '{field}'; use one of {', '.join(LEAD_FIELDS + DERIVED_FLAGS)} "
        "or attributes.<name>"
    ]


def _operator_errors(field: str, operator: str, value: Any) -> list[str]:
    where = f"'{field}: {{{operator}: ...}}'"
    if operator not in OPERATORS:
        return [f"unknown operator '{operator}' on '{field}'; use one of {', '.join(OPERATORS)}"]
    if operator in ("in", "not_in"):
        if not isinstance(value, list) or not value or not all(map(_is_scalar, value)):
            return [f"{where} needs a non-empty list of values"]
    elif operator in COMPARISONS:
        if not _is_number(value):
            return [f"{where} needs a number, not {value!r}"]
        if field in TEXT_FIELDS:
            return [f"'{field}' is text and cannot be compared with {operator}"]
    elif operator in ("prefix", "contains"):
        if not isinstance(value, str) or not value:
            return [f"{where} needs some text"]
    elif operator == "exists":
        if not isinstance(value, bool):
            return [f"{where} needs true or false"]
    elif not _is_scalar(value):
        return [f"{where} needs a single value"]
    return []


def condition_errors(conditions: Any) -> list[str]:
    """Every problem with a `when` mapping, in plain words; empty when it is valid."""
    if conditions in (None, {}):
        return []
    if not isinstance(conditions, dict):
        return ["conditions must be a mapping of field to value, e.g. {source: demo_request}"]
    errors: list[str] = []
    for field, test in conditions.items():
        field_problems = _field_errors(str(field))
        if field_problems:
            errors.extend(field_problems)
            continue
        if field in DERIVED_FLAGS:
            if not isinstance(test, bool):
                errors.append(f"'{field}' is true or false, not {test!r}")
        elif isinstance(test, dict):
            if not test:
                errors.append(f"'{field}' has an empty set of operators")
            for operator, value in test.items():
                errors.extend(_operator_errors(field, str(operator), value))
        elif isinstance(test, list):
            errors.extend(_operator_errors(field, "in", test))
        elif not _is_scalar(test):
            errors.append(f"'{field}' needs a value, a list or operators, not {test!r}")
    return errors


def _as_text(test: Any) -> Any:
    if isinstance(test, bool):
        return test
    if isinstance(test, int | float):
        return str(test)
    if isinstance(test, list):
        return [_as_text(item) for item in test]
    if isinstance(test, dict):
        return {
            operator: value if operator in (*COMPARISONS, "exists") else _as_text(value)
            for operator, value in test.items()
        }
    return test


def normalize_conditions(conditions: Any) -> Any:
    """Numbers written for text fields (`postal_code: [10001]`) are meant as text, and
    keywords are kept in their compared form (`source: Pricing Page` -> pricing_page).

    Routing files and the admin both read conditions as YAML, where 10001 is a number;
    leads carry postal codes and the like as text, so compare them as text.
    """
    if not isinstance(conditions, dict):
        return conditions
    return {field: _normalized_test(field, test) for field, test in conditions.items()}


def _normalized_test(field: str, test: Any) -> Any:
    if field in KEYWORD_FIELDS:
        return keyword_test(_as_text(test))
    return _as_text(test) if field in TEXT_FIELDS else test


_SYMBOLS = {
    "eq": "=",
    "ne": "≠",
    "gte": "≥",
    "gt": ">",
    "lte": "≤",
    "lt": "<",
    "in": "is one of",
    "not_in": "is not one of",
    "prefix": "starts with",
    "contains": "contains",
}


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_show(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _operator_rank(operator: str) -> int:
    return OPERATORS.index(operator) if operator in OPERATORS else len(OPERATORS)


def describe_conditions(conditions: dict[str, Any] | None) -> str:
    """'employee_count ≥ 50 and < 500, source = pricing_page' — for people, not parsers."""
    if not conditions:
        return "every lead"
    parts = []
    for field, test in conditions.items():
        if field == "work_email":
            parts.append("work e-mail" if test else "free-mail address")
        elif field == "named_account":
            parts.append("a named account" if test else "no named account")
        elif isinstance(test, dict):
            tests = []
            # PostgreSQL's jsonb stores keys in its own order; read them in ours.
            ordered = sorted(test.items(), key=lambda item: _operator_rank(item[0]))
            for operator, value in ordered:
                if operator == "exists":
                    tests.append("is filled in" if value else "is empty")
                else:
                    tests.append(f"{_SYMBOLS.get(operator, operator)} {_show(value)}")
            parts.append(f"{field} {' and '.join(tests)}")
        elif isinstance(test, list):
            parts.append(f"{field} is one of {_show(test)}")
        else:
            parts.append(f"{field} = {_show(test)}")
    return ", ".join(parts)
