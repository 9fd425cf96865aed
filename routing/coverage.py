"""Rule coverage: what each rule of a rule set took in a period, what none took, why leads
fell to the fallback, and which rules an earlier rule shadows.

Reads the stored decisions (their traces say, for every lead, which rules matched and why
the others did not); the shadowing check reads the conditions alone and is conservative:
it reports only what it can prove (an earlier rule whose every condition each lead of the
later rule also meets).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from routing.models import RoutingDecision, Rule, RuleSet

COMPARISONS = {"gte", "gt", "lte", "lt"}


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
    """True when every lead meeting `later`'s conditions meets `earlier`'s too."""
    return all(
        field in later and _field_implies(later[field], spec) for field, spec in earlier.items()
    )


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
    if isinstance(spec, dict):
        if set(spec) == {"eq"}:
            spec = spec["eq"]
        elif set(spec) == {"in"}:
            spec = spec["in"]
        else:
            return None
    items = spec if isinstance(spec, list) else [spec]
    if any(isinstance(item, bool | dict | list) for item in items):
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
