"""A routing file once read and checked: plain frozen values, no ORM.

Field names follow the model fields they land in, so that writing them (load.py) and
reading them back (dump.py) need no second mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal


@dataclass(frozen=True)
class OwnerRef:
    """`{rep: e-mail}` or `{pool: name}`: someone leads can be given to."""

    kind: Literal["rep", "pool"]
    key: str  # a rep's lower-case e-mail or a pool's name

    def describe(self) -> str:
        return f"{self.kind} '{self.key}'"


@dataclass(frozen=True)
class RepSpec:
    email: str
    name: str
    kind: str = "human"
    is_active: bool = True
    timezone: str = "UTC"
    working_hours: str = ""
    out_of_office_from: datetime | None = None
    out_of_office_until: datetime | None = None
    max_unacknowledged: int | None = None
    max_open: int | None = None
    max_per_day: int | None = None
    postal_code: str = ""
    latitude: float | None = None
    longitude: float | None = None
    products: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    technologies: tuple[str, ...] = ()
    expertise: str = ""
    notify_email: bool = True
    slack_webhook_url: str = ""
    webhook_url: str = ""


@dataclass(frozen=True)
class MemberSpec:
    email: str
    weight: int = 1


@dataclass(frozen=True)
class PoolSpec:
    name: str
    method: str = "round_robin"
    max_distance_km: int | None = None
    no_match: str = "rotation"
    performance_window_days: int = 30
    respect_working_hours: bool = False
    description: str = ""
    members: tuple[MemberSpec, ...] = ()


@dataclass(frozen=True)
class TerritorySpec:
    name: str
    owner: OwnerRef | None
    priority: int = 100
    countries: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    postal_codes: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    employee_count_min: int | None = None
    employee_count_max: int | None = None


@dataclass(frozen=True)
class AccountSpec:
    name: str
    owner_email: str
    tier: str = ""
    domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSpec:
    name: str
    route_to: str  # a Rule.RouteTo value
    route: OwnerRef | None = None  # for route_to rep or pool
    # A mapping inside a frozen dataclass: never mutated after parsing, compared as JSON.
    conditions: dict[str, Any] = field(default_factory=dict)
    is_enabled: bool = True
    ack_sla: timedelta | None = None
    escalate_to: OwnerRef | None = None
    handoff_to: OwnerRef | None = None
    sla_in_working_hours: bool = False
    ignore_capacity: bool = False  # account-owner routes only


@dataclass(frozen=True)
class RuleSetSpec:
    name: str
    fallback: OwnerRef | None
    ack_sla: timedelta
    max_escalations: int
    duplicate_window: timedelta
    description: str = ""
    is_active: bool = False
    escalate_to: OwnerRef | None = None
    notify_on_escalation: tuple[str, ...] = ()
    reroute_returning: str = "agent_owned"
    sticky_owner: bool = False
    same_company_owner: bool = False
    remind_before: timedelta | None = None
    rules: tuple[RuleSpec, ...] = ()


@dataclass(frozen=True)
class RoutingSpec:
    reps: tuple[RepSpec, ...] = ()
    pools: tuple[PoolSpec, ...] = ()
    territories: tuple[TerritorySpec, ...] = ()
    accounts: tuple[AccountSpec, ...] = ()
    rulesets: tuple[RuleSetSpec, ...] = ()

    def references(self) -> list[tuple[str, str, OwnerRef]]:
        """(where, what, ref) for every rep or pool the file points at, in file order."""
        refs: list[tuple[str, str, OwnerRef]] = []
        for pool in self.pools:
            for member in pool.members:
                refs.append((f"pool '{pool.name}'", "member", OwnerRef("rep", member.email)))
        for territory in self.territories:
            if territory.owner:
                refs.append((f"territory '{territory.name}'", "owner", territory.owner))
        for account in self.accounts:
            refs.append(
                (f"account '{account.name}'", "owner", OwnerRef("rep", account.owner_email))
            )
        for ruleset in self.rulesets:
            where = f"rule set '{ruleset.name}'"
            if ruleset.fallback:
                refs.append((where, "fallback", ruleset.fallback))
            if ruleset.escalate_to:
                refs.append((where, "escalate_to", ruleset.escalate_to))
            for rule in ruleset.rules:
                rule_where = f"{where}, rule '{rule.name}'"
                if rule.route:
                    refs.append((rule_where, "route", rule.route))
                if rule.escalate_to:
                    refs.append((rule_where, "escalate_to", rule.escalate_to))
                if rule.handoff_to:
                    refs.append((rule_where, "handoff_to", rule.handoff_to))
        return refs
