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

from routing.models import RuleSet
from routing.normalize import normalize_submission
from routing.services import lead_simulate

from .display import steps_html

FIELDS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "website",
    "employee_count",
    "country",
    "state",
    "postal_code",
    "industry",
    "product",
    "source",
    "message",
)


class TestLeadForm(forms.Form):
    email = forms.CharField(initial="jordan@northwind-logistics.com")
    first_name = forms.CharField(required=False)
    last_name = forms.CharField(required=False)
    company = forms.CharField(required=False)
    website = forms.CharField(required=False)
    employee_count = forms.CharField(required=False, help_text="A number or a band: 51-200.")
    country = forms.CharField(required=False)
    state = forms.CharField(required=False)
    postal_code = forms.CharField(required=False)
    industry = forms.CharField(required=False)
    product = forms.CharField(required=False)
    source = forms.CharField(required=False, help_text="demo_request, pricing_page, ...")
    message = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    attributes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text='A JSON object, e.g. {"utm_source": "ads"}.',
    )

    def submission(self) -> dict[str, Any]:
        """The API body this form stands for (blank fields left out)."""
        body = {name: self.cleaned_data[name] for name in FIELDS if self.cleaned_data[name]}
        if self.cleaned_data["attributes"]:
            body["attributes"] = self.cleaned_data["attributes"]
        return body

    def clean_attributes(self) -> Any:
        text = self.cleaned_data["attributes"].strip()
        if not text:
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
