"""The rows of one batch of new leads, table by table: leads, decisions, assignments,
events and outbox rows, each table in one statement with ids allocated beforehand, each
made ready while the database takes the one before (routing.services.batch decides;
this writes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from routing import engine
from routing.models import Assignment, Lead, LeadEvent, Notification, RoutingDecision
from routing.notifications.outbox import outbox_publish, outbox_tell_rep, outbox_write
from routing.notifications.payloads import event_body
from routing.snapshot import Snapshot

from .bulk import TableWriter, allocate_ids
from .intake import owner_tell_of_return
from .recording import NO_RULESET, queue_pool_ids

if TYPE_CHECKING:
    from .batch import Submission

LEAD_COLUMNS = tuple(field.attname for field in Lead._meta.concrete_fields)
_LEAD_DEFAULTS = {field.attname: field.get_default() for field in Lead._meta.concrete_fields}
DECISION_COLUMNS = (
    "id",
    "lead_id",
    "kind",
    "ruleset_id",
    "ruleset_version",
    "rule_id",
    "rule_name",
    "owner_id",
    "pool_id",
    "steps",
    "elapsed_us",
    "error",
    "created_at",
)
ASSIGNMENT_COLUMNS = (
    "id",
    "lead_id",
    "rep_id",
    "decision_id",
    "reason",
    "assigned_at",
    "ack_due_at",
    "end_reason",
)
EVENT_COLUMNS = ("id", "lead_id", "kind", "at", "actor", "assignment_id", "data")


@dataclass(frozen=True)
class _Event:
    lead_id: int
    kind: str
    data: dict[str, Any]
    assignment_row: tuple[Any, ...] | None = None  # in ASSIGNMENT_COLUMNS order
    publish_as: str = ""  # the name subscribers know it by; "": not published
    lead: dict[str, Any] | None = None  # the lead's values, for the published body
    owner: Any = None  # RepProfile of the assignment's rep

    @property
    def assignment_id(self) -> int | None:
        return self.assignment_row[0] if self.assignment_row else None

    def assignment(self) -> Assignment | None:
        """The assignment as a model instance (not read back), for message bodies."""
        if self.assignment_row is None:
            return None
        return Assignment(**dict(zip(ASSIGNMENT_COLUMNS, self.assignment_row, strict=True)))


@dataclass
class NewLead:
    """A submission that becomes a lead: its id (allocated), then the engine's word."""

    id: int
    submission: Submission
    decision: engine.Decision | None = None
    elapsed_us: int = 0
    error: BaseException | None = None  # the engine failed: the fallback takes it


