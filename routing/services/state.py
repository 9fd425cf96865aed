"""Reading the live routing state for one decision: rep loads and pool rotations."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections

from routing.db.statements import (
    Statement,
    any_of,
    array_param,
    run_statements,
    write,
)
from routing.engine import (
    Decision,
    Familiar,
    RepLoad,
    RepProfile,
    Rotation,
    RotationUpdate,
    RoutingData,
    uses_rotation,
)
from routing.models import Assignment, PoolRotation


@dataclass(frozen=True)
class StateRead:
    """What a decision reads of the live state: its reps' loads, its pools' rotations,
    and the rep the lead already knows (if the rule set asks)."""

    loads: dict[int, RepLoad]
    rotations: dict[int, Rotation]
    familiar: Familiar | None = None


@dataclass(frozen=True)
class StateQuery:
    """The statements reading a decision's `StateRead`, to be run with others, and how
    to read their answer."""

    statements: list[Statement | None]
    pool_ids: list[int]
    lock: bool
    rep_ids: frozenset[int] = frozenset()  # the reps whose loads it reads

    def answer(self, rows: list[list[tuple[Any, ...]] | None]) -> StateRead:
        loads, rotations = rows
        found = _rotations_of(rotations or [])
        if self.lock and len(found) < len(self.pool_ids):
            found = read_rotations(self.pool_ids, lock=True)  # a pool's first lead: its row
        return StateRead(_loads_of(loads or []), found)


def state_query(
    rep_ids: Iterable[int],
    *,
    pool_ids: Iterable[int],
    data: RoutingData,
    now: datetime,
    lock: bool,
) -> StateQuery:
    """`rep_loads` and `read_rotations` for one decision, as statements to run together."""
    pool_ids = sorted(set(pool_ids))
    rep_ids = frozenset(rep_ids)
    loads = _loads_statement(rep_ids, pool_ids=pool_ids, data=data, now=now)
    rotating = _rotating(pool_ids, data)
    rotations = _rotations_statement(rotating, lock=lock) if rotating else None
    return StateQuery([loads, rotations], rotating, lock, rep_ids)


def _rotating(pool_ids: Iterable[int], data: RoutingData) -> list[int]:
    """Those of `pool_ids` that keep a rotation (a pool not in `data` is kept: its row
    is read and locked as before)."""
    return [
        pool_id
        for pool_id in pool_ids
        if (pool := data.pools.get(pool_id)) is None or uses_rotation(pool.method)
    ]


def rep_loads(
    rep_ids: Iterable[int], *, pool_ids: Iterable[int], data: RoutingData, now: datetime
) -> dict[int, RepLoad]:
    """The counts the engine will look at for these reps, by the database in one query:
    open unacknowledged leads of reps with an unacknowledged-leads limit, open leads
    (open assignments, acknowledged or not: a final outcome closes the assignment) of
    reps with an open-leads limit and of the members of least-loaded pools among
    `pool_ids`, and when those members' latest lead was assigned (a tie between them
    goes to whoever has waited longest), and leads assigned today (since midnight in the
    rep's own time zone) of reps with a daily limit. Counts nothing reads stay 0, and a
    rep with none to count is left out.

    On PostgreSQL a count against a limit stops at the limit (a rep with 800 waiting
    leads and room for 25 counts 25: the engine only asks whether the limit is
    reached), and the open leads of a rep at their unacknowledged-leads limit are not
    counted (a rep at capacity is skipped, however loaded)."""
    (rows,) = run_statements([_loads_statement(rep_ids, pool_ids=pool_ids, data=data, now=now)])
    return _loads_of(rows or [])


def _loads_statement(
    rep_ids: Iterable[int], *, pool_ids: Iterable[int], data: RoutingData, now: datetime
) -> Statement | None:
    """The query of `rep_loads`; None: nobody to count.

    Each count is an index scan of one rep's assignments (open ones by acknowledgment,
    recent ones by time), stopped at the rep's limit where one applies: a rep costs in
    proportion to what is counted of theirs, not to everybody's, and a count against a
    limit no more than the limit, however many leads wait (the bench's least-loaded
    fallback reps reach several hundred each). Hand-written SQL: this runs for every
    lead, and the ORM's compiling cost more than the counting.
    """
    least_loaded = {
        member.rep_id
        for pool_id in pool_ids
        if (pool := data.pools.get(pool_id)) is not None and pool.method == "least_loaded"
        for member in pool.members
    }
    ops = connections[DEFAULT_DB_ALIAS].ops  # once, not through the proxy for each rep
    # (rep id, unacknowledged limit, open limit, ranked by load, daily limit, midnight)
    wanted = []
    for rep_id in sorted(set(rep_ids)):
        rep = data.reps.get(rep_id)
        if rep is None:
            continue  # not in the snapshot: not a candidate, nothing to check
        ranked = rep_id in least_loaded
        limits = (rep.max_unacknowledged, rep.max_open, rep.max_per_day)
        if ranked or any(limit is not None for limit in limits):
            midnight = ops.adapt_datetimefield_value(local_midnight(rep, now))
            wanted.append(
                (rep_id, rep.max_unacknowledged, rep.max_open, ranked, rep.max_per_day, midnight)
            )
    if not wanted:
        return None
    # PostgreSQL: the same text for any number of reps, arrays one per column, each
    # typed (a VALUES column of NULLs only would be text, which LIMIT refuses).
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        reps = (
            "SELECT * FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::boolean[], "
            "%s::int[], %s::timestamptz[])"
        )
        params = [array_param(column) for column in zip(*wanted, strict=True)]
    else:
        reps = "VALUES " + ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(wanted))
        params = [value for row in wanted for value in row]
    columns = "rep_id, unack_limit, open_limit, ranked, day_limit, midnight"
    table = Assignment._meta.db_table  # formatted in: the model's own table name
    waiting = f"{table} a WHERE a.rep_id = reps.rep_id AND a.ended_at IS NULL"
    unacknowledged = f"{waiting} AND a.acknowledged_at IS NULL"
    today = f"{table} a WHERE a.rep_id = reps.rep_id AND a.assigned_at >= reps.midnight"
    latest = f"{table} a WHERE a.rep_id = reps.rep_id"  # max(assigned_at): an index's end
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        # LIMIT takes the outer row's limit: each count stops there (LIMIT NULL: all).
        sql = f"""
            WITH reps ({columns}) AS ({reps})
            SELECT reps.rep_id, capacity.unacknowledged, owned.open,
              CASE WHEN reps.day_limit IS NULL THEN 0 ELSE (SELECT COUNT(*) FROM
                (SELECT FROM {today} LIMIT reps.day_limit) AS limited) END,
              CASE WHEN reps.ranked AND room.has_room
                AND (reps.open_limit IS NULL OR owned.open < reps.open_limit)
                THEN (SELECT (extract(epoch FROM max(a.assigned_at)) * 1000000)::bigint
                  FROM {latest}) END
            FROM reps CROSS JOIN LATERAL (
              SELECT CASE WHEN reps.unack_limit IS NULL THEN 0 ELSE (SELECT COUNT(*) FROM
                (SELECT FROM {unacknowledged} LIMIT reps.unack_limit) AS limited) END
                AS unacknowledged
            ) AS capacity CROSS JOIN LATERAL (
              SELECT reps.unack_limit IS NULL OR capacity.unacknowledged < reps.unack_limit
                AS has_room
            ) AS room CROSS JOIN LATERAL (
              -- under the unacknowledged limit, with an open limit or ranked by load
              SELECT CASE WHEN room.has_room AND (reps.ranked OR reps.open_limit IS NOT NULL)
                THEN (SELECT COUNT(*) FROM
                  (SELECT FROM {waiting} LIMIT reps.open_limit) AS limited)
                ELSE 0 END AS open
            ) AS owned
        """
    else:
        sql = f"""
            WITH reps ({columns}) AS ({reps})
            SELECT reps.rep_id,
              CASE WHEN reps.unack_limit IS NOT NULL
                THEN (SELECT COUNT(*) FROM {unacknowledged}) ELSE 0 END,
              CASE WHEN reps.ranked OR reps.open_limit IS NOT NULL
                THEN (SELECT COUNT(*) FROM {waiting}) ELSE 0 END,
              CASE WHEN reps.day_limit IS NOT NULL
                THEN (SELECT COUNT(*) FROM {today}) ELSE 0 END,
              CASE WHEN reps.ranked THEN (SELECT max(a.assigned_at) FROM {latest}) END
            FROM reps
        """
    return sql, params


def _loads_of(rows: list[tuple[Any, ...]]) -> dict[int, RepLoad]:
    return {
        rep_id: RepLoad(int(unacknowledged), int(open_total), int(today), _epoch_us(latest))
        for rep_id, unacknowledged, open_total, today, latest in rows
    }


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _epoch_us(latest: Any) -> int:
    """An assignment time as `RepLoad.last_assigned`: PostgreSQL's query gives it in
    microseconds already, SQLite's as its stored text (UTC); 0 for none."""
    if latest is None:
        return 0
    if isinstance(latest, int | float):
        return int(latest)
    at = datetime.fromisoformat(latest)
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return (at - _EPOCH) // timedelta(microseconds=1)


