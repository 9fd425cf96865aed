"""Weights for performance pools, from each rep's recorded outcomes.

A rep's conversion rate over the pool's window (converted among converted + disqualified)
is smoothed towards the pool's rate as if each rep had PRIOR_OUTCOMES more outcomes at
that rate: a new rep with two lucky or unlucky outcomes starts near the pool's average,
neither starved nor flooded. The weight is the smoothed rate against the pool's, held
between FLOOR and CEILING. A periodic task writes the weights into each pool's rotation
row, which routing reads (and locks) anyway: deciding costs no extra query.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from reps.models import Pool
from routing.models import Lead, LeadEvent, PoolRotation

PRIOR_OUTCOMES = 10
FLOOR, CEILING = 0.5, 2.0
FINAL = (Lead.Status.CONVERTED, Lead.Status.DISQUALIFIED)


@dataclass(frozen=True)
class Outcomes:
    converted: int = 0
    decided: int = 0  # converted + disqualified


def performance_weights(
    outcomes: Mapping[int, Outcomes], *, window_days: int
) -> dict[int, tuple[int, str]]:
    """Per member (any key): (weight in hundredths, where it came from, in words)."""
    converted = sum(figures.converted for figures in outcomes.values())
    decided = sum(figures.decided for figures in outcomes.values())
    if not converted:
        why = f"no conversions in the pool in {window_days} days: neutral weight"
        return {member: (100, why) for member in outcomes}
    pool_rate = converted / decided
    weights = {}
    for member, figures in outcomes.items():
        smoothed = (figures.converted + PRIOR_OUTCOMES * pool_rate) / (
            figures.decided + PRIOR_OUTCOMES
        )
        ratio = smoothed / pool_rate
        bound = " (floor)" if ratio < FLOOR else " (ceiling)" if ratio > CEILING else ""
        weight = min(max(ratio, FLOOR), CEILING)
        weights[member] = (
            round(weight * 100),
            f"converted {figures.converted} of {figures.decided} in {window_days} days, "
            f"smoothed {smoothed:.0%} against the pool's {pool_rate:.0%}{bound}",
        )
    return weights


def pools_performance_refresh(*, now: datetime | None = None) -> int:
    """Recompute the weights of every performance pool; returns how many pools."""
    now = now or timezone.now()
    pools = Pool.objects.filter(method=Pool.Method.PERFORMANCE).prefetch_related("memberships")
    for pool in pools:
        members = {membership.rep_id: membership.id for membership in pool.memberships.all()}
        by_rep = _outcomes(set(members), since=now - timedelta(days=pool.performance_window_days))
        weights = performance_weights(
            {members[rep]: by_rep.get(rep, Outcomes()) for rep in members},
            window_days=pool.performance_window_days,
        )
        with transaction.atomic():
            PoolRotation.objects.get_or_create(pool=pool)
            PoolRotation.objects.filter(pool=pool).update(
                performance={
                    str(member): {"weight": weight, "source": source}
                    for member, (weight, source) in weights.items()
                }
            )
    return len(pools)


def _outcomes(rep_ids: set[int], *, since: datetime) -> dict[int, Outcomes]:
    """Each rep's final outcomes in the window: the last one recorded per lead."""
    events = (
        LeadEvent.objects.filter(
            kind=LeadEvent.Kind.OUTCOME,
            at__gte=since,
            assignment__rep_id__in=rep_ids,
            data__outcome__in=FINAL,
        )
        .order_by("at", "id")
        .values_list("lead_id", "assignment__rep_id", "data__outcome")
    )
    last = {lead: (rep, outcome) for lead, rep, outcome in events}
    converted = Counter(rep for rep, outcome in last.values() if outcome == Lead.Status.CONVERTED)
    decided = Counter(rep for rep, _ in last.values())
    return {rep: Outcomes(converted[rep], decided[rep]) for rep in decided}
