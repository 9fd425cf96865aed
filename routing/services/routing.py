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
from routing.conditions import LEAD_FIELDS
from routing.engine import Decision, RepProfile, RoutingState
from routing.models import Assignment, Lead, LeadEvent, RoutingDecision, RuleSet
from routing.normalize import LeadFacts, lead_facts
from routing.notifications.contacts import Contact, Subscriber, active_subscribers, contact_of
from routing.notifications.outbox import outbox_tell_rep, outbox_write
from routing.notifications.payloads import OwnerLike, event_body
from routing.snapshot import Snapshot, current_snapshot
from routing.statements import run_as_one

from .events import lead_event_publish, lead_event_record
from .rows import row_insert, row_update
from .state import RoutingMemory, StateQuery, StateRead, save_rotation, state_query

logger = logging.getLogger(__name__)

# The lead's fields the engine decides on: those conditions can test, and attributes.
LEAD_FACT_FIELDS = (*LEAD_FIELDS, "attributes")
NO_RULESET = "No rule set is active: activate one in the admin (Rule sets → Activate)."

# What routing changes on the lead.
ROUTED_FIELDS = ("owner", "status", "ruleset", "rule", "updated_at")

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
    return lead_facts({name: getattr(lead, name) for name in LEAD_FACT_FIELDS})


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
        read = query.answer(run_as_one(query.statements))
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
        if ruleset is None:
            if lead.pk is None:
                row_insert(lead)
            row = RoutingDecision.objects.create(
                lead=lead,
                kind=kind,
                steps=[{"step": "error", "error": NO_RULESET}],
                error=NO_RULESET,
            )
            return Routed(row, owner=None, ack_due_at=None, ruleset_name=None)
        now = timezone.now()
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
    error: str = "",
) -> tuple[RoutingDecision, datetime | None]:
    """Store the decision (made at `now`), the assignment it makes, the lead's new state
    and the outbox rows telling the new owner and the subscribers; returns the decision
    and the acknowledgment deadline (None if nobody could take the lead)."""
    lead.ruleset_id = ruleset.id
    lead.rule_id = decision.rule.id if decision.rule else None
    if decision.rep_id is not None:
        lead.owner_id, lead.status = decision.rep_id, Lead.Status.ASSIGNED
        lead_routed_state_save(lead)
    elif lead.pk is None:
        row_insert(lead)  # as submitted: lead_unclaim below records that nobody has it
    row = RoutingDecision(
        lead=lead,
        kind=kind,
        ruleset_id=ruleset.id,
        ruleset_version=ruleset.version,
        rule_id=decision.rule.id if decision.rule else None,
        rule_name=decision.rule.name if decision.rule else "",
        owner_id=decision.rep_id,
        pool_id=decision.pool_id,
        steps=list(decision.steps),
        elapsed_us=elapsed_us,
        error=error,
        created_at=now,
    )
    row_insert(row)
    if decision.rep_id is None:
        lead_unclaim(
            lead=lead,
            pool_ids=queue_pool_ids(ruleset, decision.rule),
            reason="nobody can take it",
            actor=actor,
            subscribers=snapshot.subscribers,
            data={"decision": row.id},
        )
        return row, None
    assignment = Assignment(
        lead=lead,
        rep_id=decision.rep_id,
        decision=row,
        reason=reason,
        assigned_at=now,
        ack_due_at=decision.ack_due_at,
    )
    row_insert(assignment)
    owner = snapshot.data.reps.get(decision.rep_id)
    assignment_announce(
        lead=lead,
        assignment=assignment,
        owner=owner,
        contact=snapshot.contacts.get(decision.rep_id),
        subscribers=snapshot.subscribers,
        actor=actor,
        data={"decision": row.id, "rule": row.rule_name or "fallback"},
    )
    return row, assignment.ack_due_at


def assignment_announce(
    *,
    lead: Lead,
    assignment: Assignment,
    owner: OwnerLike | None,
    contact: Contact | None,
    subscribers: tuple[Subscriber, ...],
    actor: str,
    data: dict[str, Any],
) -> None:
    """A new assignment: on the timeline, to the owner's channels, to the subscribers."""
    _, deliveries = lead_event_record(
        lead=lead,
        kind=LeadEvent.Kind.ROUTED,
        publish_as="lead.assigned",
        subscribers=subscribers,
        assignment=assignment,
        owner=owner,
        actor=actor,
        data={**data, "rep": assignment.rep_id, "ack_due_at": assignment.ack_due_at.isoformat()},
    )
    told = "lead.escalated" if assignment.reason == Assignment.Reason.ESCALATED else "lead.assigned"
    body = event_body(
        told, lead=lead, at=assignment.assigned_at, assignment=assignment, owner=owner
    )
    outbox_write(
        outbox_tell_rep(
            contact=contact, kind=told, lead_id=lead.pk, assignment=assignment, body=body
        )
        + deliveries
    )


