"""Celery entry points: thin, they take ids or nothing and call a service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from routing.api.idempotency import IDEMPOTENCY_TTL, idempotency_records_purge


@shared_task(ignore_result=True)
def purge_idempotency_records() -> int:
    """Forget idempotency keys once they are past the 24 hours promised to clients (with an
    hour to spare, so a replay at 23:59 still finds its record)."""
    return idempotency_records_purge(older_than=IDEMPOTENCY_TTL + timedelta(hours=1))
