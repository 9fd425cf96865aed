"""'Send invite' on reps: an action for the selected reps and a button on a rep's page.

Each person gets an e-mail with a link to choose their password (reps.invites); AI agents
and reps without a login are skipped, and the messages say who and why.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .invites import InviteRefused, invite_lifetime_words, rep_invite, rep_invite_check
from .models import Rep


class InviteAdmin(admin.ModelAdmin):
    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(self.invite_view)
        return [path("<path:object_id>/invite/", view, name="reps_rep_invite"), *super().get_urls()]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if (
            obj is not None
            and obj.kind == Rep.Kind.HUMAN
            and self.has_change_permission(request, obj)
        ):
            context["invite_url"] = reverse("admin:reps_rep_invite", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def invite_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: who gets the e-mail and what the link does; POST: send it."""
        rep = self.get_object(request, unquote(object_id))
        if rep is None:
            raise Http404("No such rep.")
        if not self.has_change_permission(request, rep):
            raise PermissionDenied
        change_url = reverse("admin:reps_rep_change", args=[rep.pk])
        if request.method == "POST":
            self._send_invites(request, [rep])
            return HttpResponseRedirect(change_url)
        try:
            problem = ""
            rep_invite_check(rep=rep, invited_by=request.user)
        except InviteRefused as refused:
            problem = str(refused)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": rep,
            "change_url": change_url,
            "problem": problem,
            "lifetime": invite_lifetime_words(),
            "title": f"Send an invite to {rep.name}",
        }
        return TemplateResponse(request, "admin/reps/rep/invite.html", context)

    @admin.action(description="Send invite (an e-mail to set a password)", permissions=["change"])
    def send_invites(self, request: HttpRequest, queryset: QuerySet[Rep]) -> None:
        self._send_invites(request, list(queryset.select_related("user").order_by("name")))

    def _send_invites(self, request: HttpRequest, reps: list[Rep]) -> None:
        sent: list[str] = []
        for rep in reps:
            try:
                rep_invite(rep=rep, invited_by=request.user)
            except InviteRefused as refused:
                self.message_user(request, f"Skipped: {refused}", messages.WARNING)
            except OSError as error:
                self.message_user(
                    request,
                    f"The invite to {rep.email} could not be sent ({error}); try again later.",
                    messages.ERROR,
                )
            else:
                sent.append(rep.email)
        if sent:
            self.message_user(
                request,
                f"Invite sent to {', '.join(sent)}. The link lets each choose a password and "
                f"works for {invite_lifetime_words()}, once.",
                messages.SUCCESS,
            )
