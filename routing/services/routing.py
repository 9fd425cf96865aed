"""Routing a lead: the transaction around the pure engine.

A decision is planned (`lead_plan`: which rule, which candidates; pure), the state the
plan needs is read (`plan_state`: candidates' loads, their pools' rotations, locked), the
engine chooses (`lead_choose`) and the recorder writes what it decided. Intake routes a
new lead by the rules (`new_lead_route`); escalation and hand-off send a routed lead on
to a target of the rule that routed it (`lead_reroute`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone

from reps.models import Rep
from routing import engine, semantic
from routing.db.prepared import Rows
from routing.db.statements import run_statements
from routing.engine import Decision, RepProfile, RoutingState
from routing.models import Assignment, Lead, LeadEvent, RoutingDecision, RuleSet
from routing.normalize import LeadFacts, lead_facts
from routing.normalize.facts import FACT_FIELD_NAMES
from routing.notifications.contacts import active_subscribers, contact_of
from routing.snapshot import Snapshot, current_snapshot

from .familiar import familiar_of, familiar_query, with_familiar
from .recording import (
    FallbackTarget,
    decision_recording,
    fallback_recording,
    no_ruleset_recording,
)
from .recording_writer import recording_write
from .state import RoutingMemory, StateQuery, StateRead, save_rotation, state_query

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Routed:
    """A recorded decision with what an answer shows of it, kept at hand so that
    answering needs no further reads."""

    decision: RoutingDecision | None
    owner: Rep | RepProfile | None
    ack_due_at: datetime | None
    ruleset_name: str | None


class Reroute(NamedTuple):
    """A routed lead going on to a target of the rule that routed it, instead of
    through the rules again: its escalation target (nobody acknowledged in time) or its
    hand-off target (an AI agent hands it to people)."""

    kind: str  # the decision's kind, which says which target
    reason: str  # the assignment's reason
    exclude_rep_ids: frozenset[int] = frozenset()
    exclude_agents: bool = False


def escalation(*, exclude_rep_ids: frozenset[int]) -> Reroute:
    """To the escalation target, never back to a rep who let the lead expire."""
    return Reroute(RoutingDecision.Kind.ESCALATION, Assignment.Reason.ESCALATED, exclude_rep_ids)


HANDOFF = Reroute(RoutingDecision.Kind.HANDOFF, Assignment.Reason.HANDOFF, exclude_agents=True)
# Through the rules again: the lead submitted again (routing.services.returning).
RETURNED = Reroute(RoutingDecision.Kind.RETURNED, Assignment.Reason.ROUTED)


def facts_of(lead: Lead) -> LeadFacts:
    return lead_facts({name: getattr(lead, name) for name in FACT_FIELD_NAMES})


class Planned(NamedTuple):
    """What the engine plans for a lead (pure, no state) and the nanoseconds it took."""

    plan: engine.Plan
    planning_ns: int


def lead_plan(
    facts: LeadFacts,
    *,
    snapshot: Snapshot,
    ruleset: engine.CompiledRuleSet,
    reroute: Reroute | None = None,
    rule: engine.CompiledRule | None = None,
) -> Planned:
    """The plan by the rules, or with `reroute`, to the escalation or hand-off target
    of `rule` (the rule that routed the lead; by the rules when it has no hand-off
    target)."""
    started = time.perf_counter_ns()
    kind = reroute.kind if reroute is not None else None
    if kind == RoutingDecision.Kind.ESCALATION:
        plan = engine.plan_escalation(facts, ruleset=ruleset, rule=rule)
    elif kind == RoutingDecision.Kind.HANDOFF and rule is not None and rule.handoff_to is not None:
        plan = engine.plan_handoff(facts, ruleset=ruleset, rule=rule)
    else:
        plan = engine.plan(facts, ruleset=ruleset, data=snapshot.data)
    return Planned(plan, time.perf_counter_ns() - started)


def plan_state_query(
    plan: engine.Plan, *, snapshot: Snapshot, now: datetime, lock: bool
) -> StateQuery:
    """The statements reading what deciding on `plan` needs: its candidates' loads and
    their pools' rotations (with `lock`, locked), to run now or with others."""
    candidates = plan.candidates
    pool_ids = [c.owner.id for c in candidates if c.owner.kind == "pool"]
    rep_ids = {rep for c in candidates for rep in engine.owner_rep_ids(c.owner, snapshot.data)}
    return state_query(rep_ids, pool_ids=pool_ids, data=snapshot.data, now=now, lock=lock)


