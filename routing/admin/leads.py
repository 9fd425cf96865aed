"""Read-only admin for leads and what happened to them: decisions, assignments, events.

Leads are written by intake and the routing services only; the admin shows them and
their whole trail. Nothing here edits a lead: a change of owner is a reassignment
(a new Assignment row and an event), which is the services' job.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import path
from django.utils import timezone

from routing.lead_fields import LEAD_FIELDS, Kind, keyword_in_words
from routing.models import Assignment, Lead, LeadEvent, Notification, RoutingDecision
from routing.notifications.escalation_digest import DIGEST_FILTER, DIGEST_KINDS, digest_lead_ids

from .display import microseconds, pairs_html, pretty_json, steps_html
from .lead_actions import MANAGER_ACTIONS, LeadActionsMixin
from .lead_export import export_csv, lead_export_view

# The lead page shows a JSON field through LeadAdmin's `<name>_pretty` display.
_PRETTY_KINDS = frozenset({Kind.ATTRIBUTES})


def lead_field_sections(*, extra: dict[str, tuple[str, ...]]) -> list[tuple[str, dict[str, Any]]]:
    """The lead page's fieldsets for the lead fields, one per section of the registry in
    its order, each followed by the `extra` fields of that section."""
    sections: dict[str, list[str]] = {}
    for field in LEAD_FIELDS:
        if field.section:
            shown = f"{field.name}_pretty" if field.kind in _PRETTY_KINDS else field.name
            sections.setdefault(field.section, []).append(shown)
    return [
        (title, {"fields": (*names, *extra.get(title, ()))}) for title, names in sections.items()
    ]


class ReadOnlyMixin:
    """Viewable, never added or changed here."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


# ---------------------------------------------------------------------------- shared displays


def _decision_ruleset(decision: RoutingDecision) -> str:
    if decision.ruleset is None:
        return "—"
    return f"{decision.ruleset.name} v{decision.ruleset_version or '?'}"


def _decision_rule(decision: RoutingDecision) -> str:
    return decision.rule_name or "no rule matched (fallback)"


def _actor(event: LeadEvent) -> str:
    if event.actor_user is not None:
        return event.actor_user.get_full_name()
    return event.actor or "system"


# ---------------------------------------------------------------------------- inlines


class DecisionColumns:
    """Columns of a routing decision, shared by its admin and the lead's inline."""

    @admin.display(description="rule set")
    def ruleset_with_version(self, decision: RoutingDecision) -> str:
        return _decision_ruleset(decision)

    @admin.display(description="rule", ordering="rule_name")
    def rule_used(self, decision: RoutingDecision) -> str:
        return _decision_rule(decision)

    @admin.display(description="took", ordering="elapsed_us")
    def took(self, decision: RoutingDecision) -> str:
        return microseconds(decision.elapsed_us)

    @admin.display(description="steps")
    def trace(self, decision: RoutingDecision) -> str:
        return steps_html(decision.steps)


class EventColumns:
    """Columns of a lead event, shared by its admin and the lead's timeline inline."""

    @admin.display(description="by", ordering="actor")
    def by(self, event: LeadEvent) -> str:
        return _actor(event)

    @admin.display(description="data")
    def details(self, event: LeadEvent) -> str:
        return pairs_html(event.data)


class RoutingDecisionInline(DecisionColumns, ReadOnlyInline):
    model = RoutingDecision
    fields = (
        "created_at",
        "kind",
        "ruleset_with_version",
        "rule_used",
        "pool",
        "owner",
        "took",
        "trace",
    )
    readonly_fields = fields
    verbose_name_plural = "routing decisions"

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoutingDecision]:
        return super().get_queryset(request).select_related("ruleset", "pool", "owner")


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fields = (
        "rep",
        "reason",
        "assigned_at",
        "ack_due_at",
        "reminded_at",
        "acknowledged_at",
        "ended_at",
        "end_reason",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Assignment]:
        return super().get_queryset(request).select_related("rep")


class LeadEventInline(EventColumns, ReadOnlyInline):
    model = LeadEvent
    fields = ("at", "kind", "by", "details")
    readonly_fields = fields
    verbose_name_plural = "timeline"
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[LeadEvent]:
        return super().get_queryset(request).select_related("actor_user")


class NotificationInline(ReadOnlyInline):
    model = Notification
    fields = ("created_at", "kind", "channel", "destination", "status", "attempts", "sent_at")
    readonly_fields = fields
    verbose_name_plural = "notifications (who was told what)"
    ordering = ("created_at", "id")


# ---------------------------------------------------------------------------- leads


