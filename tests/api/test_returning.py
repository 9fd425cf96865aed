"""A lead that submits again while open: it joins its lead, unless someone must act on
it — an unclaimed lead is routed again through the rules; one an AI agent has is routed
again when it comes back with higher intent (another rule); with `higher_rule`, also one
a person has when it matches a rule above its own. The decision says why."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from routing.models import Lead, Notification, Rule, RuleSet
from routing.notifications.messages import message_for
from routing.services.escalation import assignments_escalate_overdue
from tests.api.conftest import LEADS_URL

pytestmark = pytest.mark.django_db

PAT = {"email": "pat@prospect.com", "first_name": "Pat", "company": "Prospect Inc"}


@pytest.fixture
def pricing(team):
    """A third rule: pricing-page leads to Bo."""
    return Rule.objects.create(
        ruleset=team.ruleset,
        position=3,
        name="Pricing page",
        conditions={"source": "pricing_page"},
        route_to=Rule.RouteTo.REP,
        route_rep=team.bo,
    )


def post(api, **fields):
    return api.post(LEADS_URL, {**PAT, **fields}, format="json")


def latest_decision(lead_id: int):
    return Lead.objects.get(pk=lead_id).decisions.order_by("-id").first()


def test_a_returning_unclaimed_lead_is_routed_again_through_the_rules(api, team):
    lead_id = post(api, source="demo_request").json()["id"]
    for round_ in range(1, 4):  # Ana, then the closers twice: nobody acknowledges
        with time_machine.travel(timezone.now() + round_ * timedelta(minutes=15, seconds=1)):
            assignments_escalate_overdue()
    lead = Lead.objects.get(pk=lead_id)
    assert lead.status == Lead.Status.UNCLAIMED

    response = post(api, source="demo_request", message="Still waiting!")

    assert response.status_code == 200 and response.json()["duplicate"] is True
    assert response.json()["owner"]["name"] == "Ana"
    lead.refresh_from_db()
    assert lead.owner == team.ana and lead.status == Lead.Status.ASSIGNED
    assert lead.escalation_count == 0 and not lead.queue_pools.exists()
    assert lead.message == "Still waiting!"
    decision = latest_decision(lead_id)
    assert decision.kind == "returned"
    assert decision.steps[0] == {
        "step": "returned",
        "why": "returned while it waited unclaimed: routed again through the rules",
    }
    assert Notification.objects.filter(lead=lead, kind="lead.assigned", rep=team.ana).exists()


def test_intent_that_comes_back_leaves_the_ai_agent_for_the_rule_it_matches(api, team):
    lead_id = post(api, source="free_signup").json()["id"]
    assert Lead.objects.get(pk=lead_id).owner == team.bot

    response = post(api, source="demo_request", message="Need pricing for 200 stores")

    assert response.status_code == 200
    lead = Lead.objects.get(pk=lead_id)
    assert lead.owner == team.ana and lead.source == "demo_request"
    decision = latest_decision(lead_id)
    assert decision.kind == "returned" and decision.rule == team.demo
    assert decision.steps[0]["why"] == (
        "returned with higher intent: matches “Demo requests” while an AI agent (SDR Bot) has it"
    )
    moved = Notification.objects.get(lead=lead, kind="lead.moved", rep=team.bot)
    assert "It is now with Ana." in message_for(moved).note
    ended = lead.assignments.get(rep=team.bot)
    assert ended.ended_at is not None and ended.end_reason == "reassigned"
    assert lead.assignments.filter(ended_at__isnull=True).get().rep == team.ana


def test_the_same_intent_again_stays_with_the_agent(api, team):
    lead_id = post(api, source="free_signup").json()["id"]

    post(api, source="free_signup", message="Signing up again")

    lead = Lead.objects.get(pk=lead_id)
    assert lead.owner == team.bot and lead.decisions.count() == 1


def test_a_person_keeps_a_returning_lead_unless_the_rule_set_says_higher_rule(api, team, pricing):
    lead_id = post(api, source="pricing_page").json()["id"]
    assert Lead.objects.get(pk=lead_id).owner == team.bo

    post(api, source="demo_request")  # default agent_owned: Bo is a person

    lead = Lead.objects.get(pk=lead_id)
    assert lead.owner == team.bo and lead.decisions.count() == 1
    assert Notification.objects.filter(lead=lead, kind="lead.returned", rep=team.bo).exists()

    team.ruleset.reroute_returning = RuleSet.RerouteReturning.HIGHER_RULE
    team.ruleset.save()
    post(api, source="demo_request", message="Ready to buy")

    lead.refresh_from_db()
    assert lead.owner == team.ana
    decision = latest_decision(lead_id)
    assert decision.steps[0]["why"] == (
        "returned with higher intent: matches “Demo requests” (rule 1), "
        "above “Pricing page” (rule 3)"
    )
    assert Notification.objects.filter(lead=lead, kind="lead.moved", rep=team.bo).exists()


def test_a_lower_rule_never_takes_a_lead_away(api, team, pricing):
    team.ruleset.reroute_returning = RuleSet.RerouteReturning.HIGHER_RULE
    team.ruleset.save()
    lead_id = post(api, source="demo_request").json()["id"]

    post(api, source="pricing_page")

    assert Lead.objects.get(pk=lead_id).owner == team.ana


def test_never_keeps_even_an_agents_lead(api, team):
    team.ruleset.reroute_returning = RuleSet.RerouteReturning.NEVER
    team.ruleset.save()
    lead_id = post(api, source="free_signup").json()["id"]

    post(api, source="demo_request")

    assert Lead.objects.get(pk=lead_id).owner == team.bot
