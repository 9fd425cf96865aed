"""Writing one lead's recording (routing.services.recording) in the caller's
transaction: its rows given their ids first, then written together with the outbox's
wake-up, one round trip on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from routing.db.rows import ids_give, row_update, rows_insert
from routing.models import Assignment, Lead, LeadEvent, RoutingDecision
from routing.notifications.outbox import outbox_wake

from .recording import (
    LEAD_FIELD_NAMES,
    Recording,
    event_data,
    recording_publish,
    recording_tell,
    recording_tell_managers,
)


@dataclass(frozen=True)
class Written:
    decision: RoutingDecision | None
    assignment: Assignment | None


def recording_write(
    recording: Recording, *, lead: Lead, earlier: Sequence[LeadEvent] = ()
) -> Written:
    """Write one lead's recording in the caller's transaction: a lead not stored yet
    (intake's) goes in with its new fields, one insert where an insert and an update
    would be. `earlier`: events of the lead made before this moment, written with it
    (intake's "submitted")."""
    for attname, value in recording.lead.items():
        setattr(lead, attname, value)
    if lead.pk is not None and recording.lead:
        row_update(lead, (*(LEAD_FIELD_NAMES[name] for name in recording.lead), "updated_at"))
    decision = assignment = None
    if recording.decision is not None:
        columns = recording.decision._asdict()
        decision = RoutingDecision(lead=lead, created_at=recording.at, **columns)
    if recording.assignment is not None:
        assignment = Assignment(lead=lead, decision=decision, **recording.assignment._asdict())
    events = [
        LeadEvent(
            lead=lead,
            kind=row.kind,
            actor=recording.actor,
            actor_user_id=recording.actor_user_id,
            assignment=assignment if row.of_assignment else None,
            data=row.data,
        )
        for row in recording.events
    ]
    for event in earlier:
        event.lead = lead
    rows = [lead, *earlier, decision, assignment, *events]
    stored = [row for row in rows if row is not None and row.pk is None]
    # Ids first: the rows name one another, and messages name the event they tell of.
    ids_give(stored)
    for row, event in zip(recording.events, events, strict=True):
        event.data = event_data(row, decision.pk if decision else None)
    messages = (
        recording_tell(recording, lead=lead, assignment=assignment)
        if recording.tell and assignment is not None
        else []
    )
    for row, event in zip(recording.events, events, strict=True):
        messages += recording_publish(
            recording, row, event=event, lead=lead, assignment=event.assignment
        )
        messages += recording_tell_managers(recording, row, event=event)
    rows_insert([*stored, *messages], then=outbox_wake() if messages else ())
    if recording.queue is not None:
        lead.queue_pools.set(recording.queue.pool_ids)
        lead.queue_reps.set(recording.queue.rep_ids)
    return Written(decision, assignment)
