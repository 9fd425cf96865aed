"""Replay a period's leads, or a CSV, through a rule set (usually a draft): an admin page."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from routing.metrics import PERIOD_PRESETS, BadPeriod, period_of
from routing.models import RuleSet
from routing.replay import replay_csv, replay_stored

SHOWN_ROWS = 200


def replay_view(model_admin: admin.ModelAdmin, request: HttpRequest, pk: int) -> HttpResponse:
    ruleset = get_object_or_404(RuleSet, pk=pk)
    problem, source, result = "", "", None
    upload = request.FILES.get("csv")
    if request.method == "POST" and upload is not None:
        result = replay_csv(ruleset_id=ruleset.pk, source=upload.file)
        source = f"the {len(result.rows)} leads of {upload.name}, against the active rule set"
    elif request.method == "POST":
        problem = "Choose a CSV file to upload."
    elif "days" in request.GET or "start" in request.GET:
        try:
            start, end, label = period_of(request.GET)
        except BadPeriod as error:
            problem = str(error)
        else:
            result = replay_stored(ruleset_id=ruleset.pk, start=start, end=end)
            source = f"the {len(result.rows)} leads submitted in the {label}, as they were routed"
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": ruleset,
        "title": f"Replay leads through “{ruleset.name}”",
        "result": result,
        "source": source,
        "problem": problem,
        "changed_rows": result.changed[:SHOWN_ROWS] if result else [],
        "presets": PERIOD_PRESETS,
    }
    return TemplateResponse(request, "admin/routing/ruleset/replay.html", context)
