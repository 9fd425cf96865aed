"""The hand-written statements run for every lead, through Django's cursor.

Intake runs the same dozen statements for every submission: the duplicate probe, the
loads and rotations it decides on. On PostgreSQL psycopg prepares a statement by itself
once a connection has run it `prepare_threshold` times (set in the database OPTIONS by
DATABASE_PREPARED_STATEMENTS; docs/decisions/0004): the server then parses it once per
connection and only binds and runs it. The connection asks for generic plans
(`plan_cache_mode`), made without looking at the values, so statements here are written
so that one plan serves any values (equality on an indexed column, a list as one array
parameter rather than a placeholder per item) and their text does not change from call to
call.

A connection pooler in transaction mode must support prepared statements (PgBouncer 1.21
or newer with `max_prepared_statements`), or set `DATABASE_PREPARED_STATEMENTS=false`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from .prepared import Rows, Statement, prepares, statements_answered

__all__ = ["Statement", "any_of", "array_param", "prepares", "run_statements", "write"]


def run_statements(statements: Sequence[Statement | None]) -> list[Rows | None]:
    """Run `statements` in order on this thread's connection, together where the
    database allows (`statements_answered`); returns the rows of each ([] for one that
    returns none, such as an INSERT without RETURNING; None for a None in `statements`,
    a statement not needed this time)."""
    answers = iter(statements_answered([s for s in statements if s is not None]))
    return [None if statement is None else next(answers) for statement in statements]


def write(sql: str, params: Sequence[Any]) -> None:
    """Run a statement whose answer nobody reads (an INSERT, UPDATE or DELETE without
    RETURNING; a SELECT only for an effect at commit, as pg_notify's)."""
    statements_answered([(sql, params)])


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

    psycopg adapts a Python list element by element, where a string goes as it is.
    Integers, booleans, datetimes (ISO 8601, as PostgreSQL reads them) and text; None
    is NULL."""
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
