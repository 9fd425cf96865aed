"""POST /api/v1/leads/{id}/acknowledge/, .../outcome/, .../handoff/: the owner acts,
as an AI agent's key or as a rep signed in; nobody else."""

from __future__ import annotations

import pytest
from django.http import HttpRequest
from rest_framework.test import APIClient

from routing.models import Assignment, IntakeKey, Lead, LeadEvent
from tests.team import submit

pytestmark = pytest.mark.django_db


def agent_client(rep) -> APIClient:
    _, raw = IntakeKey.objects.create_key(name=f"{rep.name} key", rep=rep)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def rep_client(rep) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=rep.user)
    return client


@pytest.fixture
def signup(team):
    return submit(source="free_signup", email="dev@gmail.com", first_name="Dev")


def test_an_agent_hands_a_lead_to_the_rules_hand_off_pool_with_its_note(team, signup):
    response = agent_client(team.bot).post(
        f"/api/v1/leads/{signup.pk}/handoff/",
        {"note": "Wants 40 seats, ready to buy"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["owner"]["name"] in ("Bo", "Cy")
    signup.refresh_from_db()
    assert signup.handoff_note == "Wants 40 seats, ready to buy"
    agent_assignment = signup.assignments.get(rep=team.bot)
    assert agent_assignment.end_reason == Assignment.EndReason.HANDED_OFF
    new = signup.assignments.get(ended_at__isnull=True)
    assert new.reason == Assignment.Reason.HANDOFF and new.decision.kind == "handoff"
    assert new.decision.steps[0] == {"step": "handoff", "route": "pool Closers"}
    assert signup.events.get(kind=LeadEvent.Kind.HANDED_OFF).data["note"].startswith("Wants")


def test_without_a_hand_off_target_the_rules_run_again_without_agents(team, signup):
    team.signups.handoff_to_pool = None
    team.signups.save()
    response = agent_client(team.bot).post(
        f"/api/v1/leads/{signup.pk}/handoff/", {"note": "Not for me"}, format="json"
    )
    assert response.status_code == 200
    # The rules send free signups to the agent; agents are excluded, so the fallback.
    assert response.json()["owner"]["name"] == "Dee"


def test_a_hand_off_needs_a_note(team, signup):
    response = agent_client(team.bot).post(f"/api/v1/leads/{signup.pk}/handoff/", {}, format="json")
    assert response.status_code == 400 and "note" in response.json()
    assert signup.assignments.get().ended_at is None


def test_only_agents_hand_off(team):
    lead = submit(source="demo_request")
    response = agent_client(team.ana).post(
        f"/api/v1/leads/{lead.pk}/handoff/", {"note": "x"}, format="json"
    )
    assert response.status_code == 409
    assert "Only an AI agent" in response.json()["detail"]


def test_an_agent_key_acknowledges_its_lead(team, signup):
    response = agent_client(team.bot).post(f"/api/v1/leads/{signup.pk}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"


def test_a_signed_in_rep_acknowledges_and_records_an_outcome(team):
    lead = submit(source="demo_request")
    client = rep_client(team.ana)
    assert client.post(f"/api/v1/leads/{lead.pk}/acknowledge/").status_code == 200
    response = client.post(
        f"/api/v1/leads/{lead.pk}/outcome/",
        {"outcome": "disqualified", "note": "Student project"},
        format="json",
    )
    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.status == Lead.Status.DISQUALIFIED and lead.outcome_note == "Student project"


def test_a_bad_outcome_is_a_400_and_changes_nothing(team):
    lead = submit(source="demo_request")
    response = rep_client(team.ana).post(
        f"/api/v1/leads/{lead.pk}/outcome/", {"outcome": "won"}, format="json"
    )
    assert response.status_code == 400 and "outcome" in response.json()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.ASSIGNED


def test_someone_elses_lead_is_not_found(team):
    lead = submit(source="demo_request")
    for client in (rep_client(team.bo), agent_client(team.bot)):
        response = client.post(f"/api/v1/leads/{lead.pk}/acknowledge/")
        assert response.status_code == 404
    assert lead.assignments.get().acknowledged_at is None


def test_a_source_key_cannot_act_on_leads(team):
    lead = submit(source="demo_request")
    _, raw = IntakeKey.objects.create_key(name="Website form")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    response = client.post(f"/api/v1/leads/{lead.pk}/acknowledge/")
    assert response.status_code == 403
    assert "agent's key" in response.json()["detail"]
    assert APIClient().post(f"/api/v1/leads/{lead.pk}/acknowledge/").status_code == 401


def test_a_session_needs_csrf(team):
    lead = submit(source="demo_request")
    client = APIClient(enforce_csrf_checks=True)
    client.login(request=HttpRequest(), username="ana@example.com", password="pass-word-123")
    response = client.post(f"/api/v1/leads/{lead.pk}/acknowledge/")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
