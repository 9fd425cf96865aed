"""Coming back is not catching up: a rep back from time off, or newly added to a pool,
takes their normal turn from then on; removing and re-adding a rep leaves everybody
else's turn where it was."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from itertools import pairwise

import pytest

from routing.engine import Rotation, RoutingState
from tests.routing.engine_builders import (
    NOW,
    data,
    lead,
    pool,
    pool_owner,
    rep,
    route,
    rule,
    ruleset,
)

AWAY = {
    "out_of_office_from": NOW - timedelta(days=1),
    "out_of_office_until": NOW + timedelta(days=1),
}


def run(the_pool, reps, count: int, rotations: dict | None = None):
    """Route `count` leads through `the_pool`, carrying the rotation; owners in order."""
    the_ruleset = ruleset([rule(1, {}, "pool", pool_owner(the_pool.id))], pool_owner(the_pool.id))
    the_data = data(reps, [the_pool])
    rotations = dict(rotations or {})
    owners = []
    for _ in range(count):
        decision = route(lead(), the_ruleset, the_data, RoutingState(rotations=rotations))
        owners.append(decision.rep_id)
        update = decision.rotation
        rotations[update.pool_id] = Rotation(update.cursor, update.weights)
    return owners, rotations


@pytest.mark.parametrize("method", ["round_robin", "weighted"])
def test_a_rep_back_from_time_off_gets_one_turn_per_round_not_a_burst(method):
    the_pool = pool(10, [1, 2, 3], method=method)
    away = [rep(1), rep(2), rep(3, **AWAY)]
    _, rotations = run(the_pool, away, 30)  # rep 3 misses 30 leads

    back, _ = run(the_pool, [rep(1), rep(2), rep(3)], 30, rotations)

    assert Counter(back) == {1: 10, 2: 10, 3: 10}
    # Every run of three leads has each rep once: spread, not caught up.
    assert all(len(set(back[i : i + 3])) == 3 for i in range(0, 30, 3))


@pytest.mark.parametrize("method", ["round_robin", "weighted"])
def test_a_new_member_takes_their_share_from_now_on(method):
    before = pool(10, [1, 2], method=method)
    _, rotations = run(before, [rep(1), rep(2)], 25)
    after = replace(
        before, members=(*before.members, replace(before.members[0], membership_id=1003, rep_id=3))
    )

    owners, _ = run(after, [rep(1), rep(2), rep(3)], 30, rotations)

    assert Counter(owners) == {1: 10, 2: 10, 3: 10}
    assert not any(a == b == 3 for a, b in pairwise(owners))


def test_removing_and_re_adding_a_rep_keeps_the_others_turns():
    the_pool = pool(10, [1, 2, 3, 4])
    owners, rotations = run(the_pool, [rep(i) for i in (1, 2, 3, 4)], 2)
    assert owners == [1, 2]  # rep 3 is next
    without_4 = replace(the_pool, members=the_pool.members[:3])
    owners, rotations = run(without_4, [rep(i) for i in (1, 2, 3)], 2, rotations)
    assert owners == [3, 1]
    re_added = replace(
        the_pool, members=(*the_pool.members[:3], replace(the_pool.members[3], membership_id=1099))
    )
    owners, _ = run(re_added, [rep(i) for i in (1, 2, 3, 4)], 4, rotations)
    assert owners == [2, 3, 4, 1]  # the rotation went on where it was; 4 at the end
