"""Small hand-built snapshots for engine tests: no database involved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from reps.owners import Owner
from routing.conditions import fields_tested
from routing.engine import (
    CompiledRule,
    CompiledRuleSet,
    Member,
    PoolProfile,
    RepProfile,
    RoutingData,
    RoutingState,
    decide,
)
from routing.engine.predicates import compile_conditions
from routing.normalize import lead_facts
from territories.matching import AccountIndex, AccountRecord, TerritoryIndex, TerritoryRecord

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday


def rep(rep_id: int, **overrides: Any) -> RepProfile:
    values: dict[str, Any] = {
        "id": rep_id,
        "name": f"Rep {rep_id}",
        "email": f"rep{rep_id}@example.com",
        "kind": "human",
        "is_active": True,
        "timezone": ZoneInfo("UTC"),
        "shifts": {},
        "out_of_office_from": None,
        "out_of_office_until": None,
        "max_unacknowledged": None,
        "max_open": None,
        "max_per_day": None,
    }
    values.update(overrides)
    return RepProfile(**values)


def pool(
    pool_id: int,
    rep_ids: list[int],
    *,
    method: str = "round_robin",
    weights: dict[int, int] | None = None,
    hours: bool = False,
) -> PoolProfile:
    members = tuple(
        Member(
            membership_id=pool_id * 100 + index,
            rep_id=rep_id,
            weight=(weights or {}).get(rep_id, 1),
        )
        for index, rep_id in enumerate(rep_ids, start=1)
    )
    return PoolProfile(pool_id, f"Pool {pool_id}", method, hours, members)


def rule(
    rule_id: int, when: dict[str, Any], route_to: str, target: Owner | None = None, **extra: Any
) -> CompiledRule:
    return CompiledRule(
        id=rule_id,
        name=f"Rule {rule_id}",
        conditions=compile_conditions(when),
        route_to=route_to,
        target=target,
        ack_sla=extra.get("ack_sla"),
        escalate_to=extra.get("escalate_to"),
        uses_account="named_account" in fields_tested(when) or route_to == "account_owner",
    )


def ruleset(rules: list[CompiledRule], fallback: Owner, **extra: Any) -> CompiledRuleSet:
    return CompiledRuleSet(
        id=1,
        name="Inbound",
        version=3,
        rules=tuple(rules),
        fallback=fallback,
        ack_sla=extra.get("ack_sla", timedelta(minutes=15)),
        escalate_to=extra.get("escalate_to"),
        max_escalations=2,
        duplicate_window=timedelta(days=90),
    )


def data(
    reps: list[RepProfile],
    pools: list[PoolProfile] = (),
    territories: list[TerritoryRecord] = (),
    accounts: list[AccountRecord] = (),
) -> RoutingData:
    return RoutingData(
        version=1,
        reps={r.id: r for r in reps},
        pools={p.id: p for p in pools},
        territories=TerritoryIndex.build(territories),
        accounts=AccountIndex.build(accounts),
    )


def lead(**fields: Any):
    values = {"email": "pat@prospect.com", "email_domain": "prospect.com", "attributes": {}}
    values.update(fields)
    if "email" in fields and "email_domain" not in fields:
        values["email_domain"] = fields["email"].rsplit("@", 1)[1]
    return lead_facts(values)


def route(the_lead, the_ruleset, the_data, state: RoutingState | None = None, now=NOW):
    return decide(
        the_lead, ruleset=the_ruleset, data=the_data, state=state or RoutingState(), now=now
    )


def rep_owner(rep_id: int) -> Owner:
    return Owner("rep", rep_id, f"Rep {rep_id}")


def pool_owner(pool_id: int) -> Owner:
    return Owner("pool", pool_id, f"Pool {pool_id}")
