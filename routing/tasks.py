"""Celery entry points: thin, they take ids or nothing and call a service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.dispatch import receiver

from routing.imports import lead_import_queued, lead_import_run
from routing.models import LeadImport
from routing.notifications.outbox import outbox_rows_waiting, outbox_woken
from routing.services.delivery import (
    notification_send,
    notifications_send_due,
    notifications_send_pending,
)
from routing.services.escalation import assignments_escalate_overdue
from routing.services.idempotency import IDEMPOTENCY_TTL, idempotency_records_purge
from routing.services.performance import pools_performance_refresh
from routing.services.reminders import assignments_remind_due

# One line per batch sent, none for a run that found nothing (the escalation sweep says
# its own): the development worker hides Celery's per-task lines (config/settings/local.py).


@shared_task(ignore_result=True)
def purge_idempotency_records() -> int:
    """Forget idempotency keys once they are past the 24 hours promised to clients (with an
    hour to spare, so a replay at 23:59 still finds its record)."""
    return idempotency_records_purge(older_than=IDEMPOTENCY_TTL + timedelta(hours=1))


@shared_task(ignore_result=True)
def send_notifications(notification_ids: list[int] | None = None) -> int:
    """The fast path, queued when outbox rows commit (one waiting at a time, see
    routing.notifications.outbox): sends whatever is pending and due. Safe to run twice
    or late: each row is claimed before it is sent. `notification_ids`: tasks queued
    before the nudge was shared named their rows; sent first."""
    outbox_woken()
    sent = sum(notification_send(notification_id=pk) for pk in notification_ids or ())
    return sent + notifications_send_pending()


@shared_task(ignore_result=True)
def send_due_notifications() -> int:
    """The guarantee: whatever the fast path missed (broker down, worker killed) and
    every retry whose time has come."""
    return notifications_send_due()


@shared_task(ignore_result=True, expires=30)
def escalate_overdue() -> int:
    """Expire and escalate assignments past their acknowledgment deadline. Runs every
    second or so; a run that waited in the queue for long is dropped (`expires`), the
    next one does its work."""
    return assignments_escalate_overdue()  # it says one line per batch it escalates


@shared_task(ignore_result=True, expires=30)
def remind_due() -> int:
    """Remind owners whose leads are still unacknowledged shortly before the deadline.
    Runs every second or so; like escalate_overdue, a run that waited long is dropped."""
    return assignments_remind_due()


@shared_task(ignore_result=True)
def refresh_performance_weights() -> int:
    """Performance pools' weights from the outcomes recorded since the last run."""
    return pools_performance_refresh()


@shared_task(
    ignore_result=True,
    # A long list takes minutes, far past the default limits for quick tasks.
    soft_time_limit=6 * 60 * 60,
    time_limit=6 * 60 * 60 + 60,
)
def run_lead_import(lead_import_id: int) -> None:
    """Import an uploaded list. A run that died midway (worker lost: the task comes
    back) carries on from the first row it had not committed."""
    lead_import = LeadImport.objects.get(pk=lead_import_id)
    if lead_import.status == LeadImport.Status.DONE:
        return
    try:
        lead_import_run(lead_import=lead_import)
    except Exception:
        return  # recorded on the import (status failed, with why) and logged


# What services and the outbox ask for, queued here (routing/apps.py imports this module
# so that these receivers are connected in every process).


@receiver(outbox_rows_waiting)
def _queue_sending(**_: object) -> None:
    send_notifications.delay()


@receiver(lead_import_queued)
def _queue_import(*, lead_import_id: int, **_: object) -> None:
    run_lead_import.delay(lead_import_id)
