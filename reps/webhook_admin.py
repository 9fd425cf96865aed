"""Admin for what the server sends out: signing secrets and outgoing URLs.

Reps and webhook subscriptions both sign deliveries with a secret and name the URLs
the server posts to; both admins mix this in.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from outgoing.addresses import unresolved_host_warning
from outgoing.secrets import masked


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


class SigningSecretAdmin(admin.ModelAdmin):
    """A model whose webhook deliveries are signed with a secret (`secret_field`).

    The secret is shown masked on every page; in full only once, in the message after
    the object is created or its secret rotated, for the manager to hand to the receiver.
    Rotating (a button on the change page, after a confirmation, or an action on the
    list) goes through `secret_rotate`, the model's service, which records it in history.
    """

    secret_field = "secret"
    secret_rotated_field = "secret_rotated_at"
    change_form_template = "admin/signing_secret/change_form.html"
    actions = ("rotate_secrets",)

    def secret_rotate(self, obj: Any, user: Any) -> str:
        raise NotImplementedError

    # -- showing -------------------------------------------------------------------

    @admin.display(description="webhook secret")
    def masked_secret(self, obj: Model) -> str:
        secret = getattr(obj, self.secret_field, "")
        if not obj.pk or not secret:
            return "Made when saved, and shown once then."
        rotated = getattr(obj, self.secret_rotated_field, None)
        since = (
            f"rotated {timezone.localtime(rotated):%Y-%m-%d %H:%M %Z}"
            if rotated
            else "not rotated since made"
        )
        return format_html(
            "<code>{}</code> ({}). The full secret is shown once, when made or rotated; "
            "“Rotate secret” makes a new one.",
            masked(secret),
            since,
        )

    def _show_secret_once(self, request: HttpRequest, obj: Model, secret: str, verb: str) -> None:
        self.message_user(
            request,
            f"{verb} webhook secret of “{obj}”: {secret} — give it to the receiver to verify "
            "signatures with. It is not shown again.",
            messages.SUCCESS,
        )

    # -- saving --------------------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            self._show_secret_once(request, obj, getattr(obj, self.secret_field), "The")

    # -- rotating ------------------------------------------------------------------

    def _url_name(self, view: str) -> str:
        opts = self.model._meta
        return f"{opts.app_label}_{opts.model_name}_{view}"

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(self.rotate_secret_view)
        return [
            path("<path:object_id>/rotate-secret/", view, name=self._url_name("rotate_secret")),
            *super().get_urls(),
        ]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None and self.has_change_permission(request, obj):
            context["rotate_secret_url"] = reverse(
                f"admin:{self._url_name('rotate_secret')}", args=[obj.pk]
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def rotate_secret_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: what rotating does, and a button; POST: rotate and show the new secret."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such object.")
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        change_url = reverse(f"admin:{self._url_name('change')}", args=[obj.pk])
        if request.method == "POST":
            self._show_secret_once(request, obj, self.secret_rotate(obj, request.user), "New")
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "change_url": change_url,
            "title": f"Rotate the webhook secret of “{obj}”",
        }
        return TemplateResponse(request, "admin/signing_secret/rotate.html", context)

    @admin.action(
        description="Rotate the webhook secret (each new one is shown once)",
        permissions=["change"],
    )
    def rotate_secrets(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self._show_secret_once(request, obj, self.secret_rotate(obj, request.user), "New")
