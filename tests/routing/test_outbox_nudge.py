"""The nudge after commit: one sending task waits in the queue at a time when the cache
is shared between processes, one per commit when it is not; nothing is left behind."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from routing.models import Notification
from routing.notifications.outbox import WAKE_KEY
from routing.services.delivery import notifications_send_pending
from routing.tasks import send_notifications
from tests.team import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_cache(settings, tmp_path):
    """A cache every process of this machine sees (as Redis is in production)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    yield caches["default"]
    caches["default"].clear()


def pending(lead):
    return Notification.objects.filter(lead=lead, status=Notification.Status.PENDING).count()


def committed_submission(capture, **values):
    with capture(execute=True):
        return submit(**values)


def test_with_a_shared_cache_a_commit_queues_a_task_unless_one_is_already_waiting(
    team, receiver, shared_cache, django_capture_on_commit_callbacks
):
    first = committed_submission(django_capture_on_commit_callbacks, source="demo_request")
    # Queued and (the queue runs in this process here) run: it cleared the flag it found.
    assert pending(first) == 0
    assert shared_cache.get(WAKE_KEY) is None

    shared_cache.add(WAKE_KEY, 1)  # a task is queued and has not started yet
    second = committed_submission(
        django_capture_on_commit_callbacks, source="demo_request", email="sam@example.com"
    )
    assert pending(second) == 3  # left to the task already waiting

    send_notifications.delay()  # that task starts: clears the flag, sends everything
    assert pending(second) == 0
    assert shared_cache.get(WAKE_KEY) is None
    assert len(receiver.to("/slack/ana")) == 2


def test_without_a_shared_cache_every_commit_queues_its_task(
    team, receiver, settings, django_capture_on_commit_callbacks
):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    caches["default"].add(WAKE_KEY, 1)  # this process's memory: no worker would clear it
    lead = committed_submission(django_capture_on_commit_callbacks, source="demo_request")
    assert pending(lead) == 0


def test_sending_what_is_pending_goes_on_batch_after_batch(team, receiver):
    leads = [submit(source="demo_request", email=f"lead{n}@example.com") for n in range(3)]
    assert sum(pending(lead) for lead in leads) == 9

    assert notifications_send_pending(batch=2) == 9
    assert len(receiver.to("/slack/ana")) == 3
