"""The dashboard's "Download CSV": the leads submitted in its period, one row each."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBadRequest, HttpResponseBase

from routing.exports import export_filename, lead_export_response
from routing.metrics import BadPeriod, period_of
from routing.models import Lead


@staff_member_required
def dashboard_leads_csv(request: HttpRequest) -> HttpResponseBase:
    if not request.user.has_perm("routing.view_lead"):
        raise PermissionDenied
    try:
        start, end, _ = period_of(request.GET)
    except BadPeriod as error:
        return HttpResponseBadRequest(
            f"{error} Nothing was exported.", content_type="text/plain; charset=utf-8"
        )
    leads = Lead.objects.filter(created_at__gte=start, created_at__lt=end).order_by(
        "created_at", "id"
    )
    last_day = (end - timedelta(days=1)).date()
    label = f"{start.date()}-to-{last_day}"
    return lead_export_response(leads, filename=export_filename(label))