class BatchWriter:
    """The rows of one batch, table by table."""

    def __init__(
        self, snapshot: Snapshot, *, actor: str, now: datetime, lead_import_id: int | None
    ) -> None:
        self.snapshot, self.actor, self.now = snapshot, actor, now
        self.lead_import_id = lead_import_id
        self.subscribers = snapshot.subscribers
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
        decision_ids = iter(allocate_ids(RoutingDecision, len(leads)))
        decided = [lead for lead in leads if lead.decision is not None and lead.decision.rep_id]
        assignment_ids = iter(allocate_ids(Assignment, len(decided)))
        lead_rows, decision_rows, assignment_rows, queues = [], [], [], []
        # lead, its values, decision id, assignment row
        announced: list[tuple[NewLead, dict[str, Any], int, tuple[Any, ...]]] = []
        for lead in leads:
            values = {**lead.submission.values}
            values.update(
                id=lead.id,
                payload=lead.submission.payload,
                lead_import_id=self.lead_import_id,
                created_at=now,
                updated_at=now,
            )
            self.events.append(
                _Event(lead.id, LeadEvent.Kind.SUBMITTED, data=self._origin(lead.submission))
            )
            decision = lead.decision
            if ruleset is None or lead.error is not None:
                if ruleset is None:
                    decision_rows.append(_error_decision(next(decision_ids), lead.id, now))
                lead_rows.append(_lead_row(values))
                continue
            assert decision is not None
            decision_id = next(decision_ids)
            rule = decision.rule
            values.update(ruleset_id=ruleset.id, rule_id=rule.id if rule else None)
            decision_rows.append(
                (
                    decision_id,
                    lead.id,
                    RoutingDecision.Kind.INITIAL,
                    ruleset.id,
                    ruleset.version,
                    rule.id if rule else None,
                    rule.name if rule else "",
                    decision.rep_id,
                    decision.pool_id,
                    list(decision.steps),
                    lead.elapsed_us,
                    "",
                    now,
                )
            )
            if decision.rep_id is None:
                values["status"] = Lead.Status.UNCLAIMED
                pools = queue_pool_ids(ruleset, rule)
                queues.extend((lead.id, pool_id) for pool_id in pools)
                self.events.append(
                    _Event(
                        lead.id,
                        LeadEvent.Kind.UNCLAIMED,
                        data={
                            "decision": decision_id,
                            "reason": "nobody can take it",
                            "queue_pools": pools,
                        },
                        publish_as="lead.unclaimed",
                        lead=values,
                    )
                )
            else:
                assignment_id = next(assignment_ids)
                values.update(status=Lead.Status.ASSIGNED, owner_id=decision.rep_id)
                assignment_row = (
                    assignment_id,
                    lead.id,
                    decision.rep_id,
                    decision_id,
                    Assignment.Reason.ROUTED,
                    now,
                    decision.ack_due_at,
                    "",
                )
                assignment_rows.append(assignment_row)
                announced.append((lead, values, decision_id, assignment_row))
            lead_rows.append(_lead_row(values))
        # Each table's rows are made ready while the database takes the previous one.
        leads_table = TableWriter(Lead, LEAD_COLUMNS)
        decisions_table = TableWriter(RoutingDecision, DECISION_COLUMNS)
        assignments_table = TableWriter(Assignment, ASSIGNMENT_COLUMNS)
        decisions = leads_table.send(
            leads_table.prepare(lead_rows), meanwhile=lambda: decisions_table.prepare(decision_rows)
        )

        def announce() -> list[list[Any]]:
            for lead, values, decision_id, assignment_row in announced:
                self._announce(
                    lead, values, decision_id, assignment_row, tell_reps_each=tell_reps_each
                )
            return assignments_table.prepare(assignment_rows)

        assignments = decisions_table.send(decisions or [], meanwhile=announce)
        assignments_table.send(assignments or [])
        if queues:
            through = Lead.queue_pools.through
            through.objects.bulk_create(
                [through(lead_id=lead_id, pool_id=pool_id) for lead_id, pool_id in queues]
            )
        self._flush(meanwhile=meanwhile)

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

    def _announce(
        self,
        lead: NewLead,
        values: dict[str, Any],
        decision_id: int,
        assignment_row: tuple[Any, ...],
        *,
        tell_reps_each: bool,
    ) -> None:
        decision = lead.decision
        assert decision is not None and decision.rep_id is not None
        rule = decision.rule
        owner = self.snapshot.data.reps.get(decision.rep_id)
        event = _Event(
            lead.id,
            LeadEvent.Kind.ROUTED,
            data={
                "decision": decision_id,
                "rule": rule.name if rule else "fallback",
                "rep": decision.rep_id,
                "ack_due_at": decision.ack_due_at.isoformat() if decision.ack_due_at else None,
            },
            assignment_row=assignment_row,
            publish_as="lead.assigned",
            lead=values,
            owner=owner,
        )
        self.events.append(event)
        contact = self.snapshot.contacts.get(decision.rep_id)
        if contact is None or not (tell_reps_each or contact.is_agent):
            return
        assignment = event.assignment()
        assert assignment is not None
        self.outbox += outbox_tell_rep(
            contact=contact,
            kind="lead.assigned",
            lead_id=lead.id,
            assignment=assignment,
            body=event_body(
                "lead.assigned", lead=values, at=self.now, assignment=assignment, owner=owner
            ),
        )

    def _flush(
        self, *, keep: bool = False, meanwhile: Callable[[], Any] | None = None
    ) -> list[LeadEvent]:
        """Write the events gathered so far, with their deliveries to subscribers and
        the messages to reps; with `keep`, returns the events (not read back)."""
        ids = allocate_ids(LeadEvent, len(self.events))
        now, actor = self.now, self.actor
        rows = [
            (event_id, event.lead_id, event.kind, now, actor, event.assignment_id, event.data)
            for event_id, event in zip(ids, self.events, strict=True)
        ]
        events_table = TableWriter(LeadEvent, EVENT_COLUMNS)
        events_table.send(events_table.prepare(rows), meanwhile=meanwhile)
        stored = []
        for row, pending in zip(rows, self.events, strict=True):
            published = bool(pending.publish_as and self.subscribers)
            if not (keep or published):
                continue
            event = LeadEvent(**dict(zip(EVENT_COLUMNS, row, strict=True)))
            if keep:
                stored.append(event)
            if published:
                self.outbox += self._publish(event, pending)
        self.events = []
        outbox_write(self.outbox, many=True)
        self.outbox = []
        return stored

    def _publish(self, event: LeadEvent, pending: _Event) -> list[Notification]:
        body = event_body(
            pending.publish_as,
            lead=pending.lead or {"id": pending.lead_id},
            at=self.now,
            assignment=pending.assignment(),
            owner=pending.owner,
            **pending.data,
        )
        return outbox_publish(
            subscribers=self.subscribers, event=event, name=pending.publish_as, body=body
        )


def _lead_row(values: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(values.get(name, _LEAD_DEFAULTS[name]) for name in LEAD_COLUMNS)


def _error_decision(decision_id: int, lead_id: int, now: datetime) -> tuple[Any, ...]:
    steps = [{"step": "error", "error": NO_RULESET}]
    return (
        decision_id,
        lead_id,
        RoutingDecision.Kind.INITIAL,
        None,
        None,
        None,
        "",
        None,
        None,
        steps,
        0,
        NO_RULESET,
        now,
    )
