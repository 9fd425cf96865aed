"""Saving one object only when it differs from what the file wants.

A second load of the same file must write nothing: no history rows, no rule-set version
bump (routing/signals.py bumps on every Rule/RuleSet save). So each object is compared
field by field and saved only when something differs, and then only the fields that did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from .errors import RoutingFileError

# simple-history's change-reason column is a CharField(max_length=100).
_REASON_LENGTH = 100


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0

    def describe(self) -> str:
        parts = [
            f"{count} {word}"
            for count, word in (
                (self.created, "created"),
                (self.updated, "updated"),
                (self.removed, "removed"),
                (self.unchanged, "unchanged"),
            )
            if count
        ]
        return ", ".join(parts) or "none"

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)


# The order the summary is printed in.
KINDS = (
    "reps",
    "logins",
    "pools",
    "pool members",
    "territories",
    "accounts",
    "account domains",
    "rule sets",
    "rules",
)


@dataclass
class Summary:
    tallies: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in KINDS})
    notes: list[str] = field(default_factory=list)

    def tally(self, kind: str) -> Tally:
        return self.tallies.setdefault(kind, Tally())

    @property
    def changed(self) -> bool:
        return any(tally.changed for tally in self.tallies.values())

    def lines(self) -> list[str]:
        lines = [
            f"{kind}: {tally.describe()}"
            for kind, tally in self.tallies.items()
            if tally.changed or tally.unchanged
        ]
        return lines + self.notes


def same(current: Any, desired: Any) -> bool:
    if isinstance(desired, list | dict):
        # JSON fields: compared as JSON, where true is not 1 and key order does not count.
        return json.dumps(current, sort_keys=True) == json.dumps(desired, sort_keys=True)
    if isinstance(current, bool) or isinstance(desired, bool):
        return current is desired
    return bool(current == desired)


class Writer:
    def __init__(self, *, reason: str | None) -> None:
        self.reason = reason[:_REASON_LENGTH] if reason else None
        self.summary = Summary()

    def sync(
        self, instance: models.Model, values: dict[str, Any], *, kind: str, where: str
    ) -> bool:
        """Give `instance` the `values` (by attname); save if new or changed. True if saved."""
        creating = instance._state.adding
        changed = [
            name
            for name, value in values.items()
            if creating or not same(getattr(instance, name), value)
        ]
        for name in changed:
            setattr(instance, name, values[name])
        return self.save(instance, changed, creating=creating, kind=kind, where=where)

    def save(
        self, instance: models.Model, changed: list[str], *, creating: bool, kind: str, where: str
    ) -> bool:
        tally = self.summary.tally(kind)
        if not creating and not changed:
            tally.unchanged += 1
            return False
        self._validate(instance, where)
        instance._change_reason = self.reason  # type: ignore[attr-defined]
        if creating:
            instance.save()
            tally.created += 1
        else:
            # Only the changed columns: RuleSet.version is bumped behind the instance's
            # back by the signals, and a full save would write the stale number back.
            fields = set(changed)
            if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
                fields.add("updated_at")
            instance.save(update_fields=sorted(fields))
            tally.updated += 1
        return True

    def delete(self, instance: models.Model, *, kind: str) -> None:
        instance._change_reason = self.reason  # type: ignore[attr-defined]
        instance.delete()
        self.summary.tally(kind).removed += 1

    def _validate(self, instance: models.Model, where: str) -> None:
        # A safety net behind parse.py: anything the model rejects that the file checks
        # missed still stops the load (the caller's transaction rolls back).
        try:
            instance.full_clean(
                exclude=["normalized_name"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                messages = [
                    f"{name}: {' '.join(errs)}" if name != "__all__" else " ".join(errs)
                    for name, errs in error.message_dict.items()
                ]
            else:
                messages = error.messages
            raise RoutingFileError([f"{where}: {message}" for message in messages]) from error
