"""The compiled routing set-up each process decides with, rebuilt when the data changes.

Every process keeps one snapshot and compares its version with the RoutingVersion row
(one indexed single-row read) before use: a change saved anywhere (admin, API, a
command on another machine) moves the row's version in the same transaction, so the
next decision everywhere sees it. Rebuilding reads everything once; deciding reads
nothing.
"""

from __future__ import annotations

import gc
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch

from reps.models import Pool, Rep
from reps.owners import Owner
from reps.working_hours import parse as parse_working_hours
from routing import semantic
from routing.conditions import fields_tested
from routing.db.statements import Statement, run_statements
from routing.engine import (
    CompiledRule,
    CompiledRuleSet,
    Member,
    PoolProfile,
    RepProfile,
    RoutingData,
)
from routing.engine.matching import SKILL_KINDS
from routing.engine.predicates import compile_conditions
from routing.models import RoutingVersion, Rule, RuleSet
from routing.notifications.contacts import Contact, Subscriber, active_subscribers, contact_of
from territories import geo
from territories.matching import AccountIndex, AccountRecord, TerritoryIndex, TerritoryRecord
from territories.models import NamedAccount, Territory


@dataclass(frozen=True, slots=True)
class Snapshot:
    data: RoutingData
    active: CompiledRuleSet | None
    rulesets: dict[int, CompiledRuleSet]  # every rule set, for simulation and replay
    stamp: uuid.UUID
    contacts: dict[int, Contact]  # how to tell each rep of a lead
    subscribers: tuple[Subscriber, ...]  # systems that receive lead events
    # Rule set id -> the managers told when its leads escalate or wait unclaimed.
    managers: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # Best-match pools with semantic matching installed: rep id -> expertise vector.
    expertise: dict[int, Any] = field(default_factory=dict)


_lock = threading.Lock()
_current: Snapshot | None = None
# Set in long-running web workers (config/gunicorn.py), which freeze what they load at
# start-up out of the cyclic garbage collector's way: a rebuilt snapshot is frozen too.
_freeze_rebuilt = False


def freeze_rebuilt_snapshots() -> None:
    """From now on, move each rebuilt snapshot (and whatever else is alive then) to the
    garbage collector's permanent generation, which full collections do not walk.

    A snapshot holds no reference cycles, so the one it replaces is still freed by
    reference counting; only cyclic garbage that happens to be alive at that moment stays
    (a rebuild follows a change of routing data: rare, and little is alive then)."""
    global _freeze_rebuilt
    _freeze_rebuilt = True


ROUTING_VERSION: Statement = (
    f"SELECT version, stamp FROM {RoutingVersion._meta.db_table} WHERE id = 1",  # its own table
    [],
)


def routing_version() -> tuple[int, uuid.UUID]:
    """(counter, stamp) of the routing data; the stamp alone identifies the data.

    Read for every lead, hence one plain statement rather than a compiled query."""
    return routing_version_of(run_statements([ROUTING_VERSION])[0])


def routing_version_of(rows: list[tuple[Any, ...]]) -> tuple[int, uuid.UUID]:
    """`routing_version` from the rows of ROUTING_VERSION, run with other statements."""
    if not rows:  # a flushed test database: the row comes back
        version = RoutingVersion.objects.get_or_create(pk=1)[0]
        return version.version, version.stamp
    version, stamp = rows[0]
    # PostgreSQL answers a UUID; SQLite the 32 hex digits it stores.
    return version, stamp if isinstance(stamp, uuid.UUID) else uuid.UUID(stamp)


def current_snapshot(version: tuple[int, uuid.UUID] | None = None) -> Snapshot:
    """The snapshot for the routing data as it is now (rebuilt if it changed).
    `version`: just read (`routing_version_of`), with other statements."""
    global _current
    version, stamp = version or routing_version()
    snapshot = _current
    if snapshot is not None and snapshot.stamp == stamp:
        return snapshot
    with _lock:
        if _current is None or _current.stamp != stamp:
            _current = build_snapshot(version, stamp)
            if _freeze_rebuilt:
                gc.freeze()
        return _current


def kept_snapshot() -> Snapshot | None:
    """The snapshot this process has, without asking whether it is still current."""
    return _current


def build_snapshot(version: int, stamp: uuid.UUID) -> Snapshot:
    pools = {
        pool.id: PoolProfile(
            id=pool.id,
            name=pool.name,
            method=pool.method,
            respect_working_hours=pool.respect_working_hours,
            max_distance_km=pool.max_distance_km,
            no_match=pool.no_match,
            members=tuple(
                Member(m.id, m.rep_id, m.weight)
                for m in sorted(pool.memberships.all(), key=lambda m: m.id)
            ),
        )
        for pool in Pool.objects.prefetch_related("memberships")
    }
    # Only nearest pools use places. They need the ZIP table, slow to load: loaded
    # here, so that no decision pays for it, and only then.
    by_distance = any(pool.method == Pool.Method.NEAREST for pool in pools.values())
    if by_distance:
        geo.warm_up()
    all_reps = list(Rep.objects.all())
    reps = {rep.id: rep_profile(rep, place_by_zip=by_distance) for rep in all_reps}
    data = RoutingData(
        version=version,
        reps=reps,
        pools=pools,
        territories=TerritoryIndex.build(_territory_records()),
        accounts=AccountIndex.build(_account_records()),
    )
    stored_rulesets = list(
        RuleSet.objects.select_related(
            "fallback_rep", "fallback_pool", "escalate_to_rep", "escalate_to_pool"
        ).prefetch_related(Prefetch("rules", queryset=_enabled_rules()))
    )
    rulesets = {ruleset.id: compile_ruleset(ruleset) for ruleset in stored_rulesets}
    active_id = RuleSet.objects.filter(is_active=True).values_list("id", flat=True).first()
    return Snapshot(
        data=data,
        active=rulesets.get(active_id),
        rulesets=rulesets,
        stamp=stamp,
        contacts={rep.id: contact_of(rep) for rep in all_reps},
        subscribers=active_subscribers(),
        managers={ruleset.id: tuple(ruleset.notify_on_escalation) for ruleset in stored_rulesets},
        expertise=_expertise(all_reps, pools),
    )


