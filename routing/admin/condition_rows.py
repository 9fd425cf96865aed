"""A rule's `when` as rows a manager fills in: field, test, value; all rows must hold.

Rows are another way to write the flat "all of these" mapping that routing files write
as YAML; groups (`any`, `not`) stay YAML only. Rows become the same mapping the YAML
would (values read by the routing-file reader, then the same normalizing), so both ways
store the same conditions, and `condition_errors` has the last word on either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from routing.conditions import (
    ATTRIBUTE_PREFIX,
    DERIVED_FLAGS,
    GROUPS,
    LEAD_FIELDS,
    OPERATORS,
)
from routing.lead_fields import TESTABLE_FIELDS
from routing.routing_file.errors import RoutingFileError
from routing.routing_file.yaml_io import read_yaml

TEXT, NUMBER, FLAG, ATTRIBUTE = "text", "number", "flag", "attribute"
# The field choice whose name the manager types next to it (attributes.<name>).
ATTRIBUTE_CHOICE = "attributes"


@dataclass(frozen=True, slots=True)
class FieldChoice:
    name: str
    label: str
    kind: str


FIELD_CHOICES: tuple[FieldChoice, ...] = (
    *(
        FieldChoice(field.name, field.label, NUMBER if field.is_number else TEXT)
        for field in TESTABLE_FIELDS
    ),
    FieldChoice("work_email", "Work e-mail (not free)", FLAG),
    FieldChoice("named_account", "Named account", FLAG),
    FieldChoice(ATTRIBUTE_CHOICE, "Attribute…", ATTRIBUTE),
)
_KIND_OF = {choice.name: choice.kind for choice in FIELD_CHOICES}
_LABEL_OF = {choice.name: choice.label for choice in FIELD_CHOICES}


@dataclass(frozen=True, slots=True)
class RowOperator:
    code: str  # what the row posts: a stored operator, or a yes/no spelled as a test
    label: str
    kinds: frozenset[str]
    needs_value: bool = True


_COMPARABLE = frozenset({NUMBER, ATTRIBUTE})
_TESTED = frozenset({TEXT, NUMBER, ATTRIBUTE})
_WORDED = frozenset({TEXT, ATTRIBUTE})
ROW_OPERATORS: tuple[RowOperator, ...] = (
    RowOperator("eq", "is", _TESTED),
    RowOperator("ne", "is not", _TESTED),
    RowOperator("in", "is one of", _TESTED),
    RowOperator("not_in", "is none of", _TESTED),
    RowOperator("gte", "is at least", _COMPARABLE),
    RowOperator("gt", "is more than", _COMPARABLE),
    RowOperator("lte", "is at most", _COMPARABLE),
    RowOperator("lt", "is less than", _COMPARABLE),
    RowOperator("prefix", "starts with", _WORDED),
    RowOperator("contains", "contains", _WORDED),
    RowOperator("filled", "is filled in", _TESTED, needs_value=False),
    RowOperator("empty", "is empty", _TESTED, needs_value=False),
    RowOperator("yes", "yes", frozenset({FLAG}), needs_value=False),
    RowOperator("no", "no", frozenset({FLAG}), needs_value=False),
)
_OPERATOR = {operator.code: operator for operator in ROW_OPERATORS}
LISTS = ("in", "not_in")
# Row tests that are not stored under their own name, and the stored test they stand for.
_STORED = {"filled": ("exists", True), "empty": ("exists", False)}
_FLAG_ROWS = {"yes": True, "no": False}


@dataclass(frozen=True, slots=True)
class Row:
    field: str = ""  # the condition's field: source, attributes.plan, work_email
    operator: str = ""
    value: str = ""  # as typed; lists separated by commas

    @property
    def field_choice(self) -> str:
        return ATTRIBUTE_CHOICE if self.field.startswith(ATTRIBUTE_PREFIX) else self.field

    @property
    def attribute(self) -> str:
        return self.field.removeprefix(ATTRIBUTE_PREFIX) if self.field_choice != self.field else ""

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field_choice,
            "attribute": self.attribute,
            "operator": self.operator,
            "value": self.value,
        }


def row_from_parts(*, field: str, attribute: str, operator: str, value: str) -> Row:
    """A row as its inputs post it: the attribute's name typed beside the "Attribute…" choice."""
    field, attribute = field.strip(), attribute.strip()
    if field == ATTRIBUTE_CHOICE:
        field = f"{ATTRIBUTE_PREFIX}{attribute}"
    return Row(field=field, operator=operator.strip(), value=value.strip())


def _kind(field: str) -> str | None:
    if field.startswith(ATTRIBUTE_PREFIX):
        return ATTRIBUTE
    return _KIND_OF.get(field)


def _label(field: str) -> str:
    if field.startswith(ATTRIBUTE_PREFIX):
        return f"Attribute “{field.removeprefix(ATTRIBUTE_PREFIX)}”"
    return _LABEL_OF.get(field, field)


