"""Reading the live routing state for one decision: rep loads and pool rotations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q

from routing.engine import RepLoad, Rotation, RotationUpdate, RoutingData
from routing.models import Assignment, PoolRotation


def rep_loads(rep_ids: Iterable[int], *, data: RoutingData, now: datetime) -> dict[int, RepLoad]:
    """Open and today's assignments of these reps, in one query.

    "Today" is since midnight in each rep's own time zone, so only the last day's
    assignments (plus the still-open ones) need to be read.
    """
    ids = set(rep_ids)
    if not ids:
        return {}
    rows = (
        Assignment.objects.filter(rep_id__in=ids)
        .filter(Q(ended_at__isnull=True) | Q(assigned_at__gte=now - timedelta(days=1, hours=1)))
        .values_list("rep_id", "assigned_at", "acknowledged_at", "ended_at")
    )
    midnight = {}
    for rep_id in ids:
        rep = data.reps.get(rep_id)
        if rep is not None:
            local = now.astimezone(rep.timezone)
            midnight[rep_id] = local.replace(hour=0, minute=0, second=0, microsecond=0)
    counts: dict[int, list[int]] = {}
    for rep_id, assigned_at, acknowledged_at, ended_at in rows:
        count = counts.setdefault(rep_id, [0, 0, 0])
        if ended_at is None:
            count[1] += 1
            if acknowledged_at is None:
                count[0] += 1
        if rep_id in midnight and assigned_at >= midnight[rep_id]:
            count[2] += 1
    return {rep_id: RepLoad(*count) for rep_id, count in counts.items()}


def read_rotations(pool_ids: Iterable[int], *, lock: bool) -> dict[int, Rotation]:
    """Rotation state of these pools; with `lock`, the rows stay locked to the end of
    the transaction (SELECT ... FOR UPDATE, in pool-id order so that two transactions
    locking the same pools cannot deadlock). SQLite has no row locks: its IMMEDIATE
    transactions already let one writer in at a time."""
    ids = sorted(set(pool_ids))
    if not ids:
        return {}
    if lock:
        missing = set(ids) - set(
            PoolRotation.objects.filter(pool_id__in=ids).values_list("pool_id", flat=True)
        )
        if missing:  # first lead of a pool: create its row, racing others harmlessly
            PoolRotation.objects.bulk_create(
                [PoolRotation(pool_id=pool_id) for pool_id in missing], ignore_conflicts=True
            )
    rows = PoolRotation.objects.filter(pool_id__in=ids).order_by("pool_id")
    if lock and connection.features.has_select_for_update:
        rows = rows.select_for_update()
    return {
        row.pool_id: Rotation(
            cursor=row.cursor,
            # JSON object keys are text; membership ids are numbers.
            weights={int(key): value for key, value in (row.weights or {}).items()},
        )
        for row in rows
    }


def save_rotation(update: RotationUpdate) -> None:
    PoolRotation.objects.filter(pool_id=update.pool_id).update(
        cursor=update.cursor, weights={str(key): value for key, value in update.weights.items()}
    )
