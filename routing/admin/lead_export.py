"""CSV export from the admin's lead list: a "Download CSV" button for the list as
filtered and searched, and an action for the leads ticked (or all of them, across pages).

Both need the view permission on leads. The button's view builds the list with the
admin's own ChangeList, so every filter, the search and the ordering apply exactly as on
the page.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBadRequest, HttpResponseBase

from routing.exports import export_filename, lead_export_response
from routing.models import Lead


def lead_export_view(model_admin: admin.ModelAdmin[Lead], request: HttpRequest) -> HttpResponseBase:
    """The leads of the list as the request's query string filters and searches it."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    try:
        changelist = model_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        return HttpResponseBadRequest(
            "These filters are not ones the lead list offers: open the list, pick the "
            "filters there and use its Download CSV button.",
            content_type="text/plain; charset=utf-8",
        )
    leads = changelist.get_queryset(request)
    return lead_export_response(leads, filename=export_filename("admin"))


@admin.action(description="Download the selected leads as CSV", permissions=["view"])
def export_csv(
    model_admin: admin.ModelAdmin[Lead], request: HttpRequest, queryset: QuerySet[Lead]
) -> HttpResponseBase:
    return lead_export_response(queryset, filename=export_filename("selected"))
