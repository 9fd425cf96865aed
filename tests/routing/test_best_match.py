"""Best-match pools: the rep whose skills cover most of what the lead needs."""

from __future__ import annotations

from dataclasses import replace

from routing.engine import Rotation, RoutingState
from routing.engine.matching import lead_needs
from tests.routing.engine_builders import data, lead, pool, pool_owner, rep, route, rule, ruleset


def skilled(rep_id: int, **skills: list[str]):
    return rep(
        rep_id,
        skills={
            kind: frozenset(value.casefold() for value in values) for kind, values in skills.items()
        },
    )


def decide(reps, the_pool, the_lead, state=None):
    the_ruleset = ruleset([rule(1, {}, "pool", pool_owner(10))], pool_owner(99))
    return route(the_lead, the_ruleset, data([*reps, rep(99)], [the_pool, pool(99, [99])]), state)


def pick_of(decision) -> dict:
    return next(step for step in decision.steps if step["step"] == "pick")


def test_the_lead_needs_come_from_fields_and_intent_attributes():
    needs = lead_needs(
        lead(
            product="CRM",
            industry="Healthcare",
            attributes={
                "language": "es",
                "technologies": "Salesforce, HubSpot",
                "interest": ["API"],
            },
        )
    )
    assert needs == {
        "products": frozenset({"crm", "api"}),
        "industries": frozenset({"healthcare"}),
        "languages": frozenset({"es"}),
        "technologies": frozenset({"salesforce", "hubspot"}),
    }


def test_the_rep_covering_most_needs_gets_the_lead_and_the_trace_counts():
    reps = [
        skilled(1, products=["CRM"]),
        skilled(2, products=["crm"], languages=["es"], technologies=["Salesforce"]),
        skilled(3, languages=["ES"]),
    ]
    the_lead = lead(product="CRM", attributes={"language": "es", "technologies": ["salesforce"]})
    decision = decide(reps, pool(10, [1, 2, 3], method="best_match"), the_lead)
    assert decision.rep_id == 2
    assert pick_of(decision)["why"] == (
        "best match by exact skills: product crm, language es, technology salesforce "
        "(3 of 3); others Rep 1 1, Rep 3 1"
    )


def test_equal_cover_goes_by_rotation():
    reps = [skilled(1, products=["CRM"]), skilled(2, products=["CRM"])]
    the_pool = pool(10, [1, 2], method="best_match")
    first = decide(reps, the_pool, lead(product="crm"))
    assert first.rep_id == 1
    state = RoutingState(rotations={10: Rotation(first.rotation.cursor)})
    assert decide(reps, the_pool, lead(product="crm"), state).rep_id == 2


def test_nobody_matching_takes_turns_or_falls_through_as_the_pool_says():
    reps = [skilled(1, products=["ERP"]), skilled(2, products=["HR"])]
    rotating = pool(10, [1, 2], method="best_match")
    decision = decide(reps, rotating, lead(product="CRM"))
    assert decision.rep_id == 1
    assert pick_of(decision)["why"] == "nobody matches (products crm); next in turn"

    strict = replace(rotating, no_match="fall_through")
    decision = decide(reps, strict, lead(product="CRM"))
    assert decision.rep_id == 99
    skip = next(step for step in decision.steps if step["step"] == "skip")
    assert skip["reason"] == "nobody has a skill the lead needs (products crm)"


def test_unavailable_members_are_not_matched():
    reps = [skilled(1, products=["CRM"]), skilled(2, products=["CRM"])]
    reps[0] = replace(reps[0], is_active=False)
    decision = decide(reps, pool(10, [1, 2], method="best_match"), lead(product="CRM"))
    assert decision.rep_id == 2


def test_with_message_similarity_the_closest_expertise_breaks_an_even_cover():
    reps = [skilled(1, products=["CRM"]), skilled(2, products=["CRM"])]
    state = RoutingState(similarity={1: 0.12, 2: 0.71})
    decision = decide(reps, pool(10, [1, 2], method="best_match"), lead(product="crm"), state)
    assert decision.rep_id == 2
    assert pick_of(decision)["why"] == (
        "best match by skills and meaning: product crm (1 of 1); message 0.71 like their "
        "expertise; others Rep 1 1"
    )


def test_meaning_alone_can_match_when_no_skill_does():
    reps = [skilled(1, products=["ERP"]), skilled(2, products=["HR"])]
    strict = replace(pool(10, [1, 2], method="best_match"), no_match="fall_through")
    state = RoutingState(similarity={1: 0.2, 2: 0.45})
    assert decide(reps, strict, lead(product="CRM"), state).rep_id == 2
