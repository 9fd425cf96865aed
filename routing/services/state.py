"""Reading the live routing state for one decision: rep loads and pool rotations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Case, Count, Q, Value, When

from routing.engine import RepLoad, Rotation, RotationUpdate, RoutingData
from routing.models import Assignment, PoolRotation


def rep_loads(rep_ids: Iterable[int], *, data: RoutingData, now: datetime) -> dict[int, RepLoad]:
    """Open and today's assignments of these reps, counted by the database in one query.

    "Today" is since midnight in each rep's own time zone, so only the last day's
    assignments (plus the still-open ones) are looked at.
    """
    ids = set(rep_ids)
    if not ids:
        return {}
    rows = (
        Assignment.objects.filter(rep_id__in=ids)
        .filter(Q(ended_at__isnull=True) | Q(assigned_at__gte=now - timedelta(days=1, hours=1)))
        .order_by()
        .values("rep_id")
        .annotate(
            open_unacknowledged=Count(
                "id", filter=Q(ended_at__isnull=True, acknowledged_at__isnull=True)
            ),
            open_total=Count("id", filter=Q(ended_at__isnull=True)),
            assigned_today=Count("id", filter=Q(assigned_at__gte=_local_midnight(ids, data, now))),
        )
        .values_list("rep_id", "open_unacknowledged", "open_total", "assigned_today")
    )
    return {rep_id: RepLoad(*counts) for rep_id, *counts in rows}


def _local_midnight(rep_ids: set[int], data: RoutingData, now: datetime) -> Case:
    """Each rep's last midnight in their own time zone, as one SQL expression (a few
    branches: reps share time zones)."""
    by_zone: dict[object, list[int]] = defaultdict(list)
    for rep_id in sorted(rep_ids):
        rep = data.reps.get(rep_id)
        if rep is not None:
            by_zone[rep.timezone].append(rep_id)
    branches = [
        When(
            rep_id__in=members,
            then=Value(now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)),
        )
        for zone, members in by_zone.items()
    ]
    # A rep the snapshot does not know has no daily limit to check: nothing counts.
    return Case(*branches, default=Value(now + timedelta(days=1)))


def read_rotations(pool_ids: Iterable[int], *, lock: bool) -> dict[int, Rotation]:
    """Rotation state of these pools; with `lock`, the rows stay locked to the end of
    the transaction (SELECT ... FOR UPDATE, in pool-id order so that two transactions
    locking the same pools cannot deadlock). SQLite has no row locks: its IMMEDIATE
    transactions already let one writer in at a time."""
    ids = sorted(set(pool_ids))
    if not ids:
        return {}
    rows = _rotation_rows(ids, lock=lock)
    if lock and len(rows) < len(ids):
        # The first lead through a pool: create its row (racing others harmlessly),
        # then lock them all again, in order.
        PoolRotation.objects.bulk_create(
            [PoolRotation(pool_id=pool_id) for pool_id in set(ids) - rows.keys()],
            ignore_conflicts=True,
        )
        rows = _rotation_rows(ids, lock=lock)
    return rows


def _rotation_rows(ids: list[int], *, lock: bool) -> dict[int, Rotation]:
    rows = PoolRotation.objects.filter(pool_id__in=ids).order_by("pool_id")
    if lock and connection.features.has_select_for_update:
        rows = rows.select_for_update()
    return {
        pool_id: Rotation(
            cursor=cursor,
            # JSON object keys are text; membership ids are numbers.
            weights={int(key): value for key, value in (weights or {}).items()},
        )
        for pool_id, cursor, weights in rows.values_list("pool_id", "cursor", "weights")
    }


def save_rotation(update: RotationUpdate) -> None:
    PoolRotation.objects.filter(pool_id=update.pool_id).update(
        cursor=update.cursor, weights={str(key): value for key, value in update.weights.items()}
    )