def lead_unclaim(
    *,
    lead: Lead,
    pool_ids: list[int],
    reason: str,
    actor: str,
    subscribers: tuple[Subscriber, ...],
    data: dict[str, Any],
) -> None:
    """Nobody has the lead now: it waits in the shared queue of these pools."""
    lead.owner_id = None
    lead.status = Lead.Status.UNCLAIMED
    row_update(lead, ROUTED_FIELDS)
    lead.queue_pools.set(pool_ids)
    lead_event_publish(
        lead=lead,
        kind=LeadEvent.Kind.UNCLAIMED,
        publish_as="lead.unclaimed",
        subscribers=subscribers,
        actor=actor,
        data={**data, "reason": reason, "queue_pools": pool_ids},
    )


def lead_routed_state_save(lead: Lead) -> None:
    """Store the lead's owner, status, rule set and rule. A lead intake has not stored
    yet is inserted with them: one write where an insert and an update would be."""
    if lead.pk is None:
        row_insert(lead)
    else:
        row_update(lead, ROUTED_FIELDS)


def queue_pool_ids(ruleset: engine.CompiledRuleSet, rule: engine.CompiledRule | None) -> list[int]:
    """The pools whose members may claim an unclaimed lead: every pool it could have
    gone to — the rule's, the escalation target's, the fallback's."""
    owners = [ruleset.fallback, ruleset.escalate_to]
    if rule is not None:
        owners += [rule.target, rule.escalate_to]
    return sorted({owner.id for owner in owners if owner is not None and owner.kind == "pool"})


@transaction.atomic
def lead_route_after_error(*, lead: Lead, error: BaseException) -> Routed:
    """Routing failed: give the lead to the rule set's fallback without the engine, so the
    lead is owned and the error is on record — never a lost lead."""
    message = f"{type(error).__name__}: {error}"
    # Read fresh from the database: the snapshot may be what failed.
    ruleset = RuleSet.objects.filter(is_active=True).select_related("fallback_pool").first()
    steps: list[dict[str, Any]] = [{"step": "error", "error": message}]
    rep = None
    if ruleset is not None:
        rep = ruleset.fallback_rep or _first_active_member(ruleset.fallback_pool)
        steps.append(
            {
                "step": "fallback",
                "rep": rep.name if rep else None,
                "reason": "routing failed; the fallback takes the lead",
            }
        )
    now = timezone.now()
    row = RoutingDecision.objects.create(
        lead=lead,
        kind=RoutingDecision.Kind.FALLBACK_ON_ERROR,
        ruleset=ruleset,
        ruleset_version=ruleset.version if ruleset else None,
        owner=rep,
        steps=steps,
        error=message,
        created_at=now,
    )
    ruleset_name = ruleset.name if ruleset else None
    subscribers = active_subscribers()
    if rep is None:
        lead.ruleset = ruleset
        lead_unclaim(
            lead=lead,
            pool_ids=[ruleset.fallback_pool_id] if ruleset and ruleset.fallback_pool_id else [],
            reason="routing failed and the fallback has nobody active",
            actor="system",
            subscribers=subscribers,
            data={"decision": row.id, "error": message},
        )
        return Routed(row, owner=None, ack_due_at=None, ruleset_name=ruleset_name)
    assignment = Assignment.objects.create(
        lead=lead,
        rep=rep,
        decision=row,
        reason=Assignment.Reason.ROUTED,
        assigned_at=now,
        ack_due_at=now + ruleset.ack_sla,
    )
    lead.owner = rep
    lead.ruleset = ruleset
    lead.status = Lead.Status.ASSIGNED
    lead.save(update_fields=["owner", "ruleset", "status", "updated_at"])
    assignment_announce(
        lead=lead,
        assignment=assignment,
        owner=rep,
        contact=contact_of(rep),
        subscribers=subscribers,
        actor="system",
        data={"decision": row.id, "error": message},
    )
    return Routed(row, owner=rep, ack_due_at=assignment.ack_due_at, ruleset_name=ruleset_name)


def _first_active_member(pool: Any) -> Rep | None:
    if pool is None:
        return None
    membership = pool.memberships.filter(rep__is_active=True).order_by("id").first()
    return membership.rep if membership else None
