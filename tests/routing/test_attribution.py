"""A lead is credited to the rule and the pool that first routed it: escalations and
hand-offs record their own target on their decision and leave the lead's routing
alone, so the dashboard's and the API's conversion by rule and by pool count each lead
once, where it first went; fairness counts distinct leads."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from reps.models import Pool
from routing.imports import lead_import_create, lead_import_run
from routing.metrics import lead_metrics
from routing.models import Lead, RoutingDecision, Rule
from routing.services.acknowledge import assignment_acknowledge
from routing.services.escalation import assignments_escalate_overdue
from routing.services.handoff import lead_handoff
from routing.services.work import lead_record_outcome
from tests.admin.helpers import admin_url
from tests.factories import PoolMembershipFactory
from tests.team import Team, build_team, submit

pytestmark = pytest.mark.django_db

T = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SLA = timedelta(minutes=15)
PERIOD = {"start": "2026-11-23", "end": "2026-11-25"}


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def team(db, receiver) -> Team:
    """The team as set up the day before the leads: the Closers were members all along,
    as the pool's membership history says."""
    with at(T - timedelta(days=1)):
        return build_team(receiver)


@pytest.fixture
def mid_market(team) -> Rule:
    """Pricing-page leads go to the Inside Sales pool (Ana); the rule set escalates to
    the Closers (Bo, Cy), twice, then leaves the lead unclaimed."""
    with at(T - timedelta(days=1)):
        inside_sales = Pool.objects.create(name="Inside Sales")
        PoolMembershipFactory(pool=inside_sales, rep=team.ana)
    return Rule.objects.create(
        ruleset=team.ruleset,
        position=3,
        name="Mid-market",
        conditions={"source": "pricing_page"},
        route_to=Rule.RouteTo.POOL,
        route_pool=inside_sales,
    )


def escalate_until_unclaimed(lead: Lead, *, start: datetime) -> datetime:
    """Let every deadline pass: two escalations, then the shared queue."""
    moment = start
    for _ in range(3):
        moment += SLA + timedelta(seconds=1)
        with at(moment):
            assert assignments_escalate_overdue() == 1
    lead.refresh_from_db()
    assert lead.status == Lead.Status.UNCLAIMED
    return moment


def figures() -> dict:
    with at(T + timedelta(hours=5)):
        return lead_metrics(
            start=datetime(2026, 11, 23, tzinfo=UTC), end=datetime(2026, 11, 26, tzinfo=UTC)
        )


def test_a_lead_escalated_twice_then_unclaimed_counts_under_its_first_rule_and_pool(
    team, mid_market, admin_client
):
    # Bo alone in the Closers: the second escalation has nobody there and falls to the
    # fallback, Dee (a decision with no rule, which used to leave the lead without one).
    team.closers.memberships.filter(rep=team.cy).delete()
    with at(T):
        lead = submit(email="storm@prospect.com", source="pricing_page")
        converted = submit(email="won@prospect.com", source="demo_request")
    with at(T + timedelta(minutes=1)):
        assignment_acknowledge(assignment=converted.assignments.get(), rep=team.ana, via="test")
    with at(T + timedelta(minutes=2)):
        lead_record_outcome(lead=converted, rep=team.ana, outcome="converted")
    escalate_until_unclaimed(lead, start=T)

    decisions = list(lead.decisions.order_by("id"))
    assert [(d.kind, d.rule_name, d.pool, d.owner) for d in decisions] == [
        (RoutingDecision.Kind.INITIAL, "Mid-market", mid_market.route_pool, team.ana),
        (RoutingDecision.Kind.ESCALATION, "Mid-market", team.closers, team.bo),
        (RoutingDecision.Kind.ESCALATION, "", None, team.dee),
    ]
    assert (lead.ruleset, lead.rule, lead.pool) == (
        team.ruleset,
        mid_market,
        mid_market.route_pool,
    )
    # The rule still applies to it: it waits where its own pool can take it too.
    assert sorted(lead.waiting_for()) == ["Closers", "Inside Sales"]

    result = figures()
    assert result["conversion_by_rule"] == [
        {"name": "Demo requests", "leads": 1, "converted": 1, "rate": 1.0},
        {"name": "Mid-market", "leads": 1, "converted": 0, "rate": 0.0},
    ]
    assert result["conversion_by_pool"] == [
        {"name": "(no pool)", "leads": 1, "converted": 1, "rate": 1.0},
        {"name": "Inside Sales", "leads": 1, "converted": 0, "rate": 0.0},
    ]

    html = admin_client.get("/dashboard/", PERIOD).content.decode()
    assert "(fallback)" not in html
    # The page's tables, as their downloads give them.
    assert ("Mid-market", "1", "0") in table_rows(admin_client, "rules")
    assert ("Inside Sales", "1", "0") in table_rows(admin_client, "pools")
    body = admin_client.get("/api/v1/metrics/", PERIOD).json()
    assert body["conversion_by_rule"] == result["conversion_by_rule"]
    assert body["conversion_by_pool"] == result["conversion_by_pool"]