def _scalar(text: str) -> Any:
    """A value read as the routing-file reader reads a YAML value: true/false, plain
    decimals as numbers, anything else as the text typed (no quotes or brackets needed)."""
    try:
        value = read_yaml(text, source="value")
    except RoutingFileError:
        return text
    return value if isinstance(value, bool | int | float) else text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _row_test(number: int, row: Row) -> tuple[str, Any] | str:
    """(stored operator, value) for one filled-in row, or what is wrong with it."""
    where = f"Row {number}"
    kind = _kind(row.field)
    if kind is None:
        return f"{where}: choose a field from the list"
    if row.field == ATTRIBUTE_PREFIX:
        return f"{where}: type the attribute's name beside “Attribute…”, e.g. plan"
    label = _label(row.field)
    operator = _OPERATOR.get(row.operator)
    if operator is None or kind not in operator.kinds:
        allowed = ", ".join(f"“{op.label}”" for op in ROW_OPERATORS if kind in op.kinds)
        return f"{where}: {label} can be tested with {allowed}"
    if not operator.needs_value:
        if operator.code in _FLAG_ROWS:
            return ("eq", _FLAG_ROWS[operator.code])
        return _STORED[operator.code]
    if not row.value:
        return f"{where}: give a value for “{label} {operator.label}”"
    if operator.code in ("prefix", "contains"):
        return (operator.code, row.value)
    texts = [item.strip() for item in row.value.split(",")] if operator.code in LISTS else None
    values = [_scalar(item) for item in texts if item] if texts is not None else None
    value = values if values is not None else _scalar(row.value)
    if kind == NUMBER or (kind == ATTRIBUTE and operator.code in ("gte", "gt", "lte", "lt")):
        wrong = [item for item in (values or [value]) if not _is_number(item)]
        if wrong:
            return f"{where}: {label} needs a number, e.g. 500; not “{wrong[0]}”"
    if values is not None and not values:
        return f"{where}: list the values for “{label} {operator.label}”, separated by commas"
    return (operator.code, value)


def rows_to_conditions(rows: Iterable[Row]) -> tuple[dict[str, Any], list[str]]:
    """The `when` mapping the rows stand for, and what is wrong with them (rows count
    from 1; rows with no field chosen are left out). A field's rows are joined into one
    test, as YAML writes it: `employee_count: {gte: 50, lt: 500}`."""
    tests: dict[str, dict[str, Any]] = {}
    first_row: dict[tuple[str, str], int] = {}
    errors: list[str] = []
    for number, row in enumerate(rows, start=1):
        if not row.field:
            continue
        test = _row_test(number, row)
        if isinstance(test, str):
            errors.append(test)
            continue
        operator, value = test
        if (row.field, operator) in first_row:
            errors.append(
                f"Row {number}: row {first_row[row.field, operator]} already tests "
                f"{_label(row.field)} this way; keep one of them"
            )
            continue
        first_row[row.field, operator] = number
        tests.setdefault(row.field, {})[operator] = value
    return {field: _stored(test) for field, test in tests.items()}, errors


def _stored(test: dict[str, Any]) -> Any:
    """A field's tests as YAML writes them: a lone `is` as the value, a lone `is one of`
    as the list, a yes/no flag as true/false."""
    if len(test) == 1:
        ((operator, value),) = test.items()
        if operator in ("eq", "in"):
            return value
    return test


def _text(value: Any) -> str | None:
    """A stored value as a row's input shows it; None when a row cannot show it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _list_text(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return None
    items = [_text(item) for item in value]
    if any(item is None or "," in item for item in items):
        return None
    return ", ".join(item for item in items if item is not None)


def _field_rows(field: str, test: Any) -> list[Row] | None:
    if field in DERIVED_FLAGS:
        return [Row(field, "yes" if test else "no")] if isinstance(test, bool) else None
    if isinstance(test, list):
        text = _list_text(test)
        return None if text is None else [Row(field, "in", text)]
    if not isinstance(test, dict):
        text = _text(test)
        return None if text is None else [Row(field, "eq", text)]
    rows = []
    rank = {operator: index for index, operator in enumerate(OPERATORS)}
    for operator, value in sorted(test.items(), key=lambda item: rank.get(item[0], len(rank))):
        if operator == "exists" and isinstance(value, bool):
            rows.append(Row(field, "filled" if value else "empty"))
            continue
        if operator not in _OPERATOR or operator in _STORED:
            return None
        text = _list_text(value) if operator in LISTS else _text(value)
        if text is None:
            return None
        rows.append(Row(field, operator, text))
    return rows or None


def conditions_to_rows(conditions: Any) -> list[Row] | None:
    """The rows that write `conditions`, or None when rows cannot show them (groups,
    unknown fields, list items holding commas): those are edited as YAML."""
    if not conditions:
        return []
    if not isinstance(conditions, dict):
        return None
    rows: list[Row] = []
    for key, test in conditions.items():
        field = str(key)
        known = field in LEAD_FIELDS or field in DERIVED_FLAGS
        attribute = field.startswith(ATTRIBUTE_PREFIX) and field != ATTRIBUTE_PREFIX
        if field in GROUPS or not (known or attribute):
            return None
        field_rows = _field_rows(field, test)
        if field_rows is None:
            return None
        rows.extend(field_rows)
    return rows
