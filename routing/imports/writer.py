"""The rows of one batch of new leads, table by table: leads, decisions, assignments,
events and outbox rows, each table in one statement (COPY on PostgreSQL) with ids
allocated beforehand, each made ready while the database takes the one before.

What each lead's rows are is decided by the recorder (routing.services.recording), as
for a lead taken in alone; this only writes them many at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from routing import engine
from routing.db.bulk import TableWriter, allocate_ids
from routing.models import Assignment, Lead, LeadEvent, Notification, RoutingDecision
from routing.notifications.outbox import outbox_write
from routing.services.intake import owner_tell_of_return
from routing.services.recording import (
    AssignmentRow,
    DecisionRow,
    EventRow,
    Recording,
    decision_recording,
    event_data,
    no_ruleset_recording,
    recording_publish,
    recording_tell,
    recording_tell_managers,
)
from routing.snapshot import Snapshot


@dataclass(frozen=True)
class Submission:
    """A row to import: what the batch routes and this writes."""

    values: dict[str, Any]  # normalized (routing.normalize.normalize_submission)
    payload: dict[str, Any]  # as received
    line: int | None = None  # where it came from, for the timeline


LEAD_COLUMNS = tuple(field.attname for field in Lead._meta.concrete_fields)
_LEAD_DEFAULTS = {field.attname: field.get_default() for field in Lead._meta.concrete_fields}
# The recorder's rows, with the ids and the lead they belong to: a field added to
# DecisionRow or AssignmentRow is written here too.
DECISION_COLUMNS = ("id", "lead_id", *DecisionRow._fields, "created_at")
ASSIGNMENT_COLUMNS = ("id", "lead_id", "decision_id", *AssignmentRow._fields, "end_reason")
EVENT_COLUMNS = ("id", "lead_id", "kind", "at", "actor", "assignment_id", "data")


@dataclass(frozen=True)
class _Event:
    """An event to write, and (`row`) the recorder's word on whom to tell of it."""

    lead_id: int
    kind: str
    data: dict[str, Any]
    assignment: _Recorded | None = None  # the lead whose assignment it is about
    recording: Recording | None = None
    row: EventRow | None = None
    lead: dict[str, Any] | None = None  # the lead's values, for the published body


@dataclass
class NewLead:
    """A submission that becomes a lead: its id (allocated), then the engine's word."""

    id: int
    submission: Submission
    decision: engine.Decision | None = None
    elapsed_us: int = 0
    error: BaseException | None = None  # the engine failed: the fallback takes it


class _Recorded(NamedTuple):
    """A new lead's values and what the recorder made of its decision (None: stored
    as submitted, for the fallback after an engine error), with the ids given to its
    decision and assignment rows."""

    values: dict[str, Any]
    recording: Recording | None
    decision_id: int | None = None
    assignment_id: int | None = None

    @property
    def assignment_row(self) -> tuple[Any, ...] | None:
        """In ASSIGNMENT_COLUMNS order."""
        row = self.recording.assignment if self.recording else None
        if row is None:
            return None
        return (self.assignment_id, self.values["id"], self.decision_id, *row, "")

    def assignment(self) -> Assignment | None:
        """The assignment as a model instance (not read back), for message bodies: made
        only for a lead someone is told of, most of an import's are not."""
        row = self.assignment_row
        return Assignment(**dict(zip(ASSIGNMENT_COLUMNS, row, strict=True))) if row else None