def plan_state(plan: engine.Plan, *, snapshot: Snapshot, now: datetime, lock: bool) -> StateRead:
    """What deciding on `plan` needs, read now (with `lock`, its rotations locked)."""
    query = plan_state_query(plan, snapshot=snapshot, now=now, lock=lock)
    return query.answer(run_statements(query.statements))


def new_lead_state(
    lead: Lead,
    planned: Planned,
    *,
    ruleset: engine.CompiledRuleSet,
    snapshot: Snapshot,
    now: datetime,
    lock: bool,
) -> StateRead:
    """What deciding a new lead needs, read together: its plan's state (with `lock`,
    its rotations locked) and, when the rule set asks, the rep it already knows
    (`familiar_query`), with their load."""
    query = plan_state_query(planned.plan, snapshot=snapshot, now=now, lock=lock)
    *rows, familiar_rows = run_statements(
        [*query.statements, familiar_query(planned.plan.lead, ruleset=ruleset, now=now)]
    )
    return new_lead_state_of(query, rows, familiar_rows, lead=lead, snapshot=snapshot, now=now)


def new_lead_state_of(
    query: StateQuery,
    rows: list[Rows | None],
    familiar_rows: Rows | None,
    *,
    lead: Lead,
    snapshot: Snapshot,
    now: datetime,
) -> StateRead:
    """`new_lead_state` from the answers of its statements, run here or with others:
    the plan's state and the familiar rep (their load read now if `query` did not)."""
    return with_familiar(
        query.answer(rows),
        familiar_of(familiar_rows, lead=lead, data=snapshot.data),
        read_rep_ids=query.rep_ids,
        data=snapshot.data,
        now=now,
    )


def lead_choose(
    planned: Planned,
    *,
    snapshot: Snapshot,
    state: StateRead | RoutingMemory,
    now: datetime,
    reroute: Reroute | None = None,
    sla: engine.ChosenSla | None = None,
) -> tuple[Decision, int]:
    """The engine's choice on the plan and the state read for it, and the engine's own
    time (planning and choosing) in microseconds. `sla`: chosen instead of the rule's
    (an imported list's)."""
    plan = planned.plan
    choosing = time.perf_counter_ns()
    decision = engine.choose(
        plan,
        data=snapshot.data,
        state=RoutingState(
            loads=state.loads,
            rotations=state.rotations,
            exclude_rep_ids=reroute.exclude_rep_ids if reroute else frozenset(),
            exclude_agents=reroute.exclude_agents if reroute else False,
            similarity=_message_similarity(plan, snapshot),
            familiar=state.familiar,
        ),
        now=now,
        sla=sla,
    )
    return decision, (planned.planning_ns + time.perf_counter_ns() - choosing) // 1000


def _message_similarity(plan: engine.Plan, snapshot: Snapshot) -> dict[int, float] | None:
    """For best-match pools, when semantic matching is installed and the lead wrote a
    message: how close it is to each member's expertise. None: not used for this lead."""
    message = plan.lead.message
    if not snapshot.expertise or not message.strip():
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
    return semantic.similarities(message, snapshot.expertise, members)


def new_lead_route(
    lead: Lead,
    *,
    actor: str,
    snapshot: Snapshot,
    read: tuple[Planned, StateRead] | None = None,
    earlier: Sequence[LeadEvent] = (),
) -> Routed:
    """Route a lead intake has not stored yet by the active rules, and store it with
    what was decided and its `earlier` events, in the caller's transaction (a failure
    fails all of it). `read`: the plan and its locked state (with the familiar rep the
    rule set may ask for), read in this transaction with the caller's first statements;
    planned and read here otherwise."""
    ruleset = snapshot.active
    now = timezone.now()
    if ruleset is None:
        recording = no_ruleset_recording(kind=RoutingDecision.Kind.INITIAL, now=now)
        written = recording_write(recording, lead=lead, earlier=earlier)
        return Routed(written.decision, owner=None, ack_due_at=None, ruleset_name=None)
    if read is None:
        planned = lead_plan(facts_of(lead), snapshot=snapshot, ruleset=ruleset)
        state = new_lead_state(
            lead, planned, ruleset=ruleset, snapshot=snapshot, now=now, lock=True
        )
    else:
        planned, state = read
    return _decided(
        lead,
        planned,
        state,
        ruleset=ruleset,
        snapshot=snapshot,
        now=now,
        reroute=None,
        actor=actor,
        earlier=earlier,
    )


