from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from routing.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("90s", timedelta(seconds=90)),
        ("1h", timedelta(hours=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("90d", timedelta(days=90)),
        (" 2H ", timedelta(hours=2)),
        (45, timedelta(seconds=45)),
    ],
)
def test_durations_people_write_are_understood(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["15 minutes", "m15", "", "1.5h", "0s", "-5m", True, "15m1h"])
def test_malformed_durations_are_refused_with_an_example(text):
    with pytest.raises(ValidationError, match=r"15m|longer than zero"):
        parse_duration(text)


@pytest.mark.parametrize(
    "value", [timedelta(minutes=15), timedelta(seconds=90), timedelta(days=90, hours=1)]
)
def test_formatted_durations_read_back_the_same(value):
    assert parse_duration(format_duration(value)) == value


def test_format_is_the_short_form():
    assert format_duration(timedelta(seconds=90)) == "1m30s"
    assert format_duration(timedelta(days=90)) == "90d"
