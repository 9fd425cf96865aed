"""Running the hand-written statements: prepared by psycopg, sent together.

Django's cursor on psycopg binds values on the client (a ClientCursor), which psycopg
never prepares. psycopg's own `Cursor` on the same connection binds them on the server
and prepares a statement once the connection has run it `prepare_threshold` times
(docs/decisions/0004). Statements that do not depend on one another's answers go in
psycopg's pipeline (`Connection.pipeline()`): sent at once, answered at once, one round
trip instead of one each. Both are reached through the DB-API cursor's `connection`
attribute and run inside Django's transaction like any other statement. Failures are
raised as Django's exception of the same DB-API class, so callers catch one kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, utils

# A statement and its parameters.
Statement = tuple[str, Sequence[Any]]
Rows = list[tuple[Any, ...]]

# The DB-API exception classes, most specific first, as both libraries name them.
_DB_API_ERRORS = (
    "IntegrityError",
    "DataError",
    "OperationalError",
    "ProgrammingError",
    "InternalError",
    "NotSupportedError",
    "InterfaceError",
    "DatabaseError",
    "Error",
)


def statements_answered(statements: Sequence[Statement]) -> list[Rows]:
    """Run `statements` in order on this thread's connection and return the rows of
    each ([] for one that returns none). On PostgreSQL they are sent together and may be
    prepared; a failure stops the ones after it, and the transaction is aborted, as it
    would be one by one."""
    database = connections[DEFAULT_DB_ALIAS]
    with database.cursor() as cursor:
        if database.vendor != "postgresql" or (len(statements) == 1 and not prepares()):
            answers = []
            for statement in statements:
                cursor.execute(*statement)
                answers.append(cursor.fetchall() if cursor.description else [])
            return answers
        return _sent_together(cursor.connection, statements)


def prepares() -> bool:
    """Whether psycopg prepares statements: on PostgreSQL, unless turned off (the
    database's `prepare_threshold` option, set by DATABASE_PREPARED_STATEMENTS)."""
    database = connections[DEFAULT_DB_ALIAS]
    return (
        database.vendor == "postgresql"
        and database.settings_dict["OPTIONS"].get("prepare_threshold") is not None
    )


def _sent_together(connection: Any, statements: Sequence[Statement]) -> list[Rows]:
    """On PostgreSQL: with preparation, on psycopg's server-binding cursors; without,
    on Django's (which bind on the client and are logged, as any other query); a
    cursor per statement, each keeping its answer, in one pipeline."""
    import psycopg  # PostgreSQL only

    database = connections[DEFAULT_DB_ALIAS]
    prepared = prepares()
    cursors = [psycopg.Cursor(connection) if prepared else database.cursor() for _ in statements]
    try:
        if len(statements) == 1:
            cursors[0].execute(*statements[0])
        else:
            with connection.pipeline():
                for cursor, statement in zip(cursors, statements, strict=True):
                    cursor.execute(*statement)
        return [cursor.fetchall() if cursor.description else [] for cursor in cursors]
    except psycopg.Error as error:
        raise _as_django_error(error) from error
    finally:
        for cursor in cursors:
            cursor.close()


def _as_django_error(error: Exception) -> Exception:
    import psycopg

    for name in _DB_API_ERRORS:
        if isinstance(error, getattr(psycopg, name)):
            return getattr(utils, name)(*error.args)
    return utils.Error(*error.args)