def lead_reroute(
    lead: Lead,
    reroute: Reroute,
    *,
    actor: str = "system",
    snapshot: Snapshot | None = None,
    why: dict[str, Any] | None = None,
) -> Routed:
    """Route a stored lead on to a target of the rule set (and rule) that routed it, and
    record what was decided. The pools it may go to are locked while choosing, so
    concurrent leads take turns through a rotation and each rep gets exactly their
    share. `snapshot`: the current one, if the caller has just read it. `why`: a first
    trace step. RETURNED routes by the active rule set's rules."""
    with transaction.atomic():
        snapshot = snapshot or current_snapshot()
        ruleset = snapshot.rulesets.get(lead.ruleset_id) or snapshot.active
        if reroute.kind == RoutingDecision.Kind.RETURNED:
            ruleset = snapshot.active
        now = timezone.now()
        if ruleset is None:
            written = recording_write(no_ruleset_recording(kind=reroute.kind, now=now), lead=lead)
            return Routed(written.decision, owner=None, ack_due_at=None, ruleset_name=None)
        planned = lead_plan(
            facts_of(lead),
            snapshot=snapshot,
            ruleset=ruleset,
            reroute=reroute,
            rule=rule_in(ruleset, lead.rule_id),
        )
        state = plan_state(planned.plan, snapshot=snapshot, now=now, lock=True)
        return _decided(
            lead,
            planned,
            state,
            ruleset=ruleset,
            snapshot=snapshot,
            now=now,
            reroute=reroute,
            actor=actor,
            why=why,
        )


def _decided(
    lead: Lead,
    planned: Planned,
    state: StateRead,
    *,
    ruleset: engine.CompiledRuleSet,
    snapshot: Snapshot,
    now: datetime,
    reroute: Reroute | None,
    actor: str,
    earlier: Sequence[LeadEvent] = (),
    why: dict[str, Any] | None = None,
) -> Routed:
    """Choose on the plan and state, move the rotation, record the decision (`why`: a
    first trace step saying why the lead is routed again)."""
    decision, elapsed_us = lead_choose(
        planned, snapshot=snapshot, state=state, now=now, reroute=reroute
    )
    if why is not None:
        decision.steps = (why, *decision.steps)
    if decision.rotation is not None:
        save_rotation(decision.rotation)
    owner = snapshot.data.reps.get(decision.rep_id) if decision.rep_id else None
    recording = decision_recording(
        decision=decision,
        ruleset=ruleset,
        kind=reroute.kind if reroute else RoutingDecision.Kind.INITIAL,
        reason=reroute.reason if reroute else Assignment.Reason.ROUTED,
        elapsed_us=elapsed_us,
        actor=actor,
        now=now,
        owner=owner,
        contact=snapshot.contacts.get(decision.rep_id) if decision.rep_id else None,
        subscribers=snapshot.subscribers,
        managers=snapshot.managers.get(ruleset.id, ()),
        passed_over_contact=(
            snapshot.contacts.get(decision.bypassed.rep_id) if decision.bypassed else None
        ),
    )
    written = recording_write(recording, lead=lead, earlier=earlier)
    ack_due_at = written.assignment.ack_due_at if written.assignment else None
    return Routed(written.decision, owner=owner, ack_due_at=ack_due_at, ruleset_name=ruleset.name)


def rule_in(
    ruleset: engine.CompiledRuleSet | None, rule_id: int | None
) -> engine.CompiledRule | None:
    if ruleset is None or rule_id is None:
        return None
    return next((rule for rule in ruleset.rules if rule.id == rule_id), None)


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
            remind_before=ruleset.remind_before,
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
