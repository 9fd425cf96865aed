"""The trace's times are written out by hand (strftime is slow); they must read exactly
as strftime would have written them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from routing.engine.eligibility import date_and_time, weekday_and_time


def test_hand_written_times_read_as_strftime_does():
    zone = ZoneInfo("America/New_York")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for hours in range(0, 24 * 400, 7):  # every weekday, every hour, both DST changes
        local = (start + timedelta(hours=hours, minutes=hours % 60)).astimezone(zone)
        assert weekday_and_time(local) == f"{local:%a %H:%M}"
        assert date_and_time(local) == f"{local:%Y-%m-%d %H:%M}"
