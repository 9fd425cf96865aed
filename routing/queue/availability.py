"""A rep's own availability in the queue: pause and resume new leads, go away until a
time with a cover, come back. Only the signed-in rep's own availability, by POST."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone
from django.views.decorators.http import require_http_methods, require_POST

from reps.availability import (
    AvailabilityError,
    rep_availability,
    rep_away_end,
    rep_away_set,
    rep_pause,
    rep_resume,
)
from reps.models import Rep

from .views import rep_required


class AwayForm(forms.Form):
    until = forms.DateTimeField(
        label="Away until",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={
            "required": "Say until when you are away.",
            "invalid": "Give a date and time, such as 2026-12-24 09:00.",
        },
    )
    # Any rep's id resolves, so that a refused one is told why rather than "not a choice".
    cover = forms.ModelChoiceField(
        queryset=Rep.objects.all(),
        required=False,
        label="Cover (optional)",
        empty_label="Nobody",
        error_messages={"invalid_choice": "That cover is not a rep; choose one from the list."},
    )

    def __init__(self, *args: Any, rep: Rep, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        candidates = Rep.objects.filter(kind=Rep.Kind.HUMAN, is_active=True).exclude(pk=rep.pk)
        self.fields["cover"].widget.choices = [
            ("", self.fields["cover"].empty_label),
            *((candidate.pk, candidate.name) for candidate in candidates.only("pk", "name")),
        ]


def availability_context(rep: Rep, away_form: AwayForm | None = None) -> dict[str, Any]:
    """What the availability panel shows: the rep's state now and the away form."""
    return {
        "availability": rep_availability(rep=rep),
        "away_form": away_form or AwayForm(rep=rep),
    }


@require_POST
@rep_required
def availability_pause(request: HttpRequest) -> HttpResponse:
    rep_pause(rep=request.user.rep, by=request.user)
    messages.success(request, "New leads paused: you keep the leads you have.")
    return redirect("queue:home")


@require_POST
@rep_required
def availability_resume(request: HttpRequest) -> HttpResponse:
    rep_resume(rep=request.user.rep, by=request.user)
    messages.success(request, "You are taking new leads again.")
    return redirect("queue:home")


@require_http_methods(["GET", "POST"])
@rep_required
def availability_away(request: HttpRequest) -> HttpResponse:
    """GET: the form on a page of its own. POST: set the time away, or show the form
    again with what is wrong (and change nothing)."""
    rep = request.user.rep
    form = AwayForm(request.POST or None, rep=rep)
    if request.method == "POST" and form.is_valid():
        try:
            rep_away_set(
                rep=rep,
                until=form.cleaned_data["until"],
                cover=form.cleaned_data["cover"],
                by=request.user,
            )
        except AvailabilityError as error:
            form.add_error(error.field, str(error))
        else:
            cover = form.cleaned_data["cover"]
            until = dateformat.format(timezone.localtime(form.cleaned_data["until"]), "D j M, H:i")
            covered = f" {cover.name} covers your account leads." if cover else ""
            messages.success(request, f"Away until {until}.{covered}")
            return redirect("queue:home")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "queue/availability.html",
        {"rep": rep, **availability_context(rep, form)},
        status=status,
    )


@require_POST
@rep_required
def availability_back(request: HttpRequest) -> HttpResponse:
    rep = rep_away_end(rep=request.user.rep, by=request.user)
    if rep.paused_at is not None:
        messages.success(request, "Welcome back. New leads are still paused: resume when ready.")
    else:
        messages.success(request, "Welcome back: new leads come to you again.")
    return redirect("queue:home")
