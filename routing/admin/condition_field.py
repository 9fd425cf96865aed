"""A rule's `when` in the admin: rows of field, test and value, or YAML for groups.

The rows write the common "all of these" list; anything rows cannot show (`any`, `not`)
is edited as YAML, read exactly as routing files are. Both post to one field and store
the same mapping. The plain-words reading under the editor is `describe_conditions`, the
renderer rule pages use, fetched as you type from `conditions_preview_view`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from routing.conditions import (
    ANY,
    LEAD_FIELDS,
    NOT,
    OPERATORS,
    condition_errors,
    describe_conditions,
    normalize_conditions,
)
from routing.routing_file.errors import RoutingFileError
from routing.routing_file.yaml_io import Flow, FlowList, read_yaml, write_yaml

from .condition_rows import (
    FIELD_CHOICES,
    ROW_OPERATORS,
    Row,
    conditions_to_rows,
    row_from_parts,
    rows_to_conditions,
)


def conditions_from_yaml(text: str) -> Any:
    """What `text` says, read exactly as a routing file's `when` is read.

    The routing-file reader knows YAML's traps (`NO` as false, `070` as an octal
    number, a key given twice); sharing it means the admin and the files agree.
    """
    try:
        return read_yaml(text, source="conditions")
    except RoutingFileError as error:
        hint = "Write one condition per line, like  source: demo_request"
        raise ValidationError([*error.errors, hint], code="yaml") from None


def _operators_in_order(test: Any) -> Any:
    # PostgreSQL's jsonb keeps keys in its own order ("lt" before "gte"); show operators
    # in the order people write them, so {gte: 50, lt: 500} reads the same on any database.
    if not isinstance(test, dict):
        return test
    rank = {operator: index for index, operator in enumerate(OPERATORS)}
    return dict(sorted(test.items(), key=lambda item: rank.get(item[0], len(rank))))


def _in_order(conditions: dict[str, Any]) -> dict[str, Any]:
    """The conditions with every field's operators in order, inside `any` and `not` too."""
    ordered: dict[str, Any] = {}
    for field, test in conditions.items():
        if field == ANY and isinstance(test, list):
            ordered[field] = [_in_order(item) if isinstance(item, dict) else item for item in test]
        elif field == NOT and isinstance(test, dict):
            ordered[field] = _in_order(test)
        else:
            ordered[field] = _operators_in_order(test)
    return ordered


def _line(field: str, test: Any) -> Any:
    if field == ANY and isinstance(test, list):  # one alternative a line, under `any:`
        return [Flow(item) if isinstance(item, dict) else item for item in test]
    if isinstance(test, dict):
        return Flow(test)
    if isinstance(test, list):
        return FlowList(test)
    return test


def conditions_to_yaml(conditions: Any) -> str:
    """One line per field, operators and lists inline: as `when` reads in a routing file."""
    if not conditions:
        return ""
    if not isinstance(conditions, dict):
        return write_yaml(conditions).strip()
    lines = {field: _line(field, test) for field, test in _in_order(conditions).items()}
    return write_yaml(lines).strip()


def _non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(map(_non_finite, value.values()))
    if isinstance(value, list):
        return any(map(_non_finite, value))
    return False


_EXAMPLES = (
    ("source: pricing_page", "equals"),
    ("country: [US, CA]", "one of"),
    ("employee_count: {gte: 50, lt: 500}", "from 50 up to 499"),
    ("email_domain: {not_in: [gmail.com, yahoo.com]}", "none of"),
    ("attributes.plan: {exists: true}", "filled in"),
    ("work_email: true", "not a free-mail address"),
    ("any: [{product: Payments}, {attributes.interest: payments}]", "at least one holds"),
    ("not: {source: event}", "does not hold"),
)
CONDITIONS_HELP = format_html(
    "As YAML: one condition per line, written as in routing files; all must hold, and "
    "inside <code>any</code> one alternative. Blank: every lead."
    "<details><summary>YAML examples and syntax</summary>{}"
    "<br>Operators: {}.<br>Fields: {}, <code>attributes.&lt;name&gt;</code>, and the yes/no "
    "checks <code>work_email</code> and <code>named_account</code>.</details>",
    format_html_join(mark_safe("<br>"), "<code>{}</code> &nbsp;({})", _EXAMPLES),
    ", ".join(OPERATORS),
    ", ".join(LEAD_FIELDS),
)


@dataclass(frozen=True, slots=True)
class ConditionRows:
    """What the row editor posted, kept as typed so a page with an error shows it again."""

    rows: tuple[Row, ...]


class YamlText(str):
    """What the YAML box posted when the manager chose to edit as YAML."""

    __slots__ = ()


