"""Writing a lead's rows without the ORM's per-call query building.

Intake writes a lead, its decision, its assignment, its events and outbox messages for
every submission. `Model.save()` builds its INSERT anew each time (columns, quoting, the
compiler), which cost the web process more than the database took to run it. Here the
statement is written once per model and row count, its values prepared per call with the
documented field API (`pre_save`, `get_db_prep_save`), and run on the statement cursor,
where psycopg prepares it. `row_update` is the ORM's `save(update_fields=...)`.

No pre_save/post_save signals are sent and model `save()` overrides do not run: only for
tables no receiver listens to and whose audit trail is the lead's event log (leads,
decisions, assignments, events, outbox messages), never for routing data that
simple-history records.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

from .prepared import statement_cursor
from .statements import prepares


def row_insert(instance: models.Model) -> None:
    """INSERT the new `instance` as `instance.save()` would, and set its id."""
    rows_insert([instance])


def rows_insert(instances: Sequence[models.Model]) -> None:
    """INSERT new instances of one model in one statement and set their ids."""
    if not instances:
        return
    database = connections[DEFAULT_DB_ALIAS]
    fields, sql = _insert_statement(type(instances[0]), len(instances), database.vendor)
    values = []
    for instance in instances:
        _related_ids_taken(instance)
        values += [
            field.get_db_prep_save(field.pre_save(instance, True), database) for field in fields
        ]
    with statement_cursor(prepared=prepares()) as cursor:
        cursor.execute(sql, values)
        ids = [pk for (pk,) in cursor.fetchall()]
    for instance, pk in zip(instances, ids, strict=True):
        instance.pk = pk


def row_update(instance: models.Model, field_names: tuple[str, ...]) -> None:
    """UPDATE these fields of the stored `instance` (auto_now fields included)."""
    instance.save(update_fields=field_names)


def _related_ids_taken(instance: models.Model) -> None:
    """A related object assigned before it was stored: its id, stored since, goes in
    the foreign key column, as `save()` does."""
    for field in _foreign_keys(type(instance)):
        if getattr(instance, field.attname) is None:
            related = getattr(instance, field.name)
            if related is not None:
                setattr(instance, field.attname, related.pk)


@cache
def _foreign_keys(model: type[models.Model]) -> list[Any]:
    return [field for field in model._meta.concrete_fields if field.many_to_one]


@cache
def _insert_statement(model: type[models.Model], count: int, vendor: str) -> tuple[list[Any], str]:
    """The fields a new row of `model` is given (all but its generated id) and the
    INSERT of `count` rows of them, returning their ids."""
    meta = model._meta
    fields = [field for field in meta.concrete_fields if field is not meta.auto_field]
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    rows = ", ".join([row] * count)
    returning = quote(meta.pk.column)
    return (
        fields,
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {rows} RETURNING {returning}",
    )
