"""Several statements in one round trip to PostgreSQL, through libpq's pipeline mode.

psycopg has a pipeline of its own (`Connection.pipeline()`), built for any use: each
statement is a cursor, sent as soon as it is executed (a poll and a send per statement),
and the end of the pipeline syncs and fetches in several more steps. Measured here, a
transaction's BEGIN and three small statements cost the web process ~130 µs that way and
~45 µs here, where everything is queued, sent in one go with the sync, and the answers
read back as they come. An intake makes two such round trips.

Only what that takes is done here, with psycopg's public pieces: its libpq wrapper
(`psycopg.pq`) to send and read, its `Transformer` to turn parameters into text and rows
back into Python values with the connection's own adapters (Django's included), and
its errors. Statements are prepared once per connection, their parameters' types left
to the server to infer from the statement (as for a literal): a statement keeps one
plan however its values vary, and the statements written for this (routing/db/statements.py)
give every parameter a context (a column, a cast, a function's argument).

psycopg deallocates every prepared statement of a connection when a transaction is
rolled back, if it has prepared any itself; nothing else here lets it prepare (Django's
cursors never do), so these stay. Should they be gone all the same (someone's
DEALLOCATE ALL), the first statement to miss its name fails, the names are forgotten,
and a pipeline that had begun the transaction rolls it back and runs once more.
"""

from __future__ import annotations

import re
import select
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from psycopg import errors, pq
from psycopg.adapt import PyFormat, Transformer

Statement = tuple[str, Sequence[Any]]

# Per connection; past it, the least recently used is deallocated (as psycopg did):
# a statement whose text kept changing would otherwise fill the server's memory.
MAX_PREPARED = 100


class _Prepared:
    """One libpq connection's prepared statements: SQL -> name, the least recently used
    first. Names are never given twice on a connection, even once forgotten (one may
    still exist on the server)."""

    def __init__(self) -> None:
        self.names: dict[str, bytes] = {}
        self.given = 0

    def new_name(self) -> bytes:
        self.given += 1
        return f"_leadrouter_{self.given}".encode()


_prepared: weakref.WeakKeyDictionary[Any, _Prepared] = weakref.WeakKeyDictionary()

_OK = (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK)
_NAME_MISSING = "26000"  # invalid_sql_statement_name: a prepared statement is gone


@dataclass(frozen=True, slots=True)
class Answer:
    rows: list[tuple[Any, ...]]  # [] for a statement that returns none
    rowcount: int  # rows returned, or written (INSERT, UPDATE, DELETE)
    result: Any  # libpq's

    @property
    def columns(self) -> tuple[str, ...] | None:
        """The names of the columns returned; None for a statement that returns none
        (a SELECT, or RETURNING, returns columns even when no row came)."""
        if self.result.status != pq.ExecStatus.TUPLES_OK:
            return None
        return tuple(self.result.fname(i).decode() for i in range(self.result.nfields))


_PLACEHOLDER = re.compile(r"%s|%%")


def run_pipelined(connection: Any, statements: Sequence[Statement]) -> list[Answer]:
    """Run `statements` (SQL with %s placeholders, and their values) on the psycopg
    `connection` in one round trip, in order; the answer of each. If the connection is
    not in autocommit mode and no transaction is open, a BEGIN goes first, as psycopg
    would send it. If one fails, those after it do not run and its error is raised once
    all the answers are in: the transaction is then failed, for the caller to roll
    back."""
    begins = not connection.autocommit and (
        connection.pgconn.transaction_status == pq.TransactionStatus.IDLE
    )
    answers, failure = _pipeline(connection, statements, begins=begins)
    if failure is not None and failure.error_field(pq.DiagnosticField.SQLSTATE) == (
        _NAME_MISSING.encode()
    ):
        _prepared[connection.pgconn].names.clear()
        if begins:  # nothing else happened in this transaction: again, from the start
            connection.rollback()
            answers, failure = _pipeline(connection, statements, begins=True)
    if failure is not None:
        raise errors.error_from_result(failure, encoding=connection.info.encoding)
    return answers


