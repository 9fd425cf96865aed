"""Routing a stored lead: the transaction around the pure engine."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from reps.models import Rep
from routing import engine, semantic
from routing.db.statements import run_statements
from routing.engine import Decision, RepProfile, RoutingState
from routing.models import Assignment, Lead, RoutingDecision, RuleSet
from routing.normalize import LeadFacts, lead_facts
from routing.normalize.facts import FACT_FIELD_NAMES
from routing.notifications.contacts import active_subscribers, contact_of
from routing.snapshot import Snapshot, current_snapshot

from .recording import (
    FallbackTarget,
    decision_recording,
    fallback_recording,
    no_ruleset_recording,
    recording_write,
)
from .state import RoutingMemory, StateQuery, StateRead, save_rotation, state_query

logger = logging.getLogger(__name__)


# How a lead is routed: through the rules (a new lead), to the escalation target (nobody
# acknowledged in time), or to the hand-off target (an AI agent hands it to people).
RULES, ESCALATION, HANDOFF = "rules", "escalation", "handoff"


@dataclass(frozen=True)
class Routed:
    """A recorded decision with what an answer shows of it, kept at hand so that
    answering needs no further reads."""

    decision: RoutingDecision | None
    owner: Rep | RepProfile | None
    ack_due_at: datetime | None
    ruleset_name: str | None


def facts_of(lead: Lead) -> LeadFacts:
    return lead_facts({name: getattr(lead, name) for name in FACT_FIELD_NAMES})


def run_engine(
    facts: LeadFacts,
    *,
    snapshot: Snapshot,
    ruleset: engine.CompiledRuleSet,
    lock: bool,
    exclude_rep_ids: frozenset[int] = frozenset(),
    exclude_agents: bool = False,
    mode: str = RULES,
    rule: engine.CompiledRule | None = None,
    now: datetime | None = None,
    memory: RoutingMemory | StateRead | None = None,
    ahead: ReadAhead | None = None,
) -> tuple[Decision, int]:
    """Decide for one lead: plan, read (and with `lock`, lock) the state the plan needs,
    choose. Returns the decision and the engine's own time in microseconds.

    `mode` ESCALATION or HANDOFF plans from the lead's `rule` (its targets) instead of
    running the rules again. `memory`: the state is taken from there (read once for many
    leads) instead of being read here. `ahead`: the plan made, and its state read, before
    (`read_ahead`, for these facts and the active rules of `snapshot`)."""
    now = now or timezone.now()
    if ahead is not None:
        plan, planning_ns = ahead.plan, ahead.planning_ns
        memory = memory or ahead.state
    else:
        plan, planning_ns = _plan(facts, snapshot=snapshot, ruleset=ruleset, mode=mode, rule=rule)
    if memory is not None:
        loads, rotations = memory.loads, memory.rotations
    else:
        query = plan_state_query(plan, snapshot=snapshot, now=now, lock=lock)
        read = query.answer(run_statements(query.statements))
        loads, rotations = read.loads, read.rotations
    state = RoutingState(
        loads=loads,
        rotations=rotations,
        exclude_rep_ids=exclude_rep_ids,
        exclude_agents=exclude_agents,
        similarity=_message_similarity(facts, plan, snapshot),
    )
    choosing = time.perf_counter_ns()
    decision = engine.choose(plan, data=snapshot.data, state=state, now=now)
    elapsed_ns = planning_ns + (time.perf_counter_ns() - choosing)
    return decision, elapsed_ns // 1000


def _plan(
    facts: LeadFacts,
    *,
    snapshot: Snapshot,
    ruleset: engine.CompiledRuleSet,
    mode: str = RULES,
    rule: engine.CompiledRule | None = None,
) -> tuple[engine.Plan, int]:
    """The plan for `mode` (see `run_engine`) and the nanoseconds it took."""
    started = time.perf_counter_ns()
    if mode == ESCALATION:
        plan = engine.plan_escalation(facts, ruleset=ruleset, rule=rule)
    elif mode == HANDOFF and rule is not None and rule.handoff_to is not None:
        plan = engine.plan_handoff(facts, ruleset=ruleset, rule=rule)
    else:
        plan = engine.plan(facts, ruleset=ruleset, data=snapshot.data)
    return plan, time.perf_counter_ns() - started


@dataclass(frozen=True)
class ReadAhead:
    """Routing a lead by the active rules of a snapshot, begun before its transaction
    reads anything: the plan and the time it took, the statements reading the state it
    needs (to be sent with others), and, once they have run, that state (`answered`)."""

    plan: engine.Plan
    planning_ns: int
    query: StateQuery
    state: StateRead | None = None

    def answered(self, rows: list[list[tuple[Any, ...]] | None]) -> ReadAhead:
        return replace(self, state=self.query.answer(rows))


def read_ahead(lead: Lead, *, snapshot: Snapshot, now: datetime) -> ReadAhead | None:
    """Plan `lead` by the active rules of `snapshot`, and the (locking) reads of what
    deciding on the plan needs, for a caller that sends them with other statements
    before routing and passes the answered `ReadAhead` to `lead_route`. None: no rule
    set is active."""
    if snapshot.active is None:
        return None
    plan, planning_ns = _plan(facts_of(lead), snapshot=snapshot, ruleset=snapshot.active)
    query = plan_state_query(plan, snapshot=snapshot, now=now, lock=True)
    return ReadAhead(plan, planning_ns, query)


def plan_state_query(
    plan: engine.Plan, *, snapshot: Snapshot, now: datetime, lock: bool
) -> StateQuery:
    """The statements reading what deciding on `plan` needs: its candidates' loads and
    their pools' rotations (with `lock`, locked)."""
    candidates = plan.candidates
    pool_ids = [c.owner.id for c in candidates if c.owner.kind == "pool"]
    rep_ids = {rep for c in candidates for rep in engine.owner_rep_ids(c.owner, snapshot.data)}
    return state_query(rep_ids, pool_ids=pool_ids, data=snapshot.data, now=now, lock=lock)


