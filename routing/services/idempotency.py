"""How long idempotency records are kept, and forgetting them after."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from routing.models import IdempotencyRecord

# What clients are promised: a retry within this long gets the first answer.
IDEMPOTENCY_TTL = timedelta(hours=24)


def idempotency_records_purge(*, older_than: timedelta) -> int:
    """Delete records older than `older_than` (at least IDEMPOTENCY_TTL, the promise made
    to clients); returns how many. `created_at` is indexed, so this is a range delete."""
    if older_than < IDEMPOTENCY_TTL:
        raise ValueError(
            f"Idempotency keys are kept at least {IDEMPOTENCY_TTL}; "
            f"refusing to purge records younger than that ({older_than})."
        )
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
