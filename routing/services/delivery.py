"""Sending the outbox: claim rows in batches, deliver them concurrently
(routing.notifications.sending), record the results in bulk, and what a delivery means
for the lead (an AI agent's 2xx acknowledges).

Rows are claimed in batches: the oldest due rows are read and locked (skipping rows
another worker is claiming), and one conditional UPDATE (still pending, still due)
pushes their `next_attempt_at` past the send's time limit and stamps them with a fresh
token: two workers, or a task and the sweep, never claim the same row, so a task that
runs twice sends once. Only the holder of a row's token records its result. If a worker
dies after claiming, the claim lapses and the sweep sends the row later. The one case
that can repeat a message is a worker dying (or its claim lapsing) after the receiver
got it and before the row was marked sent; webhook receivers see the same `webhook-id`
then and can drop it.

A run keeps up to DELIVERY_THREADS messages in flight: it claims as many rows as there
are free threads, records what has finished (a few at a time, in bulk) and claims again,
so a slow receiver holds one thread and not the rows behind it. It logs one line when it
sent anything and nothing when there was nothing to send.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from routing.models import Assignment, LeadEvent, Notification
from routing.notifications.base import TransportError
from routing.notifications.messages import ACTIONABLE
from routing.notifications.sending import notification_start, sending_threads

from .acknowledge import AcknowledgeError, assignment_acknowledge

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# After the first of several sends finishes, how long to wait for the others to finish
# too, so that their results are written together.
RECORD_TOGETHER_SECONDS = 0.02
# How many failures the run's log line names.
FAILURES_NAMED = 3


def retry_delay(attempts: int) -> timedelta:
    """10 s, 30 s, 90 s, 4.5 min, 13.5 min, 40 min, then hourly: about 3 hours in all."""
    return min(timedelta(seconds=10 * 3 ** (attempts - 1)), timedelta(hours=1))


def notification_send(*, notification_id: int, now: datetime | None = None) -> bool:
    """Send one row if it is pending and due. True if it was sent now."""
    now = now or timezone.now()
    run = _Run(claim=lambda room: notifications_claim(now=now, limit=1, pk=notification_id))
    return run.until_done(seconds=None) == 1


def notifications_send_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """The sweep: send whatever is pending and due (never sent, retries, lapsed claims),
    the `limit` oldest."""
    now = now or timezone.now()
    left = [limit]

    def claim(room: int) -> list[Notification]:
        rows = notifications_claim(now=now, limit=min(room, left[0]))
        left[0] -= len(rows)
        return rows

    return _Run(claim=claim).until_done(seconds=None)


def notifications_send_pending(*, seconds: float = 30.0, batch: int | None = None) -> int:
    """The fast path: everything pending and due, including rows that come due while it
    runs, until none is left or `seconds` have passed (then it finishes what it has in
    flight; the rest goes with the next run or the sweep). `batch`: rows claimed at a
    time at most (else as many as there are free sending threads)."""

    def claim(room: int) -> list[Notification]:
        return notifications_claim(now=timezone.now(), limit=min(room, batch or room))

    run = _Run(claim=claim)
    return run.until_done(seconds=seconds)


def notifications_claim(*, now: datetime, limit: int, pk: int | None = None) -> list[Notification]:
    """Claim up to `limit` pending rows due at `now`, the oldest first (only row `pk`
    when given), with what sending them reads. Rows another claim holds are skipped."""
    if limit <= 0:
        return []
    token = uuid.uuid4()
    due = Notification.objects.filter(status=Notification.Status.PENDING, next_attempt_at__lte=now)
    if pk is not None:
        due = due.filter(pk=pk)
    # SKIP LOCKED (PostgreSQL): a worker claiming at the same moment takes the next rows
    # instead of waiting for these. The rows are read first and claimed by id: as a
    # subquery of the UPDATE the locking read may run again (PostgreSQL rescans it) and
    # then takes more than `limit` rows. The UPDATE checks again that each row is still
    # pending and due, which on SQLite (no row locks; IMMEDIATE transactions) is what
    # keeps a second claimer off.
    oldest = due.order_by("next_attempt_at").select_for_update(skip_locked=True)
    with transaction.atomic():  # the locks hold until the claim is written
        ids = list(oldest.values_list("pk", flat=True)[:limit])
        claimed = ids and due.filter(pk__in=ids).update(
            claim=token,
            next_attempt_at=now + settings.LEADROUTER["NOTIFICATION_CLAIM"],
            attempts=F("attempts") + 1,
        )
    if not claimed:
        return []
    return list(
        Notification.objects.select_related(
            "lead__owner", "assignment__decision", "rep", "subscription", "lead_import"
        )
        .filter(status=Notification.Status.PENDING, claim=token)
        .order_by("pk")
    )


@dataclass
class _Run:
    """One sending run: claims rows as threads come free, records them as they finish."""

    claim: Callable[[int], list[Notification]]
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)

    def until_done(self, *, seconds: float | None) -> int:
        """Send until nothing more is claimed (or `seconds` have passed); the rows sent."""
        started = time.monotonic()
        self.in_flight: dict[Future[int | None], Notification] = {}
        self.waiting: list[Notification] = []
        self.busy: set[tuple[str, int | None]] = set()
        claiming = True
        while True:
            if claiming:
                room = sending_threads() - len(self.in_flight) - len(self.waiting)
                rows = self.claim(room) if room > 0 else []
                for row in rows:
                    self._start(row)
                out_of_time = seconds is not None and time.monotonic() - started >= seconds
                claiming = not out_of_time and (bool(rows) or room <= 0)
            if not self.in_flight:
                break  # nothing waits without something in flight to the same place
            done, _ = wait(self.in_flight, return_when=FIRST_COMPLETED)
            if len(done) < len(self.in_flight):
                done = wait(self.in_flight, timeout=RECORD_TOGETHER_SECONDS).done
            finished = [(self.in_flight.pop(future), future) for future in done]
            self._record(finished)
            self.busy -= {_order_key(notification) for notification, _ in finished}
            waiting, self.waiting = self.waiting, []
            for row in waiting:
                self._start(row)
        self._log(time.monotonic() - started)
        return self.sent

    def _start(self, row: Notification) -> None:
        """Messages about one lead to one destination go one at a time, in the order
        they were written (a return after the assignment it follows)."""
        key = _order_key(row)
        if key in self.busy:
            self.waiting.append(row)
            return
        self.busy.add(key)
        self.in_flight[notification_start(row)] = row

    def _record(self, finished: list[tuple[Notification, Future[int | None]]]) -> None:
        now = timezone.now()
        sent: list[Notification] = []
        updates: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for notification, future in finished:
            try:
                status = future.result()
            except TransportError as error:
                values = self._failed(notification, error, now)
            except Exception as error:  # a bug must not stop the rest of the outbox
                logger.exception("Sending notification %s failed", notification.pk)
                error = TransportError(f"{type(error).__name__}: {error}")
                values = self._failed(notification, error, now)
            else:
                sent.append(notification)
                values = {"status": Notification.Status.SENT, "sent_at": now,
                          "response_status": status, "last_error": ""}  # fmt: skip
            updates[(notification.claim, *sorted(values.items()))].append(notification.pk)
        # Rows that end alike (sent with the same status, the same error at the same
        # attempt) are written by one statement. Only the claim's holder writes: a row
        # whose claim lapsed and was taken again is the new holder's to record.
        taken_again: set[int] = set()
        for (claim, *values), ids in updates.items():
            mine = Notification.objects.filter(pk__in=ids, claim=claim)
            if mine.update(**dict(values)) < len(ids):
                taken_again |= set(ids) - set(mine.values_list("pk", flat=True))
        sent = [notification for notification in sent if notification.pk not in taken_again]
        _delivered(sent)
        self.sent += len(sent)

    def _failed(
        self, notification: Notification, error: TransportError, now: datetime
    ) -> dict[str, Any]:
        attempts = notification.attempts  # already counts this one
        final = error.permanent or attempts >= MAX_ATTEMPTS
        if final:
            self.failed += 1
        else:
            self.retrying += 1
        if len(self.failures) < FAILURES_NAMED:
            outcome = "failed for good" if final else f"retry {attempts + 1} of {MAX_ATTEMPTS}"
            self.failures.append(f"#{notification.pk} {notification}: {error.message} ({outcome})")
        return {
            "status": Notification.Status.FAILED if final else Notification.Status.PENDING,
            "next_attempt_at": now + retry_delay(attempts),
            "last_error": error.message[:2000],
            "response_status": error.status,
        }

    def _log(self, seconds: float) -> None:
        total = self.sent + self.retrying + self.failed
        if not total:
            return  # an empty run says nothing
        line = f"Outbox: {self.sent} of {total} sent in {seconds:.2f} s"
        if self.retrying or self.failed:
            line += f"; {self.retrying} to retry, {self.failed} failed for good: "
            line += "; ".join(self.failures)
            if self.retrying + self.failed > len(self.failures):
                line += "; ..."
        level = logging.ERROR if self.failed else logging.WARNING if self.retrying else logging.INFO
        logger.log(level, "%s", line)


def _order_key(notification: Notification) -> tuple[str, int | None]:
    return (notification.destination, notification.lead_id)


def _delivered(sent: list[Notification]) -> None:
    """On the leads' timelines; an AI agent's 2xx to a new lead is its acknowledgment."""
    told = [
        notification
        for notification in sent
        if not notification.subscription_id and notification.kind in ACTIONABLE
    ]
    LeadEvent.objects.bulk_create(
        LeadEvent(
            lead_id=notification.lead_id,
            kind=LeadEvent.Kind.NOTIFIED,
            actor="system",
            assignment_id=notification.assignment_id,
            data={"channel": notification.channel, "to": notification.destination},
        )
        for notification in told
    )
    for notification in told:
        rep = notification.rep
        if (
            rep is not None
            and rep.kind == rep.Kind.AGENT
            and notification.channel == Notification.Channel.WEBHOOK
            and notification.assignment_id
        ):
            try:
                assignment_acknowledge(
                    assignment=Assignment.objects.get(pk=notification.assignment_id),
                    rep=rep,
                    via="agent webhook",
                )
            except AcknowledgeError as error:  # the lead moved on meanwhile
                logger.info("Agent %s answered too late: %s", rep, error)
