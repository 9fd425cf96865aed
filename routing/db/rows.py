"""A lead's rows written through the ORM, one statement per call.

Intake, escalation, hand-off and imports write leads, decisions, assignments, events and
outbox messages through these three, so that a test can stand in for one write.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models


def row_insert(instance: models.Model) -> None:
    """INSERT the new `instance` and set its id."""
    instance.save(force_insert=True)


def rows_insert(instances: Sequence[models.Model]) -> None:
    """INSERT new instances of one model in one statement and set their ids."""
    if instances:
        type(instances[0]).objects.bulk_create(instances)


def row_update(instance: models.Model, field_names: tuple[str, ...]) -> None:
    """UPDATE these fields of the stored `instance` (auto_now fields included)."""
    instance.save(update_fields=field_names)
