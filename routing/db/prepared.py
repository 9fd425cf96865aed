"""A cursor whose statements psycopg may prepare.

Django's cursor on psycopg binds values on the client (a ClientCursor), which psycopg
never prepares. psycopg's own `Cursor` on the same connection binds them on the server
and prepares a statement once the connection has run it `prepare_threshold` times
(docs/decisions/0004). It is reached through the DB-API cursor's `connection`
attribute and runs inside Django's transaction like any other statement. Its failures
are raised as Django's exception of the same DB-API class, so callers catch one kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, utils

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


@contextmanager
def statement_cursor(*, prepared: bool) -> Iterator[Any]:
    """A DB-API cursor of this thread's connection: psycopg's server-binding one when
    `prepared` (PostgreSQL only), Django's otherwise."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        if not prepared:
            yield cursor
            return
        import psycopg  # PostgreSQL only

        try:
            with psycopg.Cursor(cursor.connection) as server_binding:
                yield server_binding
        except psycopg.Error as error:
            raise _as_django_error(error) from error


def _as_django_error(error: Exception) -> Exception:
    import psycopg

    for name in _DB_API_ERRORS:
        if isinstance(error, getattr(psycopg, name)):
            return getattr(utils, name)(*error.args)
    return utils.Error(*error.args)