def local_midnight(rep: RepProfile, now: datetime) -> datetime:
    """Where `rep`'s day began at `now`: their daily limit counts from there."""
    return now.astimezone(rep.timezone).replace(hour=0, minute=0, second=0, microsecond=0)


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
    (rows,) = run_statements([_rotations_statement(ids, lock=lock)])
    return _rotations_of(rows or [])


def _rotations_statement(ids: list[int], *, lock: bool) -> Statement:
    """Hand-written SQL, like `rep_loads`: read (and locked) for every lead, and the
    compiled ORM query cost several times what the database takes to answer it."""
    table = PoolRotation._meta.db_table
    pools, params = any_of("pool_id", ids)
    lock_rows = " FOR UPDATE" if lock and connection.features.has_select_for_update else ""
    sql = (
        f'SELECT pool_id, "cursor", weights, performance FROM {table} '
        f"WHERE {pools} ORDER BY pool_id{lock_rows}"
    )  # formatted in: placeholders and the model's own table name, nothing from a request
    return sql, params


def _rotations_of(rows: list[tuple[Any, ...]]) -> dict[int, Rotation]:
    return {
        pool_id: Rotation(
            cursor=cursor_at,
            # JSON object keys are text; membership ids are numbers.
            weights={int(key): value for key, value in _json(weights).items()},
            performance={
                int(key): (entry["weight"], entry["source"])
                for key, entry in _json(performance).items()
            },
        )
        for pool_id, cursor_at, weights, performance in rows
    }


