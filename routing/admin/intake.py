"""Admin for intake keys: one per lead source, shown once when created, stored hashed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import Model
from django.http import HttpRequest
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from routing.models import IntakeKey

# The library registers its own APIKey model; Lead Router authenticates with IntakeKey
# only, so a second "API keys" page would only invite keys that open nothing.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(IntakeKey)
class IntakeKeyAdmin(APIKeyModelAdmin):
    """The library's admin: it assigns the key and shows it once, in a message, on creation."""

    autocomplete_fields = ("rep",)
    list_display = (
        "name",
        "kind",
        "rep",
        "may_read_metrics",
        "prefix",
        "created",
        "created_by",
        "last_used_at",
        "revoked",
        "expiry_date",
        "_has_expired",
    )
    list_select_related = ("created_by", "rep")
    list_filter = ("kind", "may_read_metrics", "revoked", "created", "expiry_date")
    radio_fields = {"kind": admin.VERTICAL}
    search_fields = ("name", "prefix")
    # A pasted "www.example.com/thanks" means https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        chosen = ("name", "kind", "allowed_origins", "thank_you_url", "rep", "may_read_metrics")
        if obj is None:
            return (*chosen, "expiry_date")
        return (
            *chosen,
            "prefix",
            "revoked",
            "expiry_date",
            "created",
            "created_by",
            "last_used_at",
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        fixed = ("created", "created_by", "last_used_at")
        # A public key made a server key would hand the page's readers a secret's rights.
        if obj is not None:
            fixed = ("kind", *fixed)
            if obj.is_public:
                fixed = ("may_read_metrics", *fixed)
        return (*super().get_readonly_fields(request, obj), *fixed)

    help_texts = {
        "name": "The source that posts leads with this key, e.g. 'Website demo form'.",
        "rep": "An AI agent's key (server keys only): it may also acknowledge, record "
        "outcomes for and hand off the leads of this agent. Blank: a lead source.",
        "may_read_metrics": "Server keys only: a BI tool or a script may read the "
        "dashboard's figures with this key at GET /api/v1/metrics/ (team-wide: speed to "
        "lead, SLA, fairness, conversion). Off by default; public keys never may.",
        "revoked": "A revoked key is refused at once and cannot be un-revoked; create a new one.",
    }

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        for name, text in self.help_texts.items():
            if name in form.base_fields:
                form.base_fields[name].help_text = text
        return form

    def save_model(self, request: HttpRequest, obj: IntakeKey, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if not change and obj.is_public:
            messages.info(
                request,
                "Put the key in the page's script; browsers on the allowed origins post "
                "with the header Authorization: Api-Key <the key above>. Anyone can read it, "
                "so it can only submit leads.",
            )
        elif not change:
            messages.info(
                request,
                "Keep the key on the server. Sources send it in a header: "
                "Authorization: Api-Key <the key above>.",
            )
