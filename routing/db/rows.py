"""Writing one row per statement without the ORM's per-call query building.

Intake writes a lead, its decision, its assignment and its events for every submission.
`Model.objects.create()` builds the INSERT anew each time (its columns, their quoting,
the compiler) and that cost more than the database took to run it. `row_insert` writes
the statement once per model and only prepares the values per call, the way the ORM's
insert does (each field's pre_save and database preparation); `row_update` likewise for
`save(update_fields=...)`.

It does not send pre_save/post_save signals: use it only for tables no receiver listens
to and whose audit trail is the lead's event log (leads, decisions, assignments, events),
never for routing data that simple-history records.

`rows_together`: a routed lead's rows, written in one round trip. Each row's id is in
the next one (the lead's in the decision, the decision's in the assignment, the
assignment's in the events), so written one by one each INSERT waits for the id of the
one before; with the ids reserved beforehand, all of them can be sent at once. On
PostgreSQL those rows go as JSON, one parameter per table (`_json_insert_statement`):
with a parameter per value they did not fit one statement psycopg keeps parsed.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models

from .bulk import id_sequence, json_text
from .statements import (
    Statement,
    array_param,
    statement_cursor,
    write,
    writes_together,
)

Model = type[models.Model]


def ids_reservation(counts: Mapping[Model, int]) -> Statement | None:
    """The statement that reserves `counts` new ids of each model's table, to be given
    to `ids_reserved` with its rows. None where ids cannot be known before a row is in
    (SQLite): there, rows are written one by one."""
    if connection.vendor != "postgresql":
        return None
    return (
        "SELECT ARRAY(SELECT nextval(wanted.sequence) FROM generate_series(1, wanted.count)) "
        "FROM unnest(%s::regclass[], %s::int[]) WITH ORDINALITY "
        "AS wanted(sequence, count, position) ORDER BY position",
        [
            array_param(id_sequence(model._meta.db_table) for model in counts),
            array_param(counts.values()),
        ],
    )


def ids_reserved(
    counts: Mapping[Model, int], rows: Sequence[tuple[Any, ...]]
) -> dict[Model, list[int]]:
    """The ids `ids_reservation(counts)` answered with `rows`, by model."""
    return {model: list(ids) for model, (ids,) in zip(counts, rows, strict=True)}


class _Reserved(threading.local):
    def __init__(self) -> None:
        self.ids: dict[Model, list[int]] = {}


_reserved = _Reserved()


@contextmanager
def rows_together(ids: Mapping[Model, list[int]], *, then_commit: bool = False) -> Iterator[None]:
    """Inside, new rows take their ids from `ids` (`ids_reserved`) while there are
    enough, and writes wait to go together at the end of the block (`writes_together`:
    any other statement in between sends them first; `then_commit` as there). A row
    with no id left for it is written at once, as outside. Unused ids are left unused:
    gaps, as a rollback leaves."""
    _reserved.ids = {model: list(pks) for model, pks in ids.items()}
    try:
        with writes_together(then_commit=then_commit):
            yield
    finally:
        _reserved.ids = {}


def row_insert(instance: models.Model) -> None:
    """INSERT the new `instance` as `instance.save()` would, and set its id."""
    rows_insert([instance])


def rows_insert(instances: Sequence[models.Model]) -> None:
    """INSERT new instances of one model in one statement, as `bulk_create` would, and
    set their ids (in order: PostgreSQL and SQLite return them as the rows were given)."""
    if not instances:
        return
    # This thread's connection, once: through the `connection` proxy, every field's
    # preparation would look it up again.
    database = connections[DEFAULT_DB_ALIAS]
    returns_ids = database.features.can_return_columns_from_insert
    if len(instances) > 1 and not returns_ids:
        for instance in instances:  # only one new id could be told per statement
            rows_insert([instance])
        return
    model = type(instances[0])
    reserved = _reserved.ids.get(model)
    if reserved and len(reserved) >= len(instances) and all(i.pk is None for i in instances):
        for instance in instances:
            instance.pk = reserved.pop(0)
        write(_json_insert_statement(model), [_rows_json(instances, database)])
        _saved(instances, database)
        return
    fields, sql = _insert_statement(model, len(instances))
    values = _values(instances, fields, database)
    with statement_cursor() as cursor:
        cursor.execute(sql, values)
        ids = [row[0] for row in cursor.fetchall()] if returns_ids else [cursor.lastrowid]
    for instance, pk in zip(instances, ids, strict=True):
        instance.pk = pk
    _saved(instances, database)


def _values(instances: Sequence[models.Model], fields: list[Any], database: Any) -> list[Any]:
    """The instances' values as `save()` would send them: each field's pre_save, then its
    preparation for the database, skipped for a value it would give back unchanged."""
    plan = _preparation(tuple(fields), database.vendor)
    values = []
    for instance in instances:
        instance._prepare_related_fields_for_save(operation_name="save")  # as save() does
        for field, attname, unchanged in plan:
            value = (
                field.pre_save(instance, True) if attname is None else getattr(instance, attname)
            )
            values.append(
                value if type(value) in unchanged else field.get_db_prep_save(value, database)
            )
    return values


def _rows_json(instances: Sequence[models.Model], database: Any) -> str:
    """The instances' values, prepared as `_values` prepares them for `save()`, as a JSON
    array of objects by column, as `_json_insert_statement` reads them. Values JSON holds
    as they are (text, numbers, booleans, a JSON field's value) and aware datetimes skip
    Django's preparation, which would only hand them back or wrap them."""
    plan = _json_plan(type(instances[0]))
    rows = []
    for instance in instances:
        instance._prepare_related_fields_for_save(operation_name="save")  # as save() does
        row = {}
        for column, field, attname, kind in plan:
            value = getattr(instance, attname) if attname else field.pre_save(instance, True)
            if kind is _AS_THEY_ARE and isinstance(value, _JSON_AS_THEY_ARE):
                row[column] = value
            elif kind is _DATETIME and isinstance(value, datetime) and value.tzinfo:
                row[column] = value  # orjson writes it as isoformat() does
            elif kind is _JSON or value is None:
                row[column] = value
            else:
                row[column] = _json_ready(field.get_db_prep_save(value, database))
        rows.append(row)
    return json_text(rows)


_AS_THEY_ARE, _DATETIME, _JSON, _PREPARED = "as they are", "datetime", "json", "prepared"
# Choices' enums too: JSON writes their value. Floats are checked (`_json_ready`).
_JSON_AS_THEY_ARE = (str, int, type(None))


@cache
def _json_plan(model: type[models.Model]) -> list[tuple[str, Any, str | None, str]]:
    """Per column of `model`: its field, its attribute when pre_save only reads it
    (None: call pre_save), and what its value needs to be JSON."""
    plan = []
    for field in model._meta.concrete_fields:
        if isinstance(field, _TAKEN_AS_THEY_ARE):
            kind = _AS_THEY_ARE
        elif isinstance(field, models.DateTimeField):
            kind = _DATETIME
        elif type(field) is models.JSONField and field.encoder is None:
            kind = _JSON  # its value is the JSON the column stores
        else:
            kind = _PREPARED
        plan.append((field.column, field, field.attname if _pre_save_reads(field) else None, kind))
    return plan


_TAKEN_AS_THEY_ARE = (
    models.ForeignKey,
    models.IntegerField,
    models.AutoField,
    models.CharField,
    models.TextField,
    models.FloatField,
    models.BooleanField,
)


def _json_ready(value: Any) -> Any:
    """A value prepared for the database, as JSON that PostgreSQL reads back into the
    column's type: datetimes in ISO 8601 with their microseconds (Django's JSON encoder
    would cut them to milliseconds), decimals and UUIDs as text, a JSON field's value
    as the JSON it stands for."""
    if isinstance(value, _JSON_AS_THEY_ARE):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    obj, dumps = getattr(value, "obj", None), getattr(value, "dumps", None)
    if callable(dumps):  # psycopg's Jsonb, as Django wraps a JSON field's value
        return obj if dumps is json.dumps else json.loads(dumps(obj))
    raise TypeError(f"{type(value).__name__} value {value!r} has no JSON form for a row")


def _pre_save_reads(field: Any) -> bool:
    """Whether the field's pre_save only reads its attribute (not auto_now and the like)."""
    return type(field).pre_save is models.Field.pre_save or (
        isinstance(field, models.DateField) and not (field.auto_now or field.auto_now_add)
    )


_NONE = type(None)


@cache
def _preparation(
    fields: tuple[Any, ...], vendor: str
) -> list[tuple[Any, str | None, tuple[type, ...]]]:
    """Per field: the field; its attribute when pre_save only reads it (None: call
    pre_save, auto_now and the like); the value types its preparation returns as they
    are on this database. Preparing every field of a lead's rows the long way cost
    ~0.1 ms per intake, for values that are nearly all strings, ints, None and aware
    datetimes that psycopg takes as they are."""
    plan = []
    for field in fields:
        reads = _pre_save_reads(field)
        unchanged: tuple[type, ...] = ()
        if vendor == "postgresql":
            if isinstance(field, models.ForeignKey | models.IntegerField | models.AutoField):
                unchanged = (int, _NONE)  # exactly int: a bool would go as a boolean
            elif isinstance(field, models.CharField | models.TextField):
                unchanged = (str, _NONE)
            elif isinstance(field, models.FloatField):
                unchanged = (float, _NONE)
            elif isinstance(field, models.BooleanField):
                unchanged = (bool, _NONE)
            elif isinstance(field, models.DateTimeField):
                unchanged = (_NONE,)  # datetimes go through Django: naive ones are warned of
        plan.append((field, field.attname if reads else None, unchanged))
    return plan


def _saved(instances: Sequence[models.Model], database: Any) -> None:
    for instance in instances:
        instance._state.adding = False
        instance._state.db = database.alias


def row_update(instance: models.Model, field_names: tuple[str, ...]) -> None:
    """UPDATE these fields of the stored `instance`, as
    `instance.save(update_fields=field_names)` would (auto_now fields included)."""
    fields, sql = _update_statement(type(instance), field_names)
    database = connections[DEFAULT_DB_ALIAS]
    values = [field.get_db_prep_save(field.pre_save(instance, False), database) for field in fields]
    with statement_cursor() as cursor:
        cursor.execute(sql, [*values, instance.pk])
        if cursor.rowcount != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")


@cache
def _update_statement(
    model: type[models.Model], field_names: tuple[str, ...]
) -> tuple[list[Any], str]:
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(meta.pk.column)} = %s"
    return fields, sql


@cache
def _json_insert_statement(model: type[models.Model]) -> str:
    """The INSERT of the rows of one JSON parameter (`_rows_json`), every column of
    `model` with the id included: PostgreSQL only.

    One parameter for any number of rows and columns: the rows a lead's routing writes
    then go as one statement whose text psycopg converts once (it keeps the conversion
    only for statements of at most 50 parameters, and a lead's rows have ~80 values),
    and each value costs the web process a place in a JSON text instead of an
    adaptation of its own."""
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(field.column) for field in meta.concrete_fields)
    return (
        f"INSERT INTO {table} ({columns}) SELECT {columns} "
        f"FROM jsonb_populate_recordset(NULL::{table}, %s::jsonb)"
    )


@cache
def _insert_statement(model: type[models.Model], count: int) -> tuple[list[Any], str]:
    """The fields a new row of `model` is given (all but its generated id) and the
    INSERT statement taking `count` rows of them."""
    meta = model._meta
    fields = [field for field in meta.concrete_fields if field is not meta.auto_field]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES " + ", ".join([row] * count)
    if connection.features.can_return_columns_from_insert:
        sql += f" RETURNING {quote(meta.pk.column)}"
    return fields, sql
