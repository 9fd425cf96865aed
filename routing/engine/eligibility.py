"""Can this rep take a lead now? Each "no" comes with the reason the trace shows."""

from __future__ import annotations

from datetime import datetime

from .types import RepLoad, RepProfile, RoutingState

NO_LOAD = RepLoad()


def in_working_hours(rep: RepProfile, now: datetime) -> bool:
    if not rep.shifts:
        return True
    local = now.astimezone(rep.timezone)
    minute = local.hour * 60 + local.minute
    return any(start <= minute < end for start, end in rep.shifts.get(local.weekday(), ()))


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
    if rep.id in state.exclude_rep_ids:
        return "let this lead expire before"
    if state.exclude_agents and rep.kind == "agent":
        return "an AI agent, and the lead is being handed to a person"
    if not rep.is_active:
        return "inactive"
    if relaxed:
        return None
    if (
        rep.out_of_office_until is not None
        and (rep.out_of_office_from is None or rep.out_of_office_from <= now)
        and now < rep.out_of_office_until
    ):
        until = rep.out_of_office_until.astimezone(rep.timezone)
        return f"out of office until {until:%Y-%m-%d %H:%M} ({rep.timezone.key})"
    if check_hours and not in_working_hours(rep, now):
        local = now.astimezone(rep.timezone)
        return f"outside working hours ({local:%a %H:%M} {rep.timezone.key})"
    load = state.loads.get(rep.id, NO_LOAD)
    if rep.max_open is not None and load.open_unacknowledged >= rep.max_open:
        return f"at capacity: {load.open_unacknowledged} of {rep.max_open} open unacknowledged"
    if rep.max_per_day is not None and load.assigned_today >= rep.max_per_day:
        return f"daily limit reached: {load.assigned_today} of {rep.max_per_day} today"
    return None
