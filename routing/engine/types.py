"""The plain data the engine decides over: a compiled snapshot of the routing set-up and
the live state (loads, rotations) read for one decision. No ORM objects cross this line.

What the engine makes anew for every decision (Miss, Candidate, Plan, RotationUpdate,
Decision) is a slotted dataclass but not a frozen one: a frozen dataclass sets each field
through object.__setattr__, which is several times slower on this hot path. Nothing
changes them once made; they are not hashable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from reps.owners import Owner
from routing.normalize import LeadFacts
from territories.matching import AccountIndex, AccountMatch, TerritoryIndex, TerritoryMatch


@dataclass(frozen=True, slots=True)
class RepProfile:
    id: int
    name: str
    email: str
    kind: str  # "human" | "agent"
    is_active: bool
    timezone: ZoneInfo
    # weekday (Monday 0) -> ((start_minute, end_minute), ...); empty: any time
    shifts: Mapping[int, tuple[tuple[int, int], ...]]
    out_of_office_from: datetime | None
    out_of_office_until: datetime | None
    # Capacity: leads waiting for the rep's acknowledgment, leads the rep owns without a
    # final outcome (acknowledged or not), leads given to them today. None: no limit.
    max_unacknowledged: int | None
    max_open: int | None
    max_per_day: int | None
    location: tuple[float, float] | None = None  # (latitude, longitude), for nearest
    # For best_match: "products", "industries", "languages", "technologies" -> casefolded
    skills: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Paused by the rep: no new leads until they resume, like an out of office without end.
    paused: bool = False
    # Takes the rep's named-account leads while the rep is out of office.
    cover_rep_id: int | None = None


@dataclass(frozen=True, slots=True)
class Member:
    membership_id: int  # rotation order: members take turns in the order they joined
    rep_id: int
    weight: int


@dataclass(frozen=True, slots=True)
class PoolProfile:
    id: int
    name: str
    method: str  # "round_robin" | "weighted" | "least_loaded"
    respect_working_hours: bool
    members: tuple[Member, ...]  # by membership_id
    max_distance_km: float | None = None  # nearest: nobody farther gets the lead
    no_match: str = "rotation"  # best_match with nobody matching: "rotation" | "fall_through"


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    text: str  # plain words, e.g. "employee_count ≥ 500"
    test: Callable[[Any], bool]
    # The lead's value for `field` (LeadFacts.value, resolved once); named_account is
    # the engine's to decide, not the lead's.
    read: Callable[[LeadFacts], Any]


@dataclass(frozen=True, slots=True)
class Conditions:
    """A mapping of conditions, every one of which must hold: a rule's `when`, one
    alternative of an `any`, the inside of a `not`. Field tests come first, groups after:
    most rules have no groups, and a rule fails most cheaply on a field."""

    tests: tuple[Condition, ...]
    groups: tuple[AnyOf | Not, ...]
    text: str  # plain words, e.g. "source is pricing_page, work e-mail"


@dataclass(frozen=True, slots=True)
class AnyOf:
    """`any: [...]`: at least one alternative holds."""

    alternatives: tuple[Conditions, ...]
    text: str  # "product is Payments, or attributes.interest is payments"


@dataclass(frozen=True, slots=True)
class Not:
    """`not: {...}`: the conditions inside do not all hold."""

    inside: Conditions
    text: str  # "not: source is event"


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: int
    name: str
    conditions: Conditions
    route_to: str  # "rep" | "pool" | "territory" | "account_owner"
    target: Owner | None  # for rep and pool routes
    ack_sla: timedelta | None
    escalate_to: Owner | None
    uses_account: bool  # tests named_account or routes to the account owner
    handoff_to: Owner | None = None  # who takes over from an AI agent
    sla_in_working_hours: bool = False  # the SLA counts only the owner's working hours
    # An account-owner route: the owner gets the lead even at their capacity limits.
    ignore_capacity: bool = False


@dataclass(frozen=True, slots=True)
class CompiledRuleSet:
    id: int
    name: str
    version: int
    rules: tuple[CompiledRule, ...]
    fallback: Owner
    ack_sla: timedelta
    escalate_to: Owner | None
    max_escalations: int
    duplicate_window: timedelta
    # When a lead that submits again is routed again: "never", "agent_owned" (an AI agent
    # has it and it matches another rule), "higher_rule" (also: a rule above its own).
    reroute_returning: str = "agent_owned"
    remind_before: timedelta | None = None  # None: no reminder before the deadline
    # Tried before the rules: a returning person's last owner, a colleague's owner.
    sticky_owner: bool = False
    same_company_owner: bool = False


@dataclass(frozen=True, slots=True)
class RoutingData:
    """Everything shared by all rule sets: reps, pools, and the match indexes."""

    version: int
    reps: Mapping[int, RepProfile]
    pools: Mapping[int, PoolProfile]
    territories: TerritoryIndex
    accounts: AccountIndex


@dataclass(frozen=True, slots=True)
class RepLoad:
    open_unacknowledged: int = 0
    # Open assignments, acknowledged or not: the leads the rep owns without a final
    # outcome (a converted or disqualified lead's assignment is closed).
    open_total: int = 0
    assigned_today: int = 0  # since midnight in the rep's time zone
    # When their latest lead was assigned, in microseconds since the epoch (0: never);
    # read for members of least-loaded pools, whose ties it breaks.
    last_assigned: int = 0


@dataclass(frozen=True, slots=True)
class Rotation:
    cursor: int = 0  # membership id of the last member picked
    weights: Mapping[int, int] = field(default_factory=dict)  # membership id -> current weight
    # Performance pools: membership id -> (weight in hundredths, where it came from)
    performance: Mapping[int, tuple[int, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Familiar:
    """A rep the lead already knows, read by the service: tried before the rules."""

    rep_id: int
    # "returning" (the person's last lead was theirs) or "same_company" (an open lead
    # of the same company e-mail domain is theirs)
    kind: str
    why: str  # plain words for the trace: "returning customer: Pat's last lead was Ana's"


@dataclass(frozen=True, slots=True)
class RoutingState:
    loads: Mapping[int, RepLoad] = field(default_factory=dict)
    rotations: Mapping[int, Rotation] = field(default_factory=dict)
    exclude_rep_ids: frozenset[int] = frozenset()  # let this lead expire before
    exclude_agents: bool = False  # an agent is handing the lead to humans
    moving_from: int | None = None  # a manager moves the lead on from the rep who has it
    # Best match with semantic matching: rep id -> similarity of the lead's message to the
    # rep's expertise (computed by the service); None: semantic matching not in use.
    similarity: Mapping[int, float] | None = None
    familiar: Familiar | None = None


@dataclass(slots=True)  # not frozen: see the module docstring
class Candidate:
    """A rule (or the fallback) whose conditions hold, and whom it routes to."""

    rule: CompiledRule | None  # None: the rule set's fallback
    owner: Owner
    # Why this owner besides a rule: "escalation" (the escalation target), "handoff" (the
    # rule's hand-off target); empty for a rule's route or the fallback.
    via: str = ""


@dataclass(slots=True)  # not frozen: see the module docstring
class Miss:
    """A rule whose conditions do not hold for the lead. Its trace step is written only
    if the decision gets that far: rules after the winner are never shown."""

    rule: CompiledRule
    condition: Condition | AnyOf | Not  # the first one that failed
    value: Any  # what the lead had for it (a field's test; None for a group)


@dataclass(slots=True)  # not frozen: see the module docstring
class Plan:
    """What the conditions alone decide: rules that match, in order, and their owners.

    Availability and rotation come later (`choose`), with the live state the service
    reads for exactly the pools named here (and locks, for those that keep a rotation)."""

    ruleset: CompiledRuleSet
    lead: LeadFacts
    entries: tuple[Candidate | Miss | dict[str, Any], ...]  # a dict: matched, fell through
    account: AccountMatch | None
    territory: TerritoryMatch | None
    intro: tuple[dict[str, Any], ...]  # trace steps before the rules (matching)

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        return tuple(entry for entry in self.entries if isinstance(entry, Candidate))


@dataclass(slots=True)  # not frozen: see the module docstring
class RotationUpdate:
    pool_id: int
    cursor: int
    weights: Mapping[int, int]


@dataclass(slots=True)  # not frozen: see the module docstring
class Bypassed:
    """A named account's owner the lead did not go to, though a rule routed it to them:
    they are told where it went, and why not to them."""

    rep_id: int
    account: str  # the named account's name
    reason: str  # the trace's words: "out of office until ...", "at capacity: 3 of 3 ..."


@dataclass(slots=True)  # not frozen: see the module docstring
class Decision:
    rep_id: int | None  # None only when nobody at all can take the lead
    rule: CompiledRule | None  # None: fallback
    pool_id: int | None
    rotation: RotationUpdate | None
    ack_sla: timedelta
    escalate_to: Owner | None
    account: AccountMatch | None
    territory: TerritoryMatch | None
    steps: tuple[dict[str, Any], ...]
    relaxed: bool  # the fallback answered, ignoring availability
    ack_due_at: datetime | None = None  # None when nobody took the lead
    remind_at: datetime | None = None  # when the owner is reminded, if still unacknowledged
    bypassed: Bypassed | None = None  # the account's owner, passed over
