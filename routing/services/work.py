"""A rep working leads: claiming from the shared queue and recording outcomes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from reps.models import Rep
from routing.models import Assignment, Lead, LeadEvent
from routing.notifications.contacts import active_subscribers

from .acknowledge import AcknowledgeError, assignment_acknowledge
from .events import lead_event_publish
from .recording import claim_recording
from .recording_writer import recording_write

OUTCOMES = (
    Lead.Status.CONTACTED,
    Lead.Status.QUALIFIED,
    Lead.Status.CONVERTED,
    Lead.Status.DISQUALIFIED,
)
# These end the rep's work on the lead; contacted and qualified leads stay theirs.
FINAL_OUTCOMES = (Lead.Status.CONVERTED, Lead.Status.DISQUALIFIED)


class WorkError(Exception):
    """The rep cannot do this to this lead now; the message says why."""


def lead_claim(*, lead: Lead, rep: Rep, actor_user: Any = None) -> Assignment:
    """Take an unclaimed lead from the rep's shared queue (theirs, or a pool's). The
    first rep wins: the lead's row is locked, so a second claim waits and then finds it
    claimed."""
    now = timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.status != Lead.Status.UNCLAIMED:
            raise WorkError("Someone else claimed this lead first.")
        if not Lead.objects.filter(Lead.claimable_by(rep), pk=lead.pk).exists():
            raise WorkError("This lead is not in your shared queue (yours or your pools').")
        claim = claim_recording(
            rep=rep,
            first_acknowledged_at=lead.acknowledged_at,
            actor_user_id=actor_user.pk if actor_user is not None else None,
            now=now,
            subscribers=active_subscribers(),
        )
        assignment = recording_write(claim, lead=lead).assignment
    assert assignment is not None
    return assignment


def lead_record_outcome(
    *, lead: Lead, rep: Rep, outcome: str, note: str = "", actor_user: Any = None
) -> Lead:
    """The owner records what came of the lead. An unacknowledged lead is acknowledged
    first (it was worked); converted and disqualified close the assignment."""
    if outcome not in OUTCOMES:
        raise WorkError(f"'{outcome}' is not an outcome; choose from {', '.join(OUTCOMES)}.")
    now = timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        assignment = lead.assignments.filter(ended_at__isnull=True).first()
        if assignment is None or assignment.rep_id != rep.pk:
            raise WorkError("Only the lead's current owner can record an outcome.")
        if assignment.acknowledged_at is None:
            try:
                assignment_acknowledge(
                    assignment=assignment, rep=rep, via="outcome", actor_user=actor_user
                )
            except AcknowledgeError as error:
                raise WorkError(str(error)) from error
            lead.refresh_from_db()
        lead.status = outcome
        lead.outcome_note = note
        lead.save(update_fields=["status", "outcome_note", "updated_at"])
        if outcome in FINAL_OUTCOMES:
            Assignment.objects.filter(pk=assignment.pk, ended_at__isnull=True).update(
                ended_at=now, end_reason=Assignment.EndReason.CLOSED
            )
        lead_event_publish(
            lead=lead,
            kind=LeadEvent.Kind.OUTCOME,
            publish_as="lead.outcome",
            subscribers=active_subscribers(),
            assignment=assignment,
            owner=rep,
            actor=str(rep),
            actor_user=actor_user,
            data={"outcome": outcome, "note": note},
        )
    return lead
