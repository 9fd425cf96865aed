"""The engine's side of account owners keeping their accounts: `ignore_capacity` on an
account-owner rule, and the owner passed over (`Decision.bypassed`) only when they were
away or full and the lead went to someone else."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from routing.engine import Bypassed, RepLoad, RoutingState
from territories.matching import AccountRecord
from tests.routing.engine_builders import NOW, data, lead, rep, rep_owner, route, rule, ruleset

ACME = AccountRecord(
    id=9,
    name="Acme Corp",
    normalized_name="acme",
    domains=("acme.com",),
    owner_rep_id=1,
    owner_name="Rep 1",
    tier="strategic",
)
FULL = RoutingState(loads={1: RepLoad(open_unacknowledged=2, open_total=2)})
ACME_LEAD = lead(email="cto@acme.com")


def owner_rule(*, ignore_capacity: bool):
    return replace(
        rule(1, {"named_account": True}, "account_owner"), ignore_capacity=ignore_capacity
    )


def decide_for(owner, *, ignore_capacity: bool, state: RoutingState = FULL, rules=None):
    reps = [owner, rep(6)]
    rules = rules or [owner_rule(ignore_capacity=ignore_capacity)]
    return route(ACME_LEAD, ruleset(rules, rep_owner(6)), data(reps, accounts=[ACME]), state)


def steps(decision, kind: str) -> list[dict]:
    return [step for step in decision.steps if step["step"] == kind]


def test_an_owner_at_capacity_is_kept_and_the_trace_says_so():
    decision = decide_for(rep(1, max_open=2), ignore_capacity=True)

    assert decision.rep_id == 1
    assert steps(decision, "kept") == [
        {
            "step": "kept",
            "rep": "Rep 1",
            "rep_id": 1,
            "reason": "at capacity: 2 of 2 open leads; kept as account owner",
        }
    ]
    assert decision.bypassed is None


def test_an_owner_under_their_limits_gets_the_lead_with_nothing_to_say():
    decision = decide_for(rep(1, max_open=5), ignore_capacity=True)

    assert decision.rep_id == 1
    assert steps(decision, "kept") == steps(decision, "skip") == []


def test_without_ignore_capacity_the_full_owner_is_passed_over_and_named():
    decision = decide_for(rep(1, max_per_day=0), ignore_capacity=False)

    assert decision.rep_id == 6
    assert decision.bypassed == Bypassed(1, "Acme Corp", "daily limit reached: 0 of 0 today")


def test_an_owner_out_of_office_is_passed_over_whatever_the_rule_says():
    away = rep(1, out_of_office_until=NOW + timedelta(hours=20))

    decision = decide_for(away, ignore_capacity=True, state=RoutingState())

    assert decision.rep_id == 6
    assert decision.bypassed == Bypassed(
        1, "Acme Corp", "out of office until 2026-11-25 11:00 (UTC)"
    )


def test_an_owner_outside_working_hours_keeps_the_lead():
    # A rep named by a rule is not held to working hours; the SLA may count them.
    night_owner = rep(1, shifts={1: ((0, 60),)})  # Tuesday 00:00-01:00; it is 15:00

    decision = decide_for(night_owner, ignore_capacity=False, state=RoutingState())

    assert decision.rep_id == 1


def test_an_owner_who_may_not_have_the_lead_is_not_to_be_told():
    inactive = decide_for(rep(1, is_active=False), ignore_capacity=True)
    excluded = decide_for(
        rep(1),
        ignore_capacity=True,
        state=RoutingState(exclude_rep_ids=frozenset({1})),
    )

    assert (inactive.rep_id, excluded.rep_id) == (6, 6)
    assert inactive.bypassed is None and excluded.bypassed is None


def test_an_owner_kept_by_a_later_rule_is_not_told_they_were_passed_over():
    strict = owner_rule(ignore_capacity=False)
    keeping = replace(owner_rule(ignore_capacity=True), id=2, name="Rule 2")

    decision = decide_for(rep(1, max_open=2), ignore_capacity=False, rules=[strict, keeping])

    assert decision.rep_id == 1
    assert decision.rule.id == 2
    assert decision.bypassed is None