def _message_similarity(
    facts: LeadFacts, plan: engine.Plan, snapshot: Snapshot
) -> dict[int, float] | None:
    """For best-match pools, when semantic matching is installed and the lead wrote a
    message: how close it is to each member's expertise. None: not used for this lead."""
    if not snapshot.expertise or not facts.message.strip():
        return None
    members = [
        member.rep_id
        for candidate in plan.candidates
        if candidate.owner.kind == "pool"
        and (pool := snapshot.data.pools.get(candidate.owner.id)) is not None
        and pool.method == "best_match"
        for member in pool.members
    ]
    if not members:
        return None
    return semantic.similarities(facts.message, snapshot.expertise, members)


def lead_route(
    *,
    lead: Lead,
    kind: str = RoutingDecision.Kind.INITIAL,
    reason: str = Assignment.Reason.ROUTED,
    exclude_rep_ids: frozenset[int] = frozenset(),
    exclude_agents: bool = False,
    actor: str = "system",
    snapshot: Snapshot | None = None,
    mode: str = RULES,
    savepoint: bool = True,
    read_ahead: ReadAhead | None = None,
) -> Routed:
    """Route `lead` with the active rule set and record everything it decided. A lead
    not stored yet (intake's) is stored here, with what was decided.

    The pools the plan may use are locked while choosing, so concurrent leads take
    turns through a rotation one at a time and each rep gets exactly their share.
    `snapshot`: the current one, if the caller has just read it in this transaction.
    `mode`: ESCALATION or HANDOFF route with the rule set (and rule) that routed the
    lead before, to its escalation or hand-off target; RULES runs the active rules.
    `savepoint=False`: inside a caller's transaction, a failure here fails all of it.
    `read_ahead`: the answered `read_ahead` of this lead and `snapshot`, read in this
    transaction (intake sends it with its first statements): neither planned nor read
    again.
    """
    with transaction.atomic(savepoint=savepoint):
        snapshot = snapshot or current_snapshot()
        ruleset = snapshot.active
        if mode != RULES:
            ruleset = snapshot.rulesets.get(lead.ruleset_id) or ruleset
        now = timezone.now()
        if ruleset is None:
            written = recording_write(no_ruleset_recording(kind=kind, now=now), lead=lead)
            return Routed(written.decision, owner=None, ack_due_at=None, ruleset_name=None)
        ahead = read_ahead if mode == RULES else None
        decision, elapsed_us = run_engine(
            ahead.plan.lead if ahead is not None else facts_of(lead),  # made once, ahead
            snapshot=snapshot,
            ruleset=ruleset,
            now=now,
            lock=True,
            exclude_rep_ids=exclude_rep_ids,
            exclude_agents=exclude_agents,
            mode=mode,
            rule=rule_in(ruleset, lead.rule_id),
            ahead=ahead,
        )
        if decision.rotation is not None:
            save_rotation(decision.rotation)
        row, ack_due_at = record_decision(
            lead=lead,
            decision=decision,
            ruleset=ruleset,
            kind=kind,
            reason=reason,
            elapsed_us=elapsed_us,
            actor=actor,
            snapshot=snapshot,
            now=now,
        )
        owner = snapshot.data.reps.get(decision.rep_id) if decision.rep_id else None
        return Routed(row, owner=owner, ack_due_at=ack_due_at, ruleset_name=ruleset.name)


