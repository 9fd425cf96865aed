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
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models

from routing.statements import statement_cursor


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
    fields, sql = _insert_statement(type(instances[0]), len(instances))
    values = []
    for instance in instances:
        instance._prepare_related_fields_for_save(operation_name="save")  # as save() does
        values += [
            field.get_db_prep_save(field.pre_save(instance, True), database) for field in fields
        ]
    with statement_cursor() as cursor:
        cursor.execute(sql, values)
        ids = [row[0] for row in cursor.fetchall()] if returns_ids else [cursor.lastrowid]
    for instance, pk in zip(instances, ids, strict=True):
        instance.pk = pk
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
