"""Admin for logins, reps and pools: what a sales manager sets up before any lead arrives."""

from __future__ import annotations

import json
import zoneinfo
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from . import admin_lockouts  # noqa: F401 - registers the failed sign-ins' admin
from .availability_admin import AvailabilityAdmin, AvailabilityFilter, cover_choices
from .fields import MultilineTextField
from .invite_admin import InviteAdmin
from .models import Pool, PoolMembership, Rep, User
from .services import rep_ensure_login, rep_secret_rotate
from .webhook_admin import OutgoingUrlAdmin, SigningSecretAdmin

# ---------------------------------------------------------------------------- shared


def owner_label(rep: Rep | None, pool: Pool | None) -> str:
    """Who owns something that a rep or a pool can own: 'Ana Silva (rep)', 'West (pool)'."""
    if rep is not None:
        return f"{rep.name} (rep)"
    if pool is not None:
        return f"{pool.name} (pool)"
    return "—"


def _same_as_stored(obj: Model) -> bool:
    """Whether every stored field of `obj` holds what its row in the database holds."""
    fields = [
        field
        for field in obj._meta.concrete_fields
        if not field.primary_key and not getattr(field, "auto_now", False)
    ]
    stored = (
        type(obj)
        ._default_manager.filter(pk=obj.pk)
        .values(*(field.attname for field in fields))
        .first()
    )
    if stored is None:
        return False
    return all(getattr(obj, field.attname) == stored[field.attname] for field in fields)


