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

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorWrapper


@contextmanager
def statement_cursor() -> Iterator[CursorWrapper]:
    """Django's cursor wrapper (errors, query logging, execute wrappers) around a cursor
    that prepares what it executes; a plain cursor on other databases or when turned
    off."""
    if not prepares():
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    connection.validate_thread_sharing()
    preparing, logging = _cursor_classes()
    raw = preparing(connection.connection)
    wrapped = logging(raw, connection) if connection.queries_logged else connection.make_cursor(raw)
    with wrapped as cursor:
        yield cursor


def prepares() -> bool:
    """Whether `statement_cursor` prepares: on PostgreSQL, unless turned off (the
    database's `prepare_threshold` option, set by DATABASE_PREPARED_STATEMENTS)."""
    return (
        connection.vendor == "postgresql"
        and connection.settings_dict["OPTIONS"].get("prepare_threshold") is not None
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
