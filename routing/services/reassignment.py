"""A manager moves leads by hand: to a rep or a pool, back to the rules, or closed.

Each action takes one lead or many in one transaction and records through the recorder
(routing.services.recording): a reassignment or a return is a routing decision with its
trace, a new assignment with a fresh deadline, events naming the manager and their
reason, and the new owner told as for any assignment; the old open assignment ends
first, so a lead never has two. Leads are written together by the batch writer.

Races: the open assignments are locked first, then the leads, in id order — the order
of the escalation sweep and of an acknowledgment — and read again once locked. The
manager chose from the list as it was when the confirmation page was shown
(`seen_at`): a lead acknowledged, claimed, escalated or closed since then has moved
under their feet, so it is left as it is and reported, never taken from whoever has
just started working it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from reps.models import Pool, Rep, User
from reps.owners import Owner
from routing import engine
from routing.engine import Decision, RoutingState
from routing.models import Assignment, Lead, LeadEvent, Notification, RoutingDecision
from routing.notifications.outbox import outbox_tell_rep, outbox_write
from routing.notifications.payloads import event_body
from routing.snapshot import Snapshot, current_snapshot

from .recording import NO_RULESET, EventRow, Recording, SharedQueue, decision_recording
from .recording_writer import Recorded, recordings_write
from .routing import facts_of, lead_choose, lead_plan, rule_in
from .state import RoutingMemory
from .work import FINAL_OUTCOMES

REASON_MAX_LENGTH = 500
# What the rep who had the lead is told when a manager moves it to someone else.
MOVED_BY_MANAGER = "lead.reassigned"


class ReassignmentError(Exception):
    """The action cannot be done as asked; the message says how to fix it."""


@dataclass
class Moved:
    """What an action did: the leads it moved or closed, and those it left as they were
    with why (the manager sees both)."""

    done: list[Lead] = field(default_factory=list)
    left: list[tuple[Lead, str]] = field(default_factory=list)


def leads_reassign(
    *,
    lead_ids: Sequence[int],
    target: Rep | Pool,
    reason: str,
    by: User,
    seen_at: datetime,
) -> Moved:
    """Give the leads to `target`: a rep as chosen (an inactive one never), or the
    member a pool's method picks among those available now, other than the lead's
    current owner. The lead keeps the rule that routed it, whose SLA sets the new
    deadline."""
    reason = _reason_checked(reason)
    owner = _target_checked(target)
    why = {"step": "reassigned", **_named(by), "reason": reason}
    with transaction.atomic():
        now = timezone.now()
        locked = _locked(lead_ids)
        snapshot = current_snapshot()
        memory = (
            RoutingMemory(data=snapshot.data, now=now, lock=True) if owner.kind == "pool" else None
        )
        moved = Moved()
        batch: list[tuple[Lead, Recording]] = []
        for lead in locked.leads:
            current = locked.open.get(lead.pk)
            problem = _moved_since(lead, current, seen_at)
            if problem is None and owner.kind == "rep" and current and current.rep_id == owner.id:
                problem = f"already with {target}"
            ruleset = snapshot.rulesets.get(lead.ruleset_id) or snapshot.active
            if problem is None and ruleset is None:
                problem = NO_RULESET
            if problem is not None:
                moved.left.append((lead, problem))
                continue
            assert ruleset is not None
            state = RoutingState(
                loads=memory.loads if memory else {},
                rotations=memory.rotations if memory else {},
                moving_from=current.rep_id if current else None,
            )
            started = time.perf_counter_ns()
            decision = engine.choose_target(
                facts_of(lead),
                target=owner,
                ruleset=ruleset,
                rule=rule_in(ruleset, lead.rule_id),
                data=snapshot.data,
                state=state,
                now=now,
                why=why,
            )
            elapsed_us = (time.perf_counter_ns() - started) // 1000
            if decision.rep_id is None:
                moved.left.append((lead, _nobody_in(target)))
                continue
            if memory is not None:
                memory.taken(decision)
            recording = _decided(
                decision,
                ruleset=ruleset,
                kind=RoutingDecision.Kind.MANUAL,
                snapshot=snapshot,
                by=by,
                now=now,
                elapsed_us=elapsed_us,
            )
            rep_id = decision.rep_id
            event = EventRow(
                LeadEvent.Kind.REASSIGNED,
                {
                    "from_rep": lead.owner_id,
                    "rep": rep_id,
                    "pool": decision.pool_id,
                    "note": reason,
                    "ack_due_at": decision.ack_due_at.isoformat() if decision.ack_due_at else None,
                },
                publish_as="lead.assigned",
                of_assignment=True,
                cites_decision=True,
            )
            batch.append((lead, recording._replace(events=(event,))))
        if memory is not None:
            memory.save()
        _write(batch, locked=locked, snapshot=snapshot, now=now, moved=moved)
    return moved


def leads_return_to_rules(
    *, lead_ids: Sequence[int], reason: str, by: User, seen_at: datetime
) -> Moved:
    """Route the leads again by the active rule set, as new leads are (no familiar
    rep: the rules decide); their escalations start over. A lead nobody can take waits
    in the shared queue, as any would."""
    reason = _reason_checked(reason)
    why = {"step": "returned to the rules", **_named(by), "reason": reason}
    with transaction.atomic():
        now = timezone.now()
        locked = _locked(lead_ids)
        snapshot = current_snapshot()
        ruleset = snapshot.active
        if ruleset is None:
            raise ReassignmentError(NO_RULESET)
        memory = RoutingMemory(data=snapshot.data, now=now, lock=True)
        moved = Moved()
        batch: list[tuple[Lead, Recording]] = []
        for lead in locked.leads:
            problem = _moved_since(lead, locked.open.get(lead.pk), seen_at)
            if problem is not None:
                moved.left.append((lead, problem))
                continue
            planned = lead_plan(facts_of(lead), snapshot=snapshot, ruleset=ruleset)
            decision, elapsed_us = lead_choose(planned, snapshot=snapshot, state=memory, now=now)
            decision.steps = (why, *decision.steps)
            memory.taken(decision)
            recording = _decided(
                decision,
                ruleset=ruleset,
                kind=RoutingDecision.Kind.REROUTED,
                snapshot=snapshot,
                by=by,
                now=now,
                elapsed_us=elapsed_us,
            )
            events = tuple(
                row._replace(data={**row.data, "note": reason}) for row in recording.events
            )
            batch.append(
                (
                    lead,
                    recording._replace(
                        events=events, lead={**recording.lead, "escalation_count": 0}
                    ),
                )
            )
        memory.save()
        _write(batch, locked=locked, snapshot=snapshot, now=now, moved=moved)
    return moved


def leads_close(
    *, lead_ids: Sequence[int], outcome: str, reason: str, by: User, seen_at: datetime
) -> Moved:
    """Give the leads a final outcome (converted, disqualified) with the manager's
    reason as its note: their open assignment ends, and they leave every queue."""
    if outcome not in FINAL_OUTCOMES:
        finals = ", ".join(str(final) for final in FINAL_OUTCOMES)
        raise ReassignmentError(f"'{outcome}' is not a final outcome; choose from {finals}.")
    reason = _reason_checked(reason)
    with transaction.atomic():
        now = timezone.now()
        locked = _locked(lead_ids)
        snapshot = current_snapshot()
        moved = Moved()
        batch: list[tuple[Lead, Recording]] = []
        for lead in locked.leads:
            problem = _moved_since(lead, locked.open.get(lead.pk), seen_at)
            if problem is not None:
                moved.left.append((lead, problem))
                continue
            closing = Recording(
                at=now,
                actor=by.get_full_name(),
                actor_user_id=by.pk,
                lead={"status": outcome, "outcome_note": reason},
                queue=SharedQueue(),
                events=(
                    EventRow(
                        LeadEvent.Kind.OUTCOME,
                        {"outcome": outcome, "note": reason, "closed_by_manager": True},
                        publish_as="lead.outcome",
                    ),
                ),
                subscribers=snapshot.subscribers,
            )
            batch.append((lead, closing))
        _write(
            batch,
            locked=locked,
            snapshot=snapshot,
            now=now,
            moved=moved,
            end_reason=Assignment.EndReason.CLOSED,
        )
    return moved


# ---------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class _Locked:
    leads: list[Lead]
    open: dict[int, Assignment]  # lead id → its open assignment


def _locked(lead_ids: Sequence[int]) -> _Locked:
    """The leads and their open assignments, locked: the assignments first, then the
    leads, in id order, as the escalation sweep and an acknowledgment take them, so
    that none of them waits on another in a circle. Read again once the leads are
    locked: a claim or an escalation that committed meanwhile has a new assignment."""
    ids = sorted(set(lead_ids))
    list(
        Assignment.objects.select_for_update()
        .filter(lead_id__in=ids, ended_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    leads = list(Lead.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    open_now = Assignment.objects.filter(lead_id__in=ids, ended_at__isnull=True).select_related(
        "rep"
    )
    return _Locked(leads, {assignment.lead_id: assignment for assignment in open_now})


def _moved_since(lead: Lead, current: Assignment | None, seen_at: datetime) -> str | None:
    """Why the lead is no longer as the manager saw it at `seen_at`; None: it is."""
    if not lead.is_open:
        return f"closed already ({lead.get_status_display().lower()})"
    if current is None:
        return None
    if current.assigned_at > seen_at:
        return f"went to {current.rep.name} meanwhile; left with them"
    if current.acknowledged_at is not None and current.acknowledged_at > seen_at:
        return f"acknowledged by {current.rep.name} meanwhile; left with them"
    return None


def _decided(
    decision: Decision,
    *,
    ruleset: engine.CompiledRuleSet,
    kind: str,
    snapshot: Snapshot,
    by: User,
    now: datetime,
    elapsed_us: int = 0,
) -> Recording:
    """The engine's decision recorded as the manager's: they are its actor, the new
    owner is told as of any assignment, and the lead leaves the shared queue it
    waited in."""
    rep_id = decision.rep_id
    recording = decision_recording(
        decision=decision,
        ruleset=ruleset,
        kind=kind,
        reason=Assignment.Reason.MANUAL,
        elapsed_us=elapsed_us,
        actor=by.get_full_name(),
        now=now,
        owner=snapshot.data.reps.get(rep_id) if rep_id else None,
        contact=snapshot.contacts.get(rep_id) if rep_id else None,
        subscribers=snapshot.subscribers,
        managers=snapshot.managers.get(ruleset.id, ()),
    )
    if rep_id is None:
        return recording._replace(actor_user_id=by.pk)
    return recording._replace(actor_user_id=by.pk, queue=SharedQueue())


def _write(
    batch: list[tuple[Lead, Recording]],
    *,
    locked: _Locked,
    snapshot: Snapshot,
    now: datetime,
    moved: Moved,
    end_reason: str = Assignment.EndReason.REASSIGNED,
) -> None:
    """End the open assignments of the leads in `batch`, write their recordings, and
    tell each rep a lead was taken from that it went to someone else."""
    ended = [locked.open[lead.pk] for lead, _ in batch if lead.pk in locked.open]
    Assignment.objects.filter(pk__in=[assignment.pk for assignment in ended]).update(
        ended_at=now, end_reason=end_reason
    )
    for assignment in ended:
        assignment.ended_at, assignment.end_reason = now, end_reason
    recordings_write([Recorded(lead, recording) for lead, recording in batch], now=now)
    moved.done.extend(lead for lead, _ in batch)
    if end_reason == Assignment.EndReason.REASSIGNED:
        leads = {lead.pk: lead for lead, _ in batch}
        outbox_write(_told_of_move(ended, leads=leads, snapshot=snapshot, now=now), many=True)


def _told_of_move(
    ended: list[Assignment], *, leads: dict[int, Lead], snapshot: Snapshot, now: datetime
) -> list[Notification]:
    """The reason is not told: it is the manager's, kept in the lead's timeline."""
    messages: list[Notification] = []
    for assignment in ended:
        lead = leads[assignment.lead_id]
        if lead.owner_id == assignment.rep_id:
            continue  # the rules gave it back to them
        messages += outbox_tell_rep(
            contact=snapshot.contacts.get(assignment.rep_id),
            kind=MOVED_BY_MANAGER,
            lead_id=lead.pk,
            assignment=assignment,
            body=event_body(MOVED_BY_MANAGER, lead=lead, at=now, assignment=assignment),
        )
    return messages


def _named(by: User) -> dict[str, object]:
    """The manager as a trace names them: as people read it, with their id for the
    audit (a name can change, and two managers can share one)."""
    return {"by": by.get_full_name(), "by_user_id": by.pk}


def _nobody_in(target: Rep | Pool) -> str:
    if isinstance(target, Rep):
        return f"{target.name} cannot take leads now"
    return f"nobody in {target.name} can take it now (its current owner aside)"


def _reason_checked(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReassignmentError("Say why: the reason is kept in the lead's timeline.")
    if len(reason) > REASON_MAX_LENGTH:
        raise ReassignmentError(f"Keep the reason under {REASON_MAX_LENGTH} characters.")
    return reason


def _target_checked(target: Rep | Pool) -> Owner:
    if isinstance(target, Rep):
        if not target.is_active:
            raise ReassignmentError(
                f"{target.name} is inactive and cannot take leads: choose an active rep."
            )
        return Owner("rep", target.pk, target.name)
    if not target.memberships.filter(rep__is_active=True).exists():
        raise ReassignmentError(f"{target.name} has no active member: choose another target.")
    return Owner("pool", target.pk, target.name)
