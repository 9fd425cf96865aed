"""Routing file text -> RoutingSpec, with every problem in the file reported at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .errors import Problems
from .fields import show, unknown_key_message
from .parse_reps import parse_pool, parse_rep
from .parse_rulesets import parse_ruleset
from .parse_territories import parse_account, parse_territory
from .spec import RoutingSpec
from .yaml_io import read_yaml

SECTIONS = ("reps", "pools", "territories", "accounts", "rulesets")

T = TypeVar("T")


def parse_routing(text: str, *, source: str, problems: Problems) -> RoutingSpec:
    """Read and check a routing file on its own (no database); problems go to `problems`.

    A YAML syntax error is raised at once (RoutingFileError): nothing after it can be read.
    Items with problems are still returned when they have their natural key, so that
    references to them are not reported a second time as unknown.
    """
    document = read_yaml(text, source=source)
    if document is None:
        return RoutingSpec()
    if not isinstance(document, dict):
        problems.add(
            source,
            f"a routing file is a mapping with the keys {', '.join(SECTIONS)}; "
            f"this one is {show(document)}",
        )
        return RoutingSpec()
    for key in document:
        if key not in SECTIONS:
            problems.add(
                source,
                unknown_key_message(str(key), SECTIONS).replace(
                    "unknown key", "unknown top-level key", 1
                ),
            )
    spec = RoutingSpec(
        reps=_section(problems, document, "reps", "rep", parse_rep),
        pools=_section(problems, document, "pools", "pool", parse_pool),
        territories=_section(problems, document, "territories", "territory", parse_territory),
        accounts=_section(problems, document, "accounts", "account", parse_account),
        rulesets=_section(problems, document, "rulesets", "rule set", parse_ruleset),
    )
    _check_duplicates(problems, spec)
    return spec


def _section(
    problems: Problems,
    document: dict[Any, Any],
    key: str,
    noun: str,
    parse_item: Callable[[Problems, Any, int], T | None],
) -> tuple[T, ...]:
    raw = document.get(key)
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add(key, f"must be a list of {noun}s (each item starting with '- ')")
        return ()
    items = (parse_item(problems, data, index) for index, data in enumerate(raw, start=1))
    return tuple(item for item in items if item is not None)


def _check_duplicates(problems: Problems, spec: RoutingSpec) -> None:
    sections: list[tuple[str, list[str]]] = [
        ("rep", [rep.email for rep in spec.reps]),
        ("pool", [pool.name for pool in spec.pools]),
        ("territory", [territory.name for territory in spec.territories]),
        ("account", [account.name for account in spec.accounts]),
        ("rule set", [ruleset.name for ruleset in spec.rulesets]),
    ]
    for noun, keys in sections:
        seen: set[str] = set()
        for key in keys:
            if key in seen:
                problems.add(f"{noun} '{key}'", "is listed twice; keep one")
            seen.add(key)
    active = [ruleset.name for ruleset in spec.rulesets if ruleset.is_active]
    if len(active) > 1:
        quoted = [f"'{name}'" for name in active]
        names = f"{', '.join(quoted[:-1])} and {quoted[-1]}"
        problems.add(
            "rulesets",
            f"rule sets {names} are {'both' if len(active) == 2 else 'all'} "
            "active; only one rule set can be active, set active: false on the others",
        )
    owners: dict[str, str] = {}
    for account in spec.accounts:
        for domain in account.domains:
            if domain in owners and owners[domain] != account.name:
                problems.add(
                    f"account '{account.name}'",
                    f"domain '{domain}' is also listed under account '{owners[domain]}'",
                )
            owners.setdefault(domain, account.name)