def compile_ruleset(ruleset: RuleSet) -> CompiledRuleSet:
    fallback = Owner.of(ruleset, "fallback")
    assert fallback is not None  # a database constraint guarantees it
    return CompiledRuleSet(
        id=ruleset.id,
        name=ruleset.name,
        version=ruleset.version,
        rules=tuple(compile_rule(rule) for rule in ruleset.rules.all()),
        fallback=fallback,
        ack_sla=ruleset.ack_sla,
        escalate_to=Owner.of(ruleset, "escalate_to"),
        max_escalations=ruleset.max_escalations,
        duplicate_window=ruleset.duplicate_window,
        reroute_returning=ruleset.reroute_returning,
        sticky_owner=ruleset.sticky_owner,
        same_company_owner=ruleset.same_company_owner,
        remind_before=ruleset.remind_before,
    )


def compile_rule(rule: Rule) -> CompiledRule:
    return CompiledRule(
        id=rule.id,
        name=rule.name,
        conditions=compile_conditions(rule.conditions),
        route_to=rule.route_to,
        target=Owner.of(rule, "route"),
        ack_sla=rule.ack_sla,
        escalate_to=Owner.of(rule, "escalate_to"),
        handoff_to=Owner.of(rule, "handoff_to"),
        sla_in_working_hours=rule.sla_in_working_hours,
        ignore_capacity=rule.ignore_capacity,
        uses_account=(
            "named_account" in fields_tested(rule.conditions)
            or rule.route_to == Rule.RouteTo.ACCOUNT_OWNER
        ),
    )


# ----------------------------------------------------------------------------- helpers


def _enabled_rules():
    return (
        Rule.objects.filter(is_enabled=True)
        .select_related(
            "route_rep",
            "route_pool",
            "escalate_to_rep",
            "escalate_to_pool",
            "handoff_to_rep",
            "handoff_to_pool",
        )
        .order_by("position", "id")
    )


def _expertise(reps: list[Rep], pools: dict[int, PoolProfile]) -> dict[int, Any]:
    """Expertise vectors of best-match pool members, if semantic matching is installed."""
    members = {
        member.rep_id
        for pool in pools.values()
        if pool.method == Pool.Method.BEST_MATCH
        for member in pool.members
    }
    texts = {rep.id: rep.expertise for rep in reps if rep.id in members and rep.expertise}
    if not texts or not semantic.available():
        return {}
    return semantic.expertise_vectors(texts)


def rep_profile(rep: Rep, *, place_by_zip: bool) -> RepProfile:
    """The engine's view of `rep`: a Rep, or one of its history records (the same fields),
    as the rep was then."""
    shifts: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for shift in parse_working_hours(rep.working_hours):
        shifts[shift.weekday].append((shift.start_minute, shift.end_minute))
    return RepProfile(
        id=rep.id,
        name=rep.name,
        email=rep.email,
        kind=rep.kind,
        is_active=rep.is_active,
        timezone=ZoneInfo(rep.timezone),
        shifts={day: tuple(spans) for day, spans in shifts.items()},
        out_of_office_from=rep.out_of_office_from,
        out_of_office_until=rep.out_of_office_until,
        max_unacknowledged=rep.max_unacknowledged,
        max_open=rep.max_open,
        max_per_day=rep.max_per_day,
        location=geo.point(rep.latitude, rep.longitude)
        or (geo.us_zip_point(rep.postal_code) if place_by_zip else None),
        skills={
            kind: frozenset(item.casefold() for item in getattr(rep, kind) or ())
            for kind in SKILL_KINDS
        },
        paused=rep.paused_at is not None,
        cover_rep_id=rep.cover_rep_id,
    )


def _territory_records():
    for territory in Territory.objects.select_related("owner_rep", "owner_pool"):
        yield TerritoryRecord(
            id=territory.id,
            name=territory.name,
            priority=territory.priority,
            countries=tuple(territory.countries),
            states=tuple(territory.states),
            postal_codes=tuple(territory.postal_codes),
            industries=tuple(territory.industries),
            employee_count_min=territory.employee_count_min,
            employee_count_max=territory.employee_count_max,
            owner=Owner.of(territory, "owner"),
        )


def _account_records():
    accounts = NamedAccount.objects.select_related("owner").prefetch_related("domains")
    for account in accounts:
        yield AccountRecord(
            id=account.id,
            name=account.name,
            normalized_name=account.normalized_name,
            domains=tuple(domain.domain for domain in account.domains.all()),
            owner_rep_id=account.owner_id,
            owner_name=account.owner.name,
            tier=account.tier,
        )
