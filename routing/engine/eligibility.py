"""Can this rep take a lead now? Each "no" comes with the reason the trace shows."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from .types import RepLoad, RepProfile, RoutingState

NO_LOAD = RepLoad()


def in_working_hours(rep: RepProfile, now: datetime) -> bool:
    if not rep.shifts:
        return True
    return _within_shifts(rep, local_time(now, rep.timezone))


@lru_cache(maxsize=256)
def local_time(now: datetime, zone: ZoneInfo) -> datetime:
    """`now` on the clocks of `zone`. A pool's members mostly share a zone and a decision
    checks them all at the same instant: converted once, not once per member."""
    return now.astimezone(zone)


def _within_shifts(rep: RepProfile, local: datetime) -> bool:
    minute = local.hour * 60 + local.minute
    # A loop: any() over a generator costs three times as much, for every member checked.
    for start, end in rep.shifts.get(local.weekday(), ()):  # noqa: SIM110
        if start <= minute < end:
            return True
    return False


# The trace's times, written out by hand: strftime costs as much as the rest of a
# member's checks. "%a" is English as long as nobody sets LC_TIME, as Python and
# Django never do.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def weekday_and_time(local: datetime) -> str:
    """'Tue 14:05', as f"{local:%a %H:%M}" in the C locale."""
    return f"{_WEEKDAYS[local.weekday()]} {local.hour:02d}:{local.minute:02d}"


def date_and_time(local: datetime) -> str:
    """'2026-11-24 14:05', as f"{local:%Y-%m-%d %H:%M}"."""
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"


def unavailable_because(
    rep: RepProfile,
    *,
    now: datetime,
    state: RoutingState,
    check_hours: bool,
    relaxed: bool = False,
) -> str | None:
    """Why `rep` cannot take a lead now, or None when they can.

    `relaxed` is for the fallback of last resort: only who may never get the lead
    (excluded, inactive) counts, not whether they are available right now."""
    reason = excluded_because(rep, state=state)
    if reason is not None or relaxed:
        return reason
    return away_because(rep, now=now, check_hours=check_hours) or at_capacity_because(
        rep, state=state
    )


def excluded_because(rep: RepProfile, *, state: RoutingState) -> str | None:
    """Why `rep` may not have this lead at all (at no hour, with no room to spare)."""
    if rep.id in state.exclude_rep_ids:
        return "let this lead expire before"
    if rep.id == state.moving_from:
        return "has the lead now: a manager is moving it on"
    if state.exclude_agents and rep.kind == "agent":
        return "an AI agent, and the lead is being handed to a person"
    if not rep.is_active:
        return "inactive"
    return None


def away_because(rep: RepProfile, *, now: datetime, check_hours: bool) -> str | None:
    """Why `rep` is not there to take a lead now: out of office, paused, or
    (`check_hours`) outside their working hours."""
    reason = out_of_office_because(rep, now=now)
    if reason is not None:
        return reason
    if rep.paused:
        return "paused new leads"
    if check_hours and rep.shifts:
        local = local_time(now, rep.timezone)
        if not _within_shifts(rep, local):
            return f"outside working hours ({weekday_and_time(local)} {rep.timezone.key})"
    return None


def out_of_office_because(rep: RepProfile, *, now: datetime) -> str | None:
    """'out of office until …' while `now` is in the rep's time away; else None."""
    if (
        rep.out_of_office_until is not None
        and (rep.out_of_office_from is None or rep.out_of_office_from <= now)
        and now < rep.out_of_office_until
    ):
        until = rep.out_of_office_until.astimezone(rep.timezone)
        return f"out of office until {date_and_time(until)} ({rep.timezone.key})"
    return None


def at_capacity_because(rep: RepProfile, *, state: RoutingState) -> str | None:
    """Which of `rep`'s capacity limits is reached, or None when none is."""
    load = state.loads.get(rep.id, NO_LOAD)
    # The counts may stop at the limit (`rep_loads`): the limit is what the trace says.
    if rep.max_unacknowledged is not None and load.open_unacknowledged >= rep.max_unacknowledged:
        limit = rep.max_unacknowledged
        return f"at capacity: {limit} of {limit} unacknowledged leads"
    if rep.max_open is not None and load.open_total >= rep.max_open:
        return f"at capacity: {rep.max_open} of {rep.max_open} open leads"
    if rep.max_per_day is not None and load.assigned_today >= rep.max_per_day:
        return f"daily limit reached: {rep.max_per_day} of {rep.max_per_day} today"
    return None
