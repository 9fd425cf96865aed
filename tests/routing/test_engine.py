"""The routing decision on hand-built snapshots: no database, no clock."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from reps.owners import Owner
from routing.engine import RepLoad, Rotation, RoutingState, choose, plan_escalation
from territories.matching import AccountRecord, TerritoryRecord
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

REPS = [rep(i) for i in range(1, 7)]


def _rotate(the_ruleset, the_data, count: int, state: RoutingState | None = None, **lead_fields):
    """Route `count` leads in a row, carrying the rotation forward as the service does."""
    state = state or RoutingState()
    owners = []
    for _ in range(count):
        decision = route(lead(**lead_fields), the_ruleset, the_data, state)
        owners.append(decision.rep_id)
        if decision.rotation:
            rotations = dict(state.rotations)
            rotations[decision.rotation.pool_id] = Rotation(
                decision.rotation.cursor, decision.rotation.weights
            )
            state = replace(state, rotations=rotations)
    return owners


# ------------------------------------------------------------------------ rules and routes


def test_first_matching_rule_wins_and_the_trace_says_why_earlier_ones_did_not():
    rules = [
        rule(1, {"employee_count": {"gte": 500}}, "rep", rep_owner(1)),
        rule(2, {"source": "pricing_page"}, "rep", rep_owner(2)),
        rule(3, {"source": {"in": ["pricing_page", "demo_request"]}}, "rep", rep_owner(3)),
    ]
    decision = route(
        lead(employee_count=40, source="Pricing_Page"), ruleset(rules, rep_owner(6)), data(REPS)
    )
    assert decision.rep_id == 2
    assert decision.rule.name == "Rule 2"
    first = decision.steps[0]
    assert first["rule"] == "Rule 1" and first["matched"] is False
    assert "employee_count ≥ 500" in first["reason"] and "40" in first["reason"]
    assert decision.steps[-1] == {"step": "assigned", "rep": "Rep 2", "rep_id": 2, "rule": "Rule 2"}


def test_no_rule_matching_goes_to_the_fallback():
    rules = [rule(1, {"source": "event"}, "rep", rep_owner(1))]
    decision = route(lead(source="demo_request"), ruleset(rules, rep_owner(5)), data(REPS))
    assert decision.rep_id == 5
    assert decision.rule is None
    assert any(step.get("fallback") for step in decision.steps)


def test_pool_route_picks_a_member():
    rules = [rule(1, {}, "pool", pool_owner(10))]
    decision = route(lead(), ruleset(rules, rep_owner(6)), data(REPS, [pool(10, [3, 4])]))
    assert decision.rep_id == 3
    assert decision.pool_id == 10
    assert decision.rotation.cursor == 1001


def test_territory_route_goes_to_the_territory_owner():
    west = TerritoryRecord(
        id=7,
        name="West",
        priority=100,
        countries=("US",),
        states=("CA", "OR"),
        postal_codes=(),
        industries=(),
        employee_count_min=None,
        employee_count_max=None,
        owner=rep_owner(4),
    )
    rules = [rule(1, {}, "territory")]
    decision = route(
        lead(country="US", state="CA"), ruleset(rules, rep_owner(6)), data(REPS, territories=[west])
    )
    assert decision.rep_id == 4
    assert decision.territory.name == "West"
    assert decision.steps[0]["step"] == "territory" and decision.steps[0]["matched"] is True


def test_territory_route_without_a_matching_territory_falls_through():
    rules = [rule(1, {}, "territory"), rule(2, {}, "rep", rep_owner(2))]
    decision = route(lead(country="DE"), ruleset(rules, rep_owner(6)), data(REPS))
    assert decision.rep_id == 2
    fell = next(step for step in decision.steps if step.get("rule") == "Rule 1")
    assert fell["fell_through"] == "no territory matches this lead"


ACME = AccountRecord(
    id=9,
    name="Acme Corp",
    normalized_name="acme",
    domains=("acme.com",),
    owner_rep_id=1,
    owner_name="Rep 1",
    tier="strategic",
)


def test_named_account_rule_routes_to_the_account_owner():
    rules = [rule(1, {"named_account": True}, "account_owner")]
    decision = route(
        lead(email="cto@eu.acme.com"), ruleset(rules, rep_owner(6)), data(REPS, accounts=[ACME])
    )
    assert decision.rep_id == 1
    assert decision.account.name == "Acme Corp"
    assert decision.steps[0]["by"] == "email domain"


def test_free_mail_never_matches_a_named_account_by_domain():
    gmail_account = replace(ACME, domains=("gmail.com",), normalized_name="gmail inc")
    rules = [rule(1, {"named_account": True}, "account_owner")]
    decision = route(
        lead(email="someone@gmail.com"),
        ruleset(rules, rep_owner(6)),
        data(REPS, accounts=[gmail_account]),
    )
    assert decision.rep_id == 6
    assert decision.account is None


def test_an_alternative_may_be_a_named_account_and_the_trace_says_which_held():
    accounts_or_events = {"any": [{"named_account": True}, {"source": "event"}]}
    rules = [rule(1, accounts_or_events, "account_owner"), rule(2, {}, "rep", rep_owner(2))]
    the_ruleset, the_data = ruleset(rules, rep_owner(6)), data(REPS, accounts=[ACME])

    acme = route(lead(email="cto@acme.com"), the_ruleset, the_data)
    assert acme.rep_id == 1
    assert acme.steps[1]["matched_on"] == ["a named account (alternative 1 of 2)"]

    # An event lead meets the rule too, but has no account to route to: it moves on.
    event = route(lead(email="x@else.com", source="event"), the_ruleset, the_data)
    assert event.rep_id == 2
    fell = next(step for step in event.steps if step.get("rule") == "Rule 1")
    assert fell["fell_through"] == "no named account matches this lead"
    assert fell["matched_on"] == ["source is event (alternative 2 of 2)"]

    webinar = route(lead(email="x@else.com", source="webinar"), the_ruleset, the_data)
    missed = next(step for step in webinar.steps if step.get("rule") == "Rule 1")
    assert missed["reason"] == (
        "needs a named account, or source is event; none held: a named account (none "
        "matches); source is event (the lead has 'webinar')"
    )


def test_work_email_condition():
    rules = [rule(1, {"work_email": True}, "rep", rep_owner(1))]
    the_ruleset, the_data = ruleset(rules, rep_owner(6)), data(REPS)
    assert route(lead(email="a@acme.com"), the_ruleset, the_data).rep_id == 1
    assert route(lead(email="a@gmail.com"), the_ruleset, the_data).rep_id == 6


def test_attribute_conditions():
    rules = [
        rule(1, {"attributes.plan": "enterprise", "attributes.trial": True}, "rep", rep_owner(1))
    ]
    the_ruleset, the_data = ruleset(rules, rep_owner(6)), data(REPS)
    assert (
        route(lead(attributes={"plan": "Enterprise", "trial": True}), the_ruleset, the_data).rep_id
        == 1
    )
    assert route(lead(attributes={"plan": "enterprise"}), the_ruleset, the_data).rep_id == 6


@pytest.mark.parametrize(
    ("when", "fields", "matches"),
    [
        ({"source": "demo_request"}, {"source": "DEMO_REQUEST"}, True),
        ({"source": {"eq": "demo_request"}}, {"source": "event"}, False),
        ({"source": {"ne": "event"}}, {"source": ""}, True),
        ({"country": ["US", "CA"]}, {"country": "CA"}, True),
        ({"country": {"in": ["US", "CA"]}}, {"country": "MX"}, False),
        ({"country": {"not_in": ["US"]}}, {"country": "MX"}, True),
        ({"country": {"not_in": ["US"]}}, {"country": "US"}, False),
        ({"employee_count": {"gte": 50, "lt": 500}}, {"employee_count": 50}, True),
        ({"employee_count": {"gte": 50, "lt": 500}}, {"employee_count": 500}, False),
        ({"employee_count": {"gt": 50}}, {"employee_count": None}, False),
        ({"employee_count": {"lte": 10}}, {"employee_count": 10}, True),
        ({"score": {"gt": 0.5}}, {"score": 0.7}, True),
        ({"postal_code": {"prefix": "10"}}, {"postal_code": "10012"}, True),
        ({"company": {"contains": "bank"}}, {"company": "First National BANK"}, True),
        ({"phone": {"exists": True}}, {"phone": ""}, False),
        ({"phone": {"exists": False}}, {"phone": ""}, True),
        (
            {"attributes.utm.campaign": {"prefix": "q4"}},
            {"attributes": {"utm": {"campaign": "Q4-launch"}}},
            True,
        ),
    ],
)
def test_every_operator(when, fields, matches):
    decision = route(
        lead(**fields), ruleset([rule(1, when, "rep", rep_owner(1))], rep_owner(6)), data(REPS)
    )
    assert (decision.rep_id == 1) is matches


def test_rule_sla_and_escalation_override_the_rule_set():
    escalate = pool_owner(20)
    rules = [rule(1, {}, "rep", rep_owner(1), ack_sla=timedelta(minutes=5), escalate_to=escalate)]
    decision = route(lead(), ruleset(rules, rep_owner(6), escalate_to=rep_owner(5)), data(REPS))
    assert decision.ack_sla == timedelta(minutes=5)
    assert decision.escalate_to == escalate
    fallback_decision = route(
        lead(), ruleset([], rep_owner(6), escalate_to=rep_owner(5)), data(REPS)
    )
    assert fallback_decision.ack_sla == timedelta(minutes=15)
    assert fallback_decision.escalate_to == rep_owner(5)


# ------------------------------------------------------------------- eligibility and skips


@pytest.mark.parametrize(
    ("change", "load", "reason"),
    [
        ({"is_active": False}, RepLoad(), "inactive"),
        (
            {
                "out_of_office_from": NOW - timedelta(days=1),
                "out_of_office_until": NOW + timedelta(days=2),
            },
            RepLoad(),
            "out of office until",
        ),
        (
            {"max_unacknowledged": 3},
            RepLoad(open_unacknowledged=3, open_total=3),
            "at capacity: 3 of 3 unacknowledged leads",
        ),
        # Acknowledged leads count against the open limit too.
        ({"max_open": 3}, RepLoad(open_total=3), "at capacity: 3 of 3 open leads"),
        ({"max_per_day": 5}, RepLoad(assigned_today=5), "daily limit reached: 5 of 5"),
    ],
)
def test_each_unavailable_rep_is_skipped_with_the_reason(change, load, reason):
    reps = [rep(1, **change), rep(2)]
    rules = [rule(1, {}, "pool", pool_owner(10))]
    state = RoutingState(loads={1: load})
    decision = route(lead(), ruleset(rules, rep_owner(2)), data(reps, [pool(10, [1, 2])]), state)
    assert decision.rep_id == 2
    skip = next(step for step in decision.steps if step["step"] == "skip")
    assert skip["rep_id"] == 1 and reason in skip["reason"]


def test_out_of_office_that_has_ended_does_not_skip():
    reps = [
        rep(
            1,
            out_of_office_from=NOW - timedelta(days=3),
            out_of_office_until=NOW - timedelta(hours=1),
        )
    ]
    decision = route(lead(), ruleset([rule(1, {}, "rep", rep_owner(1))], rep_owner(1)), data(reps))
    assert not any(step["step"] == "skip" for step in decision.steps)


def test_working_hours_count_only_where_the_pool_asks_for_them():
    # 15:00 UTC on a Tuesday is 07:00 in Los Angeles: before a 9-to-5 shift.
    nine_to_five = {day: ((540, 1020),) for day in range(5)}
    la = rep(1, timezone=ZoneInfo("America/Los_Angeles"), shifts=nine_to_five)
    the_data = data([la, rep(2)], [pool(10, [1, 2], hours=True), pool(11, [1, 2])])
    strict = route(lead(), ruleset([rule(1, {}, "pool", pool_owner(10))], rep_owner(2)), the_data)
    assert strict.rep_id == 2
    assert "outside working hours (Tue 07:00 America/Los_Angeles)" in strict.steps[1]["reason"]
    relaxed = route(lead(), ruleset([rule(1, {}, "pool", pool_owner(11))], rep_owner(2)), the_data)
    assert relaxed.rep_id == 1


def test_excluded_reps_and_agents_are_skipped():
    reps = [rep(1), rep(2, kind="agent"), rep(3)]
    the_ruleset = ruleset([rule(1, {}, "pool", pool_owner(10))], rep_owner(3))
    state = RoutingState(exclude_rep_ids=frozenset({1}), exclude_agents=True)
    decision = route(lead(), the_ruleset, data(reps, [pool(10, [1, 2, 3])]), state)
    assert decision.rep_id == 3
    reasons = [step["reason"] for step in decision.steps if step["step"] == "skip"]
    assert reasons == [
        "let this lead expire before",
        "an AI agent, and the lead is being handed to a person",
    ]


def test_a_pool_with_nobody_eligible_falls_through_to_the_next_rule():
    reps = [rep(1, is_active=False), rep(2, is_active=False), rep(3)]
    rules = [rule(1, {}, "pool", pool_owner(10)), rule(2, {}, "rep", rep_owner(3))]
    decision = route(lead(), ruleset(rules, rep_owner(3)), data(reps, [pool(10, [1, 2])]))
    assert decision.rep_id == 3 and decision.rule.name == "Rule 2"
    fell = next(step for step in decision.steps if step["step"] == "fell_through")
    assert fell == {
        "step": "fell_through",
        "rule": "Rule 1",
        "reason": "nobody eligible in pool Pool 10",
    }


def test_the_fallback_answers_even_when_nobody_is_available():
    reps = [rep(1, max_open=1), rep(2, max_open=1)]
    state = RoutingState(loads={1: RepLoad(1, 1, 1), 2: RepLoad(1, 1, 1)})
    decision = route(lead(), ruleset([], pool_owner(10)), data(reps, [pool(10, [1, 2])]), state)
    assert decision.rep_id == 1
    assert decision.relaxed is True


def test_nobody_at_all_leaves_the_lead_unassigned_with_the_reason():
    reps = [rep(1, is_active=False)]
    decision = route(lead(), ruleset([], rep_owner(1)), data(reps))
    assert decision.rep_id is None
    assert decision.steps[-1]["step"] == "unassigned"


# --------------------------------------------------------------------------- distribution


def test_round_robin_is_a_strict_rotation():
    the_ruleset = ruleset([rule(1, {}, "pool", pool_owner(10))], rep_owner(6))
    assert _rotate(the_ruleset, data(REPS, [pool(10, [1, 2, 3])]), 7) == [1, 2, 3, 1, 2, 3, 1]


def test_round_robin_skips_an_unavailable_member_and_keeps_the_turn_order():
    reps = [rep(1), rep(2, is_active=False), rep(3)]
    the_ruleset = ruleset([rule(1, {}, "pool", pool_owner(10))], rep_owner(6))
    assert _rotate(the_ruleset, data(reps, [pool(10, [1, 2, 3])]), 4) == [1, 3, 1, 3]


def test_round_robin_continues_after_the_last_pick_even_if_that_member_left():
    the_pool = pool(10, [1, 2, 3])
    without_rep_2 = replace(the_pool, members=(the_pool.members[0], the_pool.members[2]))
    state = RoutingState(rotations={10: Rotation(cursor=1002)})  # rep 2 had the last lead
    the_ruleset = ruleset([rule(1, {}, "pool", pool_owner(10))], rep_owner(6))
    assert _rotate(the_ruleset, data(REPS, [without_rep_2]), 3, state) == [3, 1, 3]


def test_weighted_rotation_gives_each_member_its_weight_spread_out():
    the_pool = pool(10, [1, 2, 3], method="weighted", weights={1: 3, 2: 2, 3: 1})
    the_ruleset = ruleset([rule(1, {}, "pool", pool_owner(10))], rep_owner(6))
    owners = _rotate(the_ruleset, data(REPS, [the_pool]), 12)
    # Ties go to whoever is next in turn after the last pick.
    assert owners[:6] == [1, 2, 3, 1, 2, 1]
    assert owners[6:] == owners[:6]  # every cycle of sum(weights) leads is exact
    cycle = owners[:6]
    assert all(a != b for a, b in itertools.pairwise(cycle))  # spread, not bursts
    assert [owners.count(rep_id) for rep_id in (1, 2, 3)] == [6, 4, 2]


def test_least_loaded_picks_the_fewest_open_leads_and_a_tie_by_the_longest_wait():
    the_ruleset = ruleset([rule(1, {}, "pool", pool_owner(10))], rep_owner(6))
    the_data = data(REPS, [pool(10, [1, 2, 3], method="least_loaded")])
    busy = RoutingState(loads={1: RepLoad(0, 4, 0), 2: RepLoad(0, 1, 0), 3: RepLoad(0, 2, 0)})
    decision = route(lead(), the_ruleset, the_data, busy)
    assert decision.rep_id == 2
    assert "fewest open leads (1)" in decision.steps[-2]["why"]
    # It keeps no rotation: none is written, and one given is not looked at.
    assert decision.rotation is None
    # Three open leads each: rep 3's latest lead came longest ago.
    tied = RoutingState(
        loads={
            1: RepLoad(0, 3, 0, last_assigned=300),
            2: RepLoad(0, 3, 0, last_assigned=500),
            3: RepLoad(0, 3, 0, last_assigned=100),
        },
        rotations={10: Rotation(cursor=1003)},
    )
    assert route(lead(), the_ruleset, the_data, tied).rep_id == 3
    never = RoutingState(loads={rep_id: RepLoad() for rep_id in (1, 2, 3)})
    assert route(lead(), the_ruleset, the_data, never).rep_id == 1  # member order


def test_the_decision_records_the_rule_set_version_inputs():
    rules = [rule(1, {}, "rep", rep_owner(1))]
    decision = route(lead(), ruleset(rules, rep_owner(6)), data(REPS))
    assert decision.rule.id == 1
    assert isinstance(decision.steps, tuple)
    assert all(isinstance(step, dict) for step in decision.steps)
    assert Owner("rep", 1, "Rep 1") == rules[0].target


# ----------------------------------------------------------------------------- escalation


def _escalate(the_ruleset, the_rule, the_data, state: RoutingState):
    the_plan = plan_escalation(lead(), ruleset=the_ruleset, rule=the_rule)
    return choose(the_plan, data=the_data, state=state, now=NOW)


def test_escalation_goes_to_the_rules_target_through_its_pool_and_keeps_the_rule():
    first = rule(1, {}, "rep", rep_owner(1), escalate_to=pool_owner(20), ack_sla=timedelta(1))
    the_ruleset = ruleset([first], rep_owner(9), escalate_to=rep_owner(8))
    the_data = data([rep(1), rep(2), rep(3), rep(8), rep(9)], [pool(20, [1, 2, 3])])
    state = RoutingState(exclude_rep_ids=frozenset({1}))

    decision = _escalate(the_ruleset, first, the_data, state)

    assert decision.rep_id == 2  # rep 1 let it expire: skipped, the rotation moves on
    assert decision.rule == first and decision.ack_sla == timedelta(1)
    assert decision.rotation.pool_id == 20
    assert decision.steps[0] == {"step": "escalation", "route": "pool Pool 20"}
    assert decision.steps[1]["reason"] == "let this lead expire before"


def test_escalation_without_a_rule_target_uses_the_rule_sets():
    the_ruleset = ruleset([], rep_owner(9), escalate_to=rep_owner(8))
    decision = _escalate(the_ruleset, None, data([rep(8), rep(9)]), RoutingState())
    assert decision.rep_id == 8


def test_escalation_falls_to_the_fallback_when_the_target_has_nobody():
    the_ruleset = ruleset([], rep_owner(9), escalate_to=rep_owner(8))
    the_data = data([rep(8, is_active=False), rep(9)])
    decision = _escalate(the_ruleset, None, the_data, RoutingState())
    assert decision.rep_id == 9
    assert {
        "step": "fell_through",
        "escalation": True,
        "reason": "nobody eligible in rep Rep 8",
    } in (decision.steps)


def test_escalation_with_no_target_set_says_so_and_uses_the_fallback():
    the_ruleset = ruleset([], rep_owner(9))
    decision = _escalate(the_ruleset, None, data([rep(9)]), RoutingState())
    assert decision.rep_id == 9
    assert decision.steps[0] == {"step": "escalation", "reason": "no escalation target is set"}


def test_escalation_never_returns_to_a_rep_who_let_the_lead_expire_even_as_fallback():
    the_ruleset = ruleset([], rep_owner(9), escalate_to=rep_owner(8))
    state = RoutingState(exclude_rep_ids=frozenset({8, 9}))
    decision = _escalate(the_ruleset, None, data([rep(8), rep(9)]), state)
    assert decision.rep_id is None
