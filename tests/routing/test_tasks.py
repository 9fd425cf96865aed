from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from routing.models import IdempotencyRecord, IntakeKey
from routing.tasks import purge_idempotency_records

pytestmark = pytest.mark.django_db


def test_idempotency_records_are_kept_a_day_then_purged():
    key, _ = IntakeKey.objects.create_key(name="Web form")
    with time_machine.travel(timezone.now() - timedelta(hours=26)):
        IdempotencyRecord.objects.create(intake_key=key, key="old", request_hash="0" * 64)
    with time_machine.travel(timezone.now() - timedelta(hours=23)):
        IdempotencyRecord.objects.create(intake_key=key, key="recent", request_hash="0" * 64)

    assert purge_idempotency_records() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]


def test_the_purge_is_scheduled():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "routing.tasks.purge_idempotency_records" in tasks
