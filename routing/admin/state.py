"""Read-only views of routing state: where each rotation stands, idempotency records."""

from __future__ import annotations

from django.contrib import admin

from routing.models import IdempotencyRecord, PoolRotation

from .leads import ReadOnlyAdmin


@admin.register(PoolRotation)
class PoolRotationAdmin(ReadOnlyAdmin):
    list_display = ("pool", "last_pick", "weights", "updated_at")
    list_select_related = ("pool",)
    search_fields = ("pool__name",)
    fields = ("pool", "last_pick", "cursor", "weights", "updated_at")
    readonly_fields = fields

    @admin.display(description="last lead went to")
    def last_pick(self, rotation: PoolRotation) -> str:
        membership = rotation.pool.memberships.filter(pk=rotation.cursor).select_related("rep")
        member = membership.first()
        return member.rep.name if member else "—"


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ("key", "intake_key", "state", "response_status", "created_at")
    list_filter = ("state", "intake_key")
    search_fields = ("key",)
    date_hierarchy = "created_at"
    fields = (
        "intake_key",
        "key",
        "state",
        "request_hash",
        "response_status",
        "response_body",
        "created_at",
    )
    readonly_fields = fields
