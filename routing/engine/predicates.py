"""Rule conditions compiled once per snapshot into small predicates: one per field
tested, and the `any` and `not` groups as trees of the same (evaluated in when.py).

Text is compared case-insensitively ("Pricing_Page" is pricing_page); comparisons need a
number on the lead (a missing employee count is neither ≥ 500 nor < 500); `ne` and
`not_in` hold for a missing value, since it is not the excluded one.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from routing.conditions import ANY, KEYWORD_FIELDS, NOT, describe_conditions
from routing.normalize.facts import field_reader
from routing.normalize.keywords import keyword_test

from .types import AnyOf, Condition, Conditions, Not

Test = Callable[[Any], bool]
# Tuples, not `bool | int | float`: a union is built anew at every call, and these run
# for every condition of every lead.
_SCALARS = (bool, int, float)
_NUMBERS = (int, float)


def _key(value: Any) -> Any:
    """Comparable form: numbers and booleans as they are, text case-folded."""
    if isinstance(value, _SCALARS):
        return value
    if value is None:
        return None
    return str(value).strip().casefold()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, _NUMBERS):
        return value
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _is_missing(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().casefold() in ("true", "yes", "y", "1")
    return bool(value)


def _equals(expected: Any) -> Test:
    want = _key(expected)
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        return lambda value: _number(value) == want

    def test(value: Any) -> bool:
        if type(value) is str:  # most lead fields: the general checks, made short
            return value != "" and value.strip().casefold() == want
        return not _is_missing(value) and _key(value) == want

    return test


def _one_of(expected: list[Any]) -> Test:
    tests = [_equals(item) for item in expected]
    keys = frozenset(_key(item) for item in expected if isinstance(item, str))
    if len(keys) == len(expected):  # all text: one set lookup

        def test(value: Any) -> bool:
            if type(value) is str:
                return value != "" and value.strip().casefold() in keys
            return not _is_missing(value) and _key(value) in keys

        return test
    return lambda value: any(test(value) for test in tests)


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "gte": operator.ge,
    "gt": operator.gt,
    "lte": operator.le,
    "lt": operator.lt,
}


def _compare(operator: str, bound: float) -> Test:
    compare = _COMPARISONS[operator]

    def test(value: Any) -> bool:
        if type(value) is int:  # employee counts: a number already (bool is not int)
            return compare(value, bound)
        number = _number(value)
        return number is not None and compare(number, bound)

    return test


def _truthy_is(want: bool) -> Test:
    def test(value: Any) -> bool:
        if type(value) is bool:  # named_account, work_email
            return value is want
        return _truthy(value) is want

    return test


def _operator_test(operator: str, expected: Any) -> Test:
    if operator == "eq":
        return _equals(expected)
    if operator == "ne":
        equal = _equals(expected)
        return lambda value: not equal(value)
    if operator == "in":
        return _one_of(expected)
    if operator == "not_in":
        member = _one_of(expected)
        return lambda value: not member(value)
    if operator in ("gte", "gt", "lte", "lt"):
        return _compare(operator, expected)
    if operator == "prefix":
        start = _key(expected)
        return lambda value: not _is_missing(value) and str(_key(value)).startswith(start)
    if operator == "contains":
        part = _key(expected)
        return lambda value: not _is_missing(value) and part in str(_key(value))
    if operator == "exists":
        return (lambda value: not _is_missing(value)) if expected else _is_missing
    raise ValueError(f"unknown operator {operator!r}")  # validated before compiling


def _all(tests: list[Test]) -> Test:
    if len(tests) == 1:
        return tests[0]
    # Chained `and`, not all() over a generator: this runs for every lead.
    first, rest = tests[0], _all(tests[1:])
    return lambda value: first(value) and rest(value)


def compile_conditions(conditions: dict[str, Any] | None) -> Conditions:
    """A rule's `when`, compiled; conditions were validated when they were saved."""
    tests: list[Condition] = []
    groups: list[AnyOf | Not] = []
    for field, written in (conditions or {}).items():
        text = describe_conditions({field: written})
        if field == ANY:
            groups.append(AnyOf(tuple(map(compile_conditions, written)), text))
        elif field == NOT:
            groups.append(Not(compile_conditions(written), text))
        else:
            # Rules saved before keywords were normalized may still say "Pricing Page".
            spec = keyword_test(written) if field in KEYWORD_FIELDS else written
            tests.append(Condition(field, text, _field_test(spec), read=field_reader(field)))
    return Conditions(tuple(tests), tuple(groups), describe_conditions(conditions))


def _field_test(spec: Any) -> Test:
    if isinstance(spec, dict):
        return _all([_operator_test(op, expected) for op, expected in spec.items()])
    if isinstance(spec, list):
        return _one_of(spec)
    if isinstance(spec, bool):
        return _truthy_is(spec)
    return _equals(spec)
