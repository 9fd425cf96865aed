"""A rep (or an AI agent's 2xx) says "mine": the response clock stops."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from reps.models import Rep
from routing.models import Assignment, Lead, LeadEvent
from routing.notifications.contacts import active_subscribers

from .events import lead_event_publish


class AcknowledgeError(Exception):
    """The assignment cannot be acknowledged by this rep now; the message says why."""


def assignment_acknowledge(
    *, assignment: Assignment, rep: Rep, via: str, actor_user: Any = None
) -> Assignment:
    """Acknowledge `assignment` as `rep`. Acknowledging twice is fine (nothing changes);
    an assignment that has ended, or is someone else's, is an AcknowledgeError.

    A conditional UPDATE (still open, not yet acknowledged) decides the race with the
    escalation sweep, which expires with the mirror condition: exactly one of them
    changes the row.
    """
    if assignment.rep_id != rep.pk:
        raise AcknowledgeError("This lead is assigned to someone else.")
    now = timezone.now()
    with transaction.atomic():
        changed = Assignment.objects.filter(
            pk=assignment.pk, ended_at__isnull=True, acknowledged_at__isnull=True
        ).update(acknowledged_at=now)
        assignment.refresh_from_db()
        if not changed:
            if assignment.ended_at is None:
                return assignment  # acknowledged already
            raise AcknowledgeError(
                "Too late: this lead was not acknowledged in time and has moved on."
                if assignment.end_reason == Assignment.EndReason.EXPIRED
                else "This lead is no longer assigned to you."
            )
        lead = Lead.objects.select_for_update().get(pk=assignment.lead_id)
        first = lead.acknowledged_at is None
        if first:
            lead.acknowledged_at = now
        lead.status = Lead.Status.ACKNOWLEDGED
        lead.save(update_fields=["status", "acknowledged_at", "updated_at"])
        lead_event_publish(
            lead=lead,
            kind=LeadEvent.Kind.ACKNOWLEDGED,
            publish_as="lead.acknowledged",
            subscribers=active_subscribers(),
            assignment=assignment,
            owner=rep,
            actor=str(rep),
            actor_user=actor_user,
            data={
                "via": via,
                "within_sla": assignment.ack_due_at is None or now <= assignment.ack_due_at,
                "seconds_to_acknowledge": round((now - assignment.assigned_at).total_seconds(), 1),
                "speed_to_lead_seconds": round((now - lead.created_at).total_seconds(), 1),
            },
        )
    return assignment
