"""Rules with alternatives (`any`) and negations (`not`), through intake and simulation:
one rule instead of three copies, and a trace that says which alternative held."""

from __future__ import annotations

from datetime import timedelta

import pytest

from routing.explain import why_text
from routing.models import Lead
from tests.api.conftest import LEADS_URL, SIMULATE_URL, stored_counts
from tests.factories import RepFactory, RuleFactory, RuleSetFactory

pytestmark = pytest.mark.django_db

PAYMENTS_INTENT = {
    "any": [
        {"product": "Payments"},
        {"attributes.interest": "payments"},
        {"message": {"contains": "payments"}},
    ],
    "not": {"source": "event"},
}


@pytest.fixture
def intent(db):
    """Payments intent goes to Ana unless it comes from an event; the rest to Dee."""
    ana = RepFactory(email="ana@example.com", name="Ana Silva")
    dee = RepFactory(email="dee@example.com", name="Dee Fallback")
    ruleset = RuleSetFactory(
        name="Inbound", is_active=True, fallback_rep=dee, ack_sla=timedelta(minutes=15)
    )
    rule = RuleFactory(
        ruleset=ruleset,
        name="Payments intent",
        position=1,
        conditions=PAYMENTS_INTENT,
        route_rep=ana,
    )
    return {"ana": ana, "dee": dee, "rule": rule}


def _rule_step(body: dict) -> dict:
    return next(step for step in body["decision"]["steps"] if step.get("rule") == "Payments intent")


@pytest.mark.parametrize(
    ("submission", "alternative"),
    [
        ({"product": "payments"}, "product is Payments (alternative 1 of 3)"),
        (
            {"attributes": {"interest": "Payments"}},
            "attributes.interest is payments (alternative 2",
        ),
        ({"message": "Need Payments for 200 stores"}, "message contains payments (alternative 3"),
    ],
)
def test_any_alternative_routes_the_lead_and_the_trace_names_it(
    api, intent, submission, alternative
):
    answer = api.post(LEADS_URL, {"email": "sam@shop.com", **submission}, format="json")

    assert answer.status_code == 201
    body = answer.json()
    assert body["owner"]["name"] == "Ana Silva"
    assert body["rule"]["name"] == "Payments intent"
    step = _rule_step(body)
    assert step["matched"] is True
    assert step["matched_on"][0].startswith(alternative)
    assert step["matched_on"][1] == "not: source is event (the lead has nothing)"
    # The owner's "why you got this lead" says it too.
    lead = Lead.objects.get(pk=body["id"])
    assert f"matched on {alternative}" in why_text(lead.decisions.first())


def test_a_lead_meeting_no_alternative_falls_back_and_the_trace_says_why(api, intent):
    body = api.post(
        LEADS_URL, {"email": "sam@shop.com", "product": "Billing"}, format="json"
    ).json()

    assert body["owner"]["name"] == "Dee Fallback"
    assert body["rule"] is None
    assert _rule_step(body)["reason"] == (
        "needs product is Payments, or attributes.interest is payments, or message contains "
        "payments; none held: product is Payments (the lead has 'Billing'); "
        "attributes.interest is payments (the lead has nothing); "
        "message contains payments (the lead has nothing)"
    )


def test_not_keeps_out_a_lead_that_meets_an_alternative(api, intent):
    body = api.post(
        LEADS_URL,
        {"email": "sam@shop.com", "product": "Payments", "source": "Event"},
        format="json",
    ).json()

    assert body["owner"]["name"] == "Dee Fallback"
    assert _rule_step(body)["reason"] == "needs not: source is event; the lead has 'event'"


def test_nested_groups_decide_as_written(api, intent):
    rule = intent["rule"]
    # Payments intent from a work e-mail, or from anyone who is neither at an event nor
    # a partner referral.
    rule.conditions = {
        "product": "Payments",
        "any": [
            {"work_email": True},
            {"not": {"any": [{"source": "event"}, {"source": "partner_referral"}]}},
        ],
    }
    rule.save()

    def owner(**fields):
        body = api.post(LEADS_URL, {"product": "Payments", **fields}, format="json").json()
        return body["owner"]["name"]

    assert owner(email="a@shop.com", source="event") == "Ana Silva"  # work e-mail
    assert owner(email="b@gmail.com", source="contact_form") == "Ana Silva"  # neither
    assert owner(email="c@gmail.com", source="partner_referral") == "Dee Fallback"


def test_a_simulation_explains_alternatives_and_stores_nothing(api, intent):
    before = stored_counts()

    body = api.post(
        SIMULATE_URL,
        {"email": "sam@shop.com", "attributes": {"interest": "payments"}},
        format="json",
    ).json()

    assert body["status"] == "simulated"
    assert body["owner"]["name"] == "Ana Silva"
    assert _rule_step(body)["matched_on"] == [
        "attributes.interest is payments (alternative 2 of 3)",
        "not: source is event (the lead has nothing)",
    ]
    assert stored_counts() == before
