"""Durations as people write them in routing files and the admin: 15m, 90s, 1h30m, 90d."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.exceptions import ValidationError

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(text: str | int) -> timedelta:
    """'1h30m' -> timedelta(hours=1, minutes=30); a bare number is seconds."""
    if isinstance(text, bool):
        raise ValidationError(f"'{text}' is not a duration; write e.g. 15m, 90s, 1h or 90d.")
    if isinstance(text, int):
        seconds = text
    else:
        compact = str(text).strip().lower().replace(" ", "")
        match = _DURATION.match(compact)
        if not compact or not match or not any(match.groups()):
            raise ValidationError(f"'{text}' is not a duration; write e.g. 15m, 90s, 1h or 90d.")
        seconds = sum(
            int(value) * factor
            for value, factor in zip(match.groups(), _UNITS.values(), strict=True)
            if value
        )
    if seconds <= 0:
        raise ValidationError(f"'{text}' must be longer than zero.")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest text parse_duration reads back as `value`."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, factor in _UNITS.items():
        amount, seconds = divmod(seconds, factor)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"
