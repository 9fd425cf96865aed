"""Writing the outbox: the rows that say who must be told what, in the caller's
transaction, and a nudge to the worker once that transaction has committed.

Every row has a `key` naming the message; it is unique, so the same message is never
queued twice. If the broker is down when the nudge is sent, the rows wait for the
periodic sweep (routing.tasks.send_due_notifications): late, never lost.

The nudge is a task that sends everything pending, and at most one waits in the queue
at a time: a flag in the shared cache says one is queued, the task clears it before it
reads the outbox, so rows committed before a nudge is skipped are read by the task
already queued. Publishing a task cost an intake more than a millisecond; under a
burst of leads most intakes now only find the flag set. Without a shared cache
(development without Redis), every commit queues its own task.

On PostgreSQL with real workers, the web process does not nudge: the transaction that
writes the rows says NOTIFY (PostgreSQL delivers it when, and only if, it commits) and
a listener in each worker nudges (routing.notifications.listener). The cache round
trip after every commit was a tenth of an intake's cost in the web process. Tasks run
eagerly (tests) have no worker to listen, and other databases no NOTIFY: those nudge
after commit as above.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.dispatch import Signal

from routing.db.bulk import TableWriter, allocate_ids
from routing.db.rows import rows_insert
from routing.db.statements import Statement, write
from routing.models import Assignment, LeadEvent, Notification

from .contacts import Contact, Subscriber, manager_channel

logger = logging.getLogger(__name__)


def outbox_tell_rep(
    *,
    contact: Contact | None,
    kind: str,
    lead_id: int,
    assignment: Assignment,
    body: dict[str, Any],
    event: LeadEvent | None = None,
) -> list[Notification]:
    """A message to a rep on each of their channels; `body` is what their webhook gets.
    Once per assignment and kind, or per `event` for what can happen again (a return)."""
    if contact is None:
        return []
    occasion = f"event {event.pk}" if event is not None else f"assignment {assignment.pk}"
    return [
        Notification(
            key=f"{occasion} {kind} {channel}",
            channel=channel,
            kind=kind,
            # Ids, not instances: assigning related instances costs checks that matter
            # when an import writes thousands of these.
            lead_id=lead_id,
            assignment_id=assignment.pk,
            rep_id=contact.rep_id,
            destination=destination,
            payload=body if channel == Notification.Channel.WEBHOOK else {},
        )
        for channel, destination in contact.channels
    ]


def outbox_publish(
    *, subscribers: Iterable[Subscriber], event: LeadEvent, name: str, body: dict[str, Any]
) -> list[Notification]:
    """An event for each subscriber that wants it."""
    return [
        Notification(
            key=f"event {event.pk} subscriber {subscriber.id}",
            channel=Notification.Channel.WEBHOOK,
            kind=name,
            lead_id=event.lead_id,
            assignment_id=event.assignment_id,
            subscription_id=subscriber.id,
            destination=subscriber.url,
            payload=body,
        )
        for subscriber in subscribers
        if subscriber.wants(name)
    ]


def outbox_tell_managers(
    *, addresses: Sequence[str], kind: str, event: LeadEvent
) -> list[Notification]:
    return [
        Notification(
            key=f"event {event.pk} manager {address}",
            channel=manager_channel(address),
            kind=kind,
            lead_id=event.lead_id,
            assignment_id=event.assignment_id,
            destination=address,
        )
        for address in addresses
    ]


def outbox_write(rows: Sequence[Notification], *, many: bool = False) -> None:
    """Store the rows and, after commit, ask a worker to send them now. `many`: rows
    by the thousand (an import), written in one statement with ids allocated first."""
    if not rows:
        return
    if not many:
        rows_insert(rows, then=outbox_wake())
        return
    ids = allocate_ids(Notification, len(rows))
    columns = [field.attname for field in Notification._meta.concrete_fields]
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
    TableWriter(Notification, columns).insert(
        [getattr(row, column) for column in columns] for row in rows
    )
    for statement in outbox_wake():
        write(*statement)


def outbox_write_once(rows: Sequence[Notification]) -> None:
    """Store rows that several transactions may write alike (a digest: one row per
    destination and window, whichever escalation of the window comes first); a row whose
    key is stored already is left as it is. They are due later: no worker is woken."""
    if rows:
        Notification.objects.bulk_create(rows, ignore_conflicts=True)


def outbox_wake() -> list[Statement]:
    """Have the workers woken once the rows just written are committed: the statement
    to run in the transaction where PostgreSQL's NOTIFY does it, else [] and a task
    asked for after commit."""
    if wakes_by_notify():
        return [("SELECT pg_notify(%s, '')", [OUTBOX_CHANNEL])]
    # robust: a broker that is down must not turn a committed intake into an error.
    transaction.on_commit(outbox_nudge, robust=True)
    return []


OUTBOX_CHANNEL = "leadrouter_outbox"


def wakes_by_notify() -> bool:
    """Whether committed outbox rows wake the workers through PostgreSQL's NOTIFY."""
    return (
        settings.LEADROUTER["OUTBOX_NOTIFY"]
        and connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
        and not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
    )


WAKE_KEY = "leadrouter:outbox:queued"
# A queued task that never runs (a worker lost with it) holds the flag this long at most;
# meanwhile the rows go with the next nudge or the sweep.
WAKE_TTL_SECONDS = 5


# Outbox rows wait to be sent: routing.tasks queues a sending task when this is sent. A
# signal, so that what writes the rows needs to know nothing of the task queue.
outbox_rows_waiting = Signal()


def outbox_nudge() -> None:
    """Have a sending task queued, unless one is already waiting."""
    if _wake_already_queued():
        return
    outbox_rows_waiting.send(sender=Notification)


def _wake_already_queued() -> bool:
    cache = caches["default"]
    if isinstance(cache, (LocMemCache, DummyCache)):
        return False  # this process's own memory: a worker could never clear it
    try:
        return not cache.add(WAKE_KEY, 1, timeout=WAKE_TTL_SECONDS)
    except Exception as error:  # the cache down must not keep a lead's owner waiting
        logger.warning("Outbox nudge sent without checking the cache: %s", error)
        return False


def outbox_woken() -> None:
    """A sending task starts: the next commit queues another."""
    try:
        caches["default"].delete(WAKE_KEY)
    except Exception as error:
        logger.warning("Outbox flag not cleared (it lapses by itself): %s", error)
