"""The database's routing data as a routing file: what load_routing reads back unchanged.

Order is fixed (reps by e-mail, everything else by name, rules by position, pool members
in the order they joined, which is their rotation order) and keys at their defaults are
left out, so that two dumps of the same data are byte-identical and diffs stay small.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reps.models import Pool, Rep
from routing.conditions import ANY, NOT
from routing.durations import format_duration
from routing.models import Rule, RuleSet
from territories.models import NamedAccount, Territory

from .parse_rulesets import ruleset_defaults
from .yaml_io import Flow, FlowList, fits_on_line, write_yaml


def dump_routing() -> tuple[str, list[str]]:
    """The routing file text, and warnings about data that will not load back as is."""
    warnings: list[str] = []
    reps = sorted(Rep.objects.all(), key=lambda rep: rep.email)
    pools = sorted(Pool.objects.prefetch_related("memberships__rep"), key=lambda p: p.name)
    territories = sorted(
        Territory.objects.select_related("owner_rep", "owner_pool"),
        key=lambda territory: territory.name,
    )
    accounts = sorted(
        NamedAccount.objects.select_related("owner").prefetch_related("domains"),
        key=lambda account: account.name,
    )
    rulesets = sorted(
        RuleSet.objects.select_related(*_OWNER_FIELDS).prefetch_related(
            "rules__route_rep",
            "rules__route_pool",
            "rules__escalate_to_rep",
            "rules__escalate_to_pool",
            "rules__handoff_to_rep",
            "rules__handoff_to_pool",
        ),
        key=lambda ruleset: ruleset.name,
    )
    for pool in pools:
        if not pool.memberships.all():
            warnings.append(
                f"pool '{pool.name}' has no members; give it some before loading "
                "this file, which requires them"
            )
    document = {
        "reps": [_rep(rep) for rep in reps],
        "pools": [_pool(pool) for pool in pools],
        "territories": [_territory(territory) for territory in territories],
        "accounts": [_account(account) for account in accounts],
        "rulesets": [_ruleset(ruleset) for ruleset in rulesets],
    }
    document = {key: items for key, items in document.items() if items}
    return (write_yaml(document) if document else "{}\n"), warnings


_WIDTH = 100
_OWNER_FIELDS = ("fallback_rep", "fallback_pool", "escalate_to_rep", "escalate_to_pool")


def _compact(**items: Any) -> Flow:
    """A one-line mapping of the items that are set."""
    return Flow((key, value) for key, value in items.items() if value not in (None, "", [], ()))


def _moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _owner(rep: Rep | None, pool: Pool | None) -> Flow | None:
    if rep is not None:
        return Flow(rep=rep.email)
    if pool is not None:
        return Flow(pool=pool.name)
    return None


def _put(item: dict[str, Any], key: str, value: Any, *, indent: int = 4) -> None:
    """Set `key` unless `value` is empty; a one-line mapping too long for one line is
    written as a block instead, so that YAML does not break it mid-list."""
    if value in (None, "", [], (), {}):
        return
    if isinstance(value, Flow) and not fits_on_line(value, _WIDTH - indent - len(key) - 2):
        value = {k: _inline(v) for k, v in value.items()}
    item[key] = value


def _inline(value: Any) -> Any:
    if isinstance(value, dict):
        return Flow(value)
    if isinstance(value, list):
        return FlowList(value)
    return value


def _sorted(conditions: dict[str, Any]) -> dict[str, Any]:
    # PostgreSQL's jsonb keeps keys in its own order, SQLite in the order written:
    # alphabetical order makes a dump the same whichever database it came from. The
    # alternatives of `any` keep their order: the trace numbers them.
    return {key: _sorted_value(value) for key, value in sorted(conditions.items())}


def _sorted_value(value: Any) -> Any:
    if isinstance(value, dict):
        return _sorted(value)
    if isinstance(value, list):
        return [_sorted_value(item) for item in value]
    return value


def _when(conditions: dict[str, Any], *, indent: int) -> Any:
    """A rule's `when` on one line if it fits; else one line per key, and the
    alternatives of `any` one per line, each laid out the same way."""
    if fits_on_line(Flow(conditions), _WIDTH - indent - len("when: ")):
        return Flow(conditions)
    block: dict[str, Any] = {}
    for key, value in conditions.items():
        if key == ANY:
            block[key] = [_when(alternative, indent=indent + 4) for alternative in value]
        elif key == NOT:
            block[key] = _when(value, indent=indent + 2)
        else:
            block[key] = _inline(value)
    return block


def _rep(rep: Rep) -> dict[str, Any]:
    item: dict[str, Any] = {"email": rep.email, "name": rep.name}
    if rep.kind != Rep.Kind.HUMAN:
        item["kind"] = rep.kind
    if not rep.is_active:
        item["active"] = False
    if rep.timezone != "UTC":
        item["timezone"] = rep.timezone
    _put(item, "working_hours", rep.working_hours)
    _put(
        item,
        "out_of_office",
        _compact(
            **{"from": _moment(rep.out_of_office_from), "until": _moment(rep.out_of_office_until)}
        ),
    )
    _put(
        item,
        "capacity",
        _compact(
            max_open=rep.max_open,
            max_unacknowledged=rep.max_unacknowledged,
            max_per_day=rep.max_per_day,
        ),
    )
    _put(
        item,
        "location",
        _compact(postal_code=rep.postal_code, latitude=rep.latitude, longitude=rep.longitude),
    )
    _put(
        item,
        "skills",
        _compact(
            products=FlowList(rep.products),
            industries=FlowList(rep.industries),
            languages=FlowList(rep.languages),
            technologies=FlowList(rep.technologies),
            expertise=rep.expertise,
        ),
    )
    _put(
        item,
        "notify",
        _compact(
            email=None if rep.notify_email else False,
            slack_webhook=rep.slack_webhook_url,
            webhook=rep.webhook_url,
        ),
    )
    return item


def _pool(pool: Pool) -> dict[str, Any]:
    item: dict[str, Any] = {"name": pool.name}
    if pool.method != Pool.Method.ROUND_ROBIN:
        item["method"] = pool.method
    if pool.max_distance_km is not None:
        item["max_distance_km"] = pool.max_distance_km
    if pool.no_match != Pool.NoMatch.ROTATION:
        item["no_match"] = pool.no_match
    if pool.performance_window_days != 30:
        item["performance_window"] = f"{pool.performance_window_days}d"
    if pool.respect_working_hours:
        item["respect_working_hours"] = True
    _put(item, "description", pool.description)
    # Prefetched memberships come in Meta order (pool, id): the order reps joined.
    item["members"] = [
        member.rep.email if member.weight == 1 else Flow(rep=member.rep.email, weight=member.weight)
        for member in pool.memberships.all()
    ]
    return item


def _territory(territory: Territory) -> dict[str, Any]:
    item: dict[str, Any] = {"name": territory.name}
    if territory.priority != 100:
        item["priority"] = territory.priority
    match: dict[str, Any] = {}
    _put(match, "country", FlowList(territory.countries))
    _put(match, "state", FlowList(territory.states))
    _put(match, "postal_code", FlowList(territory.postal_codes))
    _put(match, "industry", FlowList(territory.industries))
    _put(
        match,
        "employee_count",
        _compact(min=territory.employee_count_min, max=territory.employee_count_max),
        indent=6,
    )
    item["match"] = match
    item["owner"] = _owner(territory.owner_rep, territory.owner_pool)
    return item


def _account(account: NamedAccount) -> dict[str, Any]:
    item: dict[str, Any] = {"name": account.name}
    _put(item, "domains", FlowList(domain.domain for domain in account.domains.all()))
    item["owner"] = account.owner.email
    _put(item, "tier", account.tier)
    return item


def _ruleset(ruleset: RuleSet) -> dict[str, Any]:
    defaults = ruleset_defaults()
    item: dict[str, Any] = {"name": ruleset.name}
    _put(item, "description", ruleset.description)
    if ruleset.is_active:
        item["active"] = True
    item["fallback"] = _owner(ruleset.fallback_rep, ruleset.fallback_pool)
    if ruleset.ack_sla != defaults["ack_sla"]:
        item["ack_sla"] = format_duration(ruleset.ack_sla)
    _put(item, "escalate_to", _owner(ruleset.escalate_to_rep, ruleset.escalate_to_pool))
    if ruleset.max_escalations != defaults["max_escalations"]:
        item["max_escalations"] = ruleset.max_escalations
    _put(item, "notify_on_escalation", FlowList(ruleset.notify_on_escalation))
    if ruleset.duplicate_window != defaults["duplicate_window"]:
        item["duplicate_window"] = format_duration(ruleset.duplicate_window)
    if ruleset.reroute_returning != defaults["reroute_returning"]:
        item["reroute_returning"] = ruleset.reroute_returning
    if ruleset.sticky_owner:
        item["sticky_owner"] = True
    if ruleset.same_company_owner:
        item["same_company_owner"] = True
    if ruleset.remind_before is not None:
        item["remind_before"] = format_duration(ruleset.remind_before)
    _put(item, "rules", [_rule(rule) for rule in ruleset.rules.all()])
    return item


def _rule(rule: Rule) -> dict[str, Any]:
    item: dict[str, Any] = {"name": rule.name}
    if rule.conditions:
        item["when"] = _when(_sorted(rule.conditions), indent=8)
    if rule.route_to in (Rule.RouteTo.REP, Rule.RouteTo.POOL):
        item["route"] = _owner(rule.route_rep, rule.route_pool)
    else:
        item["route"] = Flow({rule.route_to: True})
    if rule.ack_sla is not None:
        item["ack_sla"] = format_duration(rule.ack_sla)
    if rule.sla_in_working_hours:
        item["sla_in_working_hours"] = True
    if rule.ignore_capacity:
        item["ignore_capacity"] = True
    _put(item, "escalate_to", _owner(rule.escalate_to_rep, rule.escalate_to_pool))
    _put(item, "handoff_to", _owner(rule.handoff_to_rep, rule.handoff_to_pool))
    if not rule.is_enabled:
        item["enabled"] = False
    return item
