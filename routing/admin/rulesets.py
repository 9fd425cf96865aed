"""Admin for rule sets and their ordered rules: the routing policy a manager edits."""

from __future__ import annotations

from typing import Any

from adminsortable2.admin import CustomInlineFormSetMixin, SortableAdminBase, SortableStackedInline
from django.contrib import admin, messages
from django.db import IntegrityError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import path

from reps.admin import AuditedAdmin, owner_label
from routing.durations import format_duration
from routing.models import Rule, RuleSet
from routing.services import ruleset_activate, ruleset_clone

from .condition_preview import conditions_preview_view
from .coverage import active_coverage_view, coverage_view
from .forms import RuleForm, RuleFormSet, RuleSetForm
from .replay import replay_view
from .test_lead import test_lead_view


class SortableRuleFormSet(CustomInlineFormSetMixin, RuleFormSet):
    """Rules dragged into order post their new positions; added rules go after the others."""


class RuleInline(SortableStackedInline):
    model = Rule
    form = RuleForm
    formset = SortableRuleFormSet
    template = "admin/routing/ruleset/rules_inline.html"
    # Its first field is the one django-admin-sortable2 writes when rules are dragged.
    ordering = ("position", "id")
    autocomplete_fields = (
        "route_rep",
        "route_pool",
        "escalate_to_rep",
        "escalate_to_pool",
        "handoff_to_rep",
        "handoff_to_pool",
    )
    # No "position": django-admin-sortable2 adds it as the hidden input that dragging sets.
    fields = (
        ("name", "is_enabled"),
        "conditions",
        ("route_to", "route_rep", "route_pool", "ignore_capacity"),
        ("ack_sla", "sla_in_working_hours"),
        ("escalate_to_rep", "escalate_to_pool"),
        ("handoff_to_rep", "handoff_to_pool"),
    )

    class Media:
        css = {"all": ("routing_admin/rules.css",)}
        js = ("routing_admin/rules.js",)

    def get_extra(self, request: HttpRequest, obj: RuleSet | None = None, **kwargs: Any) -> int:
        # A rule set without rules starts with one blank rule; others list only theirs.
        return 1 if obj is None or not obj.rules.exists() else 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[Rule]:
        return super().get_queryset(request).select_related("route_rep", "route_pool")


@admin.register(RuleSet)
class RuleSetAdmin(SortableAdminBase, AuditedAdmin):
    form = RuleSetForm
    inlines = (RuleInline,)
    actions = ("activate", "clone")
    list_display = (
        "name",
        "is_active",
        "version",
        "fallback",
        "ack_sla_short",
        "rule_count",
        "updated_at",
    )
    list_display_links = ("name",)
    list_filter = ("is_active",)
    search_fields = ("name", "description", "rules__name")
    list_select_related = ("fallback_rep", "fallback_pool")
    autocomplete_fields = ("fallback_rep", "fallback_pool", "escalate_to_rep", "escalate_to_pool")
    readonly_fields = ("version", "created_at", "updated_at")
    related_history = (("Rule changes", Rule, "ruleset"),)
    revert_allowed = False
    save_on_top = True
    fieldsets = (
        (None, {"fields": ("name", "description", "is_active", "version")}),
        (
            "Fallback owner",
            {
                "fields": ("fallback_rep", "fallback_pool"),
                "description": "Leads no rule takes go here: choose a rep or a pool.",
            },
        ),
        (
            "Acknowledgment and escalation",
            {
                "fields": (
                    "ack_sla",
                    "remind_before",
                    ("escalate_to_rep", "escalate_to_pool"),
                    "max_escalations",
                    "notify_on_escalation",
                ),
                "description": "A lead not acknowledged within the SLA goes to the escalation "
                "target (a rep or a pool; blank: the fallback owner). After the last "
                "escalation it waits, unclaimed, in its pools' shared queue (with no pool, "
                "in the fallback rep's), and the addresses below are told.",
            },
        ),
        (
            "Duplicates and returning leads",
            {
                "fields": (
                    "duplicate_window",
                    "reroute_returning",
                    "sticky_owner",
                    "same_company_owner",
                )
            },
        ),
        ("Record", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[RuleSet]:
        return super().get_queryset(request).annotate(rule_total=Count("rules"))

    def get_urls(self) -> list[Any]:
        test = self.admin_site.admin_view(lambda request, pk: test_lead_view(self, request, pk))
        coverage = self.admin_site.admin_view(lambda request, pk: coverage_view(self, request, pk))
        replay = self.admin_site.admin_view(lambda request, pk: replay_view(self, request, pk))
        preview = self.admin_site.admin_view(conditions_preview_view)
        active_coverage = self.admin_site.admin_view(
            lambda request: active_coverage_view(self, request)
        )
        return [
            path("conditions/preview/", preview, name="routing_ruleset_conditions_preview"),
            path("active/coverage/", active_coverage, name="routing_ruleset_active_coverage"),
            path("<int:pk>/replay/", replay, name="routing_ruleset_replay"),
            path("<int:pk>/test/", test, name="routing_ruleset_test"),
            path("<int:pk>/coverage/", coverage, name="routing_ruleset_coverage"),
            *super().get_urls(),
        ]

    def get_fieldsets(self, request: HttpRequest, obj: RuleSet | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return [fieldset for fieldset in fieldsets if fieldset[0] != "Record"]
        return fieldsets

    def save_model(self, request: HttpRequest, obj: RuleSet, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not RuleSet.objects.filter(is_active=True).exists():
            self.message_user(
                request,
                "No rule set is active: new leads are not routed by any rules until one is. "
                "Select one in the list and run “Activate”.",
                messages.WARNING,
            )

    @admin.display(description="fallback")
    def fallback(self, ruleset: RuleSet) -> str:
        return owner_label(ruleset.fallback_rep, ruleset.fallback_pool)

    @admin.display(description="ack SLA", ordering="ack_sla")
    def ack_sla_short(self, ruleset: RuleSet) -> str:
        return format_duration(ruleset.ack_sla)

    @admin.display(description="rules", ordering="rule_total")
    def rule_count(self, ruleset: RuleSet) -> int:
        return ruleset.rule_total  # type: ignore[attr-defined]

    @admin.action(description="Activate the selected rule set (deactivates the current one)")
    def activate(self, request: HttpRequest, queryset: QuerySet[RuleSet]) -> None:
        chosen = list(queryset[:2])
        if len(chosen) != 1:
            self.message_user(request, "Select exactly one rule set to activate.", messages.ERROR)
            return
        ruleset = chosen[0]
        if ruleset.is_active:
            self.message_user(request, f"“{ruleset.name}” is already active.", messages.INFO)
            return
        try:
            replaced = ruleset_activate(ruleset=ruleset, user=request.user)
        except IntegrityError:
            self.message_user(
                request,
                "Another rule set was activated at the same moment; reload and try again.",
                messages.ERROR,
            )
            return
        was = f"; “{replaced[0].name}” is no longer active" if replaced else ""
        self.message_user(request, f"“{ruleset.name}” now routes new leads{was}.", messages.SUCCESS)

    @admin.action(description="Clone into a draft (inactive copy to edit and test)")
    def clone(self, request: HttpRequest, queryset: QuerySet[RuleSet]) -> None:
        for ruleset in queryset:
            draft = ruleset_clone(ruleset=ruleset, user=request.user)
            self.message_user(
                request,
                f"“{draft.name}” is a draft copy of “{ruleset.name}”: edit it, use “Test a "
                "lead” and “Replay” on its page, then activate it.",
                messages.SUCCESS,
            )
