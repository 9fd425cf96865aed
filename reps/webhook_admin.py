"""Admin for what the server sends out: outgoing URLs.

Reps and webhook subscriptions both name URLs the server posts to; both admins mix
this in.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model
from django.http import HttpRequest

from routing.notifications.outbound import unresolved_host_warning


class OutgoingUrlAdmin(admin.ModelAdmin):
    """A model with URLs the server posts to (`outgoing_url_fields`). The model refuses
    the ones the outbound policy forbids; a host that does not resolve yet is saved with
    a warning, since its DNS may come later and every send checks the address again."""

    outgoing_url_fields: tuple[str, ...] = ()

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        for name in self.outgoing_url_fields:
            url = getattr(obj, name)
            if url and name in form.changed_data:
                warning = unresolved_host_warning(url)
                if warning:
                    self.message_user(request, warning, messages.WARNING)
