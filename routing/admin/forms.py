"""Form fields and forms for editing rule sets the way routing files are written.

Durations are typed as "15m" or "90d", conditions as rows or YAML (condition_field), both
checked by the same code that reads routing files, so an error reads the same wherever
it is made.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import dateparse

from routing.durations import format_duration, parse_duration
from routing.models import Rule, RuleSet

from .condition_field import CONDITIONS_HELP, ConditionsField

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
