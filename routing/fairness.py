"""The fairness panel: per pool, the leads each member got against the share they were due.

A rotation promises each member a share of its turns by weight, among the members who
could take a lead at that moment. So each turn (a lead given by the pool to a member) is
shared out, by weight, among the members who were there when it was given: active, not
out of office and, for a pool that respects working hours, within them, as each rep was
then according to their history. A member away for half the period is due about half as
many leads. What the history cannot replay is not accounted for and the figures say so:
capacity caps (they depend on every lead's state at that moment), a member left out of
one lead because they let it expire before, and who was in the pool then (today's members
are counted for the whole period).
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reps.models import Pool, Rep
from routing.engine.eligibility import away_because
from routing.engine.types import RepProfile
from routing.models import RoutingDecision
from routing.snapshot import rep_profile

ROTATION_METHODS = (Pool.Method.ROUND_ROBIN, Pool.Method.WEIGHTED)

EXPECTED_ACCOUNTS_FOR = ("weights", "inactive", "out_of_office")
EXPECTED_ACCOUNTS_FOR_WITH_HOURS = (*EXPECTED_ACCOUNTS_FOR, "working_hours")
EXPECTED_DOES_NOT_ACCOUNT_FOR = (
    "capacity_caps",
    "left_out_after_letting_the_lead_expire",
    "pool_membership_changes",
)


@dataclass(frozen=True)
class RepTimeline:
    """A rep as they were at any moment: their history records by time."""

    since: list[datetime]
    profiles: list[RepProfile]

    def at(self, moment: datetime) -> RepProfile:
        # Before the first record (a rep older than their history) the first one is the
        # best knowledge there is.
        return self.profiles[max(0, bisect.bisect_right(self.since, moment) - 1)]

    def available_at(self, moment: datetime, *, check_hours: bool) -> bool:
        profile = self.at(moment)
        return (
            profile.is_active and away_because(profile, now=moment, check_hours=check_hours) is None
        )


def rep_timelines(*, rep_ids: set[int]) -> dict[int, RepTimeline]:
    since: dict[int, list[datetime]] = defaultdict(list)
    profiles: dict[int, list[RepProfile]] = defaultdict(list)
    for record in Rep.history.filter(id__in=rep_ids).order_by("id", "history_date", "history_id"):
        since[record.id].append(record.history_date)
        profiles[record.id].append(rep_profile(record, place_by_zip=False))
    for rep in Rep.objects.filter(pk__in=rep_ids - set(since)):
        since[rep.pk].append(rep.created_at)
        profiles[rep.pk].append(rep_profile(rep, place_by_zip=False))
    return {rep_id: RepTimeline(since[rep_id], profiles[rep_id]) for rep_id in since}


def pool_fairness(*, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per pool, the period's leads it gave out and each member's distinct leads from it,
    from every decision that picked from a pool (first routings, escalations, hand-offs).
    A lead counts once for each member it went to, however often, and once in the pool's
    total: a lead escalated from one member to another counts for both."""
    picked = (
        RoutingDecision.objects.filter(
            lead__created_at__gte=start,
            lead__created_at__lt=end,
            pool__isnull=False,
            owner__isnull=False,
        )
        .order_by("created_at", "id")
        .values_list("pool_id", "lead_id", "owner_id", "created_at")
    )
    # pool → lead → the members it went to, each with the first time it did
    went_to: dict[int, dict[int, dict[int, datetime]]] = defaultdict(lambda: defaultdict(dict))
    for pool_id, lead_id, rep_id, at in picked:
        went_to[pool_id][lead_id].setdefault(rep_id, at)
    pools = sorted(
        Pool.objects.filter(pk__in=went_to).prefetch_related("memberships__rep"),
        key=lambda pool: pool.name,
    )
    timelines = rep_timelines(
        rep_ids={
            membership.rep_id
            for pool in pools
            if pool.method in ROTATION_METHODS
            for membership in pool.memberships.all()
        }
    )
    return [_pool_report(pool, went_to[pool.pk], timelines) for pool in pools]


def _pool_report(
    pool: Pool, leads: dict[int, dict[int, datetime]], timelines: dict[int, RepTimeline]
) -> dict[str, Any]:
    # A rotation promises each member a share of its turns, and a lead passed from one
    # member to another took a turn of each.
    turns = [turn for reps in leads.values() for turn in reps.items()]
    got = Counter(rep_id for rep_id, _ in turns)
    memberships = list(pool.memberships.all())
    weights = {
        membership.rep_id: (membership.weight if pool.method == Pool.Method.WEIGHTED else 1)
        for membership in memberships
    }
    names = {membership.rep_id: membership.rep.name for membership in memberships}
    rotation = pool.method in ROTATION_METHODS and sum(weights.values()) > 0
    expected, available = (
        _expected(turns, weights, timelines, check_hours=pool.respect_working_hours)
        if rotation
        else ({}, Counter())
    )
    accounts_for = (
        EXPECTED_ACCOUNTS_FOR_WITH_HOURS if pool.respect_working_hours else EXPECTED_ACCOUNTS_FOR
    )
    members = [
        {
            "rep": names.get(rep_id, f"rep {rep_id} (left the pool)"),
            "leads": got.get(rep_id, 0),
            "expected": round(expected[rep_id], 1) if rep_id in expected else None,
            "available_turns": available[rep_id] if rotation and rep_id in weights else None,
        }
        for rep_id in sorted(set(weights) | set(got), key=lambda rep: names.get(rep, ""))
    ]
    return {
        "pool": pool.name,
        "method": pool.method,
        "leads": len(leads),
        "turns": len(turns),
        "leads_to_several_members": sum(len(reps) > 1 for reps in leads.values()),
        "members": members,
        "expected_share_accounts_for": list(accounts_for) if rotation else [],
        "expected_share_does_not_account_for": list(EXPECTED_DOES_NOT_ACCOUNT_FOR)
        if rotation
        else [],
    }


def _expected(
    turns: list[tuple[int, datetime]],
    weights: dict[int, int],
    timelines: dict[int, RepTimeline],
    *,
    check_hours: bool,
) -> tuple[dict[int, float], Counter[int]]:
    """Each member's due share of the turns, and how many turns they were there for."""
    expected = dict.fromkeys(weights, 0.0)
    available: Counter[int] = Counter()
    for _, at in turns:
        present = [
            rep_id
            for rep_id in weights
            if rep_id in timelines and timelines[rep_id].available_at(at, check_hours=check_hours)
        ]
        available.update(present)
        # Nobody there, yet the pool gave the lead (a rule that ignores availability, the
        # last resort): every member was as due as any other.
        sharing = present or list(weights)
        total = sum(weights[rep_id] for rep_id in sharing)
        for rep_id in sharing:
            expected[rep_id] += weights[rep_id] / total
    return expected, available
