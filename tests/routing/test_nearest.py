"""The nearest pool: the closest eligible rep to the lead, great-circle, within a radius."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reps.models import Pool
from routing.engine import Rotation, RoutingState
from routing.models import Rule, RuleSet
from territories import geo
from tests.factories import PoolMembershipFactory, RepFactory
from tests.routing.engine_builders import (
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
from tests.team import submit


def nearest_pool(*rep_ids: int, max_km: float | None = None):
    return replace(pool(10, list(rep_ids), method="nearest"), max_distance_km=max_km)


def at(latitude: float, longitude: float) -> dict:
    return {"attributes": {"latitude": latitude, "longitude": longitude}}


def decide_nearest(reps, the_pool, the_lead, state=None):
    the_ruleset = ruleset([rule(1, {}, "pool", pool_owner(10))], rep_owner(99))
    return route(the_lead, the_ruleset, data([*reps, rep(99)], [the_pool]), state)


def test_the_closest_rep_gets_the_lead_and_the_trace_shows_every_distance():
    reps = [rep(1, location=(0.0, 2.0)), rep(2, location=(0.0, 1.0))]
    decision = decide_nearest(reps, nearest_pool(1, 2), lead(**at(0, 0)))
    assert decision.rep_id == 2
    pick = next(step for step in decision.steps if step["step"] == "pick")
    assert pick["why"] == "nearest: Rep 2 111.2 km, Rep 1 222.4 km"


def test_equal_distances_go_by_rotation():
    reps = [rep(1, location=(0.0, 1.0)), rep(2, location=(1.0, 0.0))]
    the_pool = nearest_pool(1, 2)
    first = decide_nearest(reps, the_pool, lead(**at(0, 0)))
    assert first.rep_id == 1
    update = first.rotation
    state = RoutingState(rotations={10: Rotation(update.cursor, update.weights)})
    assert decide_nearest(reps, the_pool, lead(**at(0, 0)), state).rep_id == 2


def test_nobody_within_the_radius_falls_through_to_the_next_rule():
    reps = [rep(1, location=(0.0, 2.0))]
    decision = decide_nearest(reps, nearest_pool(1, max_km=150), lead(**at(0, 0)))
    assert decision.rep_id == 99  # the fallback
    skip = next(step for step in decision.steps if step["step"] == "skip")
    assert skip["reason"] == "nobody within 150 km (Rep 1 222.4 km)"


def test_a_lead_without_a_location_falls_through_and_says_why():
    reps = [rep(1, location=(0.0, 1.0))]
    decision = decide_nearest(reps, nearest_pool(1), lead(country="DE", postal_code="10115"))
    assert decision.rep_id == 99
    assert any("the lead has no location" in step.get("reason", "") for step in decision.steps)


def test_a_rep_without_a_location_is_skipped_and_unavailable_reps_too():
    reps = [rep(1), rep(2, location=(0.0, 3.0)), rep(3, location=(0.0, 1.0), is_active=False)]
    decision = decide_nearest(reps, nearest_pool(1, 2, 3), lead(**at(0, 0)))
    assert decision.rep_id == 2
    reasons = {step["rep"]: step["reason"] for step in decision.steps if step["step"] == "skip"}
    assert reasons == {"Rep 1": "no location on file", "Rep 3": "inactive"}


def test_us_zip_codes_are_places():
    newark, boston = geo.us_zip_point("07102"), geo.us_zip_point("02108-1234")
    reps = [rep(1, location=boston), rep(2, location=newark)]
    decision = decide_nearest(reps, nearest_pool(1, 2), lead(country="US", postal_code="10001"))
    assert decision.rep_id == 2
    pick = next(step for step in decision.steps if step["step"] == "pick")
    assert pick["why"] == "nearest: Rep 2 15.3 km, Rep 1 302.3 km"


@pytest.mark.parametrize(
    ("latitude", "longitude", "point"),
    [("40.7", "-74", (40.7, -74.0)), (91, 0, None), ("north", 0, None), (None, None, None)],
)
def test_coordinates_in_the_payload_are_checked(latitude, longitude, point):
    assert geo.point(latitude, longitude) == point


@pytest.mark.django_db
def test_reps_are_placed_by_their_coordinates_or_their_zip_code():
    field = Pool.objects.create(name="Field reps", method=Pool.Method.NEAREST, max_distance_km=80)
    boston = RepFactory(name="Boston", postal_code="02108")
    newark = RepFactory(name="Newark", latitude=40.7357, longitude=-74.1724)
    for member in (boston, newark):
        PoolMembershipFactory(pool=field, rep=member)
    ruleset = RuleSet.objects.create(name="Field", is_active=True, fallback_rep=boston)
    Rule.objects.create(ruleset=ruleset, name="Visits", route_to="pool", route_pool=field)

    assert submit(country="US", postal_code="10001").owner == newark
    far = submit(email="far@prospect.com", country="US", postal_code="94103")  # San Francisco
    assert far.owner == boston  # nobody within 80 km: the fallback
    steps = far.decisions.get().steps
    assert any(step.get("reason", "").startswith("nobody within 80 km") for step in steps)
