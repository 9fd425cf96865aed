"""Rule sets and their ordered rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings

from routing.conditions import condition_errors, normalize_conditions
from routing.durations import format_duration
from routing.models import Rule, RuleSet
from routing.validators import is_webhook_address, validate_manager_address

from .errors import Problems
from .fields import Item, check_name, natural_name, show
from .spec import OwnerRef, RuleSetSpec, RuleSpec

RULESET_KEYS = (
    "name",
    "description",
    "active",
    "fallback",
    "ack_sla",
    "escalate_to",
    "max_escalations",
    "notify_on_escalation",
    "duplicate_window",
    "reroute_returning",
    "sticky_owner",
    "same_company_owner",
    "remind_before",
    "rules",
)
RULE_KEYS = (
    "name",
    "when",
    "route",
    "ack_sla",
    "sla_in_working_hours",
    "ignore_capacity",
    "escalate_to",
    "handoff_to",
    "enabled",
)
ROUTE_EXAMPLE = "{pool: ...}, {rep: ...}, {territory: true} or {account_owner: true}"


def ruleset_defaults() -> dict[str, Any]:
    """What an omitted key means; dump.py leaves out values equal to these."""
    defaults = settings.LEADROUTER
    return {
        "ack_sla": defaults["DEFAULT_ACK_SLA"],
        "max_escalations": defaults["DEFAULT_MAX_ESCALATIONS"],
        "duplicate_window": defaults["DEFAULT_DUPLICATE_WINDOW"],
        "reroute_returning": RuleSet.RerouteReturning.AGENT_OWNED.value,
    }


def parse_ruleset(problems: Problems, data: Any, index: int) -> RuleSetSpec | None:
    name = natural_name(data)
    ruleset = Item(
        problems, f"rule set '{name}'" if name else f"rule set #{index}", data, RULESET_KEYS
    )
    check_name(ruleset, name, RuleSet)
    fallback = ruleset.owner("fallback")
    if fallback is None and not ruleset.has("fallback"):
        ruleset.error("has no fallback; add fallback: {pool: ...} or {rep: ...}")
    defaults = ruleset_defaults()
    ack_sla = ruleset.duration("ack_sla", default=defaults["ack_sla"]) or defaults["ack_sla"]
    spec = RuleSetSpec(
        name=name,
        description=ruleset.text("description"),
        is_active=ruleset.flag("active", default=False),
        fallback=fallback,
        ack_sla=ack_sla,
        escalate_to=ruleset.owner("escalate_to"),
        max_escalations=ruleset.integer(
            "max_escalations", default=defaults["max_escalations"], maximum=32767
        )
        or 0,
        notify_on_escalation=_addresses(ruleset, "notify_on_escalation"),
        duplicate_window=_window(ruleset, defaults["duplicate_window"]),
        reroute_returning=_reroute_returning(ruleset, defaults["reroute_returning"]),
        sticky_owner=ruleset.flag("sticky_owner", default=False),
        same_company_owner=ruleset.flag("same_company_owner", default=False),
        remind_before=_remind_before(ruleset, ack_sla),
        rules=_rules(ruleset),
    )
    return spec if name else None


def _reroute_returning(ruleset: Item, default: str) -> str:
    value = ruleset.text("reroute_returning", default=default)
    choices = RuleSet.RerouteReturning.values
    if value not in choices:
        ruleset.error(
            f"{ruleset.label('reroute_returning')} is '{value}'; use one of {', '.join(choices)}"
        )
        return default
    return value


def _addresses(item: Item, key: str) -> tuple[str, ...]:
    # E-mail addresses compare lowercased; a Slack webhook URL's path is case-sensitive.
    addresses = tuple(
        address if is_webhook_address(address) else address.lower()
        for address in item.text_list(key)
    )
    for address in addresses:
        item.checked(key, address, validate_manager_address)
    return addresses


def _window(ruleset: Item, default: timedelta) -> timedelta:
    # Zero is allowed here: it turns duplicate detection off.
    window = ruleset.duration("duplicate_window", default=default, allow_zero=True)
    return default if window is None else window


def _remind_before(ruleset: Item, ack_sla: timedelta) -> timedelta | None:
    remind_before = ruleset.duration("remind_before", default=None)
    if remind_before is not None and remind_before >= ack_sla:
        ruleset.error(
            f"remind_before ({format_duration(remind_before)}) must be shorter than the "
            f"acknowledgment SLA ({format_duration(ack_sla)}): the reminder comes before "
            "the deadline"
        )
        return None
    return remind_before


def _rules(ruleset: Item) -> tuple[RuleSpec, ...]:
    raw = ruleset.get("rules")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        ruleset.error("rules must be a list of rules, each with a name, when and route")
        return ()
    rules: list[RuleSpec] = []
    for number, data in enumerate(raw, start=1):
        name = natural_name(data)
        rule = Item(
            ruleset.problems,
            f"{ruleset.where}, rule '{name}'" if name else f"{ruleset.where}, rule #{number}",
            data,
            RULE_KEYS,
        )
        check_name(rule, name, Rule)
        if not name:
            continue
        if any(existing.name == name for existing in rules):
            rule.error("is listed twice; rule names are unique within a rule set")
            continue
        route_to, route = _route(rule)
        ignore_capacity = rule.flag("ignore_capacity", default=False)
        if ignore_capacity and route_to != Rule.RouteTo.ACCOUNT_OWNER:
            rule.error(
                "ignore_capacity: true needs route: {account_owner: true}; only a named "
                "account's owner keeps leads at capacity"
            )
        rules.append(
            RuleSpec(
                name=name,
                route_to=route_to,
                route=route,
                conditions=_conditions(rule),
                is_enabled=rule.flag("enabled", default=True),
                ack_sla=rule.duration("ack_sla", default=None),
                sla_in_working_hours=rule.flag("sla_in_working_hours", default=False),
                ignore_capacity=ignore_capacity,
                escalate_to=rule.owner("escalate_to"),
                handoff_to=rule.owner("handoff_to"),
            )
        )
    return tuple(rules)


def _route(rule: Item) -> tuple[str, OwnerRef | None]:
    value = rule.get("route")
    if value is None:
        rule.error(f"has no route; add route: {ROUTE_EXAMPLE}")
        return Rule.RouteTo.TERRITORY, None
    if isinstance(value, dict) and len(value) == 1:
        kind, target = next(iter(value.items()))
        if kind in (Rule.RouteTo.TERRITORY, Rule.RouteTo.ACCOUNT_OWNER):
            if target is not True:
                rule.error(f"route.{kind} must be true, not {show(target)}")
            return kind, None
        if kind in (Rule.RouteTo.REP, Rule.RouteTo.POOL):
            return kind, rule.owner("route", example=ROUTE_EXAMPLE)
    rule.error(f"route must be one of {ROUTE_EXAMPLE}, not {show(value)}")
    return Rule.RouteTo.TERRITORY, None


def _conditions(rule: Item) -> dict[str, Any]:
    when = rule.get("when")
    if when is None:
        return {}
    when = normalize_conditions(when)
    for problem in condition_errors(when, where="when"):
        rule.error(problem)
    return when if isinstance(when, dict) else {}
