"""Recording what happened to a lead: one step turns it into the rows to write, and two
writers put them in the database.

The `*_recording` functions are pure (no database, no clock: `now` is given): from a
decision — the engine's, the fallback after an engine error, none without an active
rule set — or from a claim or a lead left unclaimed, they make a `Recording`: the lead's
new fields, the decision row, the assignment, the timeline events and whom to tell
(`recording_tell`, `recording_publish`: the outbox rows, not yet written). Intake,
escalation, hand-off, claims and imports all record through them, so a lead is recorded
alike whichever way it came in.

`routing.services.recording_writer` writes one lead's recording in the caller's
transaction; `routing.imports.writer` writes a batch's, a table at a time. Both give
rows their ids before writing them, so that rows naming one another go in together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from routing import engine
from routing.models import Assignment, Lead, LeadEvent, Notification, RoutingDecision
from routing.notifications.contacts import Contact, Subscriber
from routing.notifications.messages import PASSED_OVER
from routing.notifications.outbox import outbox_publish, outbox_tell_managers, outbox_tell_rep
from routing.notifications.payloads import OwnerLike, event_body

NO_RULESET = "No rule set is active: activate one in the admin (Rule sets → Activate)."
LEAD_FIELD_NAMES = {field.attname: field.name for field in Lead._meta.concrete_fields}
# The decisions that route a lead by the rules, and so give it the rule set, rule and
# pool it keeps (its first routing; a returning lead routed through the rules again, or
# one a manager returns to the rules, is routed anew: docs/decisions/0010). Escalations,
# hand-offs and a manager's reassignment send it on to a target of that rule and record
# their own on their decision row only, so that the figures credit the lead to the rule
# and pool that first took it and the rule's SLA and targets go on applying to it.
ROUTING_KINDS = frozenset(
    {
        RoutingDecision.Kind.INITIAL,
        RoutingDecision.Kind.RETURNED,
        RoutingDecision.Kind.FALLBACK_ON_ERROR,
        RoutingDecision.Kind.REROUTED,
    }
)


class DecisionRow(NamedTuple):
    kind: str
    ruleset_id: int | None
    ruleset_version: int | None
    rule_id: int | None
    rule_name: str
    owner_id: int | None
    pool_id: int | None
    steps: list[dict[str, Any]]
    elapsed_us: int
    error: str


class AssignmentRow(NamedTuple):
    rep_id: int
    reason: str
    assigned_at: datetime
    ack_due_at: datetime | None
    acknowledged_at: datetime | None = None
    remind_at: datetime | None = None


class EventRow(NamedTuple):
    kind: str
    data: dict[str, Any]
    publish_as: str = ""  # the name subscribers know it by; "": not published
    of_assignment: bool = False  # about the recording's assignment
    cites_decision: bool = False  # its data names the recording's decision first
    tell_managers: str = ""  # what the rule set's managers are told of it; "": nothing


class SharedQueue(NamedTuple):
    """Where an unclaimed lead waits: the shared queues of these pools' members, or,
    when it could go to no pool, of these reps."""

    pool_ids: tuple[int, ...] = ()
    rep_ids: tuple[int, ...] = ()


class PassedOver(NamedTuple):
    """A named account's owner a rule routed the lead to, passed over (away, at
    capacity): told where the lead went and why not to them."""

    contact: Contact
    account: str
    reason: str


class Recording(NamedTuple):
    """The rows one moment of a lead's life writes, as data. (Named tuples: an import
    makes one per lead, and they are quicker to make than frozen dataclasses.)"""

    at: datetime
    actor: str
    lead: Mapping[str, Any]  # the lead's fields that change, by attribute name
    decision: DecisionRow | None = None
    assignment: AssignmentRow | None = None
    queue: SharedQueue | None = None  # None: the shared queues stay as they are
    events: tuple[EventRow, ...] = ()
    owner: OwnerLike | None = None  # the assignment's rep, for message bodies
    tell: str = ""  # what the new owner is told on their channels; "": nothing
    contact: Contact | None = None  # the new owner's channels
    subscribers: tuple[Subscriber, ...] = ()
    actor_user_id: int | None = None
    managers: tuple[str, ...] = ()  # the rule set's managers' addresses, for tell_managers
    passed_over: PassedOver | None = None


def decision_recording(
    *,
    decision: engine.Decision,
    ruleset: engine.CompiledRuleSet,
    kind: str,
    reason: str,
    elapsed_us: int,
    actor: str,
    now: datetime,
    owner: OwnerLike | None,
    contact: Contact | None,
    subscribers: tuple[Subscriber, ...],
    managers: tuple[str, ...] = (),
    passed_over_contact: Contact | None = None,
) -> Recording:
    """The engine decided: the lead goes to the rep it chose, or, when nobody could take
    it, waits in the shared queue of every pool it could have gone to (`shared_queue_of`)
    and the rule set's `managers` are told. `passed_over_contact`: the channels of the
    account owner the engine passed over (`decision.bypassed`), to tell them; None: they
    are not told (an import's people hear of its leads in the digest)."""
    rule = decision.rule
    row = DecisionRow(
        kind=kind,
        ruleset_id=ruleset.id,
        ruleset_version=ruleset.version,
        rule_id=rule.id if rule else None,
        rule_name=rule.name if rule else "",
        owner_id=decision.rep_id,
        pool_id=decision.pool_id,
        steps=list(decision.steps),
        elapsed_us=elapsed_us,
        error="",
    )
    lead = _routing_of(row) if kind in ROUTING_KINDS else {}
    if decision.rep_id is None:
        return _unclaimed(
            now=now,
            actor=actor,
            lead=lead,
            decision=row,
            queue=shared_queue_of(ruleset, rule),
            reason="nobody can take it",
            subscribers=subscribers,
            managers=managers,
        )
    assigned = _assigned(
        now=now,
        actor=actor,
        lead=lead,
        decision=row,
        assignment=AssignmentRow(
            decision.rep_id, reason, now, decision.ack_due_at, remind_at=decision.remind_at
        ),
        data={"rule": row.rule_name or "fallback"},
        owner=owner,
        contact=contact,
        subscribers=subscribers,
    )
    bypassed = decision.bypassed
    if bypassed is None or passed_over_contact is None or passed_over_contact.is_agent:
        return assigned
    passed_over = PassedOver(passed_over_contact, bypassed.account, bypassed.reason)
    return assigned._replace(passed_over=passed_over)


def no_ruleset_recording(*, kind: str, now: datetime) -> Recording:
    """No rule set is active: the lead stays as submitted, the reason on record."""
    decision = DecisionRow(
        kind=kind,
        ruleset_id=None,
        ruleset_version=None,
        rule_id=None,
        rule_name="",
        owner_id=None,
        pool_id=None,
        steps=[{"step": "error", "error": NO_RULESET}],
        elapsed_us=0,
        error=NO_RULESET,
    )
    return Recording(at=now, actor="system", lead={}, decision=decision)


@dataclass(frozen=True)
class FallbackTarget:
    """What the fallback after an engine error needs of the active rule set, read
    fresh from the database (the snapshot may be what failed)."""

    ruleset_id: int
    ruleset_version: int
    ack_sla: timedelta
    remind_before: timedelta | None
    fallback_pool_id: int | None


def fallback_recording(
    *,
    target: FallbackTarget | None,
    rep: OwnerLike | None,
    error: str,
    now: datetime,
    contact: Contact | None,
    subscribers: tuple[Subscriber, ...],
) -> Recording:
    """Routing failed with `error`: the lead goes to the fallback's `rep` without the
    engine, or waits in the fallback pool's queue if it has nobody active."""
    steps: list[dict[str, Any]] = [{"step": "error", "error": error}]
    if target is not None:
        steps.append(
            {
                "step": "fallback",
                "rep": rep.name if rep else None,
                "reason": "routing failed; the fallback takes the lead",
            }
        )
    decision = DecisionRow(
        kind=RoutingDecision.Kind.FALLBACK_ON_ERROR,
        ruleset_id=target.ruleset_id if target else None,
        ruleset_version=target.ruleset_version if target else None,
        rule_id=None,
        rule_name="",
        owner_id=rep.id if rep else None,
        pool_id=None,
        steps=steps,
        elapsed_us=0,
        error=error,
    )
    lead = _routing_of(decision)
    if rep is None or target is None:
        pool_id = target.fallback_pool_id if target else None
        return _unclaimed(
            now=now,
            actor="system",
            lead=lead,
            decision=decision,
            queue=SharedQueue(pool_ids=(pool_id,) if pool_id else ()),
            reason="routing failed and the fallback has nobody active",
            subscribers=subscribers,
            data={"error": error},
        )
    return _assigned(
        now=now,
        actor="system",
        lead=lead,
        decision=decision,
        assignment=AssignmentRow(
            rep.id,
            Assignment.Reason.ROUTED,
            now,
            now + target.ack_sla,
            remind_at=engine.reminder_time(
                now + target.ack_sla, target.remind_before, assigned_at=now
            ),
        ),
        data={"error": error},
        owner=rep,
        contact=contact,
        subscribers=subscribers,
    )


def unclaimed_recording(
    *,
    queue: SharedQueue,
    reason: str,
    actor: str,
    now: datetime,
    subscribers: tuple[Subscriber, ...],
    data: dict[str, Any],
    managers: tuple[str, ...] = (),
) -> Recording:
    """Nobody has the lead now (escalated past the last target): it waits in `queue`,
    and the rule set's `managers` are told."""
    return _unclaimed(
        now=now,
        actor=actor,
        lead={},
        decision=None,
        queue=queue,
        reason=reason,
        subscribers=subscribers,
        data=data,
        managers=managers,
    )


def claim_recording(
    *,
    rep: OwnerLike,
    first_acknowledged_at: datetime | None,
    actor_user_id: int | None,
    now: datetime,
    subscribers: tuple[Subscriber, ...],
) -> Recording:
    """A rep takes an unclaimed lead from the shared queue: claiming is acknowledging."""
    return Recording(
        at=now,
        actor=str(rep),
        actor_user_id=actor_user_id,
        lead={
            "owner_id": rep.id,
            "status": Lead.Status.ACKNOWLEDGED,
            "acknowledged_at": first_acknowledged_at or now,
        },
        assignment=AssignmentRow(rep.id, Assignment.Reason.CLAIMED, now, None, now),
        queue=SharedQueue(),
        events=(
            EventRow(
                LeadEvent.Kind.CLAIMED,
                {"rep": rep.id, "reason": "claimed from the shared queue"},
                publish_as="lead.assigned",
                of_assignment=True,
            ),
        ),
        owner=rep,
        subscribers=subscribers,
    )


def _routing_of(decision: DecisionRow) -> dict[str, Any]:
    """The lead's fields that say how the rules routed it, from a decision that did."""
    return {
        "ruleset_id": decision.ruleset_id,
        "rule_id": decision.rule_id,
        "pool_id": decision.pool_id,
    }


def _assigned(
    *,
    now: datetime,
    actor: str,
    lead: dict[str, Any],
    decision: DecisionRow,
    assignment: AssignmentRow,
    data: dict[str, Any],
    owner: OwnerLike | None,
    contact: Contact | None,
    subscribers: tuple[Subscriber, ...],
) -> Recording:
    ack_due_at = assignment.ack_due_at
    escalated = assignment.reason == Assignment.Reason.ESCALATED
    return Recording(
        at=now,
        actor=actor,
        lead={**lead, "owner_id": assignment.rep_id, "status": Lead.Status.ASSIGNED},
        decision=decision,
        assignment=assignment,
        events=(
            EventRow(
                LeadEvent.Kind.ROUTED,
                {
                    **data,
                    "rep": assignment.rep_id,
                    "ack_due_at": ack_due_at.isoformat() if ack_due_at else None,
                },
                publish_as="lead.assigned",
                of_assignment=True,
                cites_decision=True,
            ),
        ),
        owner=owner,
        tell="lead.escalated" if escalated else "lead.assigned",
        contact=contact,
        subscribers=subscribers,
    )


def _unclaimed(
    *,
    now: datetime,
    actor: str,
    lead: dict[str, Any],
    decision: DecisionRow | None,
    queue: SharedQueue,
    reason: str,
    subscribers: tuple[Subscriber, ...],
    data: dict[str, Any] | None = None,
    managers: tuple[str, ...] = (),
) -> Recording:
    return Recording(
        at=now,
        actor=actor,
        lead={**lead, "owner_id": None, "status": Lead.Status.UNCLAIMED},
        decision=decision,
        queue=queue,
        events=(
            EventRow(
                LeadEvent.Kind.UNCLAIMED,
                {
                    **(data or {}),
                    "reason": reason,
                    "queue_pools": list(queue.pool_ids),
                    "queue_reps": list(queue.rep_ids),
                },
                publish_as="lead.unclaimed",
                cites_decision=decision is not None,
                tell_managers="manager.unclaimed",
            ),
        ),
        subscribers=subscribers,
        managers=managers,
    )


def shared_queue_of(
    ruleset: engine.CompiledRuleSet, rule: engine.CompiledRule | None
) -> SharedQueue:
    """Where a lead nobody took waits: the shared queue of every pool it could have
    gone to (the rule's, the escalation target's, the fallback's). When none is a pool,
    the fallback's is a rep: no lead is left where nobody can take it."""
    owners = [ruleset.fallback, ruleset.escalate_to]
    if rule is not None:
        owners += [rule.target, rule.escalate_to]
    pool_ids = sorted({owner.id for owner in owners if owner is not None and owner.kind == "pool"})
    if pool_ids:
        return SharedQueue(pool_ids=tuple(pool_ids))
    return SharedQueue(rep_ids=(ruleset.fallback.id,) if ruleset.fallback.kind == "rep" else ())


def event_data(row: EventRow, decision_id: int | None) -> dict[str, Any]:
    return {"decision": decision_id, **row.data} if row.cites_decision else dict(row.data)


def recording_tell(
    recording: Recording, *, lead: Lead | Mapping[str, Any], assignment: Assignment
) -> list[Notification]:
    """The messages to the new owner's channels, and to the passed-over account owner's."""
    messages: list[Notification] = []
    if recording.contact is not None:
        body = event_body(
            recording.tell,
            lead=lead,
            at=assignment.assigned_at,
            assignment=assignment,
            owner=recording.owner,
        )
        messages += outbox_tell_rep(
            contact=recording.contact,
            kind=recording.tell,
            lead_id=assignment.lead_id,
            assignment=assignment,
            body=body,
        )
    passed_over = recording.passed_over
    if passed_over is not None:
        body = event_body(
            PASSED_OVER,
            lead=lead,
            at=assignment.assigned_at,
            assignment=assignment,
            owner=recording.owner,
            account=passed_over.account,
            reason=passed_over.reason,
        )
        messages += outbox_tell_rep(
            contact=passed_over.contact,
            kind=PASSED_OVER,
            lead_id=assignment.lead_id,
            assignment=assignment,
            body=body,
        )
    return messages


def recording_publish(
    recording: Recording,
    row: EventRow,
    *,
    event: LeadEvent,
    lead: Lead | Mapping[str, Any],
    assignment: Assignment | None,
) -> Sequence[Notification]:
    """The event, to the subscribed systems that want it."""
    if not (row.publish_as and recording.subscribers):
        return []
    body = event_body(
        row.publish_as,
        lead=lead,
        at=event.at,
        assignment=assignment,
        owner=recording.owner if assignment is not None else None,
        **event.data,
    )
    return outbox_publish(
        subscribers=recording.subscribers, event=event, name=row.publish_as, body=body
    )


def recording_tell_managers(
    recording: Recording, row: EventRow, *, event: LeadEvent
) -> list[Notification]:
    """The event, to the rule set's managers (e-mail or Slack), when it is one they are told of."""
    if not (row.tell_managers and recording.managers):
        return []
    return outbox_tell_managers(addresses=recording.managers, kind=row.tell_managers, event=event)
