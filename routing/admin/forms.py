"""Form fields and forms for editing rule sets the way routing files are written.

Durations are typed as "15m" or "90d", conditions as YAML ("employee_count: {gte: 500}"),
both checked by the same code that reads routing files, so an error reads the same
wherever it is made.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import dateparse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from routing.conditions import (
    ANY,
    LEAD_FIELDS,
    NOT,
    OPERATORS,
    condition_errors,
    normalize_conditions,
)
from routing.durations import format_duration, parse_duration
from routing.models import Rule, RuleSet
from routing.routing_file.errors import RoutingFileError
from routing.routing_file.yaml_io import Flow, FlowList, read_yaml, write_yaml

# ---------------------------------------------------------------------------- durations

_ZERO = re.compile(r"^(?:0+[dhms]?)+$")


class ShortDurationField(forms.Field):
    """A duration typed as 15m, 90s, 1h30m or 90d; Django's 00:15:00 is understood too."""

    widget = forms.TextInput

    def __init__(self, *, allow_zero: bool = False, **kwargs: Any) -> None:
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {**super().widget_attrs(widget), "size": 10, "placeholder": "15m"}

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, timedelta):
            return format_duration(value)
        return value

    def to_python(self, value: Any) -> timedelta | None:
        if value in self.empty_values:
            return None
        if isinstance(value, timedelta):
            return value
        text = str(value).strip()
        if _ZERO.match(text.lower().replace(" ", "")):
            return timedelta(0)
        try:
            return parse_duration(text)
        except ValidationError as error:
            duration = dateparse.parse_duration(text)
            if duration is None:
                raise ValidationError(error.messages, code="invalid") from None
            return duration

    def validate(self, value: timedelta | None) -> None:
        super().validate(value)
        if value is None:
            return
        if value < timedelta(0):
            raise ValidationError("A duration cannot be negative.", code="negative")
        if value == timedelta(0) and not self.allow_zero:
            raise ValidationError("Give a duration longer than zero, e.g. 15m.", code="zero")


# ---------------------------------------------------------------------------- conditions


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
    "One condition per line, written as in routing files; all must hold, and inside "
    "<code>any</code> one alternative. Blank: every lead."
    "<details><summary>Examples and syntax</summary>{}"
    "<br>Operators: {}.<br>Fields: {}, <code>attributes.&lt;name&gt;</code>, and the yes/no "
    "checks <code>work_email</code> and <code>named_account</code>.</details>",
    format_html_join(mark_safe("<br>"), "<code>{}</code> &nbsp;({})", _EXAMPLES),
    ", ".join(OPERATORS),
    ", ".join(LEAD_FIELDS),
)


class ConditionsField(forms.Field):
    """A rule's `when`, edited as YAML (or JSON) and stored as the mapping it reads as."""

    widget = forms.Textarea

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = {"rows": 3, "cols": 70, "spellcheck": "false", "class": "vLargeTextField"}
        return {**super().widget_attrs(widget), **attrs}

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return conditions_to_yaml(value)
        return value

    def to_python(self, value: Any) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
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

    def validate(self, value: dict[str, Any]) -> None:
        super().validate(value)
        errors = condition_errors(value)
        if errors:
            raise ValidationError(errors, code="conditions")
        if _non_finite(value):
            raise ValidationError("Numbers must be finite (no .inf or .nan).", code="conditions")

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(initial or {}) != self.to_python(data)
        except ValidationError:
            return True


# ---------------------------------------------------------------------------- forms


class RuleSetForm(forms.ModelForm):
    # Declared fields get no initial value from the model's default: pass it on.
    ack_sla = ShortDurationField(
        label="Acknowledgment SLA",
        initial=RuleSet._meta.get_field("ack_sla").default,
        help_text="Time an owner has to acknowledge a lead unless a rule says otherwise: "
        "15m, 90s, 1h30m.",
    )
    remind_before = ShortDurationField(
        required=False,
        label="Remind before the deadline",
        help_text="The owner of a lead still unacknowledged this long before its deadline "
        "gets one reminder on their channels: 5m, 2m30s. Shorter than the SLA; blank: no "
        "reminder.",
    )
    duplicate_window = ShortDurationField(
        allow_zero=True,
        initial=RuleSet._meta.get_field("duplicate_window").default,
        help_text="A lead with the e-mail of an open lead created within this time joins "
        "that lead instead of being routed again: 90d, 24h; 0 turns it off.",
    )

    class Meta:
        model = RuleSet
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets pick and order them

    def clean_is_active(self) -> bool:
        is_active = self.cleaned_data.get("is_active", False)
        if is_active:
            other = RuleSet.objects.filter(is_active=True).exclude(pk=self.instance.pk).first()
            if other is not None:
                raise ValidationError(
                    f"“{other.name}” is the active rule set and only one can be. Save this "
                    "one inactive, then select it in the rule set list and run the "
                    "“Activate” action: it switches over in one step.",
                    code="another_active",
                )
        return is_active


class RuleForm(forms.ModelForm):
    position = forms.IntegerField(
        required=False,
        min_value=0,
        label="Order",
        help_text="Rules are tried from the lowest number; the first that matches and finds "
        "someone eligible wins. Blank: after the others.",
        widget=forms.NumberInput(attrs={"style": "width: 5em"}),
    )
    conditions = ConditionsField(required=False, label="When", help_text=CONDITIONS_HELP)
    ack_sla = ShortDurationField(
        required=False,
        label="Acknowledgment SLA",
        help_text="e.g. 5m for hot leads. Blank: the rule set's SLA.",
    )

    class Meta:
        model = Rule
        fields = (
            "position",
            "name",
            "is_enabled",
            "conditions",
            "route_to",
            "route_rep",
            "route_pool",
            "ack_sla",
            "sla_in_working_hours",
            "ignore_capacity",
            "escalate_to_rep",
            "escalate_to_pool",
            "handoff_to_rep",
            "handoff_to_pool",
        )
        help_texts = {
            "route_rep": "Only when routing to a rep.",
            "route_pool": "Only when routing to a pool.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            # New rules go after the existing ones unless given a place.
            self.initial["position"] = None
        self.position_blank = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "position" in data and data["position"] is None:
            self.position_blank = True
            data["position"] = 0  # a placeholder; the formset gives the real place
        return data


class RuleFormSet(forms.BaseInlineFormSet):
    """Gives rules without a position the places after all numbered ones, in page order."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [
            form for form in self.forms if form.cleaned_data and not self._should_delete_form(form)
        ]
        numbered = [form.cleaned_data["position"] for form in kept if not form.position_blank]
        next_position = max(numbered, default=0) + 1
        for form in kept:
            if form.position_blank:
                form.cleaned_data["position"] = form.instance.position = next_position
                next_position += 1
