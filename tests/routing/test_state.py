"""The live state read for a decision: the loads the engine looks at, counted by the
database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from routing.engine import RepLoad, RoutingState
from routing.engine.eligibility import unavailable_because
from routing.services.state import rep_loads
from routing.snapshot import current_snapshot
from tests.factories import (
    AssignmentFactory,
    PoolFactory,
    PoolMembershipFactory,
    RepFactory,
)

pytestmark = pytest.mark.django_db

# 09:30 in New York, 14:30 UTC, 23:30 in Tokyo.
NOW = datetime(2026, 1, 13, 14, 30, tzinfo=UTC)


def micros(hours_ago: float) -> int:
    """`RepLoad.last_assigned` of an assignment made that long before NOW."""
    return (NOW - timedelta(hours=hours_ago) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
        microseconds=1
    )


def loads(*reps, pools=()):
    return rep_loads(
        [rep.pk for rep in reps],
        pool_ids=[pool.pk for pool in pools],
        data=current_snapshot().data,
        now=NOW,
    )


def limited(**kwargs):
    """A rep whose unacknowledged-leads and daily limits the engine checks."""
    return RepFactory(max_unacknowledged=10, max_per_day=10, **kwargs)


def least_loaded_pool(*reps):
    pool = PoolFactory(method="least_loaded")
    for rep in reps:
        PoolMembershipFactory(pool=pool, rep=rep)
    return pool


def assign(rep, *, hours_ago: float, acknowledged=False, ended=False):
    assigned_at = NOW - timedelta(hours=hours_ago)
    return AssignmentFactory(
        rep=rep,
        assigned_at=assigned_at,
        acknowledged_at=assigned_at if acknowledged else None,
        ended_at=assigned_at + timedelta(minutes=1) if ended else None,
    )


def test_open_unacknowledged_open_and_today_are_counted_apart():
    ana = limited(timezone="UTC")
    pool = least_loaded_pool(ana)
    assign(ana, hours_ago=1)  # open, waiting
    assign(ana, hours_ago=2, acknowledged=True)  # open, being worked
    assign(ana, hours_ago=3, acknowledged=True, ended=True)  # done today
    assign(ana, hours_ago=200)  # open for days, not today's

    load = loads(ana, pools=[pool])[ana.pk]

    assert (load.open_unacknowledged, load.open_total, load.assigned_today) == (2, 3, 3)


def test_only_the_counts_the_engine_reads_are_taken():
    capped = RepFactory(max_unacknowledged=10)  # open unacknowledged only
    owning = RepFactory(max_open=10)  # all open ones only
    daily = RepFactory(max_per_day=10)  # today's only
    member = RepFactory()  # of a least-loaded pool: all open ones only
    free = RepFactory()  # no limit, no least-loaded pool: nothing to count
    pool = least_loaded_pool(member)
    for rep in (capped, owning, daily, member, free):
        assign(rep, hours_ago=1)
        assign(rep, hours_ago=2, acknowledged=True)
        assign(rep, hours_ago=3, acknowledged=True, ended=True)  # converted, say

    counted = loads(capped, owning, daily, member, free, pools=[pool])

    assert counted[capped.pk] == RepLoad(open_unacknowledged=1)
    assert counted[owning.pk] == RepLoad(open_total=2)
    assert counted[daily.pk] == RepLoad(assigned_today=3)
    # And when their latest lead came: a tie between least-loaded members goes by it.
    assert counted[member.pk] == RepLoad(open_total=2, last_assigned=micros(1))
    assert free.pk not in counted
    # The member is counted only when the least-loaded pool is among the candidates.
    assert member.pk not in loads(member)


def test_today_starts_at_midnight_in_each_reps_own_time_zone():
    new_york = limited(timezone="America/New_York")  # midnight was 9.5 hours ago
    tokyo = limited(timezone="Asia/Tokyo")  # midnight was 23.5 hours ago
    for rep in (new_york, tokyo):
        assign(rep, hours_ago=9, ended=True)
        assign(rep, hours_ago=10, ended=True)
        assign(rep, hours_ago=23, ended=True)
        assign(rep, hours_ago=24, ended=True)

    counted = loads(new_york, tokyo)

    assert counted[new_york.pk].assigned_today == 1
    assert counted[tokyo.pk].assigned_today == 3
    assert counted[new_york.pk].open_total == counted[tokyo.pk].open_total == 0


def test_reps_without_assignments_count_zero():
    ana, bo = limited(), limited()
    assign(ana, hours_ago=1)
    assert set(loads(ana, bo)) == {ana.pk, bo.pk}
    assert loads(ana, bo)[bo.pk] == RepLoad()
    assert loads() == {}


def test_counts_against_a_limit_stop_at_the_limit_on_postgresql():
    """The engine only asks whether a limit is reached: on PostgreSQL a count stops
    there (its cost is the limit's, however many leads wait), and a least-loaded member
    at capacity, who is skipped, has no open leads counted. Elsewhere counts are exact;
    either way the rep is at capacity, with the same trace."""
    full = RepFactory(max_unacknowledged=2, max_per_day=3, timezone="UTC")
    room = RepFactory(max_unacknowledged=5, timezone="UTC")
    pool = least_loaded_pool(full, room)
    for hours_ago in range(1, 6):
        assign(full, hours_ago=hours_ago)  # five waiting, all today
    assign(room, hours_ago=1)
    assign(room, hours_ago=2, acknowledged=True)

    counted = loads(full, room, pools=[pool])

    if connection.vendor == "postgresql":
        assert counted[full.pk] == RepLoad(open_unacknowledged=2, assigned_today=3)
    else:
        assert counted[full.pk] == RepLoad(5, 5, 5, last_assigned=micros(1))
    assert counted[room.pk] == RepLoad(open_unacknowledged=1, open_total=2, last_assigned=micros(1))
    reason = unavailable_because(
        current_snapshot().data.reps[full.pk],
        now=NOW,
        state=RoutingState(loads=counted, rotations={}),
        check_hours=False,
    )
    assert reason == "at capacity: 2 of 2 unacknowledged leads"


def test_open_leads_against_an_open_limit_stop_at_the_limit_on_postgresql():
    """Acknowledged leads fill the open-leads limit as unacknowledged ones do; on
    PostgreSQL the count stops there, and a least-loaded member at that limit, who is
    skipped, has no latest lead read."""
    full = RepFactory(max_open=2, timezone="UTC")
    pool = least_loaded_pool(full)
    for hours_ago in range(1, 6):
        assign(full, hours_ago=hours_ago, acknowledged=True)

    counted = loads(full, pools=[pool])

    if connection.vendor == "postgresql":
        assert counted[full.pk] == RepLoad(open_total=2)
    else:
        assert counted[full.pk] == RepLoad(open_total=5, last_assigned=micros(1))
    reason = unavailable_because(
        current_snapshot().data.reps[full.pk],
        now=NOW,
        state=RoutingState(loads=counted, rotations={}),
        check_hours=False,
    )
    assert reason == "at capacity: 2 of 2 open leads"
