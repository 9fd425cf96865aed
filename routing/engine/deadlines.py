"""When an acknowledgment is due: the SLA on the clock, or counted in the owner's
working hours (a lead arriving at 18:55 for a rep working 9-17, with 20 minutes, is due
at 09:15 on their next working day, in their time zone)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

Shifts = Mapping[int, tuple[tuple[int, int], ...]]  # weekday -> ((start, end) minutes, ...)
# How far ahead to look for working time: more than a year of days, far beyond any SLA.
_DAYS_AHEAD = 400


@dataclass(frozen=True, slots=True)
class ChosenSla:
    """An acknowledgment SLA chosen instead of the rules' (an imported list's): `duration`
    from the assignment, on the clock or in the owner's working hours; no duration, no
    deadline at all (never escalated, no reminder). `chosen_for` names the chooser in
    the trace ("the import expo.csv")."""

    duration: timedelta | None
    working_hours: bool = False
    chosen_for: str = ""


def working_deadline(
    start: datetime, sla: timedelta, *, shifts: Shifts, zone: ZoneInfo
) -> datetime:
    """`start` plus `sla` of working time. No shifts (blank working hours) means the
    clock. Shifts are wall-clock times in `zone`, so on the day clocks change a 9-17
    shift still starts at 9 local; durations are counted in real (UTC) time."""
    if not any(shifts.values()):
        return start + sla
    remaining = sla
    first_day = start.astimezone(zone).date()
    for offset in range(_DAYS_AHEAD):
        day = first_day + timedelta(days=offset)
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        for start_minute, end_minute in sorted(shifts.get(day.weekday(), ())):
            opens = _utc(midnight, start_minute, zone)
            closes = _utc(midnight, end_minute, zone)
            begin = max(opens, start)
            if begin >= closes:
                continue
            if remaining <= closes - begin:
                return begin + remaining
            remaining -= closes - begin
    return start + sla  # unreachable: some weekday has a shift


def reminder_time(
    ack_due_at: datetime, remind_before: timedelta | None, *, assigned_at: datetime
) -> datetime | None:
    """When to remind the owner: `remind_before` ahead of the deadline, on the clock even
    when the deadline was counted in working hours (the reminder is about the deadline,
    wherever it fell). None without a reminder, or when that moment is not after the
    assignment: the assignment's own message already says how long is left."""
    if remind_before is None:
        return None
    remind_at = ack_due_at - remind_before
    return remind_at if remind_at > assigned_at else None


_WORDS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def duration_words(value: timedelta) -> str:
    """How long, as a person says it: '5 minutes', '1 hour 30 minutes'."""
    seconds = max(int(value.total_seconds()), 0)
    parts = []
    for word, factor in _WORDS:
        amount, seconds = divmod(seconds, factor)
        if amount:
            parts.append(f"{amount} {word}{'s' if amount != 1 else ''}")
    return " ".join(parts) or "0 seconds"


def _utc(midnight: datetime, minute: int, zone: ZoneInfo) -> datetime:
    # Wall-clock arithmetic (same tzinfo), then the real instant: 09:00 local is 09:00
    # whatever the offset that day.
    local = (midnight.replace(tzinfo=None) + timedelta(minutes=minute)).replace(tzinfo=zone)
    return local.astimezone(UTC)
