"""The outbox as a manager sees it (what was sent, what failed and why) and the systems
subscribed to lead events."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from reps.admin import AuditedAdmin
from reps.webhook_admin import OutgoingUrlAdmin, SigningSecretAdmin
from routing.models import EVENT_NAMES, Notification, WebhookSubscription
from routing.services.subscriptions import subscription_secret_rotate

from .leads import ReadOnlyAdmin


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "kind",
        "channel",
        "destination",
        "lead",
        "status",
        "attempts",
        "sent_at",
        "last_error_short",
    )
    list_filter = ("status", "channel", "kind")
    list_select_related = ("lead",)
    search_fields = ("destination", "lead__email", "key")
    date_hierarchy = "created_at"
    actions = ("send_again",)
    fields = (
        "key",
        "kind",
        "channel",
        "destination",
        "lead",
        "assignment",
        "rep",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "response_status",
        "last_error",
        "created_at",
        "sent_at",
        "payload",
    )
    readonly_fields = fields

    @admin.display(description="last error")
    def last_error_short(self, notification: Notification) -> str:
        return notification.last_error[:80]

    @admin.action(description="Send again (failed or pending ones)")
    def send_again(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        count = queryset.exclude(status=Notification.Status.SENT).update(
            status=Notification.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
        )
        self.message_user(
            request,
            f"{count} notification(s) will be sent within seconds; sent ones are left alone.",
            messages.SUCCESS,
        )


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(SigningSecretAdmin, OutgoingUrlAdmin, AuditedAdmin):
    list_display = ("name", "url", "event_list", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    readonly_fields = ("masked_secret", "created_at")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ("name", "url", "events", "is_active", "masked_secret", "created_at")
    outgoing_url_fields = ("url",)

    def secret_rotate(self, obj: WebhookSubscription, user: Any) -> str:
        return subscription_secret_rotate(subscription=obj, user=user)

    @admin.display(description="events")
    def event_list(self, subscription: WebhookSubscription) -> str:
        return ", ".join(subscription.events) or f"all ({len(EVENT_NAMES)})"
