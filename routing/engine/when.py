"""Whether a rule's groups (`any`, `not`) hold for a lead, and why, in words for the trace.

`plan` runs a rule's field tests itself, inline, since they run for every lead; what is
here runs only for rules with groups, and to explain a decision once it is taken. The
words follow the evaluation's own order, so they name what was actually tested: the
first alternative that held, the first condition that failed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from routing.normalize import LeadFacts

from .types import AnyOf, Condition, Conditions, Not

ValueOf = Callable[[Condition], Any]


def value_reader(lead: LeadFacts, account_matched: Callable[[], bool]) -> ValueOf:
    """The lead's value for a condition; whether a named account matches is the
    engine's to say (it looks the account up only when a rule asks)."""

    def value_of(condition: Condition) -> Any:
        if condition.field == "named_account":
            return account_matched()
        return condition.read(lead)

    return value_of


def holds(conditions: Conditions, value_of: ValueOf) -> bool:
    for condition in conditions.tests:
        if not condition.test(value_of(condition)):
            return False
    return failed_group(conditions.groups, value_of) is None


def failed_group(groups: tuple[AnyOf | Not, ...], value_of: ValueOf) -> AnyOf | Not | None:
    """The first group that does not hold, or None when they all do."""
    for group in groups:
        if isinstance(group, AnyOf):
            if _held_alternative(group, value_of) is None:
                return group
        elif holds(group.inside, value_of):
            return group
    return None


def _held_alternative(group: AnyOf, value_of: ValueOf) -> int | None:
    for index, alternative in enumerate(group.alternatives):
        if holds(alternative, value_of):
            return index
    return None


# ------------------------------------------------------------------------------- words


def lead_has(field: str, value: Any, lead: LeadFacts) -> str:
    """What the lead has for a field, as the trace says it."""
    if field == "named_account":
        return "it matches one" if value else "none matches"
    if field == "work_email":
        return (
            f"{lead.email_domain} is a free-mail domain"
            if lead.is_free_mail
            else f"{lead.email_domain or 'no e-mail domain'}"
        )
    return "the lead has nothing" if value in (None, "") else f"the lead has {value!r}"


def why_group_failed(group: AnyOf | Not, value_of: ValueOf, lead: LeadFacts) -> str:
    """'none held: product is Payments (the lead has 'Billing'); ...' for an `any`;
    what the lead has that the `not` excludes."""
    if isinstance(group, AnyOf):
        reasons = (
            f"{alternative.text} ({_why_not(alternative, value_of, lead)})"
            for alternative in group.alternatives
        )
        return f"none held: {'; '.join(reasons)}"
    return _why_so(group.inside, value_of, lead)


def why_group_held(group: AnyOf | Not, value_of: ValueOf, lead: LeadFacts) -> str:
    """'attributes.interest is payments (alternative 2 of 2)' for an `any`;
    'not: source is event (the lead has 'demo_request')' for a `not`."""
    if isinstance(group, AnyOf):
        index = _held_alternative(group, value_of)
        assert index is not None  # asked only of a rule that matched
        alternative = group.alternatives[index]
        return f"{alternative.text} (alternative {index + 1} of {len(group.alternatives)})"
    return f"{group.text} ({_why_not(group.inside, value_of, lead)})"


def _why_not(conditions: Conditions, value_of: ValueOf, lead: LeadFacts) -> str:
    """The first condition of a mapping that fails, and what the lead has for it."""
    alone = len(conditions.tests) + len(conditions.groups) == 1
    for condition in conditions.tests:
        value = value_of(condition)
        if not condition.test(value):
            has = lead_has(condition.field, value, lead)
            return has if alone else f"{condition.text}: {has}"
    group = failed_group(conditions.groups, value_of)
    assert group is not None  # asked only of a mapping that does not hold
    reason = why_group_failed(group, value_of, lead)
    return reason if alone else f"{group.text}: {reason}"


def _why_so(conditions: Conditions, value_of: ValueOf, lead: LeadFacts) -> str:
    """What the lead has that makes every condition of a mapping hold."""
    alone = len(conditions.tests) + len(conditions.groups) == 1
    reasons = []
    for condition in conditions.tests:
        has = lead_has(condition.field, value_of(condition), lead)
        reasons.append(has if alone else f"{condition.text}: {has}")
    reasons.extend(why_group_held(group, value_of, lead) for group in conditions.groups)
    return "; ".join(reasons)