def _pipeline(
    connection: Any, statements: Sequence[Statement], *, begins: bool
) -> tuple[list[Answer], Any]:
    """The answers, and the first failure's result (None: none failed)."""
    pgconn = connection.pgconn
    prepared = _prepared.get(pgconn)
    if prepared is None:
        prepared = _prepared[pgconn] = _Prepared()
    names = prepared.names
    transformer = Transformer(connection)
    # What was sent, in order: ("begin" | "deallocate" | "prepare" | "run", its SQL).
    sent: list[tuple[str, str | None]] = []
    pgconn.enter_pipeline_mode()
    try:
        if begins:
            pgconn.send_query_params(_begin(connection), None)
            sent.append(("begin", None))
        preparing: dict[str, bytes] = {}
        for sql, params in statements:
            values = transformer.dump_sequence(params, [PyFormat.TEXT] * len(params))
            name = preparing.get(sql)
            if name is None and (name := names.pop(sql, None)) is not None:
                names[sql] = name  # now the most recently used
            elif name is None:
                if names and len(names) + len(preparing) >= MAX_PREPARED:
                    # Forgotten here at once; should the pipeline fail before it runs,
                    # the statement stays on the server under a name never given again.
                    oldest = names.pop(next(iter(names)))
                    pgconn.send_query_params(b"DEALLOCATE " + oldest, None)
                    sent.append(("deallocate", None))
                name = preparing[sql] = prepared.new_name()
                pgconn.send_prepare(name, numbered(sql), None)
                sent.append(("prepare", sql))
            pgconn.send_query_prepared(name, values or None)
            sent.append(("run", sql))
        pgconn.pipeline_sync()
        _send(pgconn)
        answers, failure = _answers(pgconn, sent, transformer, names, preparing)
    except BaseException:
        # Answers may be left unread (a lost connection, an interrupted wait): the
        # connection cannot be used again. Closed, Django opens another.
        pgconn.finish()
        raise
    pgconn.exit_pipeline_mode()
    return answers, failure


def _answers(
    pgconn: Any,
    sent: list[tuple[str, str | None]],
    transformer: Any,
    names: dict[str, bytes],
    preparing: dict[str, bytes],
) -> tuple[list[Answer], Any]:
    """Read every answer up to the sync: each statement run's, and the first failure
    (after one, the server skips the rest: PIPELINE_ABORTED each)."""
    answers: list[Answer] = []
    failure = None
    answered = 0
    while True:
        while pgconn.is_busy():
            _wait(pgconn, select.POLLIN)
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:  # the end of one statement's answer
            continue
        if result.status == pq.ExecStatus.PIPELINE_SYNC:
            return answers, failure
        kind, sql = sent[answered]
        answered += 1
        if result.status not in _OK:
            if failure is None and result.status == pq.ExecStatus.FATAL_ERROR:
                failure = result
            continue
        if kind == "prepare" and sql is not None:
            names[sql] = preparing[sql]
        elif kind == "run":
            answers.append(_answer(result, transformer))


def _answer(result: Any, transformer: Any) -> Answer:
    if result.status != pq.ExecStatus.TUPLES_OK:
        count = result.command_tuples
        return Answer([], count if count is not None else -1, result)
    rows: list[tuple[Any, ...]] = []
    if result.ntuples:
        transformer.set_pgresult(result)
        rows = transformer.load_rows(0, result.ntuples, tuple)
    return Answer(rows, result.ntuples, result)


def _send(pgconn: Any) -> None:
    """Send what is queued. While the rest waits for room, answers may already be
    coming: they are taken in, lest the server stop to wait for us as we wait for it."""
    while pgconn.flush():  # 1: more to send (the connection does not block)
        if _wait(pgconn, select.POLLIN | select.POLLOUT) & select.POLLIN:
            pgconn.consume_input()


def _wait(pgconn: Any, events: int) -> int:
    poll = select.poll()
    poll.register(pgconn.socket, events)
    return max((ready for _, ready in poll.poll()), default=0)


@lru_cache(maxsize=256)
def numbered(sql: str) -> bytes:
    """psycopg's %s placeholders as PostgreSQL's $1, $2, ...; %% as %."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group() == "%%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql).encode()


def _begin(connection: Any) -> bytes:
    """BEGIN with the connection's transaction characteristics, as psycopg writes it."""
    parts = ["BEGIN"]
    if connection.isolation_level is not None:
        parts.append(f"ISOLATION LEVEL {connection.isolation_level.name.replace('_', ' ')}")
    if connection.read_only is not None:
        parts.append("READ ONLY" if connection.read_only else "READ WRITE")
    if connection.deferrable is not None:
        parts.append("DEFERRABLE" if connection.deferrable else "NOT DEFERRABLE")
    return " ".join(parts).encode()