def table_rows(client, table: str) -> set[tuple[str, ...]]:
    response = client.get(f"/dashboard/{table}.csv", PERIOD)
    text = b"".join(response.streaming_content).decode()
    return {tuple(row[:3]) for row in csv.reader(io.StringIO(text))}


def test_the_lead_page_and_the_api_show_the_first_routing_and_each_decisions_target(
    team, mid_market, admin_client
):
    with at(T):
        lead = submit(email="storm@prospect.com", source="pricing_page")
    escalate_until_unclaimed(lead, start=T)

    page = admin_client.get(admin_url(Lead, "change", lead.pk)).content.decode()
    routing = page.split('class="fieldset-heading">Routing</h2>')[1].split("</fieldset>")[0]
    assert "Routed by rule:</label>" in routing and "Mid-market" in routing
    assert "Routed from pool:</label>" in routing and ">Inside Sales</a>" in routing
    decisions = page.split('id="decisions-group"')[1].split('id="assignments-group"')[0]
    assert decisions.count(">Closers</a></p>") == 2  # the two escalations' own pool

    body = admin_client.get(f"/api/v1/leads/{lead.pk}/").json()
    assert (body["rule"]["name"], body["pool"]["name"]) == ("Mid-market", "Inside Sales")
    assert [(d["kind"], (d["pool"] or {}).get("name")) for d in body["decisions"]] == [
        ("initial", "Inside Sales"),
        ("escalation", "Closers"),
        ("escalation", "Closers"),
    ]


def test_fairness_counts_distinct_leads_per_pool_and_per_member(team, mid_market, admin_client):
    with at(T):
        lead = submit(email="storm@prospect.com", source="pricing_page")
    unclaimed_at = escalate_until_unclaimed(lead, start=T)
    # It comes back while unclaimed: routed through the rules again, to Ana again.
    with at(unclaimed_at + timedelta(minutes=1)):
        submit(email="storm@prospect.com", source="pricing_page")
    assert list(lead.assignments.values_list("rep__name", flat=True)) == [
        "Ana",
        "Bo",
        "Cy",
        "Ana",
    ]

    fairness = {pool["pool"]: pool for pool in figures()["fairness"]}
    closers, inside_sales = fairness["Closers"], fairness["Inside Sales"]
    assert (closers["leads"], closers["leads_to_several_members"]) == (1, 1)
    assert [(m["rep"], m["leads"], m["expected"]) for m in closers["members"]] == [
        ("Bo", 1, 1.0),
        ("Cy", 1, 1.0),
    ]
    assert (inside_sales["leads"], inside_sales["leads_to_several_members"]) == (1, 0)
    assert [(m["rep"], m["leads"]) for m in inside_sales["members"]] == [("Ana", 1)]

    html = admin_client.get("/dashboard/", PERIOD).content.decode()
    assert 'Closers <span class="muted">· Round robin (strict rotation) · 1 lead</span>' in html
    assert "1 of them went to more than one member" in html
    figures_json = html.split('<script id="figures" type="application/json">')[1]
    shown = json.loads(figures_json.split("</script>")[0])
    assert shown["fairness"] == figures()["fairness"]


def test_a_returning_lead_routed_through_the_rules_again_is_credited_to_that_routing(
    team, mid_market
):
    with at(T):
        lead = submit(email="back@prospect.com", source="pricing_page")
    unclaimed_at = escalate_until_unclaimed(lead, start=T)
    with at(unclaimed_at + timedelta(minutes=1)):
        submit(email="back@prospect.com", source="demo_request")
    lead.refresh_from_db()
    assert lead.decisions.order_by("id").last().kind == RoutingDecision.Kind.RETURNED
    assert (lead.rule, lead.pool, lead.owner) == (team.demo, None, team.ana)
    result = figures()
    assert [row["name"] for row in result["conversion_by_rule"]] == ["Demo requests"]
    assert [row["name"] for row in result["conversion_by_pool"]] == ["(no pool)"]


def test_a_hand_off_leaves_the_lead_credited_to_the_agents_routing(team):
    with at(T):
        lead = submit(email="signup@prospect.com", source="free_signup")
    with at(T + timedelta(minutes=1)):
        lead_handoff(lead=lead, agent=team.bot, note="wants a person")
    lead.refresh_from_db()
    handoff = lead.decisions.order_by("id").last()
    assert (handoff.kind, handoff.pool) == (RoutingDecision.Kind.HANDOFF, team.closers)
    assert (lead.rule, lead.pool) == (team.signups, None)
    assert figures()["conversion_by_pool"] == [
        {"name": "(no pool)", "leads": 1, "converted": 0, "rate": 0.0}
    ]


def test_an_imported_lead_keeps_the_pool_that_routed_it(team, mid_market):
    data = b"email,company,source\nlist@prospect.com,Prospect Inc,pricing_page\n"
    lead_import = lead_import_create(name="expo.csv", notify="digest", size=len(data))
    lead_import_run(lead_import=lead_import, source=io.BytesIO(data))
    lead = Lead.objects.get(email="list@prospect.com")
    assert (lead.rule, lead.pool, lead.owner) == (mid_market, mid_market.route_pool, team.ana)
