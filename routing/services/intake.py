"""Taking a lead in: store it, join a duplicate or route it — and never lose it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from reps.models import Rep
from routing.db.rows import row_insert
from routing.db.statements import run_statements
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
from .recording import NO_RULESET
from .routing import (
    ReadAhead,
    Routed,
    lead_route,
    lead_route_after_error,
    read_ahead,
    run_engine,
)

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
    try:
        return _intake(values, payload, intake_key, actor)
    except _RoutingFailed as failed:
        logger.error("Routing a lead failed; giving it to the fallback", exc_info=failed.error)
        return _intake(values, payload, intake_key, actor, routing_error=failed.error)


class _RoutingFailed(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _intake(
    values: dict[str, Any],
    payload: dict[str, Any],
    intake_key: IntakeKey | None,
    actor: str,
    *,
    routing_error: Exception | None = None,
) -> IntakeResult:
    """Store the lead and route it; with `routing_error` (routing failed a first time),
    store it as submitted and give it to the fallback."""
    with transaction.atomic():
        lead = Lead(**values, payload=payload, intake_key=intake_key)
        opening = _intake_open(lead, routing=routing_error is None)
        snapshot, duplicate = opening.snapshot, opening.duplicate
        if duplicate is not None:
            event = LeadEvent.objects.create(
                lead=duplicate,
                kind=LeadEvent.Kind.RESUBMITTED,
                actor=actor,
                data={"payload": payload, "intake_key": intake_key.name if intake_key else None},
            )
            owner_tell_of_return(duplicate, event, snapshot)
            return IntakeResult(duplicate, False, _routed_so_far(duplicate))
        # Timed now, stored once the lead has its id: first on the timeline either way.
        submitted = LeadEvent(kind=LeadEvent.Kind.SUBMITTED, actor=actor)
        if routing_error is None:
            try:
                # Stores the new lead with what it decided: one insert, no update after.
                routed = lead_route(
                    lead=lead,
                    actor=actor,
                    snapshot=snapshot,
                    savepoint=False,
                    read_ahead=opening.ahead,
                )
                _submitted_store(submitted, lead)
            except Exception as error:
                raise _RoutingFailed(error) from error
        else:
            row_insert(lead)
            _submitted_store(submitted, lead)
            routed = lead_route_after_error(lead=lead, error=routing_error)
    return IntakeResult(lead, True, routed)


@dataclass(frozen=True)
class _Opening:
    snapshot: Snapshot | None
    duplicate: Lead | None
    ahead: ReadAhead | None  # the lead's plan, and the state it needs read ahead


def _intake_open(lead: Lead, *, routing: bool) -> _Opening:
    """An intake's first statements: lock the e-mail (`serialize_emails`), read the
    routing version, look for an open lead of the e-mail and, with `routing`, read (and
    lock) what routing it will read: its candidates' loads and rotations.

    The probe and the reads are those of the snapshot this process has. The version
    read with them tells whether it is current; when it was not, the reads are dropped
    (routing reads again) and, if the duplicate window changed, the probe runs again."""
    now = timezone.now()
    kept = kept_snapshot()
    window = duplicate_window(kept)
    ahead = _read_ahead_if_it_plans(lead, kept, now) if routing and kept else None
    # The lock first, on its own: the reads after it must see the lead of a submission
    # of the same e-mail that held it (a statement sees what was committed before it
    # began).
    _, version, probe, *state = run_statements(
        [
            email_lock([lead.email]),
            ROUTING_VERSION,
            open_duplicate_probe([lead.email], window=window, now=now),
            *(ahead.query.statements if ahead else ()),
        ]
    )
    snapshot = _snapshot_if_it_builds(version)
    if duplicate_window(snapshot) == window:
        duplicate = open_duplicate_in(dict(probe or ()), lead.email)
    else:
        duplicate = open_duplicate(lead.email, window=duplicate_window(snapshot), now=now)
    return _Opening(
        snapshot,
        duplicate,
        ahead=ahead.answered(state) if ahead and snapshot is kept and duplicate is None else None,
    )


def _submitted_store(event: LeadEvent, lead: Lead) -> None:
    event.lead = lead
    row_insert(event)


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
    facts = lead_facts({**values})
    decision, elapsed_us = run_engine(
        facts, snapshot=snapshot, ruleset=ruleset, lock=False, now=now
    )
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


def _read_ahead_if_it_plans(lead: Lead, snapshot: Snapshot, now: datetime) -> ReadAhead | None:
    """The lead is not stored yet: a plan that fails must not stop it. None here, and
    routing meets the error again, where its failure gives the lead to the fallback."""
    try:
        return read_ahead(lead, snapshot=snapshot, now=now)
    except Exception:
        logger.exception("Planning a lead's reads failed; storing the lead first")
        return None


def _snapshot_if_it_builds(version: list[tuple[Any, ...]] | None) -> Snapshot | None:
    """The snapshot for the version read (ROUTING_VERSION's rows). The lead is not
    stored yet, so a snapshot that fails to build must not stop it: None here, and
    routing meets the error again, after the lead is safe."""
    try:
        return current_snapshot(routing_version_of(version or []))
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
