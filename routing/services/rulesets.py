"""Writes about rule sets."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from reps.audit import acting_as
from routing.models import Rule, RuleSet


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


# What a draft does not take from its original: identity and state. Everything else is
# copied, including fields added later.
_RULESET_OWN = {"id", "name", "is_active", "version", "created_at", "updated_at"}
_RULE_OWN = {"id", "ruleset"}


def _copyable(model: Any, own: set[str]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields if field.name not in own]


def ruleset_clone(*, ruleset: RuleSet, user: Any, name: str = "") -> RuleSet:
    """A draft copy of `ruleset` and its rules, inactive, to edit and test safely.
    Saved row by row so that history records who made it."""
    with transaction.atomic(), acting_as(user):
        draft = RuleSet(
            name=name or _draft_name(ruleset.name),
            is_active=False,
            **{name: getattr(ruleset, name) for name in _copyable(RuleSet, _RULESET_OWN)},
        )
        draft.save()
        for rule in ruleset.rules.order_by("position", "id"):
            copied = {name: getattr(rule, name) for name in _copyable(Rule, _RULE_OWN)}
            Rule(ruleset=draft, **copied).save()
    return draft


def _draft_name(original: str) -> str:
    number = 1
    while RuleSet.objects.filter(name=f"{original} (draft {number})").exists():
        number += 1
    return f"{original} (draft {number})"
