"""Rule coverage of a rule set, as an admin page (routing.coverage does the counting)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
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


def active_coverage_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """The coverage of whichever rule set routes leads now: the admin header links here."""
    active = RuleSet.objects.filter(is_active=True).first()
    if active is None:
        model_admin.message_user(
            request,
            "No rule set is active, so no rule covers new leads: open a rule set's page "
            "and use “Coverage” there, or activate one.",
            messages.WARNING,
        )
        return redirect("admin:routing_ruleset_changelist")
    return redirect("admin:routing_ruleset_coverage", active.pk)