class BatchWriter:
    """The rows of one batch, table by table."""

    def __init__(
        self, snapshot: Snapshot, *, actor: str, now: datetime, lead_import_id: int | None
    ) -> None:
        self.snapshot, self.actor, self.now = snapshot, actor, now
        self.lead_import_id = lead_import_id
        self.events: list[_Event] = []
        self.outbox: list[Notification] = []

    def write(
        self,
        leads: list[NewLead],
        *,
        ruleset: engine.CompiledRuleSet | None,
        tell_reps_each: bool,
        meanwhile: Callable[[], Any] | None = None,
    ) -> None:
        """`meanwhile`: the caller's work to do while the database takes the last rows."""
        if not leads:
            if meanwhile is not None:
                meanwhile()
            return
        now = self.now
        recordings = [self._recording(lead, ruleset, tell_reps_each) for lead in leads]
        decided = [recording for recording in recordings if recording and recording.decision]
        assigned = [recording for recording in recordings if recording and recording.assignment]
        decision_ids = iter(allocate_ids(RoutingDecision, len(decided)))
        assignment_ids = iter(allocate_ids(Assignment, len(assigned)))
        batch: list[_Recorded] = []
        for lead, recording in zip(leads, recordings, strict=True):
            values = {
                **lead.submission.values,
                "id": lead.id,
                "payload": lead.submission.payload,
                "lead_import_id": self.lead_import_id,
                "created_at": now,
                "updated_at": now,
            }
            self.events.append(
                _Event(lead.id, LeadEvent.Kind.SUBMITTED, data=self._origin(lead.submission))
            )
            if recording is None:
                batch.append(_Recorded(values, None))
                continue
            values.update(recording.lead)
            batch.append(
                _Recorded(
                    values,
                    recording,
                    decision_id=next(decision_ids) if recording.decision else None,
                    assignment_id=next(assignment_ids) if recording.assignment else None,
                )
            )
        # Each table's rows are made ready while the database takes the previous one.
        leads_table = TableWriter(Lead, LEAD_COLUMNS)
        decisions_table = TableWriter(RoutingDecision, DECISION_COLUMNS)
        assignments_table = TableWriter(Assignment, ASSIGNMENT_COLUMNS)
        decisions = leads_table.send(
            leads_table.prepare(_lead_row(recorded.values) for recorded in batch),
            meanwhile=lambda: decisions_table.prepare(_decision_rows(batch)),
        )

        def announce() -> list[list[Any]]:
            for recorded in batch:
                self._gather(recorded)
            return assignments_table.prepare(_assignment_rows(batch))

        assignments = decisions_table.send(decisions or [], meanwhile=announce)
        assignments_table.send(assignments or [])
        queues = [
            (recorded.values["id"], recorded.recording.queue)
            for recorded in batch
            if recorded.recording is not None and recorded.recording.queue is not None
        ]
        pools = Lead.queue_pools.through
        pools.objects.bulk_create(
            [pools(lead_id=lead, pool_id=pool) for lead, queue in queues for pool in queue.pool_ids]
        )
        reps = Lead.queue_reps.through
        reps.objects.bulk_create(
            [reps(lead_id=lead, rep_id=rep) for lead, queue in queues for rep in queue.rep_ids]
        )
        self._flush(meanwhile=meanwhile)

    def _recording(
        self, lead: NewLead, ruleset: engine.CompiledRuleSet | None, tell_reps_each: bool
    ) -> Recording | None:
        if ruleset is None:
            return no_ruleset_recording(kind=RoutingDecision.Kind.INITIAL, now=self.now)
        if lead.error is not None:
            return None
        decision = lead.decision
        assert decision is not None
        contact = self.snapshot.contacts.get(decision.rep_id) if decision.rep_id else None
        if contact is not None and not (tell_reps_each or contact.is_agent):
            contact = None  # a person hears of an imported lead in the digest
        return decision_recording(
            decision=decision,
            ruleset=ruleset,
            kind=RoutingDecision.Kind.INITIAL,
            reason=Assignment.Reason.ROUTED,
            elapsed_us=lead.elapsed_us,
            actor=self.actor,
            now=self.now,
            owner=self.snapshot.data.reps.get(decision.rep_id) if decision.rep_id else None,
            contact=contact,
            subscribers=self.snapshot.subscribers,
            managers=self.snapshot.managers.get(ruleset.id, ()),
        )

    def _gather(self, recorded: _Recorded) -> None:
        """The recorded lead's events, and the messages to its new owner."""
        recording = recorded.recording
        if recording is None:
            return
        if recording.tell and recording.contact is not None:
            assignment = recorded.assignment()
            assert assignment is not None
            self.outbox += recording_tell(recording, lead=recorded.values, assignment=assignment)
        for row in recording.events:
            self.events.append(
                _Event(
                    recorded.values["id"],
                    row.kind,
                    data=event_data(row, recorded.decision_id),
                    assignment=recorded if row.of_assignment else None,
                    recording=recording,
                    row=row,
                    lead=recorded.values,
                )
            )

    def write_joins(self, joins: list[tuple[int, Submission]], *, tell_reps_each: bool) -> None:
        """Each submission on the timeline of the open lead it joined; its owner told
        at once, or (`tell_reps_each` False) in the digest."""
        if not joins:
            return
        for lead_id, submission in joins:
            data = {"payload": submission.payload, "intake_key": None}
            self.events.append(
                _Event(
                    lead_id,
                    LeadEvent.Kind.RESUBMITTED,
                    data={**data, **self._origin(submission)},
                )
            )
        events = self._flush(keep=tell_reps_each)
        if tell_reps_each:
            leads = Lead.objects.in_bulk([lead_id for lead_id, _ in joins])
            told: set[int] = set()  # this batch's messages may not be written yet
            for event in events:
                if event.lead_id not in told and owner_tell_of_return(
                    leads[event.lead_id], event, self.snapshot
                ):
                    told.add(event.lead_id)

    def _origin(self, submission: Submission) -> dict[str, Any]:
        if self.lead_import_id is None:
            return {}
        return {"import": self.lead_import_id, "line": submission.line}

    def _flush(
        self, *, keep: bool = False, meanwhile: Callable[[], Any] | None = None
    ) -> list[LeadEvent]:
        """Write the events gathered so far, with their deliveries to subscribers and
        the messages to reps; with `keep`, returns the events (not read back)."""
        ids = allocate_ids(LeadEvent, len(self.events))
        now, actor = self.now, self.actor
        rows = [
            (
                event_id,
                event.lead_id,
                event.kind,
                now,
                actor,
                event.assignment.assignment_id if event.assignment else None,
                event.data,
            )
            for event_id, event in zip(ids, self.events, strict=True)
        ]
        events_table = TableWriter(LeadEvent, EVENT_COLUMNS)
        events_table.send(events_table.prepare(rows), meanwhile=meanwhile)
        stored = []
        for row, pending in zip(rows, self.events, strict=True):
            recording = pending.recording
            published = bool(
                recording and pending.row and pending.row.publish_as and recording.subscribers
            )
            managers_told = bool(
                recording and pending.row and pending.row.tell_managers and recording.managers
            )
            if not (keep or published or managers_told):
                continue
            event = LeadEvent(**dict(zip(EVENT_COLUMNS, row, strict=True)))
            if keep:
                stored.append(event)
            if published:
                assert recording is not None and pending.row is not None
                self.outbox += recording_publish(
                    recording,
                    pending.row,
                    event=event,
                    lead=pending.lead or {"id": pending.lead_id},
                    assignment=pending.assignment.assignment() if pending.assignment else None,
                )
            if managers_told:
                assert recording is not None and pending.row is not None
                self.outbox += recording_tell_managers(recording, pending.row, event=event)
        self.events = []
        outbox_write(self.outbox, many=True)
        self.outbox = []
        return stored


def _lead_row(values: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(values.get(name, _LEAD_DEFAULTS[name]) for name in LEAD_COLUMNS)


def _decision_rows(batch: list[_Recorded]) -> list[tuple[Any, ...]]:
    rows = []
    for recorded in batch:
        recording = recorded.recording
        if recording is None or recording.decision is None:
            continue
        rows.append(
            (recorded.decision_id, recorded.values["id"], *recording.decision, recording.at)
        )
    return rows


def _assignment_rows(batch: list[_Recorded]) -> list[tuple[Any, ...]]:
    return [row for recorded in batch if (row := recorded.assignment_row) is not None]
