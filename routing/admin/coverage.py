"""Rule coverage of a rule set, as an admin page (routing.coverage does the counting)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from routing.coverage import ruleset_coverage
from routing.metrics import PERIOD_PRESETS, period_or_default
from routing.models import RuleSet


def coverage_view(model_admin: admin.ModelAdmin, request: HttpRequest, pk: int) -> HttpResponse:
    ruleset = get_object_or_404(RuleSet, pk=pk)
    start, end, label, problem = period_or_default(request.GET)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": ruleset,
        "title": f"Rule coverage of “{ruleset.name}”, {label}",
        "coverage": ruleset_coverage(ruleset, start=start, end=end),
        "problem": problem,
        "presets": PERIOD_PRESETS,
    }
    return TemplateResponse(request, "admin/routing/ruleset/coverage.html", context)
