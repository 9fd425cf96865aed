"""The managers' dashboard at /dashboard/: the figures of routing.metrics with charts, and
per rep (routing.rep_metrics): how each is doing, who each pool gives its next lead to,
the leads breaching their SLA now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils import timezone

from routing.dashboard_tables import dashboard_tables
from routing.metrics import PERIOD_PRESETS, lead_metrics, period_or_default
from routing.rep_metrics import METHOD_LABELS, rep_figures

DASHBOARD_PERMISSION = "routing.view_dashboard"
NOT_ALLOWED = (
    "You may not view the dashboard. Ask an administrator for the permission "
    '"Can view the dashboard" (the Sales manager group has it).'
)


def dashboard_access(view: Callable[..., Any]) -> Callable[..., Any]:
    """Staff signing in first (others are sent to the admin's sign-in), then the "view
    dashboard" permission: staff without it are refused (403)."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.has_perm(DASHBOARD_PERMISSION):
            return HttpResponseForbidden(NOT_ALLOWED, content_type="text/plain; charset=utf-8")
        return view(request, *args, **kwargs)

    return staff_member_required(checked)


@dashboard_access
def dashboard(request: HttpRequest) -> HttpResponse:
    start, end, label, problem = period_or_default(request.GET)
    now = timezone.now()
    figures = lead_metrics(start=start, end=end, now=now)
    reps = rep_figures(start=start, end=end, now=now)
    # The figures are also the charts' JSON, as the API gives them: labels beside them.
    fairness = [
        {**pool, "method_label": METHOD_LABELS.get(pool["method"], pool["method"])}
        for pool in figures["fairness"]
    ]
    first, last = start.date().isoformat(), (end - timedelta(days=1)).date().isoformat()
    return render(
        request,
        "dashboard/index.html",
        {
            "figures": figures,
            "fairness": fairness,
            "tables": dashboard_tables(figures=figures, reps=reps, now=now),
            # Reps with a speed to draw: the chart of speed to lead by rep.
            "rep_speeds": [
                {"rep": rep.rep, "median": rep.speed_median_seconds, "p90": rep.speed_p90_seconds}
                for rep in reps
                if rep.acknowledged
            ],
            "label": label,
            "problem": problem,
            "presets": PERIOD_PRESETS,
            "start": first,
            "end": last,
            "period_query": f"start={first}&end={last}",
        },
    )
