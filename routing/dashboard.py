"""The managers' dashboard at /dashboard/: the figures of routing.metrics, with charts."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from routing.metrics import PERIOD_PRESETS, lead_metrics, period_or_default


@staff_member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    start, end, label, problem = period_or_default(request.GET)
    figures = lead_metrics(start=start, end=end)
    return render(
        request,
        "dashboard/index.html",
        {
            "figures": figures,
            "label": label,
            "problem": problem,
            "presets": PERIOD_PRESETS,
            "start": start.date().isoformat(),
            "end": (end - timedelta(days=1)).date().isoformat(),
        },
    )
