"""Taking in many submissions in one transaction: an imported list, a batch at a time.

What intake does for one lead, done for many: each submission joins the open lead of
its e-mail or becomes a lead decided by the engine, with its decision, assignment,
events and outbox rows. The state the engine reads (rep loads, rotations) is read once
per batch, every rotation row locked, and kept in step in memory as leads are given
out; each table is then written in one statement with ids chosen beforehand
(routing.imports.writer). Live intake through a pool waits for the batch's
commit, kept short by the batch size, and rotations stay exact across both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from routing import engine
from routing.db.bulk import allocate_ids
from routing.models import Lead
from routing.normalize import lead_facts
from routing.services.duplicates import duplicate_window, open_duplicate_ids, serialize_emails
from routing.services.routing import lead_choose, lead_plan, lead_route_after_error
from routing.services.state import RoutingMemory
from routing.snapshot import Snapshot, current_snapshot

from .writer import BatchWriter, NewLead, Submission

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchResult:
    created: int
    joined: int  # submissions whose e-mail had an open lead: they joined it
    # Rep loads after the batch, for the next one (see RoutingMemory), and the routing
    # data they were counted for.
    loads: dict[int, engine.RepLoad] | None = None
    stamp: Any = None


@transaction.atomic
def leads_intake_batch(
    *,
    submissions: Sequence[Submission],
    actor: str,
    lead_import_id: int | None = None,
    tell_reps_each: bool = True,
    sla: engine.ChosenSla | None = None,
    carried: BatchResult | None = None,
    meanwhile: Callable[[], Any] | None = None,
) -> BatchResult:
    """Store and route `submissions` like intake does one by one. `tell_reps_each`:
    False leaves human reps' messages to a digest (AI agents are still told of each
    lead; subscribed systems get every event either way). `sla`: the acknowledgment
    SLA of the new leads' owners instead of their rules' (None: the rules'; a lead
    whose routing failed goes to the fallback on the rule set's). `carried`: the previous
    batch's result, whose rep loads this one starts from if the routing data is the
    same. `meanwhile`: work of the caller's (reading the next batch) to do while the
    database takes this batch's last rows; called once."""
    now = timezone.now()
    _batch_transaction()
    serialize_emails(submission.values["email"] for submission in submissions)
    snapshot = current_snapshot()
    window = duplicate_window(snapshot)
    joined_to = open_duplicate_ids(
        (submission.values["email"] for submission in submissions), window=window, now=now
    )
    new: list[NewLead] = []
    new_by_email: dict[str, int] = {}
    joins: list[tuple[int, Submission]] = []
    ids = iter(allocate_ids(Lead, len(submissions)))
    for submission in submissions:
        email = submission.values["email"]
        if email in joined_to:
            joins.append((joined_to[email], submission))
        elif email in new_by_email and window:  # twice in one batch: the second joins
            joins.append((new_by_email[email], submission))
        else:
            lead = NewLead(next(ids), submission)
            new_by_email[email] = lead.id
            new.append(lead)
    ruleset = snapshot.active
    loads = None
    if ruleset is not None:
        same_data = carried is not None and carried.stamp == snapshot.stamp
        memory = RoutingMemory(
            data=snapshot.data, now=now, lock=True, loads=carried.loads if same_data else None
        )
        for lead in new:
            _decide(lead, snapshot=snapshot, ruleset=ruleset, memory=memory, now=now, sla=sla)
        memory.save()
        loads = memory.loads
    writer = BatchWriter(snapshot, actor=actor, now=now, lead_import_id=lead_import_id)
    writer.write(new, ruleset=ruleset, tell_reps_each=tell_reps_each, meanwhile=meanwhile)
    writer.write_joins(joins, tell_reps_each=tell_reps_each)
    for lead in new:
        if lead.error is not None:
            _fall_back(lead)
    return BatchResult(created=len(new), joined=len(joins), loads=loads, stamp=snapshot.stamp)


def _batch_transaction() -> None:
    """On PostgreSQL: do not wait for the commit to reach the disk. A crash may lose
    the last batches then, never half of one: each commits with the import's progress,
    which a new run starts from."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")


def _decide(
    lead: NewLead,
    *,
    snapshot: Snapshot,
    ruleset: engine.CompiledRuleSet,
    memory: RoutingMemory,
    now: datetime,
    sla: engine.ChosenSla | None,
) -> None:
    try:
        planned = lead_plan(lead_facts(lead.submission.values), snapshot=snapshot, ruleset=ruleset)
        lead.decision, lead.elapsed_us = lead_choose(
            planned, snapshot=snapshot, state=memory, now=now, sla=sla
        )
    except Exception as error:
        logger.exception("Routing an imported lead failed; giving it to the fallback")
        lead.error = error
        return
    memory.taken(lead.decision)


def _fall_back(lead: NewLead) -> None:
    """The engine failed for this lead: stored undecided, it goes to the fallback the
    way intake's does (`lead_route_after_error`), with the error on record."""
    assert lead.error is not None
    lead_route_after_error(lead=Lead.objects.get(pk=lead.id), error=lead.error)
