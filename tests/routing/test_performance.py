"""Performance pools: weights from conversion rates, smoothed, bounded, explained."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from reps.models import Pool
from routing.engine import Rotation, RoutingState
from routing.models import PoolRotation, Rule, RuleSet
from routing.services.performance import Outcomes, performance_weights, pools_performance_refresh
from routing.services.work import lead_record_outcome
from tests.factories import PoolMembershipFactory, RepFactory
from tests.routing.engine_builders import data, lead, pool, pool_owner, rep, route, rule, ruleset
from tests.team import submit


def test_weights_follow_conversion_smoothed_towards_the_pool_rate():
    # Pool: 6 converted of 30 decided = 20%.
    weights = performance_weights(
        {
            "strong": Outcomes(converted=4, decided=10),  # 40% raw
            "weak": Outcomes(converted=1, decided=10),  # 10% raw
            "new": Outcomes(converted=1, decided=1),  # 100% raw, one lucky outcome
            "idle": Outcomes(converted=0, decided=9),
        },
        window_days=30,
    )
    # smoothed = (converted + 10 * 0.2) / (decided + 10); weight = smoothed / 0.2
    assert weights["strong"][0] == 150  # (4 + 2) / 20 = 30%
    assert weights["weak"][0] == 75  # (1 + 2) / 20 = 15%
    assert weights["new"][0] == 136  # (1 + 2) / 11 = 27.3%: not 5x for one sale
    assert weights["idle"][0] == 53  # (0 + 2) / 19 = 10.5%
    assert (
        weights["strong"][1] == "converted 4 of 10 in 30 days, smoothed 30% against the pool's 20%"
    )


def test_weights_are_held_between_floor_and_ceiling():
    weights = performance_weights(
        {"star": Outcomes(50, 50), "others": Outcomes(1, 200)}, window_days=30
    )
    assert weights["star"][0] == 200 and weights["star"][1].endswith("(ceiling)")
    assert weights["others"][0] == 50 and weights["others"][1].endswith("(floor)")


def test_without_conversions_everyone_is_neutral():
    weights = performance_weights({"a": Outcomes(0, 3), "b": Outcomes()}, window_days=7)
    assert {weight for weight, _ in weights.values()} == {100}


def test_the_pool_shares_leads_by_the_weights_and_says_which():
    the_pool = pool(10, [1, 2], method="performance")
    rotation = Rotation(performance={1001: (150, "strong"), 1002: (50, "weak")})
    the_ruleset = ruleset([rule(1, {}, "pool", pool_owner(10))], pool_owner(10))
    the_data = data([rep(1), rep(2)], [the_pool])
    owners = []
    for _ in range(8):
        decision = route(lead(), the_ruleset, the_data, RoutingState(rotations={10: rotation}))
        owners.append(decision.rep_id)
        update = decision.rotation
        rotation = replace(rotation, cursor=update.cursor, weights=update.weights)
    assert Counter(owners) == {1: 6, 2: 2}  # 150 : 50
    pick = next(step for step in decision.steps if step["step"] == "pick")
    assert pick["why"].startswith("performance weight ")


def test_members_without_figures_yet_count_as_neutral():
    the_pool = pool(10, [1, 2], method="performance")
    the_ruleset = ruleset([rule(1, {}, "pool", pool_owner(10))], pool_owner(10))
    decision = route(lead(), the_ruleset, data([rep(1), rep(2)], [the_pool]))
    pick = next(step for step in decision.steps if step["step"] == "pick")
    assert "no outcomes yet: neutral weight" in pick["why"]


@pytest.mark.django_db
def test_refresh_reads_recorded_outcomes_into_the_rotation_row():
    team = Pool.objects.create(name="Closers", method=Pool.Method.PERFORMANCE)
    ana, bo = RepFactory(name="Ana"), RepFactory(name="Bo")
    memberships = {rep.pk: PoolMembershipFactory(pool=team, rep=rep) for rep in (ana, bo)}
    ruleset_ = RuleSet.objects.create(name="Inbound", is_active=True, fallback_pool=team)
    Rule.objects.create(ruleset=ruleset_, name="All", route_to="pool", route_pool=team)
    for n in range(4):
        lead_ = submit(email=f"lead{n}@prospect.com")
        outcome = "converted" if lead_.owner == ana else "disqualified"
        lead_record_outcome(lead=lead_, rep=lead_.owner, outcome=outcome)

    assert pools_performance_refresh() == 1

    stored = PoolRotation.objects.get(pool=team).performance
    assert (
        stored[str(memberships[ana.pk].pk)]["weight"]
        > 100
        > stored[str(memberships[bo.pk].pk)]["weight"]
    )
    assert "converted 2 of 2 in 30 days" in stored[str(memberships[ana.pk].pk)]["source"]
