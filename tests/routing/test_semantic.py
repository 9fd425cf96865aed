"""Semantic matching with the model shipped in the `semantic` extra.

Runs where the extra is installed (CI's PostgreSQL pass installs it and sets
REQUIRE_SEMANTIC=1, so there a missing extra fails instead of skipping)."""

from __future__ import annotations

import os

import pytest

from reps.models import Pool
from routing import semantic
from routing.models import Rule, RuleSet
from tests.factories import PoolMembershipFactory, RepFactory
from tests.team import submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _the_extra():
    if not semantic.available():
        message = "semantic matching is not installed (pip install .[semantic])"
        if os.environ.get("REQUIRE_SEMANTIC"):
            pytest.fail(message)
        pytest.skip(message)


def test_a_message_is_closest_to_the_expertise_it_is_about():
    vectors = semantic.expertise_vectors(
        {
            1: "Payments, card processing, fraud prevention and checkout for online stores.",
            2: "Hospital and clinic software: patient records, scheduling, HIPAA compliance.",
        }
    )
    scores = semantic.similarities(
        "Our clinic needs a better way to keep patient records and book appointments.",
        vectors,
        [1, 2],
    )
    assert scores[2] > scores[1]
    assert scores[2] >= 0.3 > scores[1]


def test_a_best_match_pool_sends_the_lead_to_the_expertise_its_message_describes():
    experts = Pool.objects.create(name="Experts", method=Pool.Method.BEST_MATCH)
    payments = RepFactory(name="Pay", expertise="Payments, card processing and online checkout.")
    health = RepFactory(name="Health", expertise="Clinic software, patient records, HIPAA.")
    for member in (payments, health):
        PoolMembershipFactory(pool=experts, rep=member)
    ruleset = RuleSet.objects.create(name="Inbound", is_active=True, fallback_rep=payments)
    Rule.objects.create(ruleset=ruleset, name="All", route_to="pool", route_pool=experts)

    lead = submit(message="We run three clinics and need patient records and scheduling.")

    assert lead.owner == health
    pick = next(step for step in lead.decisions.get().steps if step["step"] == "pick")
    assert pick["why"].startswith("best match by skills and meaning: no skill (0 of 0); message")