class AuditedAdmin(SimpleHistoryAdmin):
    """History that also lists the changes to rows edited inline on the same page.

    Rules, pool members and account domains have their own history tables; a manager
    asking "who changed this rule set?" should not have to know that, so the history
    page of the parent shows them too. `related_history` holds (title, model, fk name).
    """

    related_history: tuple[tuple[str, type[Model], str], ...] = ()
    related_history_limit = 100
    object_history_template = "admin/history_with_related.html"
    formfield_overrides = {models.TextField: {"form_class": MultilineTextField}}
    # Reverting restores the object's own fields only, not its inline rows; where those
    # rows are the point (a rule set's rules), a revert would mislead, so it is off.
    revert_allowed = True

    def revert_disabled(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return not self.revert_allowed or super().revert_disabled(request, obj)

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        # A page saved as it was would add a history row that changes nothing (and move
        # the routing version on): history is for real changes. Rows edited inline are
        # saved only when their form changed, which Django's formsets already do.
        if change and _same_as_stored(obj):
            return
        super().save_model(request, obj, form, change)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # simple-history saves a posted old version for anyone who may merely view the
        # history; reverting is a change, so it takes the change permission.
        if request.method == "POST" and (
            self.revert_disabled(request) or not self.has_change_permission(request)
        ):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        sections = [
            {"title": title, "rows": self._related_rows(request, model, fk_name, object_id)}
            for title, model, fk_name in self.related_history
        ]
        context = {"related_history": sections, **(extra_context or {})}
        return super().history_view(request, object_id, context)

    def _related_rows(
        self, request: HttpRequest, model: type[Model], fk_name: str, object_id: str
    ) -> list[dict[str, Any]]:
        records = (
            model.history.filter(**{f"{fk_name}_id": unquote(object_id)})  # type: ignore[attr-defined]
            .select_related("history_user")
            .order_by("-history_date", "-history_id")[: self.related_history_limit]
        )
        rows = []
        for record in records:
            changes: list[dict[str, Any]] = []
            previous = record.prev_record
            if previous is not None and record.history_type == "~":
                delta = record.diff_against(previous, foreign_keys_are_objs=True)
                helper = HistoricalRecordContextHelper(model, record)
                changes = helper.context_for_delta_changes(delta)
            rows.append({"record": record, "changes": changes})
        return rows


# ---------------------------------------------------------------------------- users


class LoginCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")


class LoginChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Logins: managers who use this admin and reps who work the queue. E-mail is the login."""

    form = LoginChangeForm
    add_form = LoginCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("name", "rep_link")}),
        (
            "Permissions",
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                "description": "Staff users sign in to this admin. Reps need no staff access "
                "to work their queue.",
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("rep_link", "last_login", "date_joined")
    list_display = ("email", "name", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "name")
    ordering = ("email",)

    @admin.display(description="Rep")
    def rep_link(self, user: User) -> str:
        rep = Rep.objects.filter(user=user).first()
        if rep is None:
            return "—"
        url = reverse("admin:reps_rep_change", args=[rep.pk])
        return format_html('<a href="{}">{}</a>', url, rep.name)


# ---------------------------------------------------------------------------- reps

_TIMEZONES = sorted(zoneinfo.available_timezones())


def _https_urls(field: models.Field, **kwargs: Any) -> forms.Field | None:
    # A pasted "hooks.slack.com/..." means https, as Django 6 will assume anyway.
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class RepForm(forms.ModelForm):
    class Meta:
        model = Rep
        formfield_callback = _https_urls
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets pick and order them
        widgets = {
            "timezone": forms.Select(choices=[(name, name) for name in _TIMEZONES]),
            "working_hours": forms.TextInput(
                attrs={"size": 50, "placeholder": "mon-fri 09:00-17:00; sat 10:00-13:00"}
            ),
        }
        help_texts = {
            "user": "A person's login. Leave blank: saving creates a login with the rep's "
            "e-mail (no password yet; “Send invite” e-mails a link to choose one). AI agents "
            "never have one.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "cover_rep" in self.fields:
            self.fields["cover_rep"].queryset = cover_choices(self.instance)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == Rep.Kind.AGENT and data.get("user"):
            self.add_error("user", "An AI agent cannot have a login; clear this field.")
        return data


@admin.register(Rep)
class RepAdmin(AvailabilityAdmin, InviteAdmin, SigningSecretAdmin, OutgoingUrlAdmin, AuditedAdmin):
    form = RepForm
    change_form_template = "admin/reps/rep/change_form.html"
    actions = ("send_invites", "rotate_secrets")
    secret_field = "webhook_secret"
    secret_rotated_field = "webhook_secret_rotated_at"
    outgoing_url_fields = ("slack_webhook_url", "webhook_url")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = (
        "name",
        "email",
        "kind",
        "is_active",
        "availability",
        "timezone",
        "hours",
        "capacity",
        "pool_names",
        "channels",
    )
    list_display_links = ("name", "email")
    list_filter = ("kind", "is_active", AvailabilityFilter, "timezone", "pools")
    search_fields = ("name", "email")
    autocomplete_fields = ("user",)
    readonly_fields = (
        "pool_links",
        "masked_secret",
        "rep_local_times",
        "created_at",
        "updated_at",
    )
    related_history = (("Pool membership changes", PoolMembership, "rep"),)
    fieldsets = (
        ("Identity", {"fields": ("name", "email", "kind", "user", "is_active", "pool_links")}),
        (
            "Availability",
            {
                "fields": (
                    "timezone",
                    "working_hours",
                    ("out_of_office_from", "out_of_office_until"),
                    "cover_rep",
                    "paused_at",
                    "rep_local_times",
                ),
                "description": "Reps pause new leads and set their time away and cover "
                "in their queue; what they set shows here, and is yours to change.",
            },
        ),
        (
            "Capacity",
            {
                "fields": (("max_open", "max_unacknowledged", "max_per_day"),),
                "description": "A rep at any of these limits is skipped. Open leads are "
                "those the rep owns without a final outcome, acknowledged or not; "
                "unacknowledged leads still wait for the rep to acknowledge them.",
            },
        ),
        (
            "Location",
            {
                "fields": ("postal_code", ("latitude", "longitude")),
                "description": "Used by location-aware pools: a postal code, or both coordinates.",
            },
        ),
        (
            "Skills",
            {"fields": ("products", "industries", "languages", "technologies", "expertise")},
        ),
        (
            "Notifications",
            {
                "fields": ("notify_email", "slack_webhook_url", "webhook_url", "masked_secret"),
                "description": "Where the rep is told about a new lead. AI agents need a "
                "webhook; give its receiver the secret to verify signatures with.",
            },
        ),
        ("Record", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Rep]:
        return super().get_queryset(request).prefetch_related("pools")

    def get_readonly_fields(self, request: HttpRequest, obj: Rep | None = None) -> Any:
        # Linking a rep to a login (and inviting it) would hand that login to whoever
        # reads the rep's mail: only someone who may edit users picks it.
        fields = tuple(super().get_readonly_fields(request, obj))
        if not request.user.has_perm("reps.change_user"):
            fields += ("user",)
        return fields

    @admin.display(description="working hours")
    def hours(self, rep: Rep) -> str:
        return rep.working_hours or "any time"

    @admin.display(description="capacity")
    def capacity(self, rep: Rep) -> str:
        limits = [
            f"{limit} {what}"
            for limit, what in (
                (rep.max_open, "open"),
                (rep.max_unacknowledged, "unacknowledged"),
                (rep.max_per_day, "a day"),
            )
            if limit is not None
        ]
        return " / ".join(limits) or "no limit"

    @admin.display(description="pools")
    def pool_names(self, rep: Rep) -> str:
        return ", ".join(pool.name for pool in rep.pools.all()) or "—"

    @admin.display(description="member of")
    def pool_links(self, rep: Rep) -> str:
        pools = list(rep.pools.all()) if rep.pk else []
        if not pools:
            return "No pool yet; add the rep to pools on the pool's page."
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:reps_pool_change", args=[pool.pk]), pool.name) for pool in pools),
        )

    @admin.display(description="notified by")
    def channels(self, rep: Rep) -> str:
        names = [
            name
            for name, on in (
                ("✉ e-mail", rep.notify_email),
                ("# Slack", bool(rep.slack_webhook_url)),
                ("⚡ webhook", bool(rep.webhook_url)),
            )
            if on
        ]
        if not names:
            return format_html('<span style="color: var(--error-fg)">{}</span>', "nobody told")
        return format_html_join(" · ", "<span>{}</span>", ((n,) for n in names))

    def secret_rotate(self, obj: Rep, user: Any) -> str:
        return rep_secret_rotate(rep=obj, user=user)

    def save_model(self, request: HttpRequest, obj: Rep, form: Any, change: bool) -> None:
        # Link the login before the one save, so a single history row holds both.
        login = rep_ensure_login(rep=obj, save=False)
        if obj.kind == Rep.Kind.HUMAN and login is None:
            messages.warning(
                request,
                f"{obj.email} is already the login of another rep, so {obj.name} has no "
                "login yet. Change one of the e-mails, or pick a login for this rep.",
            )
        super().save_model(request, obj, form, change)


# ---------------------------------------------------------------------------- pools


class MembershipFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        members = [
            form
            for form in self.forms
            if form.cleaned_data.get("rep") and not self._should_delete_form(form)
        ]
        if not members:
            raise ValidationError(
                "Add at least one member: a pool without reps cannot take any lead."
            )


class PoolMembershipInline(admin.TabularInline):
    model = PoolMembership
    formset = MembershipFormSet
    autocomplete_fields = ("rep",)
    fields = ("rep", "weight")
    extra = 1
    verbose_name = "member"
    verbose_name_plural = "members"


class PoolForm(forms.ModelForm):
    """Shows a method's own settings only (pool_method.js); those of other methods are put
    back to their defaults on save, so a pool stores only settings that routing reads."""

    class Meta:
        model = Pool
        fields = "__all__"  # noqa: DJ007 - the admin's `fields` picks and orders them

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "method" in self.fields:
            applies = {**Pool.METHOD_SETTINGS, **Pool.MEMBER_SETTINGS}
            self.fields["method"].widget.attrs["data-method-settings"] = json.dumps(applies)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        method = data.get("method")
        if method is None:
            return data
        for name, methods in Pool.METHOD_SETTINGS.items():
            if name in self.fields and method not in methods:
                # Hidden from the manager, so an error about it could not be fixed.
                self.errors.pop(name, None)
                data[name] = Pool._meta.get_field(name).get_default()
        return data


@admin.register(Pool)
class PoolAdmin(AuditedAdmin):
    form = PoolForm
    inlines = (PoolMembershipInline,)
    list_display = ("name", "method", "member_count", "respect_working_hours")
    list_filter = ("method", "respect_working_hours")
    search_fields = ("name", "description")
    fields = (
        "name",
        "method",
        "max_distance_km",
        "no_match",
        "performance_window_days",
        "respect_working_hours",
        "description",
    )
    related_history = (("Member changes", PoolMembership, "pool"),)
    revert_allowed = False

    class Media:
        js = ("pools/pool_method.js",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pool]:
        return super().get_queryset(request).annotate(member_total=Count("memberships"))

    @admin.display(description="members", ordering="member_total")
    def member_count(self, pool: Pool) -> int:
        return pool.member_total  # type: ignore[attr-defined]
