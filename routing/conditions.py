"""The `when` of a rule: which lead fields it tests and how, and checking that it makes sense.

A condition maps a field to either a plain value (equality), a list (one of), or a
mapping of operators that must all hold:

    {source: pricing_page, employee_count: {gte: 50, lt: 500}, country: [US, CA]}

Fields are the lead's own fields, `attributes.<name>` for the free attributes, and the
derived booleans `work_email` and `named_account`. Every key of a mapping must hold; two
more keys group conditions, each holding mappings written in this same language:

    any: [{product: Payments}, {attributes.interest: payments}]   # at least one holds
    not: {source: event}                                          # this does not hold

`not` over several keys means "not all of them"; "none of these" is `not: {any: [...]}`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
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

ANY = "any"
NOT = "not"
GROUPS = (ANY, NOT)

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
    close = difflib.get_close_matches(field, LEAD_FIELDS + DERIVED_FLAGS + GROUPS, n=1)
    if close:
        return [f"unknown field '{field}'; did you mean '{close[0]}'?"]
    return [
        f"unknown field '{field}'; use one of {', '.join(LEAD_FIELDS + DERIVED_FLAGS)} "
        "or attributes.<name>, or group conditions with any: [...] or not: {...}"
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


def condition_errors(conditions: Any, *, where: str = "") -> list[str]:
    """Every problem with a `when` mapping, in plain words; empty when it is valid.

    A problem inside `any` or `not` starts with its path from `where`, the name of the
    mapping in its file ("when.any[2]: unknown field 'sorce'"); alternatives count from 1.
    """
    if conditions in (None, {}):
        return []
    if not isinstance(conditions, dict):
        return ["conditions must be a mapping of field to value, e.g. {source: demo_request}"]
    return _mapping_errors(conditions, root=where, path="")


def _mapping_errors(conditions: dict[Any, Any], *, root: str, path: str) -> list[str]:
    errors: list[str] = []
    for key, test in conditions.items():
        field = str(key)
        if field == ANY:
            errors.extend(_any_errors(test, root=root, path=f"{path}.{ANY}"))
        elif field == NOT:
            errors.extend(_not_errors(test, root=root, path=f"{path}.{NOT}"))
        else:
            problems = _test_errors(field, test)
            errors.extend(_at(root, path, problem) for problem in problems)
    return errors


def _at(root: str, path: str, problem: str) -> str:
    """A problem inside a group, prefixed with where it is; at the top, as it is."""
    if not path:
        return problem
    return f"{root}{path}: {problem}" if root else f"{path.removeprefix('.')}: {problem}"


def _any_errors(test: Any, *, root: str, path: str) -> list[str]:
    example = "any: [{product: Payments}, {attributes.interest: payments}]"
    if not isinstance(test, list):
        return [_at(root, path, f"takes a list of alternatives, e.g. {example}; not {test!r}")]
    if not test:
        return [
            _at(root, path, f"is empty, so no lead could meet it; list alternatives: {example}")
        ]
    errors: list[str] = []
    for number, alternative in enumerate(test, start=1):
        where = f"{path}[{number}]"
        if not isinstance(alternative, dict):
            errors.append(
                _at(
                    root,
                    where,
                    "an alternative is a mapping of conditions, e.g. "
                    f"{{product: Payments}}; not {alternative!r}",
                )
            )
        elif not alternative:
            errors.append(
                _at(
                    root,
                    where,
                    "an empty alternative holds for every lead; give it conditions or remove it",
                )
            )
        else:
            errors.extend(_mapping_errors(alternative, root=root, path=where))
    return errors


def _not_errors(test: Any, *, root: str, path: str) -> list[str]:
    if isinstance(test, list):
        return [
            _at(
                root,
                path,
                "takes one mapping of conditions, not a list; for "
                '"none of these" write not: {any: [{...}, {...}]}',
            )
        ]
    if not isinstance(test, dict):
        return [
            _at(
                root,
                path,
                f"takes a mapping of conditions, e.g. not: {{source: event}}; not {test!r}",
            )
        ]
    if not test:
        return [_at(root, path, "is empty, so no lead could meet it; e.g. not: {source: event}")]
    return _mapping_errors(test, root=root, path=path)


def _test_errors(field: str, test: Any) -> list[str]:
    """What is wrong with one field's test."""
    field_problems = _field_errors(field)
    if field_problems:
        return field_problems
    if field in DERIVED_FLAGS:
        if not isinstance(test, bool):
            return [f"'{field}' is true or false, not {test!r}"]
        return []
    if isinstance(test, dict):
        errors = [f"'{field}' has an empty set of operators"] if not test else []
        for operator, value in test.items():
            errors.extend(_operator_errors(field, str(operator), value))
        return errors
    if isinstance(test, list):
        return _operator_errors(field, "in", test)
    if not _is_scalar(test):
        return [f"'{field}' needs a value, a list or operators, not {test!r}"]
    return []


