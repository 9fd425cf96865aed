"""Nobody acknowledged in time: expire the assignment and move the lead on.

The database is the guarantee. The sweep (routing.tasks.escalate_overdue, every second
or so) looks for open, unacknowledged assignments past `ack_due_at` through a partial
index, takes one at a time with FOR UPDATE SKIP LOCKED (PostgreSQL: concurrent sweeps
take different rows instead of queueing) and expires it with a conditional UPDATE (still
open, still unacknowledged), which is also what makes a racing acknowledgment or a
second sweep harmless: only one of them changes the row. A restarted worker, a lost task
or a wiped Redis only delay the next sweep.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from routing.models import Assignment, Lead, LeadEvent
from routing.notifications.outbox import outbox_write, outbox_write_once
from routing.snapshot import current_snapshot

from .escalation_messages import Escalated, escalation_messages
from .events import lead_event_record
from .recording import SharedQueue, shared_queue_of, unclaimed_recording
from .recording_writer import recording_write
from .routing import escalation, lead_reroute, rule_in

logger = logging.getLogger(__name__)


def assignments_escalate_overdue(*, now: datetime | None = None, limit: int = 500) -> int:
    """Expire and escalate every overdue assignment (up to `limit`); returns how many."""
    done = 0
    while done < limit:
        with transaction.atomic():
            assignment = _next_overdue(now or timezone.now())
            if assignment is None:
                break
            if assignment_expire(assignment=assignment, now=now or timezone.now()):
                done += 1
    return done


def _next_overdue(now: datetime) -> Assignment | None:
    overdue = Assignment.objects.filter(
        ended_at__isnull=True, acknowledged_at__isnull=True, ack_due_at__lte=now
    ).order_by("ack_due_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        overdue = overdue.select_for_update(skip_locked=True)
    return overdue.first()


@transaction.atomic
def assignment_expire(*, assignment: Assignment, now: datetime) -> bool:
    """Expire one overdue assignment and escalate its lead. False if it was acknowledged,
    ended or expired by someone else first (nothing is done then)."""
    expired = Assignment.objects.filter(
        pk=assignment.pk,
        ended_at__isnull=True,
        acknowledged_at__isnull=True,
        ack_due_at__lte=now,
    ).update(ended_at=now, end_reason=Assignment.EndReason.EXPIRED)
    if not expired:
        return False
    assignment.refresh_from_db()
    lead = Lead.objects.select_for_update().get(pk=assignment.lead_id)
    snapshot = current_snapshot()
    ruleset = snapshot.rulesets.get(lead.ruleset_id) or snapshot.active
    number = lead.escalation_count + 1
    last = ruleset is None or lead.escalation_count >= ruleset.max_escalations
    _event, deliveries = lead_event_record(
        lead=lead,
        kind=LeadEvent.Kind.ESCALATED,
        publish_as="lead.escalated",
        subscribers=snapshot.subscribers,
        assignment=assignment,
        owner=snapshot.data.reps.get(assignment.rep_id),
        data={
            "from_rep": assignment.rep_id,
            "escalation": number,
            "ack_due_at": assignment.ack_due_at.isoformat(),
            "last": last,
        },
    )
    managers = snapshot.managers.get(lead.ruleset_id, ()) if lead.ruleset_id else ()
    routed = None
    if last:
        # Nobody took it: it waits in the shared queue (the managers hear of it below).
        unclaimed = unclaimed_recording(
            queue=shared_queue_of(ruleset, rule_in(ruleset, lead.rule_id))
            if ruleset
            else SharedQueue(),
            reason=f"not acknowledged after {lead.escalation_count} escalations",
            actor="system",
            now=now,
            subscribers=snapshot.subscribers,
            data={"escalations": lead.escalation_count},
        )
        recording_write(unclaimed, lead=lead)
    else:
        lead.escalation_count = number
        lead.status = Lead.Status.ESCALATED
        lead.save(update_fields=["escalation_count", "status", "updated_at"])
        routed = lead_reroute(
            lead,
            escalation(exclude_rep_ids=_reps_who_let_it_expire(lead)),
            snapshot=snapshot,
        )
    escalated = Escalated(
        lead=lead,
        missed=assignment,
        new=routed.assignment if routed else None,
        new_owner=routed.owner if routed else None,
        managers=managers,
    )
    messages = escalation_messages([escalated], contacts=snapshot.contacts)
    outbox_write(deliveries + messages.now)
    outbox_write_once(messages.digests)
    return True


def _reps_who_let_it_expire(lead: Lead) -> frozenset[int]:
    return frozenset(
        lead.assignments.filter(end_reason=Assignment.EndReason.EXPIRED).values_list(
            "rep_id", flat=True
        )
    )
