"""A cursor for the statements run for every lead, prepared on PostgreSQL.

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
to call; psycopg keeps the last 100 prepared per connection.

A connection pooler in transaction mode must support prepared statements (PgBouncer
1.21 or newer with `max_prepared_statements`), or set
`DATABASE_PREPARED_STATEMENTS=false` (which leaves psycopg's `prepare_threshold` unset,
as Django does by default).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorWrapper


@contextmanager
def statement_cursor() -> Iterator[Any]:
    """A cursor that prepares what it executes, or a plain one on other databases or
    when turned off.

    One preparing cursor is kept per connection and used bare, database errors turned
    into Django's: making a cursor and going through Django's wrapper cost more than
    running a prepared statement (~100 µs of ~170 here). While queries are logged (tests,
    DEBUG) or execute wrappers are installed, it goes through Django's wrapper."""
    # This thread's connection, looked up once (`django.db.connection` is a proxy that
    # looks it up again at every use).
    database = connections[DEFAULT_DB_ALIAS]
    if not _prepares(database):
        with database.cursor() as cursor:
            yield cursor
        return
    database.ensure_connection()
    preparing, logging = _cursor_classes()
    if database.queries_logged or database.execute_wrappers:
        database.validate_thread_sharing()
        with logging(preparing(database.connection), database) as cursor:
            yield cursor
        return
    cursor = _kept.get(database)
    if cursor is None or cursor.connection is not database.connection:  # (re)connected
        database.validate_thread_sharing()
        cursor = _kept[database] = preparing(database.connection)
    with database.wrap_database_errors:
        yield cursor


# Django's connection wrapper (one per thread and alias) -> its preparing cursor.
_kept: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def prepares() -> bool:
    """Whether `statement_cursor` prepares: on PostgreSQL, unless turned off (the
    database's `prepare_threshold` option, set by DATABASE_PREPARED_STATEMENTS)."""
    return _prepares(connections[DEFAULT_DB_ALIAS])


def _prepares(database: Any) -> bool:
    return (
        database.vendor == "postgresql"
        and database.settings_dict["OPTIONS"].get("prepare_threshold") is not None
    )


@cache
def _cursor_classes() -> tuple[type, type]:
    """The preparing cursor, and Django's query-logging wrapper made to log it."""
    # Imported here: the PostgreSQL backend needs psycopg, which SQLite installs lack.
    from django.db.backends.postgresql.base import CursorDebugWrapper, ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        """Binds values on the server and prepares every statement it runs."""

        def execute(
            self,
            query: Any,
            params: Any = None,
            *,
            prepare: bool | None = None,
            binary: bool | None = None,
        ) -> Any:
            return super().execute(
                query, params, prepare=True if prepare is None else prepare, binary=binary
            )

    class PreparedDebugWrapper(CursorDebugWrapper):
        """Logs the statement with its values (Django would read them back from the
        cursor, which keeps none for a prepared statement)."""

        def execute(self, sql: str, params: Any = None) -> Any:
            shown = self.db.ops.compose_sql(sql, params) if params else sql
            with self.debug_sql(shown):
                return CursorWrapper.execute(self, sql, params)

    return PreparingCursor, PreparedDebugWrapper


def any_of(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """SQL for "`column` is one of `values`", and its parameters: one array where
    statements are prepared (the text stays the same whatever the count), a
    placeholder per value elsewhere."""
    if prepares():
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)
