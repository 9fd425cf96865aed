"""A nudge before the deadline: the owner of a lead still unacknowledged at an
assignment's `remind_at` (the rule set's `remind_before` ahead of `ack_due_at`, set when
the assignment was made) is told once how long is left.

Like the escalation sweep, the database is the guarantee. The sweep
(routing.tasks.remind_due, every second or so) reads due assignments through the partial
index `assignment_remind_due_idx` (open, unacknowledged, not yet reminded), locks them
with FOR UPDATE SKIP LOCKED (PostgreSQL: concurrent sweeps take different rows), and
marks each with a conditional UPDATE (still open, unacknowledged and not reminded) in the
transaction that writes its outbox rows: a racing acknowledgment or a second sweep changes
nothing, and a sweep that fails writes neither. The outbox row's key (one per assignment
and kind) would refuse a second reminder even then.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from routing.models import Assignment, Lead, Notification
from routing.notifications.outbox import outbox_tell_rep, outbox_write
from routing.notifications.payloads import event_body
from routing.snapshot import current_snapshot

REMINDER = "lead.reminder"
BATCH = 100


def assignments_remind_due(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Remind the owners of every due assignment (up to `limit`); returns how many."""
    done = 0
    while done < limit:
        with transaction.atomic():
            picked, reminded = _remind_batch(now or timezone.now(), min(BATCH, limit - done))
        done += reminded
        if picked < BATCH:
            break
    return done


def _remind_batch(now: datetime, size: int) -> tuple[int, int]:
    due = Assignment.objects.filter(
        ended_at__isnull=True,
        acknowledged_at__isnull=True,
        reminded_at__isnull=True,
        remind_at__lte=now,
        # Past the deadline the escalation sweep takes over; a reminder would be late.
        ack_due_at__gt=now,
    ).order_by("remind_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True)
    assignments = list(due[:size])
    if not assignments:
        return 0, 0
    snapshot = current_snapshot()
    leads = Lead.objects.in_bulk([assignment.lead_id for assignment in assignments])
    rows: list[Notification] = []
    reminded = 0
    for assignment in assignments:
        if not assignment_mark_reminded(assignment=assignment, now=now):
            continue
        reminded += 1
        lead = leads[assignment.lead_id]
        owner = snapshot.data.reps.get(assignment.rep_id)
        rows += outbox_tell_rep(
            contact=snapshot.contacts.get(assignment.rep_id),
            kind=REMINDER,
            lead_id=lead.pk,
            assignment=assignment,
            body=event_body(
                REMINDER,
                lead=lead,
                at=now,
                assignment=assignment,
                owner=owner,
                seconds_left=int((assignment.ack_due_at - now).total_seconds()),
            ),
        )
    outbox_write(rows)
    return len(assignments), reminded


def assignment_mark_reminded(*, assignment: Assignment, now: datetime) -> bool:
    """Mark one assignment reminded. False if it was acknowledged, ended or reminded by
    someone else first (SQLite has no row locks: the condition is the guarantee there)."""
    marked = Assignment.objects.filter(
        pk=assignment.pk,
        ended_at__isnull=True,
        acknowledged_at__isnull=True,
        reminded_at__isnull=True,
    ).update(reminded_at=now)
    if marked:
        assignment.reminded_at = now
    return bool(marked)
