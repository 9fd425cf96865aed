"""Failed sign-ins and lockouts in the admin: who, from where, and an action to unlock."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format

from .models import FailedSignIn


@admin.register(FailedSignIn)
class FailedSignInAdmin(admin.ModelAdmin):
    list_display = ("username", "ip_address", "failures_since_start", "attempt_time", "state")
    list_display_links = None
    search_fields = ("username", "ip_address")
    ordering = ("-attempt_time",)
    actions = ["unlock"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # axes writes these rows; a manager only removes them

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "Unlock" is the same, in the manager's words
        return actions

    @admin.display(description="state")
    def state(self, attempt: FailedSignIn) -> str:
        limit = settings.AXES_FAILURE_LIMIT
        if attempt.failures_since_start < limit:
            return f"{attempt.failures_since_start} of {limit} failures"
        unlocks_at = attempt.attempt_time + settings.AXES_COOLOFF_TIME
        if unlocks_at <= timezone.now():
            return "lock expired"
        return f"locked until {date_format(timezone.localtime(unlocks_at), 'DATETIME_FORMAT')}"

    @admin.action(description="Unlock: let them sign in again", permissions=["delete"])
    def unlock(self, request: HttpRequest, queryset: QuerySet[FailedSignIn]) -> None:
        pairs = [f"{a.username} from {a.ip_address}" for a in queryset]
        queryset.delete()
        self.message_user(
            request, f"Unlocked {len(pairs)}: {', '.join(pairs)}.", level=messages.SUCCESS
        )
