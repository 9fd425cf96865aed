"""Sending the outbox: claim a row, deliver it (routing.notifications.transports), record
the result, and what a delivery means for the lead (an AI agent's 2xx acknowledges).

A row is claimed by pushing its `next_attempt_at` past the send's time limit with a
conditional UPDATE (still pending, still due): two workers, or a task and the sweep,
cannot both claim it, so a task that runs twice sends once. If a worker dies after
claiming, the claim lapses and the sweep sends the row later. The one case that can
repeat a message is a worker dying after the receiver got it and before the row was
marked sent; webhook receivers see the same `webhook-id` then and can drop it.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from routing.models import Assignment, LeadEvent, Notification
from routing.notifications.base import TransportError
from routing.notifications.messages import ACTIONABLE
from routing.notifications.transports import notification_deliver

from .acknowledge import AcknowledgeError, assignment_acknowledge

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def retry_delay(attempts: int) -> timedelta:
    """10 s, 30 s, 90 s, 4.5 min, 13.5 min, 40 min, then hourly: about 3 hours in all."""
    return min(timedelta(seconds=10 * 3 ** (attempts - 1)), timedelta(hours=1))


def notification_send(*, notification_id: int, now: datetime | None = None) -> bool:
    """Send one row if it is pending and due. True if it was sent now."""
    now = now or timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, status=Notification.Status.PENDING, next_attempt_at__lte=now
    ).update(
        next_attempt_at=now + settings.LEADROUTER["NOTIFICATION_CLAIM"],
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return False  # sent, failed for good, or another worker has it
    notification = Notification.objects.select_related(
        "lead__owner", "assignment__decision", "rep", "subscription", "lead_import"
    ).get(pk=notification_id)
    try:
        status = notification_deliver(notification)
    except TransportError as error:
        _failed(notification, error)
        return False
    except Exception as error:  # a bug must not stop the rest of the outbox
        logger.exception("Sending notification %s failed", notification_id)
        _failed(notification, TransportError(f"{type(error).__name__}: {error}"))
        return False
    Notification.objects.filter(pk=notification_id).update(
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
        response_status=status,
        last_error="",
    )
    _delivered(notification)
    return True


def notifications_send_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """The sweep: send whatever is pending and due (never sent, retries, lapsed claims),
    the `limit` oldest."""
    now = now or timezone.now()
    return sum(notification_send(notification_id=pk, now=now) for pk in _due_ids(now, limit))


def notifications_send_pending(*, seconds: float = 30.0, batch: int = 200) -> int:
    """The fast path: everything pending and due, a batch at a time, until none is left
    or `seconds` have passed (the rest goes with the next run or the sweep). Each row
    sent, failed or taken by another worker stops being due, so every batch moves on."""
    deadline = time.monotonic() + seconds
    sent = 0
    while True:
        now = timezone.now()
        ids = _due_ids(now, batch)
        sent += sum(notification_send(notification_id=pk, now=now) for pk in ids)
        if len(ids) < batch or time.monotonic() >= deadline:
            return sent


def _due_ids(now: datetime, limit: int) -> list[int]:
    due = Notification.objects.filter(
        status=Notification.Status.PENDING, next_attempt_at__lte=now
    ).order_by("next_attempt_at")
    return list(due.values_list("id", flat=True)[:limit])


def _failed(notification: Notification, error: TransportError) -> None:
    attempts = notification.attempts  # already counts this one
    final = error.permanent or attempts >= MAX_ATTEMPTS
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.FAILED if final else Notification.Status.PENDING,
        next_attempt_at=timezone.now() + retry_delay(attempts),
        last_error=error.message[:2000],
        response_status=error.status,
    )
    log = logger.error if final else logger.warning
    log("Notification %s (%s): %s", notification.pk, notification, error.message)


def _delivered(notification: Notification) -> None:
    """On the lead's timeline; an AI agent's 2xx to a new lead is its acknowledgment."""
    if notification.subscription_id or notification.kind not in ACTIONABLE:
        return
    LeadEvent.objects.create(
        lead_id=notification.lead_id,
        kind=LeadEvent.Kind.NOTIFIED,
        actor="system",
        assignment_id=notification.assignment_id,
        data={"channel": notification.channel, "to": notification.destination},
    )
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
