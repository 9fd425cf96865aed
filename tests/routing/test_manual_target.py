"""The engine's choice when a manager names the target (pure: no database)."""

from __future__ import annotations

from datetime import timedelta

from routing.engine import RepLoad, RoutingState, choose_target
from tests.routing.engine_builders import (
    NOW,
    data,
    lead,
    pool,
    pool_owner,
    rep,
    rep_owner,
    rule,
    ruleset,
)

WHY = {"step": "reassigned", "by": "Mia", "by_user_id": 7, "reason": "Ana is off sick"}
DEMO = rule(1, {"source": "demo_request"}, "rep", rep_owner(1), ack_sla=timedelta(minutes=5))
INBOUND = ruleset([DEMO], rep_owner(9))


def choose(target, team, state=None):
    return choose_target(
        lead(source="demo_request"),
        target=target,
        ruleset=INBOUND,
        rule=DEMO,
        data=team,
        state=state or RoutingState(),
        now=NOW,
        why=WHY,
    )


def test_a_rep_named_by_a_manager_gets_the_lead_though_away_and_full_with_the_rules_sla():
    away_and_full = rep(
        2, out_of_office_until=NOW + timedelta(days=1), max_open=1, max_unacknowledged=1
    )
    state = RoutingState(loads={2: RepLoad(1, 1, 1, 0)})

    decision = choose(rep_owner(2), data([rep(1), away_and_full, rep(9)]), state)

    assert decision.rep_id == 2
    assert decision.ack_due_at == NOW + timedelta(minutes=5)
    assert decision.steps[0] == WHY
    assert decision.steps[1] == {"step": "manual", "route": "rep Rep 2"}


def test_an_inactive_rep_named_by_a_manager_gets_nothing():
    decision = choose(rep_owner(2), data([rep(1), rep(2, is_active=False), rep(9)]))

    assert decision.rep_id is None
    assert decision.ack_due_at is None
    assert decision.steps[-1]["step"] == "unassigned"


def test_a_pool_picks_the_next_available_member_other_than_the_current_owner():
    team = data(
        [rep(1), rep(2), rep(3, out_of_office_until=NOW + timedelta(hours=1)), rep(4), rep(9)],
        [pool(5, [2, 3, 4])],
    )

    decision = choose(pool_owner(5), team, RoutingState(moving_from=2))

    assert decision.rep_id == 4
    assert decision.pool_id == 5
    assert decision.rotation is not None
    skipped = {
        step.get("rep_id"): step["reason"] for step in decision.steps if step["step"] == "skip"
    }
    assert skipped[2] == "has the lead now: a manager is moving it on"
    assert skipped[3].startswith("out of office")


def test_a_pool_with_nobody_available_now_gives_no_owner():
    team = data([rep(1), rep(2, is_active=False), rep(9)], [pool(5, [2])])

    decision = choose(pool_owner(5), team)

    assert decision.rep_id is None
    assert decision.steps[-1] == {
        "step": "unassigned",
        "reason": "nobody in pool Pool 5 can take it now",
    }
