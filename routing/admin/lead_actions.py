"""A manager moves leads from the admin: reassign to a rep or a pool, return to the
rules, close. In bulk from the lead list (tick leads, pick the action: a confirmation
page asks for the target and the reason, as Django's delete does) and on one lead's
page (its buttons open the same page). Needs the change permission on leads, which the
Sales manager group has. The writes are routing.services.reassignment's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from reps.models import Pool, Rep
from routing.models import Lead
from routing.services.reassignment import (
    REASON_MAX_LENGTH,
    Moved,
    ReassignmentError,
    leads_close,
    leads_reassign,
    leads_return_to_rules,
)
from routing.services.work import FINAL_OUTCOMES

LISTED = 50  # leads named on the confirmation page; the rest are counted


class _ManagerActionForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Kept in each lead's timeline with your name.",
    )
    # When the page was shown: a lead that changed since is left as it is (the service).
    seen_at = forms.DateTimeField(widget=forms.HiddenInput)

    def clean_seen_at(self) -> datetime:
        # Never later than now, whatever the page sent back.
        return min(self.cleaned_data["seen_at"], timezone.now())

    def what_was_done(self) -> str:
        """For the leads' admin history."""
        raise NotImplementedError


class ReassignForm(_ManagerActionForm):
    rep = forms.ModelChoiceField(
        queryset=Rep.objects.filter(is_active=True).order_by("name"),
        required=False,
        label="To a rep",
        help_text="Only active reps are offered.",
    )
    pool = forms.ModelChoiceField(
        queryset=Pool.objects.order_by("name"),
        required=False,
        label="Or to a pool",
        help_text="The pool picks a member its own way, among those available now.",
    )
    field_order = ("rep", "pool", "reason")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if bool(cleaned.get("rep")) == bool(cleaned.get("pool")):
            raise forms.ValidationError("Choose a rep or a pool, not both.")
        return cleaned

    def what_was_done(self) -> str:
        data = self.cleaned_data
        return f"Reassigned to {data['rep'] or data['pool']}: {data['reason']}"


class ReturnForm(_ManagerActionForm):
    def what_was_done(self) -> str:
        return f"Returned to the rules: {self.cleaned_data['reason']}"


class CloseForm(_ManagerActionForm):
    outcome = forms.ChoiceField(
        choices=[(outcome.value, outcome.label) for outcome in FINAL_OUTCOMES]
    )
    field_order = ("outcome", "reason")

    def what_was_done(self) -> str:
        outcome = Lead.Status(self.cleaned_data["outcome"]).label
        return f"Closed as {outcome.lower()}: {self.cleaned_data['reason']}"


class _Action:
    """One of the three: its form, its words and the service it calls."""

    def __init__(
        self,
        slug: str,
        title: str,
        button: str,
        form: type[_ManagerActionForm],
        run: Callable[..., Moved],
        done: str,
    ) -> None:
        self.slug, self.title, self.button, self.form = slug, title, button, form
        self.run, self.done = run, done


def _reassign(form: ReassignForm, ids: list[int], request: HttpRequest) -> Moved:
    data = form.cleaned_data
    return leads_reassign(
        lead_ids=ids,
        target=data["rep"] or data["pool"],
        reason=data["reason"],
        by=request.user,
        seen_at=data["seen_at"],
    )


def _return(form: ReturnForm, ids: list[int], request: HttpRequest) -> Moved:
    data = form.cleaned_data
    return leads_return_to_rules(
        lead_ids=ids, reason=data["reason"], by=request.user, seen_at=data["seen_at"]
    )


def _close(form: CloseForm, ids: list[int], request: HttpRequest) -> Moved:
    data = form.cleaned_data
    return leads_close(
        lead_ids=ids,
        outcome=data["outcome"],
        reason=data["reason"],
        by=request.user,
        seen_at=data["seen_at"],
    )


ACTIONS = {
    action.slug: action
    for action in (
        _Action("reassign", "Reassign", "Reassign", ReassignForm, _reassign, "Reassigned"),
        _Action(
            "return",
            "Return to the rules",
            "Return to the rules",
            ReturnForm,
            _return,
            "Routed again",
        ),
        _Action(
            "close", "Close with an outcome", "Close with an outcome", CloseForm, _close, "Closed"
        ),
    )
}


