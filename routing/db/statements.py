"""The statements run for every lead: prepared on PostgreSQL, and sent together.

Intake runs the same dozen statements for every submission: the duplicate probe, the
loads and rotations it decides on, the rows it writes. Through Django's cursor each is
sent as SQL text with its values quoted in, and PostgreSQL parses and plans it anew
every time. Prepared, the server parses and plans a statement once per connection and
then only binds and runs it: measured here, an event's INSERT went from ~170 to ~90 µs
of PostgreSQL's time and from ~160 to ~95 µs of the web process's.

Planned once, too: the connection asks for generic plans (`plan_cache_mode`), made
without looking at the values. So only hand-written statements belong here, written so
that one plan serves any values (equality on an indexed column, a list as one array
parameter rather than a placeholder per item) and whose text does not change from call
to call; each connection keeps the 100 most recently used prepared (routing/db/pipeline.py).

A connection pooler in transaction mode must support prepared statements (PgBouncer
1.21 or newer with `max_prepared_statements`), or set
`DATABASE_PREPARED_STATEMENTS=false` (which leaves psycopg's `prepare_threshold` unset,
as Django does by default, and these statements go through Django's cursor).

Sent together: a round trip to the database cost the web process and the server more
than most of these statements, so statements that do not need each other's answers go
in one (`run_together`, a libpq pipeline: routing/db/pipeline.py), and a transaction's
writes wait for its end (`writes_together`). An intake makes three round trips to
PostgreSQL: the key's read, its first statements, its writes with the commit.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

# A statement and its parameters.
Statement = tuple[str, Sequence[Any]]


@contextmanager
def statement_cursor() -> Iterator[Any]:
    """A cursor for one statement at a time: prepared on PostgreSQL (`run_pipelined`,
    a statement per round trip), plain elsewhere, when turned off, and while queries
    are logged (tests, DEBUG) or execute wrappers are installed (Django's own cursor
    then, logging the statement with its values). Its `execute`, `fetchone`,
    `fetchall`, `rowcount` and `description` (None: no rows returned) are a DB-API
    cursor's; database errors are Django's."""
    # This thread's connection, looked up once (`django.db.connection` is a proxy that
    # looks it up again at every use).
    database = connections[DEFAULT_DB_ALIAS]
    _writes_send(database)
    if _prepares(database):
        database.ensure_connection()
        if _bare(database):
            yield _PreparedCursor(database)
            return
    with database.cursor() as cursor:
        yield cursor


class _PreparedCursor:
    """`statement_cursor`'s on PostgreSQL: each statement runs alone through
    `run_pipelined` (prepared, in one round trip with the BEGIN it may need)."""

    def __init__(self, database: Any) -> None:
        self._database = database
        self._rows: list[tuple[Any, ...]] = []
        self.rowcount = -1
        self.description: tuple[tuple[Any, ...], ...] | None = None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        (answer,) = _pipelined(self._database, [(sql, params)])
        self._rows, self.rowcount = list(answer.rows), answer.rowcount
        columns = answer.columns
        self.description = (
            None if columns is None else tuple((name, *[None] * 6) for name in columns)
        )

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._rows = self._rows, []
        return rows


def _pipelined(database: Any, statements: Sequence[Statement]) -> list[Any]:
    from .pipeline import run_pipelined  # psycopg's libpq: PostgreSQL only

    with database.wrap_database_errors:
        database.validate_thread_sharing()
        return run_pipelined(database.connection, statements)


def _bare(database: Any) -> bool:
    """Whether statements may skip Django's cursor wrapper: nobody logs them, and no
    execute wrapper but ours (`writes_together`'s) wants to see them."""
    return not database.queries_logged and all(
        wrapper is _writes_sent_first for wrapper in database.execute_wrappers
    )


def run_together(statements: Sequence[Statement | None]) -> list[list[tuple[Any, ...]] | None]:
    """Run `statements` in order; returns the rows of each ([] for one that returns
    none, such as an INSERT without RETURNING; None for a None in `statements`, which
    stands for a statement not needed this time).

    With prepared statements on PostgreSQL they go in one round trip (a libpq
    pipeline, `run_pipelined`): the server runs them one after the other as it would
    have one by one, and answers all of them at once. Each round trip costs the web process and the
    server more than a small statement does (measured on fifteen statements like an
    intake's, in four round trips instead of fifteen: PostgreSQL 1.19 → 0.70 ms, the
    client 1.22 → 0.83 ms). Elsewhere, and while statements are logged, they run one
    by one. Statements whose parameters depend on an earlier one's answer cannot go
    together."""
    answers = iter(_run([statement for statement in statements if statement is not None]))
    return [None if statement is None else next(answers) for statement in statements]


@dataclass(frozen=True)
class ReadsAsOne:
    """SELECTs answered by one statement: `statements` to run (with others, by
    `run_together`), `answers` to read their rows back per SELECT, in the order given.

    Each statement in a round trip still costs the web process its own parameters and
    answer, and the server its own start and end (measured with psycopg's pipeline,
    which then sent each statement at once, ~40 µs of the web process apiece). On
    PostgreSQL the SELECTs become one: each one's rows come back as a JSON array
    (`json_agg(ROW(...))`, its columns in order, named or not) and are read back as
    tuples. So only for SELECTs whose values JSON keeps as they are: integers, text,
    booleans, arrays of them, jsonb (a UUID comes back as its text, a timestamp or a
    decimal would too: not for those). One statement has one snapshot: all of them see
    the database as it was when it began.

    A SELECT that locks rows (FOR UPDATE, FOR SHARE) stays a statement of its own, run
    after the one: measured with the rotation's locking read inside, intake did worse
    than with it apart (nearly every intake waits for its pool's rotation row under
    load, and a locking read that waited for a row another transaction changed is
    checked again with its statement's whole plan set up anew, EvalPlanQual). Elsewhere
    they all run as they are."""

    parts: tuple[Statement | None, ...]
    merged: tuple[int, ...]  # the positions of the parts read as one; () for none

    @property
    def statements(self) -> list[Statement | None]:
        if not self.merged:
            return list(self.parts)
        merged = [self.parts[at] for at in self.merged]
        selects = (f"(SELECT json_agg(ROW(r.*)) FROM ({sql}) AS r)" for sql, _ in merged)
        one = ("SELECT " + ", ".join(selects), [v for _, params in merged for v in params])
        return [one, *(part for at, part in enumerate(self.parts) if at not in self.merged)]

    def answers(
        self, rows: Sequence[list[tuple[Any, ...]] | None]
    ) -> list[list[tuple[Any, ...]] | None]:
        if not self.merged:
            return list(rows)
        (values,) = rows[0] or [()]
        answers: list[list[tuple[Any, ...]] | None] = list(rows[1:])
        for at, value in zip(self.merged, values, strict=True):
            answers.insert(at, [tuple(row.values()) for row in value or ()])
        return answers


_LOCKING = re.compile(r"\bFOR\s+(UPDATE|NO\s+KEY\s+UPDATE|SHARE|KEY\s+SHARE)\b", re.IGNORECASE)


def reads_as_one(statements: Sequence[Statement | None]) -> ReadsAsOne:
    """`ReadsAsOne` of these SELECTs (a None stands for one not needed this time)."""
    mergeable = tuple(
        at
        for at, statement in enumerate(statements)
        if statement is not None and not _LOCKING.search(statement[0])
    )
    postgresql = connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
    return ReadsAsOne(tuple(statements), mergeable if postgresql and len(mergeable) > 1 else ())


def run_as_one(statements: Sequence[Statement | None]) -> list[list[tuple[Any, ...]] | None]:
    """`run_together` for SELECTs only, as one statement where `reads_as_one` makes one."""
    reads = reads_as_one(statements)
    return reads.answers(run_together(reads.statements))


def _run(statements: list[Statement]) -> list[list[tuple[Any, ...]]]:
    database = connections[DEFAULT_DB_ALIAS]
    _writes_send(database)
    if not statements or not _prepares(database):
        return _one_by_one(statements)
    database.ensure_connection()
    if not _bare(database):
        return _one_by_one(statements)
    return [answer.rows for answer in _pipelined(database, statements)]


def _one_by_one(statements: Sequence[Statement]) -> list[list[tuple[Any, ...]]]:
    results = []
    with statement_cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            results.append(cursor.fetchall() if cursor.description else [])
    return results


class _Writes(threading.local):
    # Per connection wrapper: statements waiting to be sent, while a block is open.
    waiting: dict[Any, list[Statement]]

    def __init__(self) -> None:
        self.waiting = {}


_writes = _Writes()


@contextmanager
def writes_together(*, then_commit: bool = False) -> Iterator[None]:
    """Statements given to `write` inside the block wait, and go together (one round
    trip, `run_together`) when the block ends, or before any other statement that runs
    in the meantime, so that whatever runs sees them written. For a transaction's
    writes that nothing in it reads back: a routed lead's rows. If the block raises,
    the waiting statements are dropped with it (the transaction is being undone).

    `then_commit`: the block is the end of the caller's transaction, and COMMIT goes
    with the writes when that transaction is Django's outermost atomic block: one round
    trip fewer, and the rows it locked (a pool's rotation, which every lead through the
    pool waits for) are released a round trip sooner. Django's own commit at the end of
    the atomic block then finds nothing left to do and runs the on-commit callbacks.
    Nothing may run between the block and the end of the atomic block.

    Only where `run_together` saves round trips (PostgreSQL, statements prepared);
    elsewhere `write` runs each statement at once."""
    database = connections[DEFAULT_DB_ALIAS]
    if not _prepares(database) or database in _writes.waiting:
        yield
        return
    _writes.waiting[database] = []
    try:
        with database.execute_wrapper(_writes_sent_first):
            yield
        _writes_send(database, commit=then_commit and _outermost_transaction(database))
    finally:
        _writes.waiting.pop(database, None)


def _outermost_transaction(database: Any) -> bool:
    return (
        len(database.atomic_blocks) == 1
        and not database.savepoint_ids
        and not database.needs_rollback
    )


def write(sql: str, params: Sequence[Any]) -> None:
    """Run a statement whose answer nobody reads (an INSERT, UPDATE or DELETE without
    RETURNING; a SELECT only for an effect at commit, as pg_notify's), or keep it for
    the end of the enclosing `writes_together` block, where SELECTs go last."""
    database = connections[DEFAULT_DB_ALIAS]
    waiting = _writes.waiting.get(database)
    if waiting is not None:
        waiting.append((sql, params))
        return
    with statement_cursor() as cursor:
        cursor.execute(sql, params)


def _writes_send(database: Any, *, commit: bool = False) -> None:
    waiting = _writes.waiting.get(database) or []
    if waiting or commit:
        statements = _inserts_as_one(waiting)
        waiting.clear()
        _run([*statements, ("COMMIT", [])] if commit else statements)


# psycopg converts a statement's placeholders once and keeps the result only for
# statements of at most this many parameters and bytes; a longer one is parsed again at
# every execution, which cost more than the statements merged into it saved.
_KEPT_PARAMETERS, _KEPT_BYTES = 50, 4096


def _inserts_as_one(statements: list[Statement]) -> list[Statement]:
    """Consecutive writes as one statement (`WITH w0 AS (INSERT ...), ... INSERT ...`),
    up to psycopg's limits above. One statement instead of several saves the server a
    statement's start and end for each, and the client an execute. The parts of one
    statement cannot see each other's changes, which new rows whose references are
    checked at commit (Django's foreign keys are deferred) do not need; an UPDATE or
    DELETE joins only while no other part writes its table, so that no row is changed
    twice in one statement and the order of changes to a table is kept. SELECTs kept for
    their effect at commit (pg_notify) go after the writes: the first, where it fits,
    as the main query of the last merged statement."""
    merged: list[Statement] = []
    group: list[Statement] = []
    written: set[str] = set()  # tables the group writes
    changed: set[str] = set()  # of those, the ones it updates or deletes from

    def close() -> None:
        if len(group) > 1:
            parts = [f"w{n} AS ({sql})" for n, (sql, _) in enumerate(group[:-1])]
            sql = f"WITH {', '.join(parts)} {group[-1][0]}"
            merged.append((sql, [value for _, params in group for value in params]))
        else:
            merged.extend(group)
        group.clear()
        written.clear()
        changed.clear()

    def fits(statement: Statement) -> bool:
        sql, params = statement
        return (
            sum(len(p) for _, p in group) + len(params) <= _KEPT_PARAMETERS
            and sum(len(s) + 12 for s, _ in group) + len(sql) <= _KEPT_BYTES
        )

    last: list[Statement] = []  # SELECTs: what they do (pg_notify) takes effect at commit
    for sql, params in statements:
        verb, table = _verb_and_table(sql)
        if verb == "SELECT":
            last.append((sql, params))
            continue
        if verb not in ("INSERT", "UPDATE", "DELETE"):
            close()
            merged.append((sql, params))
            continue
        if group and (
            table in changed or (verb != "INSERT" and table in written) or not fits((sql, params))
        ):
            close()
        group.append((sql, params))
        written.add(table)
        if verb != "INSERT":
            changed.add(table)
    if group and last and fits(last[0]):
        group.append(last.pop(0))  # the statement the writes become parts of
    close()
    return merged + last


def _verb_and_table(sql: str) -> tuple[str, str]:
    """("INSERT", "routing_lead") of `INSERT INTO "routing_lead" ...`; likewise for
    UPDATE and DELETE FROM."""
    words = sql.split(None, 3)
    verb = words[0].upper()
    if verb not in ("INSERT", "UPDATE", "DELETE"):
        return verb, ""
    table = words[2] if verb in ("INSERT", "DELETE") else words[1]
    return verb, table.strip('"')


def _writes_sent_first(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """Before any statement of Django's inside `writes_together`: the waiting writes."""
    _writes_send(context["connection"])
    return execute(sql, params, many, context)


def prepares() -> bool:
    """Whether `statement_cursor` prepares: on PostgreSQL, unless turned off (the
    database's `prepare_threshold` option, set by DATABASE_PREPARED_STATEMENTS)."""
    return _prepares(connections[DEFAULT_DB_ALIAS])


def _prepares(database: Any) -> bool:
    return (
        database.vendor == "postgresql"
        and database.settings_dict["OPTIONS"].get("prepare_threshold") is not None
    )


def any_of(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """SQL for "`column` is one of `values`", and its parameters: one array where
    statements are prepared (the text stays the same whatever the count), a
    placeholder per value elsewhere."""
    if prepares():
        return f"{column} = ANY(%s)", [array_param(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def array_param(values: Iterable[Any]) -> str:
    """`values` as one PostgreSQL array parameter, in the array's text form: for
    `%s::bigint[]`, or where the server infers the type (`column = ANY(%s)`).

    psycopg adapts a Python list in Python, element by element and twice (once to find
    the elements' type, once to write them), where a string goes as it is: measured
    here, ~70 against ~37 µs of the web process's time for a statement with one short
    array, and intake sends eight arrays. Integers, booleans, datetimes (ISO 8601, as
    PostgreSQL reads them) and text; None is NULL."""
    return "{" + ",".join(map(_array_element, values)) + "}"


def _array_element(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
