"""The live state read for a decision: each rep's load, counted by the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing.services.state import rep_loads
from routing.snapshot import current_snapshot
from tests.factories import AssignmentFactory, RepFactory

pytestmark = pytest.mark.django_db

# 09:30 in New York, 14:30 UTC, 23:30 in Tokyo.
NOW = datetime(2026, 1, 13, 14, 30, tzinfo=UTC)


def loads(*reps):
    return rep_loads([rep.pk for rep in reps], data=current_snapshot().data, now=NOW)


def assign(rep, *, hours_ago: float, acknowledged=False, ended=False):
    assigned_at = NOW - timedelta(hours=hours_ago)
    return AssignmentFactory(
        rep=rep,
        assigned_at=assigned_at,
        acknowledged_at=assigned_at if acknowledged else None,
        ended_at=assigned_at + timedelta(minutes=1) if ended else None,
    )


def test_open_unacknowledged_open_and_today_are_counted_apart():
    ana = RepFactory(timezone="UTC")
    assign(ana, hours_ago=1)  # open, waiting
    assign(ana, hours_ago=2, acknowledged=True)  # open, being worked
    assign(ana, hours_ago=3, acknowledged=True, ended=True)  # done today
    assign(ana, hours_ago=200)  # open for days, not today's

    load = loads(ana)[ana.pk]

    assert (load.open_unacknowledged, load.open_total, load.assigned_today) == (2, 3, 3)


def test_today_starts_at_midnight_in_each_reps_own_time_zone():
    new_york = RepFactory(timezone="America/New_York")  # midnight was 9.5 hours ago
    tokyo = RepFactory(timezone="Asia/Tokyo")  # midnight was 23.5 hours ago
    for rep in (new_york, tokyo):
        assign(rep, hours_ago=9, ended=True)
        assign(rep, hours_ago=10, ended=True)
        assign(rep, hours_ago=23, ended=True)
        assign(rep, hours_ago=24, ended=True)

    counted = loads(new_york, tokyo)

    assert counted[new_york.pk].assigned_today == 1
    assert counted[tokyo.pk].assigned_today == 3
    assert counted[new_york.pk].open_total == counted[tokyo.pk].open_total == 0


def test_reps_without_assignments_are_left_out():
    ana, bo = RepFactory(), RepFactory()
    assign(ana, hours_ago=1)
    assert set(loads(ana, bo)) == {ana.pk}
    assert rep_loads([], data=current_snapshot().data, now=NOW) == {}
