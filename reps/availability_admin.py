"""Who is paused or away, until when, and who covers: a column and a filter on the reps
list, so that a manager sees it before wondering where the leads went."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .availability import rep_availability
from .models import Rep


def _away_now(now: Any) -> Q:
    return Q(out_of_office_until__gt=now) & (
        Q(out_of_office_from__isnull=True) | Q(out_of_office_from__lte=now)
    )


class AvailabilityFilter(admin.SimpleListFilter):
    title = "availability"
    parameter_name = "availability"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("taking", "Taking new leads"),
            ("paused", "Paused new leads"),
            ("away", "Out of office now"),
            ("covering", "Covering for someone away"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Rep]) -> QuerySet[Rep] | None:
        now = timezone.now()
        if self.value() == "taking":
            return queryset.filter(paused_at__isnull=True).exclude(_away_now(now))
        if self.value() == "paused":
            return queryset.filter(paused_at__isnull=False)
        if self.value() == "away":
            return queryset.filter(_away_now(now))
        if self.value() == "covering":
            away = Rep.objects.filter(_away_now(now), cover_rep__isnull=False)
            return queryset.filter(pk__in=away.values("cover_rep"))
        return None


def cover_choices(rep: Rep) -> QuerySet[Rep]:
    """Active people other than the rep; and their current cover, whatever became of
    them, so that saving the page says what is wrong with them rather than that the
    choice has gone."""
    offered = Q(kind=Rep.Kind.HUMAN, is_active=True)
    if rep.cover_rep_id is not None:
        offered |= Q(pk=rep.cover_rep_id)
    return Rep.objects.filter(offered).exclude(pk=rep.pk)


def _when(moment: Any, rep: Rep) -> str:
    return f"{timezone.localtime(moment, ZoneInfo(rep.timezone)):%a %d %b %H:%M}"


class AvailabilityAdmin(admin.ModelAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet[Rep]:
        return super().get_queryset(request).select_related("cover_rep")

    @admin.display(description="availability")
    def availability(self, rep: Rep) -> str:
        state = rep_availability(rep=rep)
        lines = []
        if state.away_now:
            lines.append(f"Away until {_when(state.away_until, rep)} ({rep.timezone})")
        elif state.away_later:
            lines.append(
                f"Away from {_when(state.away_from, rep)} until "
                f"{_when(state.away_until, rep)} ({rep.timezone})"
            )
        if state.away_until is not None:
            lines.append(f"covered by {state.cover.name}" if state.cover else "no cover")
        if state.paused_since is not None:
            lines.append(f"New leads paused since {_when(state.paused_since, rep)}")
        if not lines:
            return "Taking new leads"
        # A wide list squeezes its columns to their longest word: keep the lines readable.
        return format_html(
            '<span style="display: inline-block; min-width: 15em; color: {}">{}</span>',
            "var(--message-warning-fg, #b35900)",
            format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)),
        )

    @admin.display(description="in the rep's time")
    def rep_local_times(self, rep: Rep) -> str:
        """The times above are in the admin's time zone; a manager reading "away until"
        needs the moment as the rep lives it too."""
        moments = [
            (label, moment)
            for label, moment in (
                ("away from", rep.out_of_office_from),
                ("away until", rep.out_of_office_until),
                ("paused since", rep.paused_at),
            )
            if moment is not None
        ]
        if not moments:
            return "No time away or pause set."
        lines = [f"{label.capitalize()} {_when(moment, rep)}" for label, moment in moments]
        return format_html(
            "{}<br>{}",
            format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)),
            f"({rep.timezone}, the rep's time zone)",
        )
