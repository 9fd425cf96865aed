"""Nobody acknowledged in time: expire the assignments and move their leads on.

The database is the guarantee. The sweep (routing.tasks.escalate_overdue, every second
or so) finds open, unacknowledged assignments past `ack_due_at` through a partial index
and takes them a batch at a time: it locks them (FOR UPDATE SKIP LOCKED on PostgreSQL,
so concurrent sweeps take different rows instead of queueing), expires them with an
UPDATE that repeats the condition (still open, still unacknowledged), decides every lead
with the engine in memory and writes the results together (recording_writer's
`recordings_write`). An acknowledgment racing the sweep changes the same row with the
mirror condition, so exactly one of them wins: a locked row waits for the other's commit
and then no longer matches. A restarted worker, a lost task or a wiped Redis only delay
the next sweep.

A storm (a list of thousands left unacknowledged) is taken oldest deadline first, but
each batch first takes what fell due in the last moments: the lead that has just become
overdue is not kept waiting behind the backlog.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from routing import engine
from routing.models import Assignment, Lead, LeadEvent, Notification, RoutingDecision
from routing.notifications.outbox import outbox_publish, outbox_write, outbox_write_once
from routing.notifications.payloads import event_body
from routing.snapshot import Snapshot, current_snapshot

from .escalation_messages import Escalated, escalation_messages
from .recording import (
    Recording,
    SharedQueue,
    decision_recording,
    shared_queue_of,
    unclaimed_recording,
)
from .recording_writer import Recorded, Written, recordings_write
from .routing import escalation, facts_of, lead_choose, lead_plan, rule_in
from .state import RoutingMemory

logger = logging.getLogger(__name__)

BATCH = 500  # assignments per transaction: rotations stay locked while it is decided
# Each batch first takes those due within this long: a fresh lead skips the backlog.
FRESH = timedelta(seconds=1)
FRESH_PER_BATCH = 20


def assignments_escalate_overdue(
    *, now: datetime | None = None, limit: int | None = None, seconds: float = 50.0
) -> int:
    """Expire and escalate overdue assignments, a batch per transaction, until none is
    left, `limit` are done or `seconds` have passed (the next sweep goes on); returns
    how many. `now`: the moment to judge deadlines by (the clock, by default)."""
    started = time.monotonic()
    done = 0
    while limit is None or done < limit:
        size = BATCH if limit is None else min(BATCH, limit - done)
        with transaction.atomic():
            at = now or timezone.now()
            escalated = _escalate(_overdue(at, size), now=at)
        done += escalated
        if escalated:
            logger.info("Escalated %d overdue assignment%s", escalated, "s"[: escalated != 1])
        if escalated < size or time.monotonic() - started >= seconds:
            break
    return done


def assignment_expire(*, assignment: Assignment, now: datetime) -> bool:
    """Expire one overdue assignment and escalate its lead. False if it was acknowledged,
    ended or expired by someone else first (nothing is done then)."""
    with transaction.atomic():
        overdue = _overdue_of(Assignment.objects.filter(pk=assignment.pk), now)
        return _escalate(list(overdue), now=now) == 1


def _overdue_of(assignments: Any, now: datetime) -> Any:
    overdue = assignments.filter(
        ended_at__isnull=True, acknowledged_at__isnull=True, ack_due_at__lte=now
    )
    if connection.features.has_select_for_update_skip_locked:
        return overdue.select_for_update(skip_locked=True)
    return overdue.select_for_update()


def _overdue(now: datetime, size: int) -> list[Assignment]:
    """Up to `size` overdue assignments, locked: those just due first, then the oldest."""
    by_deadline = _overdue_of(Assignment.objects.all(), now).order_by("ack_due_at", "id")
    fresh = list(by_deadline.filter(ack_due_at__gt=now - FRESH)[: min(FRESH_PER_BATCH, size)])
    taken = {assignment.pk for assignment in fresh}
    rest = by_deadline.exclude(pk__in=taken) if taken else by_deadline
    return fresh + list(rest[: size - len(fresh)])


@dataclass
class _Expired:
    """One expired assignment, its lead and what becomes of it."""

    assignment: Assignment
    lead: Lead
    last: bool
    event: LeadEvent  # "escalated", about the expired assignment
    body: dict[str, Any] | None  # what subscribers of lead.escalated get; None: none does
    recording: Recording | None = None


def _escalate(overdue: Sequence[Assignment], *, now: datetime) -> int:
    """Expire the locked `overdue` assignments and escalate their leads; how many."""
    if not overdue:
        return 0
    expired_ids = [assignment.pk for assignment in overdue]
    Assignment.objects.filter(pk__in=expired_ids).update(
        ended_at=now, end_reason=Assignment.EndReason.EXPIRED
    )
    # Locked in id order, as every batch locks them: two sweeps never wait on each other.
    locked = Lead.objects.select_for_update().filter(pk__in=[a.lead_id for a in overdue])
    leads = {lead.pk: lead for lead in locked.order_by("pk")}
    snapshot = current_snapshot()
    let_expire = _reps_who_let_them_expire(leads)
    expired = []
    for assignment in overdue:
        assignment.ended_at, assignment.end_reason = now, Assignment.EndReason.EXPIRED
        expired.append(_expiry(assignment, leads[assignment.lead_id], snapshot=snapshot))
    _decide(expired, snapshot=snapshot, let_expire=let_expire, now=now)
    written = recordings_write(
        [Recorded(item.lead, item.recording, earlier=(item.event,)) for item in expired],
        now=now,
    )
    _tell(expired, written, snapshot=snapshot)
    return len(expired)


def _expiry(assignment: Assignment, lead: Lead, *, snapshot: Snapshot) -> _Expired:
    ruleset = snapshot.rulesets.get(lead.ruleset_id) or snapshot.active
    last = ruleset is None or lead.escalation_count >= ruleset.max_escalations
    data = {
        "from_rep": assignment.rep_id,
        "escalation": lead.escalation_count + 1,
        "ack_due_at": assignment.ack_due_at.isoformat(),
        "last": last,
    }
    event = LeadEvent(
        lead=lead, kind=LeadEvent.Kind.ESCALATED, actor="system", assignment=assignment, data=data
    )
    # Subscribers see the lead as it was when its deadline passed, before it moves on;
    # made only if one wants it (a storm's thousands mostly have none).
    body = None
    if any(subscriber.wants("lead.escalated") for subscriber in snapshot.subscribers):
        body = event_body(
            "lead.escalated",
            lead=lead,
            at=assignment.ended_at,
            assignment=assignment,
            owner=snapshot.data.reps.get(assignment.rep_id),
            **data,
        )
    return _Expired(assignment, lead, last, event, body)


def _decide(
    expired: list[_Expired],
    *,
    snapshot: Snapshot,
    let_expire: dict[int, frozenset[int]],
    now: datetime,
) -> None:
    """What becomes of each lead: its escalation target chosen by the engine, with the
    rotations and loads read once and kept in step (`RoutingMemory`), or, after the
    last escalation, the shared queue."""
    memory = None
    for item in expired:
        lead = item.lead
        ruleset = snapshot.rulesets.get(lead.ruleset_id) or snapshot.active
        if item.last:
            item.recording = unclaimed_recording(
                queue=shared_queue_of(ruleset, rule_in(ruleset, lead.rule_id))
                if ruleset
                else SharedQueue(),
                reason=f"not acknowledged after {lead.escalation_count} escalations",
                actor="system",
                now=now,
                subscribers=snapshot.subscribers,
                data={"escalations": lead.escalation_count},
            )
            continue
        assert ruleset is not None
        if memory is None:
            memory = RoutingMemory(data=snapshot.data, now=now, lock=True)
        reroute = escalation(exclude_rep_ids=let_expire.get(lead.pk, frozenset()))
        planned = lead_plan(
            facts_of(lead),
            snapshot=snapshot,
            ruleset=ruleset,
            reroute=reroute,
            rule=rule_in(ruleset, lead.rule_id),
        )
        decision, elapsed_us = lead_choose(
            planned, snapshot=snapshot, state=memory, now=now, reroute=reroute
        )
        memory.taken(decision)
        recording = _escalation_recording(
            decision, ruleset=ruleset, elapsed_us=elapsed_us, snapshot=snapshot, now=now
        )
        # The escalation is counted on the lead with what the engine decided.
        item.recording = recording._replace(
            lead={**recording.lead, "escalation_count": lead.escalation_count + 1}
        )
    if memory is not None:
        memory.save()


def _escalation_recording(
    decision: engine.Decision,
    *,
    ruleset: engine.CompiledRuleSet,
    elapsed_us: int,
    snapshot: Snapshot,
    now: datetime,
) -> Recording:
    """The engine's choice, recorded; nobody is told by the recording: the new owner and
    the managers hear of it with the rest of the batch (`_tell`)."""
    rep_id = decision.rep_id
    return decision_recording(
        decision=decision,
        ruleset=ruleset,
        kind=RoutingDecision.Kind.ESCALATION,
        reason=Assignment.Reason.ESCALATED,
        elapsed_us=elapsed_us,
        actor="system",
        now=now,
        owner=snapshot.data.reps.get(rep_id) if rep_id else None,
        contact=None,
        subscribers=snapshot.subscribers,
    )


def _tell(expired: list[_Expired], written: list[Written], *, snapshot: Snapshot) -> None:
    """Every escalation to the systems subscribed to `lead.escalated`; to the rep who
    let the lead expire, its new owner and the rule set's managers, at once or in a
    digest (routing.services.escalation_messages)."""
    rows: list[Notification] = []
    escalations = []
    for item, recorded in zip(expired, written, strict=True):
        lead = item.lead
        if item.body is not None:
            rows += outbox_publish(
                subscribers=snapshot.subscribers,
                event=item.event,
                name="lead.escalated",
                body=item.body,
            )
        new = recorded.assignment
        escalations.append(
            Escalated(
                lead=lead,
                missed=item.assignment,
                new=new,
                new_owner=snapshot.data.reps.get(new.rep_id) if new is not None else None,
                managers=snapshot.managers.get(lead.ruleset_id, ()) if lead.ruleset_id else (),
            )
        )
    messages = escalation_messages(escalations, contacts=snapshot.contacts)
    outbox_write([*rows, *messages.now], many=True)
    outbox_write_once(messages.digests)


def _reps_who_let_them_expire(leads: dict[int, Lead]) -> dict[int, frozenset[int]]:
    """For each lead, the reps an assignment of it expired with (the ones just expired
    included): an escalation never goes back to them."""
    expired = Assignment.objects.filter(
        lead_id__in=list(leads), end_reason=Assignment.EndReason.EXPIRED
    ).values_list("lead_id", "rep_id")
    reps: dict[int, set[int]] = {}
    for lead_id, rep_id in expired:
        reps.setdefault(lead_id, set()).add(rep_id)
    return {lead_id: frozenset(ids) for lead_id, ids in reps.items()}
