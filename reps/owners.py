"""Who can own a lead: a rep, or a pool that picks one of its members."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

OwnerKind = Literal["rep", "pool"]


@dataclass(frozen=True, slots=True)
class Owner:
    kind: OwnerKind
    id: int
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"

    @classmethod
    def of(cls, obj: Any, prefix: str) -> Owner | None:
        """The owner held in `<prefix>_rep` / `<prefix>_pool` of a model instance."""
        rep = getattr(obj, f"{prefix}_rep", None)
        if rep is not None:
            return cls("rep", rep.pk, rep.name)
        pool = getattr(obj, f"{prefix}_pool", None)
        if pool is not None:
            return cls("pool", pool.pk, pool.name)
        return None
