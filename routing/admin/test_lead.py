"""'Test a lead' on any rule set: the whole decision for a lead typed into a form, with
nothing stored and no rotation moved (the simulation service)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from routing.lead_fields import SUBMITTED_FIELDS, Kind, LeadField
from routing.models import RuleSet
from routing.normalize import normalize_submission
from routing.services import lead_simulate

from .display import steps_html

DEMO_EMAIL = "jordan@northwind-logistics.com"


def _form_field(field: LeadField) -> forms.Field:
    """A lead field as the form types it: all text, checked afterwards by
    normalize_submission exactly as the API checks it."""
    if field.kind is Kind.EMAIL:
        return forms.CharField(label=field.label, initial=DEMO_EMAIL)
    several_lines = field.kind in (Kind.MULTILINE_TEXT, Kind.ATTRIBUTES)
    return forms.CharField(
        label=field.label,
        required=False,
        help_text=field.help_text,
        widget=forms.Textarea(attrs={"rows": 2}) if several_lines else None,
    )


class TestLeadForm(forms.Form):
    """Every field a source may send, by the registry of lead fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in SUBMITTED_FIELDS:
            self.fields[field.name] = _form_field(field)

    def submission(self) -> dict[str, Any]:
        """The API body this form stands for (blank fields left out)."""
        return {name: value for name, value in self.cleaned_data.items() if value}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for field in SUBMITTED_FIELDS:
            text = cleaned.get(field.name)
            if field.kind is Kind.ATTRIBUTES and text is not None:
                try:
                    cleaned[field.name] = _json_object(text)
                except forms.ValidationError as error:
                    self.add_error(field.name, error)
        return cleaned


def _json_object(text: str) -> Any:
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise forms.ValidationError(f"Not JSON: {error.msg}.") from error
    if not isinstance(value, dict):
        raise forms.ValidationError("Attributes are a JSON object: {...}.")
    return value


def test_lead_view(model_admin: admin.ModelAdmin, request: HttpRequest, pk: int) -> HttpResponse:
    ruleset = get_object_or_404(RuleSet, pk=pk)
    form = TestLeadForm(request.POST or None)
    simulation = None
    if request.method == "POST" and form.is_valid():
        values, errors = normalize_submission(form.submission())
        for field, messages in errors.items():
            form.add_error(field if field in form.fields else None, messages)
        if not errors:
            simulation = lead_simulate(values=values, ruleset_id=ruleset.pk)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": ruleset,
        "title": f"Test a lead on “{ruleset.name}”",
        "form": form,
        "simulation": simulation,
        "steps": steps_html(simulation.decision["steps"]) if simulation else "",
    }
    return TemplateResponse(request, "admin/routing/ruleset/test_lead.html", context)