def _page(
    model_admin: admin.ModelAdmin[Lead],
    request: HttpRequest,
    leads: QuerySet[Lead],
    action: _Action,
    *,
    bulk: bool,
) -> HttpResponse | None:
    """The confirmation page, or, once its form is sent and valid, the action done and
    reported (None: back to the list, as Django's actions do)."""
    form = action.form(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        ids = list(leads.values_list("pk", flat=True))
        try:
            moved = action.run(form, ids, request)
        except ReassignmentError as error:
            form.add_error(None, str(error))
        else:
            _report(model_admin, request, moved, action)
            LogEntry.objects.log_actions(
                user_id=request.user.pk,
                queryset=moved.done,
                action_flag=CHANGE,
                change_message=form.what_was_done(),
            )
            return None
    if not form.is_bound:
        form = action.form(initial={"seen_at": timezone.now()})
    shown = list(leads.select_related("owner").order_by("-created_at")[:LISTED])
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Lead._meta,
        "title": f"{action.title}: {_count(leads.count())}",
        "action": action,
        "form": form,
        "leads": shown,
        "more": leads.count() - len(shown),
        "bulk": bulk,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME) if bulk else [],
        "select_across": request.POST.get("select_across", "0"),
        "action_name": f"{action.slug}_leads",
        "index": request.POST.get("index", "0"),
        "cancel_url": (
            reverse("admin:routing_lead_changelist")
            if bulk
            else reverse("admin:routing_lead_change", args=[shown[0].pk])
        ),
    }
    return TemplateResponse(request, "admin/routing/lead/manager_action.html", context)


def _count(number: int) -> str:
    return f"{number} lead{'s' if number != 1 else ''}"


def _report(
    model_admin: admin.ModelAdmin[Lead], request: HttpRequest, moved: Moved, action: _Action
) -> None:
    if moved.done:
        model_admin.message_user(
            request, f"{action.done}: {_count(len(moved.done))}.", messages.SUCCESS
        )
    for lead, why in moved.left:
        model_admin.message_user(request, f"Left as it was: {lead} — {why}.", messages.WARNING)


def _bulk(slug: str, description: str) -> Any:
    action = ACTIONS[slug]

    @admin.action(description=description, permissions=["reassign"])
    def run(
        model_admin: admin.ModelAdmin[Lead], request: HttpRequest, queryset: QuerySet[Lead]
    ) -> HttpResponse | None:
        return _page(model_admin, request, queryset, action, bulk=True)

    run.__name__ = f"{slug}_leads"
    return run


reassign_leads = _bulk("reassign", "Reassign the selected leads to a rep or a pool")
return_leads = _bulk("return", "Return the selected leads to the rules")
close_leads = _bulk("close", "Close the selected leads")
MANAGER_ACTIONS = (reassign_leads, return_leads, close_leads)


class LeadActionsMixin:
    """The actions on the lead list, the buttons and pages on a lead's page."""

    change_form_template = "admin/routing/lead/change_form.html"

    def has_reassign_permission(self, request: HttpRequest, obj: Lead | None = None) -> bool:
        return bool(request.user.has_perm("routing.change_lead"))

    def get_urls(self) -> list[Any]:
        site: admin.AdminSite = self.admin_site  # type: ignore[attr-defined]
        return [
            path(
                f"<path:object_id>/{slug}/",
                site.admin_view(self._one_lead_view(slug)),
                name=f"routing_lead_{slug}",
            )
            for slug in ACTIONS
        ] + super().get_urls()  # type: ignore[misc]

    def _one_lead_view(self, slug: str) -> Callable[[HttpRequest, str], HttpResponse]:
        def view(request: HttpRequest, object_id: str) -> HttpResponse:
            if not self.has_reassign_permission(request):
                raise PermissionDenied
            leads = (
                Lead.objects.filter(pk=object_id) if object_id.isdigit() else Lead.objects.none()
            )
            if not leads.exists():
                raise Http404("No such lead.")
            response = _page(self, request, leads, ACTIONS[slug], bulk=False)  # type: ignore[arg-type]
            if response is None:
                return HttpResponseRedirect(reverse("admin:routing_lead_change", args=[object_id]))
            return response

        return view

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        lead = Lead.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        buttons = []
        if lead is not None and lead.is_open and self.has_reassign_permission(request):
            buttons = [
                (reverse(f"admin:routing_lead_{slug}", args=[lead.pk]), action.title, slug)
                for slug, action in ACTIONS.items()
            ]
        context = {**(extra_context or {}), "lead_actions": buttons}
        return super().change_view(request, object_id, form_url, context)  # type: ignore[misc]