class SourceFilter(admin.SimpleListFilter):
    """Sources in words ("Demo request"), as the queue and notifications show them."""

    title = "source"
    parameter_name = "source"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        sources = Lead.objects.exclude(source="").order_by("source")
        return [
            (source, keyword_in_words(source))
            for source in sources.values_list("source", flat=True).distinct()
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        return queryset.filter(source=self.value()) if self.value() else queryset


class DigestFilter(admin.SimpleListFilter):
    """The leads an escalation digest told of: where its "Open these leads" link goes."""

    title = "escalation digest"
    parameter_name = DIGEST_FILTER

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        # Offered only when a digest's link names one: there are too many to list.
        value = self.value()
        if not value:
            return []
        digest = self._digest()
        label = f"Digest sent {digest.created_at:%d %b %H:%M}" if digest else "No such digest"
        return [(value, label)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        if not self.value():
            return queryset
        digest = self._digest()
        return queryset.filter(pk__in=digest_lead_ids(digest)) if digest else queryset.none()

    def _digest(self) -> Notification | None:
        value = self.value() or ""
        if not value.isdigit():
            return None
        return Notification.objects.filter(pk=int(value), kind__in=DIGEST_KINDS).first()


@admin.register(Lead)
class LeadAdmin(LeadActionsMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "email",
        "name",
        "company",
        "status",
        "owner_name",
        "rule",
        "source",
        "created_at",
    )
    list_select_related = ("owner", "rule")
    list_filter = (
        "status",
        SourceFilter,
        ("owner", admin.RelatedOnlyFieldListFilter),
        "ruleset",
        "created_at",
        DigestFilter,
    )
    search_fields = ("email", "company", "first_name", "last_name")
    date_hierarchy = "created_at"
    actions = (export_csv, *MANAGER_ACTIONS)
    inlines = (RoutingDecisionInline, AssignmentInline, LeadEventInline, NotificationInline)
    fieldsets = (
        *lead_field_sections(extra={"Submission": ("intake_key", "created_at")}),
        (
            "Routing",
            {
                "fields": (
                    "status",
                    "owner",
                    ("ruleset", "rule", "pool"),
                    "escalation_count",
                    "acknowledged_at",
                    "outcome_note",
                    "handoff_note",
                    "shared_queue",
                )
            },
        ),
        ("Received payload", {"fields": ("payload_pretty",), "classes": ("collapse",)}),
    )
    readonly_fields = tuple(
        field
        for _, options in fieldsets
        for line in options["fields"]
        for field in (line if isinstance(line, tuple) else (line,))
    )

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser) and super().has_delete_permission(request, obj)

    def get_urls(self) -> list[Any]:
        export = self.admin_site.admin_view(lambda request: lead_export_view(self, request))
        return [path("export/", export, name="routing_lead_export"), *super().get_urls()]

    @admin.display(description="shared queue of")
    def shared_queue(self, lead: Lead) -> str:
        if lead.status != Lead.Status.UNCLAIMED:
            return "—"
        return ", ".join(lead.waiting_for()) or "nobody: reassign it"

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # A lead's decisions, assignments and events cannot be deleted on their own (their
        # admins say so), but they go with their lead when a superuser deletes it.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        trail = {
            str(model._meta.verbose_name) for model in (RoutingDecision, Assignment, LeadEvent)
        }
        return deleted, counts, perms_needed - trail, protected

    @admin.display(description="name", ordering="last_name")
    def name(self, lead: Lead) -> str:
        return f"{lead.first_name} {lead.last_name}".strip() or "—"

    @admin.display(description="owner", ordering="owner__name")
    def owner_name(self, lead: Lead) -> str:
        return lead.owner.name if lead.owner else "—"

    @admin.display(description="attributes")
    def attributes_pretty(self, lead: Lead) -> str:
        return pretty_json(lead.attributes) if lead.attributes else "—"

    @admin.display(description="payload as received")
    def payload_pretty(self, lead: Lead) -> str:
        return pretty_json(lead.payload)


# ---------------------------------------------------------------------------- the trail


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(DecisionColumns, ReadOnlyAdmin):
    list_display = (
        "lead",
        "kind",
        "ruleset_with_version",
        "rule_used",
        "owner",
        "took",
        "created_at",
    )
    list_select_related = ("lead", "ruleset", "owner")
    list_filter = ("kind", "ruleset", "created_at")
    search_fields = ("lead__email", "lead__company", "rule_name", "owner__name", "owner__email")
    date_hierarchy = "created_at"
    fields = (
        "lead",
        "kind",
        "created_at",
        "ruleset_with_version",
        "rule_used",
        "owner",
        "took",
        "trace",
        "error",
    )
    readonly_fields = fields


class AssignmentStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("waiting", "Open, waiting for acknowledgment"),
            ("overdue", "Open, past its acknowledgment deadline"),
            ("acknowledged", "Open, acknowledged"),
            ("ended", "Ended"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Assignment]) -> Any:
        open_unacknowledged = queryset.filter(ended_at__isnull=True, acknowledged_at__isnull=True)
        return {
            "waiting": lambda: open_unacknowledged,
            "overdue": lambda: open_unacknowledged.filter(ack_due_at__lt=timezone.now()),
            "acknowledged": lambda: queryset.filter(
                ended_at__isnull=True, acknowledged_at__isnull=False
            ),
            "ended": lambda: queryset.filter(ended_at__isnull=False),
        }.get(self.value() or "", lambda: queryset)()


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = (
        "lead",
        "rep",
        "reason",
        "assigned_at",
        "ack_due_at",
        "acknowledged_at",
        "ended_at",
        "end_reason",
    )
    list_select_related = ("lead", "rep")
    list_filter = (
        AssignmentStateFilter,
        "reason",
        "end_reason",
        ("rep", admin.RelatedOnlyFieldListFilter),
        "assigned_at",
    )
    search_fields = ("lead__email", "lead__company", "rep__name", "rep__email")
    date_hierarchy = "assigned_at"
    fields = (
        "lead",
        "rep",
        "reason",
        "decision",
        "assigned_at",
        "ack_due_at",
        "remind_at",
        "reminded_at",
        "acknowledged_at",
        "ended_at",
        "end_reason",
    )
    readonly_fields = fields


@admin.register(LeadEvent)
class LeadEventAdmin(EventColumns, ReadOnlyAdmin):
    """The append-only log: its model refuses updates and deletes, and so does this admin."""

    list_display = ("at", "lead", "kind", "by", "details")
    list_select_related = ("lead", "actor_user")
    list_filter = ("kind", "at")
    search_fields = ("lead__email", "actor", "actor_user__email")
    date_hierarchy = "at"
    fields = ("lead", "kind", "at", "by", "assignment", "data_pretty")
    readonly_fields = fields

    @admin.display(description="data")
    def data_pretty(self, event: LeadEvent) -> str:
        return pretty_json(event.data)
