"""Taking a lead in: store it, join a duplicate or route it — and never lose it."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from reps.models import Rep
from routing.db.rows import ids_give, rows_insert
from routing.db.statements import Statement, run_statements
from routing.models import (
    IntakeKey,
    Lead,
    LeadEvent,
    Notification,
    Rule,
)
from routing.normalize import lead_facts
from routing.notifications.outbox import outbox_tell_rep, outbox_write
from routing.notifications.payloads import event_body
from routing.snapshot import (
    ROUTING_VERSION,
    Snapshot,
    current_snapshot,
    kept_snapshot,
    routing_version_of,
)

from .duplicates import (
    duplicate_window,
    email_lock,
    open_duplicate,
    open_duplicate_in,
    open_duplicate_probe,
)
from .familiar import familiar_query
from .recording import NO_RULESET
from .returning import return_route_why, returning_lead_route
from .routing import (
    Planned,
    Routed,
    facts_of,
    lead_choose,
    lead_plan,
    lead_route_after_error,
    new_lead_route,
    new_lead_state,
    new_lead_state_of,
    plan_state_query,
)
from .state import StateQuery, StateRead

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeResult:
    lead: Lead
    created: bool  # False: the submission joined an open lead with the same e-mail
    routed: Routed  # the lead's latest decision, owner and deadline


@dataclass(frozen=True)
class Simulation:
    owner: Rep | None
    rule: Rule | None
    ack_due_at: datetime | None
    decision: dict[str, Any]
    duplicate_of: Lead | None


def lead_intake(
    *,
    values: dict[str, Any],
    payload: dict[str, Any],
    intake_key: IntakeKey | None,
    actor: str = "",
) -> IntakeResult:
    """`actor`: who submitted, for the timeline (default: the intake key's name).

    One transaction stores the lead with what routing decided. If routing fails, that
    transaction is undone whole and a second one stores the lead as submitted and gives
    it to the fallback, the error in its trace: never lost. (No savepoint around
    routing: it cost two more round trips for every lead, for a failure that is rare.)"""
    actor = actor or (f"intake key {intake_key.name}" if intake_key else "intake")
    submission = _Submission(values, payload, intake_key, actor)
    try:
        try:
            return _intake(submission, read_ahead=True)
        except _SnapshotStale:
            # Rebuilt outside the transaction, which held the rotations it read locked.
            _snapshot_if_it_builds(None)
            return _intake(submission, read_ahead=False)
    except _RoutingFailed as failed:
        logger.error("Routing a lead failed; giving it to the fallback", exc_info=failed.error)
        return _intake(submission, routing_error=failed.error)


class _Submission(NamedTuple):
    values: dict[str, Any]
    payload: dict[str, Any]
    intake_key: IntakeKey | None
    actor: str


class _RoutingFailed(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _SnapshotStale(Exception):
    """The routing data changed since this process built its snapshot, and the state
    read ahead for the old one is locked: undo, rebuild, try again."""


def _intake(
    submission: _Submission,
    *,
    read_ahead: bool = False,
    routing_error: Exception | None = None,
) -> IntakeResult:
    """Store the lead and route it; with `routing_error` (routing failed a first time),
    store it as submitted and give it to the fallback. `read_ahead`: plan the lead with
    the snapshot this process has and read its state with the first statements."""
    values, payload, intake_key, actor = submission
    with transaction.atomic():
        lead = Lead(**values, payload=payload, intake_key=intake_key)
        opening = _intake_open(lead, read_ahead=read_ahead and routing_error is None)
        snapshot, duplicate = opening.snapshot, opening.duplicate
        if duplicate is not None:
            event = LeadEvent.objects.create(
                lead=duplicate,
                kind=LeadEvent.Kind.RESUBMITTED,
                actor=actor,
                data={"payload": payload, "intake_key": intake_key.name if intake_key else None},
            )
            why = return_route_why(duplicate, values=values, snapshot=snapshot)
            if why is not None and snapshot is not None:
                routed = returning_lead_route(
                    duplicate, values=values, why=why, snapshot=snapshot, actor=actor
                )
                return IntakeResult(duplicate, False, routed)
            owner_tell_of_return(duplicate, event, snapshot)
            return IntakeResult(duplicate, False, _routed_so_far(duplicate))
        # Timed now, stored with the lead: first on the timeline either way.
        submitted = LeadEvent(kind=LeadEvent.Kind.SUBMITTED, actor=actor)
        if routing_error is None:
            try:
                routed = new_lead_route(
                    lead,
                    actor=actor,
                    snapshot=snapshot or current_snapshot(),
                    read=opening.read,
                    earlier=[submitted],
                )
            except Exception as error:
                raise _RoutingFailed(error) from error
        else:
            submitted.lead = lead
            ids_give([lead, submitted])
            rows_insert([lead, submitted])
            routed = lead_route_after_error(lead=lead, error=routing_error)
    return IntakeResult(lead, True, routed)


@dataclass(frozen=True)
class _Opening:
    snapshot: Snapshot | None  # None: it failed to build (routing meets the error again)
    duplicate: Lead | None
    read: tuple[Planned, StateRead] | None  # the lead's plan and its state, read ahead


def _intake_open(lead: Lead, *, read_ahead: bool) -> _Opening:
    """An intake's first statements, sent together: lock the e-mail
    (`serialize_emails`), read the routing version, look for an open lead of the e-mail
    and, with `read_ahead`, read (and lock) the state the lead's plan needs: its
    candidates' loads and rotations, and the rep the lead already knows when the rule
    set asks for one (`familiar`; their load with one more statement if they are not a
    candidate).

    The probe and the plan are those of the snapshot this process has; the version read
    with them tells whether it is current. When it is not, a read ahead is undone
    (`_SnapshotStale`) rather than kept locked while the snapshot is rebuilt, and
    without one, the probe runs again if the duplicate window changed."""
    now = timezone.now()
    kept = kept_snapshot()
    window = duplicate_window(kept)
    ahead = _plan_if_it_plans(lead, kept, now) if read_ahead and kept else None
    familiar = _familiar_query_of(ahead, kept, now)
    # The lock is a statement of its own: the reads after it begin once it is held, so
    # they see the lead of a submission of the same e-mail that held it.
    _, version, probe, familiar_rows, *state = run_statements(
        [
            email_lock([lead.email]),
            ROUTING_VERSION,
            open_duplicate_probe([lead.email], window=window, now=now),
            familiar,
            *(ahead[1].statements if ahead else ()),
        ]
    )
    snapshot = kept
    current = routing_version_of(version or [])
    if kept is None or current[1] != kept.stamp:
        if ahead is not None:
            raise _SnapshotStale
        snapshot = _snapshot_if_it_builds(current)
    if duplicate_window(snapshot) == window:
        duplicate = open_duplicate_in(dict(probe or ()), lead.email)
    else:
        duplicate = open_duplicate(lead.email, window=duplicate_window(snapshot), now=now)
    read = None
    if ahead is not None and duplicate is None:
        planned, query = ahead
        assert snapshot is not None  # the kept one: a read ahead is of a current snapshot
        state_read = new_lead_state_of(
            query, state, familiar_rows, lead=lead, snapshot=snapshot, now=now
        )
        read = (planned, state_read)
    return _Opening(snapshot, duplicate, read)


def _familiar_query_of(
    ahead: tuple[Planned, StateQuery] | None, snapshot: Snapshot | None, now: datetime
) -> Statement | None:
    """The familiar-rep read, with a read ahead, when its rule set asks for one."""
    if ahead is None or snapshot is None or snapshot.active is None:
        return None
    return familiar_query(ahead[0].plan.lead, ruleset=snapshot.active, now=now)


def lead_simulate(*, values: dict[str, Any], ruleset_id: int | None = None) -> Simulation:
    """What intake would decide for this submission now, without writing anything or
    moving any rotation (rotations are read, not locked or advanced). `ruleset_id`: try a
    draft (any rule set) instead of the active one."""
    now = timezone.now()
    snapshot = current_snapshot()
    email = values["email"]
    duplicate = open_duplicate(email, window=duplicate_window(snapshot), now=now)
    ruleset = snapshot.rulesets.get(ruleset_id) if ruleset_id else snapshot.active
    if ruleset is None:
        return Simulation(
            None,
            None,
            None,
            {"ruleset": None, "steps": [{"step": "error", "error": NO_RULESET}], "elapsed_us": 0},
            duplicate,
        )
    planned = lead_plan(lead_facts({**values}), snapshot=snapshot, ruleset=ruleset)
    state = new_lead_state(
        Lead(**values), planned, ruleset=ruleset, snapshot=snapshot, now=now, lock=False
    )
    decision, elapsed_us = lead_choose(planned, snapshot=snapshot, state=state, now=now)
    owner = Rep.objects.filter(pk=decision.rep_id).first() if decision.rep_id else None
    rule = Rule.objects.filter(pk=decision.rule.id).first() if decision.rule else None
    return Simulation(
        owner=owner,
        rule=rule,
        ack_due_at=decision.ack_due_at if owner else None,
        decision={
            "ruleset": {"id": ruleset.id, "name": ruleset.name, "version": ruleset.version},
            "steps": list(decision.steps),
            "elapsed_us": elapsed_us,
        },
        duplicate_of=duplicate,
    )


def _plan_if_it_plans(
    lead: Lead, snapshot: Snapshot, now: datetime
) -> tuple[Planned, StateQuery] | None:
    """The lead's plan by the active rules of `snapshot` and the (locking) statements
    reading its state. The lead is not stored yet: a plan that fails must not stop it.
    None here (also with no active rule set), and routing meets the error again, where
    its failure gives the lead to the fallback."""
    if snapshot.active is None:
        return None
    try:
        planned = lead_plan(facts_of(lead), snapshot=snapshot, ruleset=snapshot.active)
        return planned, plan_state_query(planned.plan, snapshot=snapshot, now=now, lock=True)
    except Exception:
        logger.exception("Planning a lead's reads failed; storing the lead first")
        return None


def _snapshot_if_it_builds(version: tuple[int, uuid.UUID] | None) -> Snapshot | None:
    """The snapshot for the version read (`routing_version_of`; None: read it now). The
    lead is not stored yet, so a snapshot that fails to build must not stop it: None
    here, and routing meets the error again, after the lead is safe."""
    try:
        return current_snapshot(version)
    except Exception:
        logger.exception("Routing snapshot failed to build; storing the lead first")
        return None


def owner_tell_of_return(lead: Lead, event: LeadEvent, snapshot: Snapshot | None) -> bool:
    """Tell the owner that the lead submitted again, unless they were told of a return
    of this lead within RETURN_NOTIFY_COOLDOWN: fifty posts of one form in a minute are
    one message, while the timeline keeps every submission. True if told.

    Concurrent returns of one lead are serialized by the e-mail lock intake holds, so the
    second sees the first's message."""
    assignment = lead.assignments.filter(ended_at__isnull=True).first()
    if assignment is None:
        return False
    contact = snapshot.contacts.get(assignment.rep_id) if snapshot else None
    if contact is None or _return_told_recently(lead.pk, assignment.rep_id, event.at):
        return False
    body = event_body("lead.returned", lead=lead, at=event.at, assignment=assignment)
    outbox_write(
        outbox_tell_rep(
            contact=contact,
            kind="lead.returned",
            lead_id=lead.pk,
            assignment=assignment,
            body={**body, "data": {**body["data"], "submission": event.data["payload"]}},
            event=event,
        )
    )
    return True


def _return_told_recently(lead_id: int, rep_id: int, now: datetime) -> bool:
    since = now - settings.LEADROUTER["RETURN_NOTIFY_COOLDOWN"]
    return Notification.objects.filter(
        lead_id=lead_id, rep_id=rep_id, kind="lead.returned", created_at__gt=since
    ).exists()


def _routed_so_far(lead: Lead) -> Routed:
    decision = lead.decisions.select_related("ruleset").order_by("-id").first()
    ack_due_at = (
        lead.assignments.filter(ended_at__isnull=True).values_list("ack_due_at", flat=True).first()
    )
    return Routed(
        decision,
        owner=lead.owner,
        ack_due_at=ack_due_at,
        ruleset_name=decision.ruleset.name if decision and decision.ruleset else None,
    )
