from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from routing.models import IntakeKey, LeadEvent, RoutingDecision
from tests.factories import AssignmentFactory, LeadFactory, RuleFactory

STEPS = [
    {"rule": "Named accounts", "matched": False, "reason": "no named account"},
    {
        "rule": "Enterprise <script>",
        "matched": True,
        "pool": "Enterprise",
        "skipped": [{"rep": "bo@example.com", "reason": "out of office"}],
    },
    {"picked": "ana@example.com", "method": "round_robin"},
]


@pytest.fixture
def routed_lead(db):
    """A lead with the whole trail: a decision with steps, an assignment, an event."""
    rule = RuleFactory(name="Enterprise")
    lead = LeadFactory(
        company="Acme",
        source="demo_request",
        ruleset=rule.ruleset,
        rule=rule,
        payload={"email": "pat@acme.com", "company": "Acme", "employee_count": 900},
        attributes={"plan": "pro"},
    )
    decision = RoutingDecision.objects.create(
        lead=lead,
        ruleset=rule.ruleset,
        ruleset_version=3,
        rule=rule,
        rule_name=rule.name,
        owner=rule.route_rep,
        steps=STEPS,
        elapsed_us=42,
    )
    now = timezone.now()
    assignment = AssignmentFactory(
        lead=lead, rep=rule.route_rep, decision=decision, ack_due_at=now + timedelta(minutes=15)
    )
    lead.owner = rule.route_rep
    lead.status = lead.Status.ASSIGNED
    lead.save()
    LeadEvent.objects.create(
        lead=lead,
        kind=LeadEvent.Kind.ROUTED,
        actor="system",
        assignment=assignment,
        data={"rule": rule.name, "rep": rule.route_rep.email},
    )
    return lead


@pytest.fixture
def intake_key(db):
    key, _ = IntakeKey.objects.create_key(name="Website demo form")
    return key
