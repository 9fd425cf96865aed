"""Best match: what a lead needs, and which of it a rep's skills cover.

A lead's needs come from its fields and attributes: the product (and
`attributes.products` / `attributes.interest`, the intent signals a form or tool sends),
the industry, `attributes.language(s)` and `attributes.technologies` (or `tech_stack`).
Values compare case-insensitively; lists may come as JSON lists or comma-separated text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from routing.normalize import LeadFacts

SKILL_KINDS = ("products", "industries", "languages", "technologies")
# A message this close in meaning to a rep's expertise counts (up to one need more);
# below it, unrelated texts (which still score 0.1-0.2) count for nothing.
SEMANTIC_THRESHOLD = 0.3
_SIGNALS: dict[str, tuple[str, ...]] = {  # skill kind -> attribute names that ask for it
    "products": ("products", "interest"),
    "industries": ("industries",),
    "languages": ("language", "languages"),
    "technologies": ("technologies", "tech_stack"),
}
_FIELDS = {"products": "product", "industries": "industry"}
_ONE = {
    "products": "product",
    "industries": "industry",
    "languages": "language",
    "technologies": "technology",
}


def lead_needs(lead: LeadFacts) -> dict[str, frozenset[str]]:
    needs = {}
    for kind in SKILL_KINDS:
        values: list[Any] = []
        if kind in _FIELDS:
            values.append(getattr(lead, _FIELDS[kind]))
        for name in _SIGNALS[kind]:
            values.extend(_items(lead.attributes.get(name)))
        folded = frozenset(str(value).strip().casefold() for value in values if value)
        if folded - {""}:
            needs[kind] = folded - {""}
    return needs


def covered(needs: Mapping[str, frozenset[str]], skills: Mapping[str, frozenset[str]]) -> list[str]:
    """The needs a rep's skills cover, as 'kind value' texts, in a stable order."""
    return [
        f"{_ONE[kind]} {value}"
        for kind in SKILL_KINDS
        for value in sorted(needs.get(kind, ()))
        if value in skills.get(kind, ())
    ]


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return str(value).split(",")
