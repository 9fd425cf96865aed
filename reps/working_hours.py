"""Working hours as one line of text: "mon-fri 09:00-17:00; sat 10:00-13:00".

The text is what a manager types in the admin and what routing files carry; `parse`
turns it into plain tuples the engine can test without a database. Times are wall-clock
times in the rep's own time zone. Blank text means "no restriction".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(
    r"^(?P<days>[a-z]{3}(?:-[a-z]{3})?(?:,[a-z]{3}(?:-[a-z]{3})?)*)\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)


@dataclass(frozen=True)
class Shift:
    weekday: int  # Monday is 0, as in datetime.weekday()
    start_minute: int
    end_minute: int  # exclusive; 24:00 is 1440


def _minutes(text: str, part: str) -> int:
    hours, minutes = (int(piece) for piece in text.split(":"))
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise ValidationError(f"'{text}' in '{part}' is not a time of day (use HH:MM).")
    return hours * 60 + minutes


def _days(text: str, part: str) -> list[int]:
    days: list[int] = []
    for chunk in text.split(","):
        first, _, last = chunk.partition("-")
        for name in (first, last or first):
            if name not in DAYS:
                raise ValidationError(f"'{name}' in '{part}' is not a day; use {', '.join(DAYS)}.")
        start, end = DAYS.index(first), DAYS.index(last or first)
        if end < start:
            raise ValidationError(f"'{chunk}' in '{part}' runs backwards; write e.g. mon-fri.")
        days.extend(range(start, end + 1))
    return days


def parse(text: str) -> tuple[Shift, ...]:
    """Shifts in the text, or ValidationError naming the part that is wrong."""
    shifts: list[Shift] = []
    for raw_part in re.split(r"[;\n]", text or ""):
        part = " ".join(raw_part.lower().split())
        if not part:
            continue
        match = _PART.match(part)
        if not match:
            raise ValidationError(
                f"'{raw_part.strip()}' is not understood; write days and hours like "
                "'mon-fri 09:00-17:00', several separated by ';'."
            )
        start = _minutes(match["start"], part)
        end = _minutes(match["end"], part)
        if end <= start:
            raise ValidationError(f"In '{part}' the end must be after the start.")
        shifts.extend(Shift(day, start, end) for day in _days(match["days"], part))
    return tuple(sorted(shifts, key=lambda shift: (shift.weekday, shift.start_minute)))


def validate_working_hours(text: str) -> None:
    parse(text)
