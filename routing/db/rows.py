"""Writing a lead's rows without the ORM's per-call query building.

Intake writes a lead, its decision, its assignment, its events and outbox messages for
every submission. `Model.save()` builds its INSERT anew each time (columns, quoting, the
compiler), which cost the web process more than the database took to run it. Here the
statement is written once per model and row count, its values prepared per call with the
documented field API (`pre_save`, `get_db_prep_save`). Rows that name one another get
their ids first (`ids_give`), so that all of them go to the database together
(`rows_insert`). `row_update` is the ORM's `save(update_fields=...)`.

No pre_save/post_save signals are sent and model `save()` overrides do not run: only for
tables no receiver listens to and whose audit trail is the lead's event log (leads,
decisions, assignments, events, outbox messages), never for routing data that
simple-history records.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

from .bulk import TableWriter, allocate_ids, id_sequence
from .prepared import Statement, statements_answered
from .statements import array_param


def row_insert(instance: models.Model) -> None:
    """INSERT the new `instance` as `instance.save()` would, and set its id."""
    rows_insert([instance])


def ids_give(instances: Sequence[models.Model]) -> None:
    """Give the new instances their primary keys before any is written (one statement
    on PostgreSQL), and the instances naming one another those ids in their foreign
    keys, so that they can be written together. On SQLite the ids follow the highest in
    use: write them before giving ids again."""
    new = [instance for instance in instances if instance.pk is None]
    if not new:
        return
    database = connections[DEFAULT_DB_ALIAS]
    if database.vendor == "postgresql":
        sequences = [id_sequence(instance._meta.db_table) for instance in new]
        (rows,) = statements_answered([(_NEXT_IDS, [array_param(sequences)])])
        ids = rows[0][0]
    else:
        by_model: dict[type[models.Model], list[models.Model]] = {}
        for instance in new:
            by_model.setdefault(type(instance), []).append(instance)
        given = {model: iter(allocate_ids(model, len(rows))) for model, rows in by_model.items()}
        ids = [next(given[type(instance)]) for instance in new]
    for instance, pk in zip(new, ids, strict=True):
        instance.pk = pk
    for instance in instances:
        _related_ids_taken(instance)


# One id from each sequence named, in the order named.
_NEXT_IDS = (
    "SELECT array_agg(nextval(wanted.sequence::regclass) ORDER BY wanted.position) "
    "FROM unnest(%s::text[]) WITH ORDINALITY AS wanted(sequence, position)"
)


def rows_insert(instances: Sequence[models.Model], *, then: Sequence[Statement] = ()) -> None:
    """INSERT new instances, each model's in one statement (in the order the models
    first appear), then run the statements `then`: all together on PostgreSQL. An
    instance without a primary key is given the one the database chose; one that names
    another must name a stored one or one given its id (`ids_give`)."""
    groups: dict[tuple[type[models.Model], bool], list[models.Model]] = {}
    for instance in instances:
        groups.setdefault((type(instance), instance.pk is not None), []).append(instance)
    database = connections[DEFAULT_DB_ALIAS]
    statements: list[Statement] = []
    chunks: list[tuple[bool, list[models.Model]]] = []
    for (model, with_ids), rows in groups.items():
        per_statement = _rows_per_statement(model, database)
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            fields, sql = _insert_statement(model, len(chunk), with_ids, database.vendor)
            values = []
            for instance in chunk:
                _related_ids_taken(instance)
                values += [
                    field.get_db_prep_save(field.pre_save(instance, True), database)
                    for field in fields
                ]
            statements.append((sql, values))
            chunks.append((with_ids, chunk))
    answers = statements_answered([*statements, *then])
    for (with_ids, chunk), answer in zip(chunks, answers, strict=False):
        if not with_ids:
            for instance, (pk,) in zip(chunk, answer, strict=True):
                instance.pk = pk


# PostgreSQL's limit on one statement's parameters; other databases say theirs.
_POSTGRESQL_MAX_PARAMS = 65535


def _rows_per_statement(model: type[models.Model], database: Any) -> int:
    """How many rows of `model` one INSERT may carry (a batch writes thousands)."""
    limit = database.features.max_query_params or _POSTGRESQL_MAX_PARAMS
    return max(1, limit // len(model._meta.concrete_fields))


def rows_copy(instances: Sequence[models.Model]) -> None:
    """INSERT new instances given their ids (`ids_give`) by the thousand: each model's
    rows in one statement (COPY on PostgreSQL), not `rows_insert`'s one placeholder per
    value, a statement psycopg parses anew for every row count."""
    groups: dict[type[models.Model], list[models.Model]] = {}
    for instance in instances:
        groups.setdefault(type(instance), []).append(instance)
    for model, rows in groups.items():
        columns = [field.attname for field in model._meta.concrete_fields]
        TableWriter(model, columns).insert(
            [getattr(instance, column) for column in columns] for instance in rows
        )


def row_update(instance: models.Model, field_names: tuple[str, ...]) -> None:
    """UPDATE these fields of the stored `instance` (auto_now fields included)."""
    instance.save(update_fields=field_names)


def _related_ids_taken(instance: models.Model) -> None:
    """A related object assigned before it had an id: its id, given since, goes in the
    foreign key column, as `save()` does. Assigned again rather than by the column, so
    the instance keeps the object (setting the column alone forgets it)."""
    for field in _foreign_keys(type(instance)):
        if getattr(instance, field.attname) is None:
            related = getattr(instance, field.name)
            if related is not None and related.pk is not None:
                setattr(instance, field.name, related)


@cache
def _foreign_keys(model: type[models.Model]) -> list[Any]:
    return [field for field in model._meta.concrete_fields if field.many_to_one]


@lru_cache(maxsize=256)
def _insert_statement(
    model: type[models.Model], count: int, with_ids: bool, vendor: str
) -> tuple[list[Any], str]:
    """The fields a new row of `model` is given and the INSERT of `count` rows of them:
    with their ids given (`with_ids`), or without, returning the ids the database chose."""
    meta = model._meta
    fields = [field for field in meta.concrete_fields if with_ids or field is not meta.auto_field]
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    rows = ", ".join([row] * count)
    returning = "" if with_ids else f" RETURNING {quote(meta.pk.column)}"
    return fields, f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {rows}{returning}"
