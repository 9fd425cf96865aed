"""Writes about rule sets."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from reps.audit import acting_as
from routing.models import RuleSet


def ruleset_activate(*, ruleset: RuleSet, user: Any) -> list[RuleSet]:
    """Make `ruleset` the one active rule set; returns the rule sets it replaced.

    One transaction: new leads see either the old or the new rule set, never none.
    Every rule set row is locked (there are few), in pk order so two activations
    cannot deadlock: a second manager activating at the same moment waits, then reads
    the first one's result and replaces it, instead of colliding on the unique index.
    Rows are saved one by one, not `.update()`d, so history records who switched over.
    """
    with transaction.atomic(), acting_as(user):
        rows = list(RuleSet.objects.select_for_update().order_by("pk"))
        target = next(row for row in rows if row.pk == ruleset.pk)
        replaced = [row for row in rows if row.is_active and row.pk != ruleset.pk]
        # Deactivate first: the unique index is checked statement by statement.
        for row in replaced:
            row.is_active = False
            row.save(update_fields=["is_active", "updated_at"])
        if not target.is_active:
            target.is_active = True
            target.save(update_fields=["is_active", "updated_at"])
    return replaced