def _posted_rows(data: Any, name: str) -> ConditionRows:
    columns = [
        data.getlist(f"{name}_{part}") for part in ("field", "attribute", "operator", "value")
    ]
    # Every row posts its four inputs, so the columns line up; a short one means a
    # tampered post, and its rows are dropped rather than shifted onto others.
    return ConditionRows(
        tuple(
            row_from_parts(field=field, attribute=attribute, operator=operator, value=value)
            for field, attribute, operator, value in zip(*columns, strict=False)
        )
    )


@dataclass(frozen=True, slots=True)
class EditorState:
    """What the editor shows: which way of writing is chosen, the rows, the YAML, the words."""

    mode: str  # "rows" or "yaml"
    rows: tuple[Row, ...]
    yaml: str
    words: str


class ConditionsWidget(forms.Widget):
    """Rows of field, test and value, with a YAML box beside them and the reading in
    plain words. Without JavaScript the rows, the YAML and the choice between them all
    work; with it, rows are added and removed, tests are offered by the field's type and
    the words follow the typing. The YAML box keeps the field's own name, so a post of
    YAML alone (a script, an older page) is read as it always was."""

    template_name = "routing/widgets/conditions.html"
    BLANK_ROWS = 1  # the row to add to when scripts are off

    class Media:
        css = {"all": ("routing/conditions.css",)}
        js = ("routing/conditions.js",)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        mode = data.get(f"{name}_mode")
        if mode == "rows":
            return _posted_rows(data, name)
        text = data.get(name)
        return YamlText(text) if mode == "yaml" and text is not None else text

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and f"{name}_mode" not in data

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        state = editor_state(value)
        rows = [*state.rows, *[Row()] * self.BLANK_ROWS]
        context["widget"].update(
            mode=state.mode,
            rows=rows,
            yaml=state.yaml,
            words=state.words,
            fields=FIELD_CHOICES,
            operators=[
                {
                    "code": operator.code,
                    "label": operator.label,
                    "needs_value": operator.needs_value,
                    "kinds": " ".join(sorted(operator.kinds)),
                }
                for operator in ROW_OPERATORS
            ],
            preview_url=reverse("admin:routing_ruleset_conditions_preview"),
        )
        return context


def read_conditions(value: Any) -> dict[str, Any]:
    """The mapping rows or YAML text stand for, normalized; ValidationError naming what
    cannot be read. Whether the mapping makes sense is `condition_errors`' question."""
    if isinstance(value, dict):
        return value
    if isinstance(value, ConditionRows):
        conditions, errors = rows_to_conditions(value.rows)
        if errors:
            raise ValidationError(errors, code="rows")
        return normalize_conditions(conditions)
    text = str(value or "").strip()
    if not text:
        return {}
    conditions = conditions_from_yaml(text)
    if conditions is None:
        return {}
    if not isinstance(conditions, dict):
        raise ValidationError(
            "Write the conditions as  field: value  lines, like  source: demo_request",
            code="not_a_mapping",
        )
    return normalize_conditions(conditions)


def check_conditions(conditions: dict[str, Any]) -> None:
    errors = condition_errors(conditions)
    if errors:
        raise ValidationError(errors, code="conditions")
    if _non_finite(conditions):
        raise ValidationError("Numbers must be finite (no .inf or .nan).", code="conditions")


def _valid(value: Any) -> dict[str, Any] | None:
    try:
        conditions = read_conditions(value)
        check_conditions(conditions)
    except ValidationError:
        return None
    return conditions


def editor_state(value: Any) -> EditorState:
    """The editor for stored conditions, for YAML as typed, or for rows as posted."""
    conditions = _valid(value)
    words = describe_conditions(conditions) if conditions is not None else ""
    yaml = conditions_to_yaml(conditions) if conditions is not None else ""
    if isinstance(value, ConditionRows):
        return EditorState("rows", value.rows, yaml, words)
    rows = conditions_to_rows(conditions) if conditions is not None else None
    text = value if isinstance(value, str) else yaml
    if isinstance(value, YamlText) or rows is None:
        return EditorState("yaml", tuple(rows or ()), text, words)
    return EditorState("rows", tuple(rows), text, words)


class ConditionsField(forms.Field):
    """A rule's `when`, edited as rows or as YAML (or JSON), stored as the mapping it reads as."""

    widget = ConditionsWidget

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return conditions_to_yaml(value)
        return value

    def to_python(self, value: Any) -> dict[str, Any]:
        return read_conditions(value)

    def validate(self, value: dict[str, Any]) -> None:
        super().validate(value)
        check_conditions(value)

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(initial or {}) != self.to_python(data)
        except ValidationError:
            return True
