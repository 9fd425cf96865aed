"""The dashboard's downloads: the leads submitted in its period, one row each, and each
of its tables as shown."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponseBadRequest,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.utils import timezone

from routing.dashboard import dashboard_access
from routing.dashboard_tables import TABLE_NAMES, dashboard_table
from routing.exports import export_filename, lead_export_response
from routing.metrics import BadPeriod, period_of
from routing.models import Lead


def _bad_period(error: BadPeriod) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(
        f"{error} Nothing was exported.", content_type="text/plain; charset=utf-8"
    )


@dashboard_access
def dashboard_leads_csv(request: HttpRequest) -> HttpResponseBase:
    if not request.user.has_perm("routing.view_lead"):
        raise PermissionDenied
    try:
        start, end, _ = period_of(request.GET)
    except BadPeriod as error:
        return _bad_period(error)
    leads = Lead.objects.filter(created_at__gte=start, created_at__lt=end).order_by(
        "created_at", "id"
    )
    last_day = (end - timedelta(days=1)).date()
    label = f"{start.date()}-to-{last_day}"
    return lead_export_response(leads, filename=export_filename(label))


@dashboard_access
def dashboard_table_csv(request: HttpRequest, table: str) -> HttpResponseBase:
    if table not in TABLE_NAMES:
        raise Http404(f"The dashboard has no table {table!r}.")
    try:
        start, end, _ = period_of(request.GET)
    except BadPeriod as error:
        return _bad_period(error)
    now = timezone.now()
    found = dashboard_table(table, start=start, end=end, now=now)
    last_day = (end - timedelta(days=1)).date()
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(found.csv_pieces(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="dashboard-{table}-{start.date()}-to-{last_day}-{stamp}.csv"'
    )
    return response
