"""Writing recordings (routing.services.recording) in the caller's transaction: one
lead's, or many stored leads' at once (the escalation sweep's batch). Rows are given
their ids first, so that rows naming one another go in together: a lead's in one round
trip with the outbox's wake-up on PostgreSQL, a batch's a table at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from routing.db.rows import ids_give, row_update, rows_copy, rows_insert
from routing.models import Assignment, Lead, LeadEvent, Notification, RoutingDecision
from routing.notifications.outbox import outbox_wake, outbox_write

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
    _apply(recording, lead)
    if lead.pk is not None and recording.lead:
        row_update(lead, (*(LEAD_FIELD_NAMES[name] for name in recording.lead), "updated_at"))
    rows = _Rows.of(recording, lead=lead, earlier=earlier)
    stored = [row for row in (lead, *rows.stored) if row.pk is None]
    # Ids first: the rows name one another, and messages name the event they tell of.
    ids_give(stored)
    messages = rows.messages()
    rows_insert([*stored, *messages], then=outbox_wake() if messages else ())
    _queues_set([rows])
    return Written(rows.decision, rows.assignment)


@dataclass(frozen=True)
class Recorded:
    """A stored lead, what happened to it before this recording in the same moment
    (`earlier` events, written with it) and the recording."""

    lead: Lead
    recording: Recording
    earlier: Sequence[LeadEvent] = ()


def recordings_write(batch: Sequence[Recorded], *, now: datetime) -> list[Written]:
    """Write the recordings of many stored leads in the caller's transaction: every
    row's id in one statement, each model's rows in one statement (COPY on PostgreSQL),
    each group of leads whose fields change alike in one UPDATE."""
    written = [_Rows.of(item.recording, lead=item.lead, earlier=item.earlier) for item in batch]
    for item in batch:
        _apply(item.recording, item.lead)
    stored = [row for rows in written for row in rows.stored]
    ids_give(stored)
    rows_copy(stored)
    outbox_write([message for rows in written for message in rows.messages()], many=True)
    _leads_update([item for item in batch if item.recording.lead], now=now)
    _queues_set(written)
    return [Written(rows.decision, rows.assignment) for rows in written]


@dataclass
class _Rows:
    """One recording's new rows, as model instances (ids not given yet)."""

    recording: Recording
    lead: Lead
    decision: RoutingDecision | None
    assignment: Assignment | None
    events: list[LeadEvent]
    earlier: Sequence[LeadEvent] = field(default=())

    @classmethod
    def of(cls, recording: Recording, *, lead: Lead, earlier: Sequence[LeadEvent]) -> _Rows:
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
        return cls(recording, lead, decision, assignment, events, earlier)

    @property
    def stored(self) -> list[Any]:
        rows = [*self.earlier, self.decision, self.assignment, *self.events]
        return [row for row in rows if row is not None and row.pk is None]

    def messages(self) -> list[Notification]:
        """Once the rows have their ids: the events' data naming the decision, and the
        messages to the new owner, the subscribers and the managers."""
        recording, decision, assignment = self.recording, self.decision, self.assignment
        for row, event in zip(recording.events, self.events, strict=True):
            event.data = event_data(row, decision.pk if decision else None)
        messages = (
            recording_tell(recording, lead=self.lead, assignment=assignment)
            if recording.tell and assignment is not None
            else []
        )
        for row, event in zip(recording.events, self.events, strict=True):
            messages += recording_publish(
                recording, row, event=event, lead=self.lead, assignment=event.assignment
            )
            messages += recording_tell_managers(recording, row, event=event)
        return messages


def _apply(recording: Recording, lead: Lead) -> None:
    for attname, value in recording.lead.items():
        setattr(lead, attname, value)


def _leads_update(batch: Sequence[Recorded], *, now: datetime) -> None:
    """The leads' new fields: one UPDATE per set of values (a sweep's leads mostly go
    to a few reps)."""
    alike: dict[tuple[tuple[str, Any], ...], list[int]] = {}
    for item in batch:
        alike.setdefault(tuple(sorted(item.recording.lead.items())), []).append(item.lead.pk)
    for values, ids in alike.items():
        Lead.objects.filter(pk__in=ids).update(**dict(values), updated_at=now)


def _queues_set(written: Sequence[_Rows]) -> None:
    """Where the unclaimed leads among them wait; the others' queues as they are."""
    queued = [rows for rows in written if rows.recording.queue is not None]
    if not queued:
        return
    lead_ids = [rows.lead.pk for rows in queued]
    pools, reps = Lead.queue_pools.through, Lead.queue_reps.through
    pools.objects.filter(lead_id__in=lead_ids).delete()
    reps.objects.filter(lead_id__in=lead_ids).delete()
    pools.objects.bulk_create(
        pools(lead_id=rows.lead.pk, pool_id=pool)
        for rows in queued
        for pool in rows.recording.queue.pool_ids
    )
    reps.objects.bulk_create(
        reps(lead_id=rows.lead.pk, rep_id=rep)
        for rows in queued
        for rep in rows.recording.queue.rep_ids
    )
