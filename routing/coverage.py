"""Rule coverage: what each rule of a rule set took in a period, what none took, why leads
fell to the fallback, and which rules an earlier rule shadows.

Reads the stored decisions (their traces say, for every lead, which rules matched and why
the others did not); the shadowing check reads the conditions alone and is conservative:
it reports only what it can prove (an earlier rule whose every condition each lead of the
later rule also meets; see `implies` for what it proves).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from routing.conditions import ANY, GROUPS, NOT
from routing.models import RoutingDecision, Rule, RuleSet

COMPARISONS = {"gte", "gt", "lte", "lt"}
# A conjunction: a mapping's conditions as pairs, so that merging one with an alternative
# of `any` can test one field twice.
Conjunction = list[tuple[str, Any]]


@dataclass
class RuleCoverage:
    rule: Rule
    took: int = 0  # leads it routed
    matched: int = 0  # leads whose conditions it met (took, or fell through)
    shadowed_by: Rule | None = None


@dataclass
class Coverage:
    decisions: int
    rules: list[RuleCoverage]
    fallback: int
    fallback_reasons: list[tuple[str, str, int]] = field(default_factory=list)  # rule, why, n

    @property
    def never_matched(self) -> list[Rule]:
        return [entry.rule for entry in self.rules if entry.matched == 0]


def ruleset_coverage(ruleset: RuleSet, *, start: datetime, end: datetime) -> Coverage:
    rules = list(ruleset.rules.order_by("position", "id"))
    entries = {rule.pk: RuleCoverage(rule) for rule in rules}
    decisions = RoutingDecision.objects.filter(
        ruleset=ruleset,
        created_at__gte=start,
        created_at__lt=end,
        kind=RoutingDecision.Kind.INITIAL,
    ).values_list("rule_id", "steps")
    fallback = 0
    reasons: Counter[tuple[str, str]] = Counter()
    total = 0
    for rule_id, steps in decisions:
        total += 1
        if rule_id in entries:
            entries[rule_id].took += 1
        for step in steps or []:
            if (
                step.get("step") == "rule"
                and step.get("matched")
                and step.get("rule_id") in entries
            ):
                entries[step["rule_id"]].matched += 1
        if rule_id is None:
            fallback += 1
            for step in steps or []:
                if step.get("step") == "rule" and not step.get("matched"):
                    reasons[step.get("rule", "?"), _needs(step.get("reason", ""))] += 1
                elif step.get("step") == "fell_through":
                    reasons[step.get("rule", "?"), "nobody eligible"] += 1
    for later_index, later in enumerate(rules):
        for earlier in rules[:later_index]:
            if earlier.is_enabled and implies(later.conditions or {}, earlier.conditions or {}):
                entries[later.pk].shadowed_by = earlier
                break
    return Coverage(
        decisions=total,
        rules=[entries[rule.pk] for rule in rules],
        fallback=fallback,
        fallback_reasons=[(rule, why, count) for (rule, why), count in reasons.most_common(12)],
    )


def _needs(reason: str) -> str:
    """'needs employee_count ≥ 1000; the lead has 201' -> 'needs employee_count ≥ 1000'."""
    return reason.split(";")[0]


def implies(later: dict[str, Any], earlier: dict[str, Any]) -> bool:
    """True only when every lead meeting `later`'s conditions provably meets `earlier`'s.

    What is proved, and nothing more:
    - a field test of `earlier` follows from `later`'s test of the same field: the same
      test, fewer values, a narrower range;
    - an `any` of `earlier` holds when one of its alternatives follows from `later`;
    - a `not` of `earlier` holds when no lead can meet both `later` and its inside:
      `later` and the inside test one field with values or ranges no value meets both
      (yes against no, 10 against [20, 30], ≥ 500 against < 100), or one of them has a
      `not` whose inside follows from the other;
    - an `any` of `later` proves whatever each of its alternatives, with the rest of
      `later`, proves.
    Text is compared loosely here (case, spaces, "_" and "-" ignored) when proving that
    two tests exclude each other, so that only values no spelling can join count.
    """
    return _implies(list((later or {}).items()), list((earlier or {}).items()))


def _implies(later: Conjunction, earlier: Conjunction) -> bool:
    split = _split_any(later)
    if split is not None:
        rest, alternatives = split
        return all(_implies(rest + list(alt.items()), earlier) for alt in alternatives)
    return all(_proves(later, key, test) for key, test in earlier)


def _split_any(conjunction: Conjunction) -> tuple[Conjunction, list[dict[str, Any]]] | None:
    """(the rest, the alternatives) of the first `any` in a conjunction, if it has one."""
    for index, (key, test) in enumerate(conjunction):
        if key == ANY:
            return conjunction[:index] + conjunction[index + 1 :], test
    return None


def _proves(later: Conjunction, key: str, test: Any) -> bool:
    """`later` (without `any`) implies the one condition `key: test`."""
    if key == ANY:
        return any(_implies(later, list(alternative.items())) for alternative in test)
    if key == NOT:
        return _excludes(later, list(test.items()))
    return any(field == key and _field_implies(spec, test) for field, spec in later)


def _excludes(later: Conjunction, inside: Conjunction) -> bool:
    """No lead meets both `later` (without `any`) and `inside`."""
    split = _split_any(inside)
    if split is not None:
        rest, alternatives = split
        return all(_excludes(later, rest + list(alt.items())) for alt in alternatives)
    if any(key == NOT and _implies(inside, list(test.items())) for key, test in later):
        return True
    if any(key == NOT and _implies(later, list(test.items())) for key, test in inside):
        return True
    return any(
        field == key and _disjoint(spec, test)
        for field, spec in later
        if field not in GROUPS
        for key, test in inside
    )


def _disjoint(one: Any, other: Any) -> bool:
    """No value meets both tests of one field."""
    if isinstance(one, bool) or isinstance(other, bool):
        return isinstance(one, bool) and isinstance(other, bool) and one != other
    one_values, other_values = _exact(one), _exact(other)
    one_range, other_range = _range(one), _range(other)
    if one_values is not None and other_values is not None:
        return one_values[0] == other_values[0] and not one_values[1] & other_values[1]
    if one_range is not None and other_range is not None:
        return not _overlap(one_range, other_range)
    values, bounds = (one_values, other_range) if one_values else (other_values, one_range)
    if values is not None and bounds is not None and values[0] == "number":
        return not any(_within((value, True, value, True), bounds) for value in values[1])
    return False


_LOOSE = re.compile(r"[\s_-]+")


def _listed(spec: Any) -> list[Any] | None:
    """The values of a test that holds for exactly these (a value, a list, eq or in)."""
    if isinstance(spec, dict):
        if set(spec) == {"eq"}:
            spec = spec["eq"]
        elif set(spec) == {"in"}:
            spec = spec["in"]
        else:
            return None
    return spec if isinstance(spec, list) else [spec]


def _exact(spec: Any) -> tuple[str, frozenset[Any]] | None:
    """("text" or "number", the values) of a test that holds for exactly these values."""
    items = _listed(spec)
    if items is None:
        return None
    if all(isinstance(item, str) for item in items):
        return "text", frozenset(_LOOSE.sub("", item).casefold() for item in items)
    if all(isinstance(item, int | float) and not isinstance(item, bool) for item in items):
        return "number", frozenset(float(item) for item in items)
    return None


def _overlap(one: tuple[float, bool, float, bool], other: tuple[float, bool, float, bool]) -> bool:
    # At equal bounds the excluding one wins: (value, excluded) sorts after (value, included)
    # for the lower bound, (value, included=False) before True for the upper.
    low, low_excluded = max((one[0], not one[1]), (other[0], not other[1]))
    high, high_included = min((one[2], one[3]), (other[2], other[3]))
    return low < high or (low == high and not low_excluded and high_included)


def _field_implies(later: Any, earlier: Any) -> bool:
    if later == earlier:
        return True
    later_values, earlier_values = _values(later), _values(earlier)
    if later_values is not None and earlier_values is not None:
        return later_values <= earlier_values
    later_range, earlier_range = _range(later), _range(earlier)
    if later_range is not None and earlier_range is not None:
        return _within(later_range, earlier_range)
    return False


def _values(spec: Any) -> frozenset[str] | None:
    """A condition that holds for exactly these (case-folded) values, if it is one."""
    items = _listed(spec)
    if items is None or any(isinstance(item, bool | dict | list) for item in items):
        return None
    return frozenset(str(item).strip().casefold() for item in items)


def _range(spec: Any) -> tuple[float, bool, float, bool] | None:
    """(low, low included, high, high included) of a condition made of comparisons."""
    if not isinstance(spec, dict) or not spec or not set(spec) <= COMPARISONS:
        return None
    low, low_in, high, high_in = float("-inf"), True, float("inf"), True
    for operator, bound in spec.items():
        if operator in ("gte", "gt"):
            low, low_in = float(bound), operator == "gte"
        else:
            high, high_in = float(bound), operator == "lte"
    return low, low_in, high, high_in


def _within(inner: tuple[float, bool, float, bool], outer: tuple[float, bool, float, bool]) -> bool:
    low, low_in, high, high_in = inner
    o_low, o_low_in, o_high, o_high_in = outer
    low_ok = low > o_low or (low == o_low and (o_low_in or not low_in))
    high_ok = high < o_high or (high == o_high and (o_high_in or not high_in))
    return low_ok and high_ok
