"""Admin for territories and named accounts: who owns which part of the market."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from reps.admin import AuditedAdmin, owner_label

from .models import AccountDomain, NamedAccount, Territory
from .names import normalize_domain

# ---------------------------------------------------------------------------- territories


def employee_band(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"{low}–{high} employees"
    if low is not None:
        return f"{low}+ employees"
    if high is not None:
        return f"up to {high} employees"
    return ""


def matcher_summary(territory: Territory) -> str:
    """'US · CA, OR, WA · ZIP 100-104, 112 · Software · 50–499 employees'."""
    parts = [
        ", ".join(territory.countries),
        ", ".join(territory.states),
        f"ZIP {', '.join(territory.postal_codes)}" if territory.postal_codes else "",
        ", ".join(territory.industries),
        employee_band(territory.employee_count_min, territory.employee_count_max),
    ]
    return " · ".join(part for part in parts if part) or "—"


@admin.register(Territory)
class TerritoryAdmin(AuditedAdmin):
    list_display = ("name", "priority", "matchers", "owner")
    list_select_related = ("owner_rep", "owner_pool")
    list_filter = (
        ("owner_pool", admin.RelatedOnlyFieldListFilter),
        ("owner_rep", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("name",)
    autocomplete_fields = ("owner_rep", "owner_pool")
    readonly_fields = ("matchers", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "priority")}),
        (
            "Matchers",
            {
                "fields": (
                    "countries",
                    "states",
                    "postal_codes",
                    "industries",
                    ("employee_count_min", "employee_count_max"),
                    "matchers",
                ),
                "description": "A lead is in the territory when every matcher filled in "
                "holds; blank matchers match anything. Give at least one.",
            },
        ),
        (
            "Owner",
            {
                "fields": ("owner_rep", "owner_pool"),
                "description": "Who gets the territory's leads: choose a rep or a pool, not both.",
            },
        ),
        ("Record", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    @admin.display(description="matches")
    def matchers(self, territory: Territory) -> str:
        return matcher_summary(territory) if territory.pk else "—"

    @admin.display(description="owner")
    def owner(self, territory: Territory) -> str:
        return owner_label(territory.owner_rep, territory.owner_pool)


# ---------------------------------------------------------------------------- accounts


class AccountDomainForm(forms.ModelForm):
    class Meta:
        model = AccountDomain
        fields = ("domain",)

    def clean_domain(self) -> str:
        domain = self.cleaned_data["domain"]
        taken = (
            AccountDomain.objects.filter(domain=domain)
            .exclude(pk=self.instance.pk)
            .select_related("account")
            .first()
        )
        if taken is not None and taken.account_id != self.instance.account_id:
            raise ValidationError(
                f"{domain} already belongs to the account “{taken.account.name}”; "
                "remove it there first, or edit that account instead."
            )
        return domain


class AccountDomainInline(admin.TabularInline):
    model = AccountDomain
    form = AccountDomainForm
    extra = 1
    verbose_name = "domain"
    verbose_name_plural = "domains"


@admin.register(NamedAccount)
class NamedAccountAdmin(AuditedAdmin):
    inlines = (AccountDomainInline,)
    list_display = ("name", "tier", "owner", "domain_list")
    list_select_related = ("owner",)
    list_filter = ("tier",)
    search_fields = ("name", "normalized_name", "domains__domain")
    autocomplete_fields = ("owner",)
    readonly_fields = ("matched_name", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "matched_name", "tier", "owner")}),
        ("Record", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )
    related_history = (("Domain changes", AccountDomain, "account"),)
    revert_allowed = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[NamedAccount]:
        return super().get_queryset(request).prefetch_related("domains")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[NamedAccount], search_term: str
    ) -> tuple[QuerySet[NamedAccount], bool]:
        # A pasted URL or e-mail finds the account by its domain.
        domain = normalize_domain(search_term) if "." in search_term else ""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if domain and domain != search_term.strip().lower():
            results |= queryset.filter(domains__domain=domain)
            may_have_duplicates = True
        return results, may_have_duplicates

    @admin.display(description="domains")
    def domain_list(self, account: NamedAccount) -> str:
        return ", ".join(domain.domain for domain in account.domains.all()) or "—"

    @admin.display(description="matched by name as")
    def matched_name(self, account: NamedAccount) -> str:
        return account.normalized_name or "—"
