"""The queue's tabs, search and filters, read from the URL: a filtered page is a link a
rep can keep, and paging keeps what they chose."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.urls import reverse

from .selectors import (
    AGE_OLDER,
    AGE_TODAY,
    AGE_WEEK,
    CLOSED_STATUSES,
    WORKING_STATUSES,
    QueueFilter,
)

TAB_MINE = "mine"
TAB_SHARED = "shared"
PER_PAGE = 25
# What a list's address may carry back from a lead page: its filters and its page, nothing else.
LIST_PARAMETERS = ("tab", "q", "status", "overdue", "age", "page")
BACK_MAX_LENGTH = 500


class QueueFilterForm(forms.Form):
    tab = forms.ChoiceField(
        choices=[(TAB_MINE, "My leads"), (TAB_SHARED, "Shared queue")], required=False
    )
    q = forms.CharField(
        label="Search",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, e-mail or company"}),
    )
    status = forms.ChoiceField(
        label="Status",
        choices=[
            ("", "All open"),
            *((status.value, status.label) for status in WORKING_STATUSES),
            *((status.value, status.label) for status in CLOSED_STATUSES),
        ],
        required=False,
    )
    overdue = forms.BooleanField(label="Overdue only", required=False)
    age = forms.ChoiceField(
        label="Age",
        choices=[
            ("", "Any age"),
            (AGE_TODAY, "Today"),
            (AGE_WEEK, "Last 7 days"),
            (AGE_OLDER, "Older than 7 days"),
        ],
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("tab") == TAB_SHARED:
            # Every lead of the shared queue is unclaimed, with no deadline running: a
            # status or "overdue" would hide them all.
            if data.get("status"):
                self.add_error(
                    "status", "The shared queue holds unclaimed leads only: clear the status."
                )
            if data.get("overdue"):
                self.add_error(
                    "overdue", "Leads in the shared queue have no deadline: clear “Overdue only”."
                )
        return data

    def queue_filter(self) -> QueueFilter:
        """The filter the rep chose; call after `is_valid()` returned True."""
        data = self.cleaned_data
        return QueueFilter(
            search=data["q"],
            status=data["status"],
            overdue=data["overdue"],
            age=data["age"],
        )

    def chosen_tab(self) -> str:
        """The tab asked for, kept when another field does not hold; call after `is_valid()`."""
        return self.cleaned_data.get("tab") or TAB_MINE


def queue_list_query(raw: str) -> str:
    """The query string of the queue list a lead page was opened from, rebuilt from the
    parameters the filter form accepts; "" when it carries anything else or does not hold,
    so that the way back never leads off the queue."""
    if not raw or len(raw) > BACK_MAX_LENGTH:
        return ""
    given = QueryDict(raw)
    if any(key not in LIST_PARAMETERS for key in given):
        return ""
    chosen = {key: given[key] for key in LIST_PARAMETERS if given.get(key)}
    page = chosen.get("page", "1")
    if not (page.isdigit() and len(page) <= 6 and int(page) > 0):
        return ""
    if not QueueFilterForm(chosen).is_valid():
        return ""
    query = QueryDict(mutable=True)
    query.update(chosen)
    return query.urlencode()


def queue_list_url(query: str) -> str:
    """The queue list at `query`, a value `queue_list_query` returned."""
    home = reverse("queue:home")
    return f"{home}?{query}" if query else home
