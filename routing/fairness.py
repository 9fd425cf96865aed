"""The fairness panel: per pool, the leads each member got against the share they were due.

A rotation promises each member a share of its turns by weight, among the members who
could take a lead at that moment. So each turn (a lead given by the pool to a member) is
shared out, by weight, among the members who could take it when it was given: active,
not out of office nor paused, below their capacity limits and, for a pool that respects working
hours, within them, as each rep was then according to their history and their
assignments, among those who were in the pool then, with the weight they had then
(the memberships' history). A member away for half the period, or who joined halfway
through it, is due about half as many leads. What is not replayed is said in the
figures: a member left out of one lead because they let it expire before. See
docs/decisions/0015.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q

from reps.models import Pool, PoolMembership, Rep
from routing.engine.eligibility import at_capacity_because, away_because
from routing.engine.types import RepLoad, RepProfile, RoutingState
from routing.models import Assignment, RoutingDecision
from routing.services.state import local_midnight
from routing.snapshot import rep_profile

ROTATION_METHODS = (Pool.Method.ROUND_ROBIN, Pool.Method.WEIGHTED)

EXPECTED_ACCOUNTS_FOR = (
    "weights",
    "pool_membership",
    "inactive",
    "out_of_office",
    "paused",
    "capacity_caps",
)
EXPECTED_ACCOUNTS_FOR_WITH_HOURS = (*EXPECTED_ACCOUNTS_FOR, "working_hours")
EXPECTED_DOES_NOT_ACCOUNT_FOR = ("left_out_after_letting_the_lead_expire",)
# A day's count starts at the rep's midnight, up to 14 hours from UTC's, before the period.
DAY_BEFORE = timedelta(days=2)
# Since before any turn: a membership older than its history.
ALWAYS = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Assignments:
    """A rep's assignments as sorted times, to count their load at any moment: when each
    began, ended, and stopped waiting for acknowledgment (acknowledged or ended)."""

    assigned: list[datetime]
    ended: list[datetime]
    answered: list[datetime]

    def load_at(self, moment: datetime, rep: RepProfile) -> RepLoad:
        # Leads assigned at `moment` itself are the turn being judged, not its load; an
        # assignment ends or is answered no earlier than it begins, so what ended by
        # `moment` had begun.
        begun = bisect.bisect_left(self.assigned, moment)
        return RepLoad(
            open_unacknowledged=max(0, begun - bisect.bisect_right(self.answered, moment)),
            open_total=max(0, begun - bisect.bisect_right(self.ended, moment)),
            assigned_today=begun - bisect.bisect_left(self.assigned, local_midnight(rep, moment)),
        )


NO_ASSIGNMENTS = Assignments([], [], [])


@dataclass(frozen=True)
class RepTimeline:
    """A rep as they were at any moment: their history records by time, and their load."""

    since: list[datetime]
    profiles: list[RepProfile]
    assignments: Assignments = NO_ASSIGNMENTS

    def at(self, moment: datetime) -> RepProfile:
        # Before the first record (a rep older than their history) the first one is the
        # best knowledge there is.
        return self.profiles[max(0, bisect.bisect_right(self.since, moment) - 1)]

    def available_at(self, moment: datetime, *, check_hours: bool) -> bool:
        """Whether routing could have given them a lead at `moment`: the engine's own
        tests, over the rep and their load as they were then."""
        profile = self.at(moment)
        if not profile.is_active or away_because(profile, now=moment, check_hours=check_hours):
            return False
        if (profile.max_unacknowledged, profile.max_open, profile.max_per_day) == (None,) * 3:
            return True
        state = RoutingState(loads={profile.id: self.assignments.load_at(moment, profile)})
        return at_capacity_because(profile, state=state) is None


def rep_timelines(*, rep_ids: set[int], start: datetime, end: datetime) -> dict[int, RepTimeline]:
    """The reps as their history says they were, with the assignments that make their load
    during start..end (those still open then, and the day's before it)."""
    since: dict[int, list[datetime]] = defaultdict(list)
    profiles: dict[int, list[RepProfile]] = defaultdict(list)
    for record in Rep.history.filter(id__in=rep_ids).order_by("id", "history_date", "history_id"):
        since[record.id].append(record.history_date)
        profiles[record.id].append(rep_profile(record, place_by_zip=False))
    for rep in Rep.objects.filter(pk__in=rep_ids - set(since)):
        since[rep.pk].append(rep.created_at)
        profiles[rep.pk].append(rep_profile(rep, place_by_zip=False))
    times: dict[int, Assignments] = defaultdict(lambda: Assignments([], [], []))
    for rep_id, assigned_at, acknowledged_at, ended_at in Assignment.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=start - DAY_BEFORE),
        rep_id__in=rep_ids,
        assigned_at__lt=end,
    ).values_list("rep_id", "assigned_at", "acknowledged_at", "ended_at"):
        rows = times[rep_id]
        rows.assigned.append(assigned_at)
        if ended_at is not None:
            rows.ended.append(ended_at)
        answered = [moment for moment in (acknowledged_at, ended_at) if moment is not None]
        if answered:
            rows.answered.append(min(answered))
    for rows in times.values():
        rows.assigned.sort()
        rows.ended.sort()
        rows.answered.sort()
    return {
        rep_id: RepTimeline(since[rep_id], profiles[rep_id], times.get(rep_id, NO_ASSIGNMENTS))
        for rep_id in since
    }


