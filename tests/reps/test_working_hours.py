from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from reps.working_hours import Shift, parse


def test_weekday_ranges_and_single_days_expand_to_shifts():
    shifts = parse("mon-fri 09:00-17:00; sat 10:00-13:30")
    assert len(shifts) == 6
    assert shifts[0] == Shift(weekday=0, start_minute=540, end_minute=1020)
    assert shifts[-1] == Shift(weekday=5, start_minute=600, end_minute=810)


def test_day_lists_and_midnight_end_are_understood():
    assert parse("mon,wed 00:00-24:00") == (Shift(0, 0, 1440), Shift(2, 0, 1440))


def test_blank_means_no_restriction():
    assert parse("") == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("weekdays 9-5", "not understood"),
        ("mon-fri 17:00-09:00", "end must be after the start"),
        ("fri-mon 09:00-17:00", "runs backwards"),
        ("mon-fry 09:00-17:00", "'fry'"),
        ("mon 25:00-26:00", "not a time of day"),
    ],
)
def test_mistakes_are_named(text, message):
    with pytest.raises(ValidationError, match=message):
        parse(text)
