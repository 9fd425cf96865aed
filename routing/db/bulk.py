"""Writing many rows of one table at once, their ids chosen beforehand.

An import writes a lead, its decision, its assignment and its events for every row of
a file. Knowing the ids before writing lets each table go in one statement (the
decision's id is in the assignment, the assignment's in the event), and PostgreSQL's
COPY takes rows far faster than model-by-model `bulk_create` (docs/decisions/0003). These rows
bypass `save()` and its signals: use it only for rows whose audit trail is the lead's
event log, never for routing data that simple-history records.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import orjson
from django.db import connection, models

T = TypeVar("T")


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys of `model`'s table. On SQLite they follow the highest
    id in use, so insert them before allocating again for the same table; the caller's
    transaction (IMMEDIATE: the write lock is held) keeps other writers out meanwhile."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s)",
                [id_sequence(table), count],
            )
            return cursor.fetchone()[0]
        quoted = connection.ops.quote_name(table)
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
            f"COALESCE((SELECT MAX(id) FROM {quoted}), 0))",  # the model's own table name
            [table],
        )
        last = cursor.fetchone()[0]
    return list(range(last + 1, last + 1 + count))


def id_sequence(table: str) -> str:
    """The table's id sequence on PostgreSQL, looked up once per process (asked inside
    a query, it would be looked up again for every id)."""
    if table not in _SEQUENCES:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            _SEQUENCES[table] = cursor.fetchone()[0]
    return _SEQUENCES[table]


_SEQUENCES: dict[str, str] = {}


class TableWriter:
    """Inserts rows of `model` given as tuples in the order of `columns` (field names);
    values as the model holds them (datetimes, dicts for JSON, Decimals)."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        fields = [model._meta.get_field(name) for name in columns]
        self.table = model._meta.db_table
        self.columns = [field.column for field in fields]  # type: ignore[union-attr]
        self._adapt = [_adapter(field) for field in fields]

    def prepare(self, rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
        """The rows with their values as the database takes them (JSON as text, ...)."""
        adapt = self._adapt
        return [
            [
                value if to_db is None else to_db(value)
                for value, to_db in zip(row, adapt, strict=True)
            ]
            for row in rows
        ]

    def send(
        self, prepared: list[list[Any]], *, meanwhile: Callable[[], T] | None = None
    ) -> T | None:
        """Insert prepared rows. `meanwhile` runs once the rows are on their way and
        before waiting for the database to have taken them: on PostgreSQL the server
        works through a COPY while this process does other work (the next table's
        rows, the next batch), so the two CPUs are busy at once. Returns its result."""
        quote = connection.ops.quote_name
        columns = ", ".join(quote(column) for column in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {quote(self.table)} ({columns}) FROM STDIN") as copy:
                    for row in prepared:
                        copy.write_row(row)
                    return meanwhile() if meanwhile is not None else None
            if prepared:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(
                    f"INSERT INTO {quote(self.table)} ({columns}) VALUES ({marks})", prepared
                )
        return meanwhile() if meanwhile is not None else None

    def insert(self, rows: Iterable[Sequence[Any]]) -> None:
        self.send(self.prepare(rows))


def _adapter(field: Any) -> Callable[[Any], Any] | None:
    """How a value of this field goes to the database; None: as it is (psycopg takes
    datetimes and Decimals as they are; SQLite needs Django's text forms)."""
    if isinstance(field, models.JSONField):
        if field.encoder is not None:
            encoder = field.encoder
            return lambda value: json.dumps(value, cls=encoder)
        return json_text
    if connection.vendor != "postgresql" and isinstance(
        field, models.DateTimeField | models.DecimalField
    ):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def json_text(value: Any) -> str:
    """`value` as JSON text, as `json.dumps` writes plain data (numbers as dictionary
    keys become text), without spaces. orjson, several times faster than the standard
    library: a routed lead's rows hold its decision's trace.

    A float JSON has no form for (NaN, infinities) becomes null here; JSON fields hold
    what a strict JSON parse of a request gave or what the code computed."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def statistics_refresh(*tables: type[models.Model]) -> None:
    """Have PostgreSQL look at these tables again. After thousands of rows written in
    a few seconds its statistics (autovacuum's, minutes old) still say the tables are
    small, and it plans lookups by e-mail as scans of every open lead."""
    if connection.vendor != "postgresql":
        return
    names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {names}")  # the models' own table names
