"""Migrations that change what stored routing data means keep its meaning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from routing.models import Lead

BEFORE = [("routing", "0021_rule_ignore_capacity_for_account_owners")]
T = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_old_leads_are_credited_again_to_their_routing_by_the_rules(transactional_db):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        ids = _old_leads(apps)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)

    def routing(name: str) -> tuple[str | None, str | None, str | None]:
        lead = Lead.objects.select_related("ruleset", "rule", "pool").get(pk=ids[name])
        return (
            lead.ruleset.name if lead.ruleset else None,
            lead.rule.name if lead.rule else None,
            lead.pool.name if lead.pool else None,
        )

    # Its escalation to the fallback had emptied the rule: the first routing is back.
    assert routing("escalated") == ("Inbound", "Mid-market", "Inside Sales")
    # Routed through the rules again when it returned: that routing, not the escalation's.
    assert routing("returned") == ("Inbound", "Demo requests", None)
    # The hand-off had put its own rule on the lead: the agent's rule is back.
    assert routing("handed off") == ("Inbound", "Free signups", None)
    # Stored while no rule set was active: nothing to credit it to.
    assert routing("never routed") == (None, None, None)


def _old_leads(apps) -> dict[str, int]:
    """Leads as the code before the migration left them, with their decisions."""
    Rep = apps.get_model("reps", "Rep")
    Pool = apps.get_model("reps", "Pool")
    RuleSet = apps.get_model("routing", "RuleSet")
    Rule = apps.get_model("routing", "Rule")
    Lead = apps.get_model("routing", "Lead")
    RoutingDecision = apps.get_model("routing", "RoutingDecision")

    ana = Rep.objects.create(email="ana@example.com", name="Ana")
    dee = Rep.objects.create(email="dee@example.com", name="Dee")
    bo = Rep.objects.create(email="bo@example.com", name="Bo")
    bot = Rep.objects.create(email="bot@example.com", name="SDR Bot", kind="agent")
    inside_sales = Pool.objects.create(name="Inside Sales")
    closers = Pool.objects.create(name="Closers")
    inbound = RuleSet.objects.create(name="Inbound", is_active=True, fallback_rep=dee)

    def rule(position: int, name: str, **route) -> object:
        return Rule.objects.create(
            ruleset=inbound, position=position, name=name, conditions={}, **route
        )

    demo = rule(1, "Demo requests", route_to="rep", route_rep=ana)
    signups = rule(2, "Free signups", route_to="rep", route_rep=bot)
    mid_market = rule(3, "Mid-market", route_to="pool", route_pool=inside_sales)

    def lead(email: str, *decisions: dict, **fields) -> int:
        stored = Lead.objects.create(email=email, **fields)
        for minutes, decision in enumerate(decisions):
            RoutingDecision.objects.create(
                lead=stored,
                created_at=T + timedelta(minutes=15 * minutes),
                rule_name=decision["rule"].name if decision.get("rule") else "",
                **decision,
            )
        return stored.pk

    version = {"ruleset": inbound, "ruleset_version": 3}
    return {
        "escalated": lead(
            "escalated@prospect.com",
            {"kind": "initial", **version, "rule": mid_market, "pool": inside_sales, "owner": ana},
            {"kind": "escalation", **version, "rule": mid_market, "pool": closers, "owner": bo},
            {"kind": "escalation", **version, "rule": None, "pool": None, "owner": dee},
            status="unclaimed",
            ruleset=inbound,
            rule=None,
        ),
        "returned": lead(
            "returned@prospect.com",
            {"kind": "initial", **version, "rule": mid_market, "pool": inside_sales, "owner": ana},
            {"kind": "returned", **version, "rule": demo, "pool": None, "owner": ana},
            {"kind": "escalation", **version, "rule": None, "pool": None, "owner": dee},
            status="escalated",
            ruleset=inbound,
            rule=None,
        ),
        "handed off": lead(
            "signup@prospect.com",
            {"kind": "initial", **version, "rule": signups, "pool": None, "owner": bot},
            {"kind": "handoff", **version, "rule": demo, "pool": closers, "owner": bo},
            status="assigned",
            ruleset=inbound,
            rule=demo,
        ),
        "never routed": lead(
            "early@prospect.com",
            {
                "kind": "initial",
                "ruleset": None,
                "ruleset_version": None,
                "error": "No rule set is active",
            },
        ),
    }