def _json(value: Any) -> dict[str, Any]:
    """A JSON column read with a plain cursor: text (Django has the drivers leave JSON
    to the model field), or already decoded."""
    if value is None:
        return {}
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def save_rotation(update: RotationUpdate) -> None:
    """Hand-written for the same reason as `_rotation_rows`; like the ORM's `update()`
    it leaves `updated_at` alone."""
    weights = PoolRotation._meta.get_field("weights").get_db_prep_save(
        {str(key): value for key, value in update.weights.items()}, connection
    )
    write(
        f'UPDATE {PoolRotation._meta.db_table} SET "cursor" = %s, weights = %s '
        "WHERE pool_id = %s",  # the model's own table name
        [update.cursor, weights, update.pool_id],
    )


class RoutingMemory:
    """Loads and rotations read once, then kept in step in memory as leads are given
    out: for deciding many leads in a row (an import, a replay) without a read per lead.

    With `lock`, every pool's rotation row stays locked to the end of the transaction,
    so nobody else moves a rotation between the read and `save`; that holds up live
    intake through those pools for as long, so keep such transactions short.
    No familiar rep: imports route by the rules alone.

    `loads`: carried over from an earlier transaction of the same run instead of being
    counted again (an import's batches: counting every rep's open leads for each batch
    grows with the leads the import has given out). Loads only bound capacity, which
    intake also checks without a lock, so a count a few seconds old is as good."""

    def __init__(
        self,
        *,
        data: RoutingData,
        now: datetime,
        lock: bool,
        loads: dict[int, RepLoad] | None = None,
    ) -> None:
        self.loads: dict[int, RepLoad] = (
            loads
            if loads is not None
            else rep_loads(data.reps, pool_ids=data.pools, data=data, now=now)
        )
        self.rotations: dict[int, Rotation] = read_rotations(_rotating(data.pools, data), lock=lock)
        self._moved: dict[int, RotationUpdate] = {}
        self.familiar: Familiar | None = None
        self._latest = max((load.last_assigned for load in self.loads.values()), default=0)

    def taken(self, decision: Decision) -> None:
        """The lead went to `decision.rep_id`: their rotation turned, their load grew (one
        more lead unacknowledged, open and given today)."""
        update = decision.rotation
        if update is not None:
            current = self.rotations.get(update.pool_id, Rotation())
            self.rotations[update.pool_id] = replace(
                current, cursor=update.cursor, weights=update.weights
            )
            self._moved[update.pool_id] = update
        if decision.rep_id is not None:
            load = self.loads.get(decision.rep_id, RepLoad())
            # Later than any lead read or given out so far: the latest for least-loaded ties.
            self._latest = max(self._latest, load.last_assigned) + 1
            self.loads[decision.rep_id] = RepLoad(
                load.open_unacknowledged + 1,
                load.open_total + 1,
                load.assigned_today + 1,
                self._latest,
            )

    def save(self) -> None:
        """Write the rotations that turned (with `lock`, in the same transaction)."""
        for update in self._moved.values():
            save_rotation(update)
        self._moved.clear()