def rule_in(
    ruleset: engine.CompiledRuleSet | None, rule_id: int | None
) -> engine.CompiledRule | None:
    if ruleset is None or rule_id is None:
        return None
    return next((rule for rule in ruleset.rules if rule.id == rule_id), None)


def record_decision(
    *,
    lead: Lead,
    decision: Decision,
    ruleset: engine.CompiledRuleSet,
    kind: str,
    reason: str,
    elapsed_us: int,
    actor: str,
    snapshot: Snapshot,
    now: datetime,
) -> tuple[RoutingDecision, datetime | None]:
    """Store the decision (made at `now`), the assignment it makes, the lead's new state
    and the outbox rows telling the new owner and the subscribers; returns the decision
    and the acknowledgment deadline (None if nobody could take the lead)."""
    recording = decision_recording(
        decision=decision,
        ruleset=ruleset,
        kind=kind,
        reason=reason,
        elapsed_us=elapsed_us,
        actor=actor,
        now=now,
        owner=snapshot.data.reps.get(decision.rep_id) if decision.rep_id else None,
        contact=snapshot.contacts.get(decision.rep_id) if decision.rep_id else None,
        subscribers=snapshot.subscribers,
    )
    written = recording_write(recording, lead=lead)
    assert written.decision is not None
    ack_due_at = written.assignment.ack_due_at if written.assignment else None
    return written.decision, ack_due_at


@transaction.atomic
def lead_route_after_error(*, lead: Lead, error: BaseException) -> Routed:
    """Routing failed: give the lead to the rule set's fallback without the engine, so the
    lead is owned and the error is on record — never a lost lead."""
    message = f"{type(error).__name__}: {error}"
    # Read fresh from the database: the snapshot may be what failed.
    ruleset = RuleSet.objects.filter(is_active=True).select_related("fallback_pool").first()
    rep = None
    target = None
    if ruleset is not None:
        rep = ruleset.fallback_rep or _first_active_member(ruleset.fallback_pool)
        target = FallbackTarget(
            ruleset_id=ruleset.pk,
            ruleset_version=ruleset.version,
            ack_sla=ruleset.ack_sla,
            fallback_pool_id=ruleset.fallback_pool_id,
        )
    recording = fallback_recording(
        target=target,
        rep=rep,
        error=message,
        now=timezone.now(),
        contact=contact_of(rep) if rep else None,
        subscribers=active_subscribers(),
    )
    written = recording_write(recording, lead=lead)
    assert written.decision is not None
    return Routed(
        written.decision,
        owner=rep,
        ack_due_at=written.assignment.ack_due_at if written.assignment else None,
        ruleset_name=ruleset.name if ruleset else None,
    )


def _first_active_member(pool: Any) -> Rep | None:
    if pool is None:
        return None
    membership = pool.memberships.filter(rep__is_active=True).order_by("id").first()
    return membership.rep if membership else None
