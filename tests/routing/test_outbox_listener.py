"""On PostgreSQL with real workers, committed outbox rows wake the workers through the
database: the transaction says NOTIFY, a listener in the worker hears it once the
transaction commits (never if it rolls back) and queues the sending task."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from routing.models import Notification
from routing.notifications.listener import outbox_listen, outbox_listener_start
from routing.notifications.outbox import outbox_write, wakes_by_notify
from tests.factories import LeadFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="NOTIFY is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def real_workers(settings):
    """As in production: tasks go to workers, not run in the caller."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert wakes_by_notify()


def message(lead, key: str) -> Notification:
    return Notification(
        key=key,
        channel=Notification.Channel.EMAIL,
        kind="lead.assigned",
        lead_id=lead.pk,
        destination="ana@example.com",
    )


@pytest.fixture
def listener():
    """A listener thread whose wake-ups are counted."""
    woken = threading.Semaphore(0)
    stop = threading.Event()
    thread = threading.Thread(
        target=outbox_listen, args=(stop,), kwargs={"wake": woken.release}, daemon=True
    )
    thread.start()
    assert woken.acquire(timeout=10), "no wake-up on connecting"
    yield woken
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_commit_with_outbox_rows_wakes_the_listener_and_a_rollback_does_not(
    real_workers, listener
):
    lead = LeadFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_write([message(lead, "undone")])
        raise RuntimeError("the intake failed")
    assert not listener.acquire(timeout=1.5)

    with transaction.atomic():
        outbox_write([message(lead, "kept")])
    assert listener.acquire(timeout=10)
    assert Notification.objects.filter(key="kept").exists()


def test_the_web_process_says_notify_in_the_transaction_and_queues_nothing_itself(
    real_workers, django_capture_on_commit_callbacks, statements_logged
):
    lead = LeadFactory()
    with (
        django_capture_on_commit_callbacks() as callbacks,
        CaptureQueriesContext(connection) as queries,
        transaction.atomic(),
    ):
        outbox_write([message(lead, "told")])

    assert callbacks == []
    assert any("pg_notify" in query["sql"] for query in queries.captured_queries)


def test_with_tasks_run_in_the_caller_nobody_listens_and_nothing_starts(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert not wakes_by_notify()
    assert outbox_listener_start() is None