def fields_tested(conditions: dict[str, Any] | None) -> Iterator[str]:
    """Every field the conditions test, inside `any` and `not` too."""
    for key, test in (conditions or {}).items():
        if key == ANY:
            for alternative in test:
                yield from fields_tested(alternative)
        elif key == NOT:
            yield from fields_tested(test)
        else:
            yield key


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
    leads carry postal codes and the like as text, so compare them as text. Inside `any`
    and `not` too; what is not a valid shape is left for `condition_errors` to name.
    """
    if not isinstance(conditions, dict):
        return conditions
    normalized = {}
    for field, test in conditions.items():
        if field == ANY and isinstance(test, list):
            normalized[field] = [normalize_conditions(alternative) for alternative in test]
        elif field == NOT:
            normalized[field] = normalize_conditions(test)
        else:
            normalized[field] = _normalized_test(field, test)
    return normalized


def _normalized_test(field: str, test: Any) -> Any:
    if field in KEYWORD_FIELDS:
        return keyword_test(_as_text(test))
    return _as_text(test) if field in TEXT_FIELDS else test


_SYMBOLS = {
    "eq": "is",
    "ne": "is not",
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
    """'employee_count ≥ 50 and < 500, source is pricing_page' — for people, not parsers.

    Alternatives read "product is Payments, or attributes.interest is payments", a
    negation "not: source is event"; a group among other conditions is bracketed.
    """
    if not conditions:
        return "every lead"
    return ", ".join(_parts(conditions))


def _parts(conditions: dict[str, Any]) -> list[str]:
    parts = [_part(str(field), test) for field, test in conditions.items()]
    if len(parts) > 1:
        parts = [
            f"({part})" if field == ANY else part
            for field, part in zip(conditions, parts, strict=True)
        ]
    return parts


def _together(conditions: dict[str, Any]) -> str:
    """A mapping inside a group: its conditions joined by "and", bracketed if several
    (or if it is alternatives of its own: "not: (a, or b)")."""
    parts = _parts(conditions)
    if len(parts) == 1 and not (ANY in conditions and len(conditions[ANY]) > 1):
        return parts[0]
    return f"({' and '.join(parts)})"


def _part(field: str, test: Any) -> str:
    if field == ANY:
        return ", or ".join(_together(alternative) for alternative in test)
    if field == NOT:
        return f"not: {_together(test)}"
    if field == "work_email":
        return "work e-mail" if test else "free-mail address"
    if field == "named_account":
        return "a named account" if test else "no named account"
    if isinstance(test, dict):
        tests = []
        # PostgreSQL's jsonb stores keys in its own order; read them in ours.
        ordered = sorted(test.items(), key=lambda item: _operator_rank(item[0]))
        for operator, value in ordered:
            if operator == "exists":
                tests.append("is filled in" if value else "is empty")
            else:
                tests.append(f"{_SYMBOLS.get(operator, operator)} {_show(value)}")
        return f"{field} {' and '.join(tests)}"
    if isinstance(test, list):
        return f"{field} is one of {_show(test)}"
    return f"{field} is {_show(test)}"