@dataclass(frozen=True)
class Membership:
    """A rep's place in a pool over time: from each moment of `since` on, their weight,
    or None while they were out of the pool."""

    since: list[datetime]
    weights: list[int | None]

    def weight_at(self, moment: datetime) -> int | None:
        index = bisect.bisect_right(self.since, moment) - 1
        return self.weights[index] if index >= 0 else None


def pool_memberships(*, pools: list[Pool]) -> dict[int, dict[int, Membership]]:
    """Per pool, every rep its history says was ever in it, and when, with what weight."""
    since: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    weights: dict[tuple[int, int], list[int | None]] = defaultdict(list)
    recorded: set[int] = set()
    for membership_id, pool_id, rep_id, weight, change, at in (
        PoolMembership.history.filter(pool_id__in=[pool.pk for pool in pools])
        .order_by("history_date", "history_id")
        .values_list("id", "pool_id", "rep_id", "weight", "history_type", "history_date")
    ):
        key = (pool_id, rep_id)
        if key not in since and change != "+":
            # History that begins with a change, not the creation: the membership is
            # older than its history and was there before it, as first recorded.
            since[key].append(ALWAYS)
            weights[key].append(weight)
        since[key].append(at)
        weights[key].append(None if change == "-" else weight)
        recorded.add(membership_id)
    for pool in pools:
        for membership in pool.memberships.all():
            key = (pool.pk, membership.rep_id)
            if membership.pk not in recorded and key not in since:
                since[key].append(ALWAYS)
                weights[key].append(membership.weight)
    by_pool: dict[int, dict[int, Membership]] = defaultdict(dict)
    for (pool_id, rep_id), times in since.items():
        by_pool[pool_id][rep_id] = Membership(times, weights[pool_id, rep_id])
    return by_pool


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
        Pool.objects.filter(pk__in=went_to).prefetch_related("memberships"),
        key=lambda pool: pool.name,
    )
    memberships = pool_memberships(
        pools=[pool for pool in pools if pool.method in ROTATION_METHODS]
    )
    timelines = rep_timelines(
        start=start,
        end=end,
        rep_ids={rep_id for members in memberships.values() for rep_id in members},
    )
    names = dict(
        Rep.objects.filter(
            pk__in={
                *timelines,
                *(
                    rep_id
                    for leads in went_to.values()
                    for reps in leads.values()
                    for rep_id in reps
                ),
                *(membership.rep_id for pool in pools for membership in pool.memberships.all()),
            }
        ).values_list("id", "name")
    )
    return [
        _pool_report(pool, went_to[pool.pk], memberships.get(pool.pk, {}), timelines, names)
        for pool in pools
    ]


def _pool_report(
    pool: Pool,
    leads: dict[int, dict[int, datetime]],
    memberships: dict[int, Membership],
    timelines: dict[int, RepTimeline],
    names: dict[int, str],
) -> dict[str, Any]:
    # A rotation promises each member a share of its turns, and a lead passed from one
    # member to another took a turn of each.
    turns = [turn for reps in leads.values() for turn in reps.items()]
    got = Counter(rep_id for rep_id, _ in turns)
    today = {membership.rep_id for membership in pool.memberships.all()}
    rotation = pool.method in ROTATION_METHODS and bool(memberships)
    expected, available = (
        _expected(
            turns,
            memberships,
            timelines,
            weighted=pool.method == Pool.Method.WEIGHTED,
            check_hours=pool.respect_working_hours,
        )
        if rotation
        else ({}, Counter())
    )
    accounts_for = (
        EXPECTED_ACCOUNTS_FOR_WITH_HOURS if pool.respect_working_hours else EXPECTED_ACCOUNTS_FOR
    )

    def label(rep_id: int) -> str:
        name = names.get(rep_id, f"rep {rep_id}")
        return name if rep_id in today else f"{name} (left the pool)"

    members = [
        {
            "rep": label(rep_id),
            "leads": got.get(rep_id, 0),
            "expected": round(expected.get(rep_id, 0.0), 1) if rotation else None,
            "available_turns": available[rep_id] if rotation else None,
        }
        for rep_id in sorted(today | set(expected) | set(got), key=label)
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
    memberships: dict[int, Membership],
    timelines: dict[int, RepTimeline],
    *,
    weighted: bool,
    check_hours: bool,
) -> tuple[dict[int, float], Counter[int]]:
    """Each member's due share of the turns, and how many turns they were there for:
    every rep who was in the pool at one of the turns."""
    expected: dict[int, float] = {}
    available: Counter[int] = Counter()
    for _, at in turns:
        weights = {
            rep_id: weight if weighted else 1
            for rep_id, membership in memberships.items()
            if (weight := membership.weight_at(at)) is not None
        }
        for rep_id in weights:
            expected.setdefault(rep_id, 0.0)
        present = [
            rep_id
            for rep_id in weights
            if rep_id in timelines and timelines[rep_id].available_at(at, check_hours=check_hours)
        ]
        available.update(present)
        # Nobody there, yet the pool gave the lead (a rule that ignores availability, the
        # last resort): every member was as due as any other. A turn at which history
        # shows no member at all is due to nobody.
        sharing = present or list(weights)
        total = sum(weights[rep_id] for rep_id in sharing)
        for rep_id in sharing:
            expected[rep_id] += weights[rep_id] / total
    return expected, available
