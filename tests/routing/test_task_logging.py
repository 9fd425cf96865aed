"""The worker's console: nothing for a sweep that found nothing, one line per batch."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from routing.models import Notification
from routing.tasks import escalate_overdue, remind_due, send_due_notifications, send_notifications
from tests.team import submit

pytestmark = pytest.mark.django_db


def _lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name.startswith("routing.")]


def test_sweeps_that_find_nothing_say_nothing(team, caplog):
    caplog.set_level(logging.INFO)
    escalate_overdue()
    remind_due()
    send_due_notifications()
    send_notifications()
    assert _lines(caplog) == []


def test_a_storm_of_escalations_is_one_line_and_its_messages_one_more(team, caplog):
    for number in range(3):
        submit(email=f"buyer{number}@prospect-{number}.com", source="demo_request")
    Notification.objects.update(status=Notification.Status.SENT)
    caplog.set_level(logging.INFO)

    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        assert escalate_overdue() == 3
        sent = send_due_notifications()

    assert sent > 3
    escalated, sending = _lines(caplog)
    assert escalated == "Escalated 3 overdue assignments"
    assert sending.startswith(f"Outbox: {sent} of {sent} sent in ")
