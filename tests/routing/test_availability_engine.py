"""The engine's side of a rep's own availability: a paused rep gets no new leads from
any route, and an account owner out of office hands their account's leads to their
cover, who is held to what the owner would have been."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from routing.engine import Bypassed, RepLoad, RoutingState
from territories.matching import AccountRecord
from tests.routing.engine_builders import (
    NOW,
    data,
    lead,
    pool,
    pool_owner,
    rep,
    rep_owner,
    route,
    rule,
    ruleset,
)

ACME = AccountRecord(
    id=9,
    name="Acme Corp",
    normalized_name="acme",
    domains=("acme.com",),
    owner_rep_id=1,
    owner_name="Rep 1",
    tier="strategic",
)
ACME_LEAD = lead(email="cto@acme.com")
AWAY = {
    "out_of_office_from": NOW - timedelta(hours=1),
    "out_of_office_until": NOW + timedelta(days=2),
}
AWAY_REASON = "out of office until 2026-11-26 15:00 (UTC)"
OWNER_RULE = rule(1, {"named_account": True}, "account_owner")


def decide_account_lead(owner, *others, rules=(OWNER_RULE,), state=None):
    reps = [owner, *others, rep(6)]
    return route(ACME_LEAD, ruleset(list(rules), rep_owner(6)), data(reps, accounts=[ACME]), state)


def steps(decision, kind: str) -> list[dict]:
    return [step for step in decision.steps if step["step"] == kind]


def test_a_paused_rep_is_skipped_by_a_pool_and_the_next_member_gets_the_lead():
    reps = [rep(1, paused=True), rep(2)]
    the_ruleset = ruleset([rule(1, {}, "pool", pool_owner(1))], rep_owner(2))

    decision = route(lead(), the_ruleset, data(reps, [pool(1, [1, 2])]))

    assert decision.rep_id == 2
    assert ("Rep 1", "paused new leads") in [
        (step.get("rep"), step.get("reason")) for step in steps(decision, "skip")
    ]


def test_a_paused_rep_named_by_a_rule_is_passed_over_to_the_fallback():
    the_ruleset = ruleset([rule(1, {}, "rep", rep_owner(1))], rep_owner(2))

    decision = route(lead(), the_ruleset, data([rep(1, paused=True), rep(2)]))

    assert decision.rep_id == 2


def test_a_paused_account_owner_is_passed_over_and_told_even_with_a_cover():
    # The cover stands in for planned time away, not for a pause.
    decision = decide_account_lead(rep(1, paused=True, cover_rep_id=2), rep(2))

    assert decision.rep_id == 6
    assert decision.bypassed == Bypassed(1, "Acme Corp", "paused new leads")
    assert steps(decision, "cover") == []


def test_a_paused_account_owner_is_not_kept_by_a_rule_that_ignores_capacity():
    keeping = replace(OWNER_RULE, ignore_capacity=True)

    decision = decide_account_lead(rep(1, paused=True), rules=(keeping,))

    assert decision.rep_id == 6
    assert steps(decision, "kept") == []


def test_the_cover_of_an_owner_out_of_office_gets_the_account_lead_and_the_trace_says_so():
    decision = decide_account_lead(rep(1, cover_rep_id=2, **AWAY), rep(2))

    assert decision.rep_id == 2
    assert steps(decision, "skip") == [
        {"step": "skip", "rep": "Rep 1", "rep_id": 1, "reason": AWAY_REASON}
    ]
    assert steps(decision, "cover") == [
        {
            "step": "cover",
            "rep": "Rep 2",
            "rep_id": 2,
            "covering_for": "Rep 1",
            "reason": f"covering for Rep 1, {AWAY_REASON}",
        }
    ]
    # The owner hears where their account's lead went.
    assert decision.bypassed == Bypassed(1, "Acme Corp", AWAY_REASON)


def test_an_owner_back_from_time_away_gets_their_account_lead_again_not_the_cover():
    over = {"out_of_office_from": NOW - timedelta(days=3), "out_of_office_until": NOW}

    decision = decide_account_lead(rep(1, cover_rep_id=2, **over), rep(2))

    assert decision.rep_id == 1
    assert decision.bypassed is None


def test_a_cover_who_is_away_too_is_skipped_and_the_lead_falls_through():
    decision = decide_account_lead(rep(1, cover_rep_id=2, **AWAY), rep(2, paused=True))

    assert decision.rep_id == 6
    assert {
        "step": "skip",
        "rep": "Rep 2",
        "rep_id": 2,
        "covering_for": "Rep 1",
        "reason": "paused new leads (the cover)",
    } in decision.steps
    assert steps(decision, "cover") == []
    assert decision.bypassed == Bypassed(1, "Acme Corp", AWAY_REASON)


def test_a_cover_at_capacity_is_kept_only_where_the_rule_ignores_capacity():
    full = RoutingState(loads={2: RepLoad(open_unacknowledged=1, open_total=1)})
    owner, cover = rep(1, cover_rep_id=2, **AWAY), rep(2, max_open=1)

    strict = decide_account_lead(owner, cover, state=full)
    keeping = decide_account_lead(
        owner, cover, state=full, rules=(replace(OWNER_RULE, ignore_capacity=True),)
    )

    assert strict.rep_id == 6
    assert keeping.rep_id == 2
    assert steps(keeping, "kept") == [
        {
            "step": "kept",
            "rep": "Rep 2",
            "rep_id": 2,
            "reason": "at capacity: 1 of 1 open leads; kept as cover",
        }
    ]


def test_an_inactive_cover_is_skipped():
    decision = decide_account_lead(rep(1, cover_rep_id=2, **AWAY), rep(2, is_active=False))

    assert decision.rep_id == 6
    assert "inactive (the cover)" in [step.get("reason") for step in decision.steps]


def test_a_cover_takes_only_account_owner_leads_not_the_owners_pool_or_rule_leads():
    owner = rep(1, cover_rep_id=2, **AWAY)
    the_ruleset = ruleset([rule(1, {}, "rep", rep_owner(1))], rep_owner(6))

    decision = route(lead(), the_ruleset, data([owner, rep(2), rep(6)]))

    assert decision.rep_id == 6
    assert steps(decision, "cover") == []
