"""POST /api/v1/leads/ routes a lead; GET /api/v1/leads/{id}/ shows what happened to it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from routing.models import Assignment, IntakeKey, Lead, LeadEvent
from tests.api.conftest import DEMO_LEAD, LEADS_URL, stored_counts
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_new_lead_is_stored_routed_and_answered_201(api, intake_key, routing):
    response = api.post(LEADS_URL, DEMO_LEAD, format="json")

    assert response.status_code == 201
    body = response.json()
    lead = Lead.objects.get()
    assignment = Assignment.objects.get()
    ana, ruleset = routing["ana"], routing["ruleset"]
    assert body["id"] == lead.pk
    assert body["status"] == "assigned"
    assert body["duplicate"] is False
    assert body["owner"] == {"id": ana.pk, "name": "Ana Silva", "email": ana.email, "kind": "human"}
    assert body["rule"] == {"id": routing["demo"].pk, "name": "Demo requests"}
    assert parse_datetime(body["ack_due_at"]) == assignment.ack_due_at
    assert assignment.ack_due_at - assignment.assigned_at == timedelta(minutes=15)
    decision = body["decision"]
    assert decision["ruleset"] == {"id": ruleset.pk, "name": "Inbound", "version": ruleset.version}
    assert decision["steps"][0]["rule"] == "Demo requests"
    assert isinstance(decision["elapsed_us"], int)

    assert lead.payload == DEMO_LEAD  # as received
    assert lead.employee_count == 51  # normalized
    assert lead.intake_key == intake_key[0]
    assert lead.owner == ana
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.SUBMITTED).exists()


def test_the_same_email_again_joins_the_open_lead_with_200(api, routing):
    first = api.post(LEADS_URL, DEMO_LEAD, format="json").json()
    again = {**DEMO_LEAD, "email": "PAT@Prospect.com ", "message": "Still interested!"}

    response = api.post(LEADS_URL, again, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["duplicate"] is True
    assert body["id"] == first["id"]
    assert body["owner"] == first["owner"]
    assert body["ack_due_at"] == first["ack_due_at"]
    assert body["decision"] == first["decision"]
    assert Lead.objects.count() == 1
    assert Assignment.objects.count() == 1
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.RESUBMITTED).count() == 1


def test_a_submission_is_checked_against_the_duplicate_window_in_force(api, routing):
    """Intake looks for an open lead of the e-mail over the window of the rule set it
    knows, in the round trip that also tells it whether the rules changed; when they
    did and the window with them, it looks again over the new window."""
    ruleset = routing["ruleset"]
    ruleset.duplicate_window = timedelta(days=1)
    ruleset.save()
    first = api.post(LEADS_URL, DEMO_LEAD, format="json").json()
    Lead.objects.filter(pk=first["id"]).update(created_at=timezone.now() - timedelta(days=3))
    ruleset.duplicate_window = timedelta(days=7)
    ruleset.save()

    response = api.post(LEADS_URL, DEMO_LEAD, format="json")

    assert response.status_code == 200
    assert response.json()["id"] == first["id"]
    assert Lead.objects.count() == 1


def test_state_read_ahead_by_rules_that_changed_meanwhile_is_not_used(api, routing):
    """Intake reads the rotations and loads its process's rules would need with its
    first statements; when the rules changed, routing reads again for the new ones."""
    first = api.post(
        LEADS_URL, {"email": "one@prospect.com", "source": "pricing_page"}, format="json"
    )
    assert first.json()["owner"]["name"] == "Bo Lee"
    demo = routing["demo"]
    demo.route_to, demo.route_rep, demo.route_pool = "pool", None, routing["pool"]
    demo.save()  # demo requests now go through the pool whose turn is Cy's

    response = api.post(LEADS_URL, DEMO_LEAD, format="json")

    assert response.json()["rule"]["name"] == "Demo requests"
    assert response.json()["owner"]["name"] == "Cy Young"


def test_a_pool_rule_rotates_and_nulls_count_as_missing(api, routing):
    owners = []
    for n in range(3):
        lead = {"email": f"lead{n}@prospect.com", "source": "pricing_page", "phone": None}
        response = api.post(LEADS_URL, lead, format="json")
        assert response.status_code == 201, response.json()
        owners.append(response.json()["owner"]["name"])
    assert owners == ["Bo Lee", "Cy Young", "Bo Lee"]


def test_a_lead_no_rule_takes_goes_to_the_fallback(api, routing):
    response = api.post(LEADS_URL, {"email": "pat@prospect.com"}, format="json")
    assert response.status_code == 201
    assert response.json()["owner"]["name"] == "Dee Fallback"
    assert response.json()["rule"] is None


def test_a_lead_shows_its_decisions_and_assignments(api, routing):
    lead_id = api.post(LEADS_URL, DEMO_LEAD, format="json").json()["id"]

    response = api.get(f"{LEADS_URL}{lead_id}/")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == lead_id
    assert body["email"] == "pat@prospect.com"
    assert body["payload"] == DEMO_LEAD
    assert body["owner"]["name"] == "Ana Silva"
    [decision] = body["decisions"]
    assert decision["kind"] == "initial"
    assert decision["ruleset"]["name"] == "Inbound"
    assert decision["rule"] == {"id": routing["demo"].pk, "name": "Demo requests"}
    assert decision["owner"]["name"] == "Ana Silva"
    assert decision["steps"] and isinstance(decision["elapsed_us"], int)
    assert decision["created_at"]
    [assignment] = body["assignments"]
    assert assignment["rep"]["name"] == "Ana Silva"
    assert assignment["reason"] == "routed"
    assert assignment["ack_due_at"]
    assert assignment["acknowledged_at"] is None
    assert assignment["ended_at"] is None
    assert assignment["end_reason"] == ""


def test_a_key_reads_only_the_leads_it_submitted(api, routing):
    lead_id = api.post(LEADS_URL, DEMO_LEAD, format="json").json()["id"]
    _, other = IntakeKey.objects.create_key(name="Signup flow")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {other}")

    response = client.get(f"{LEADS_URL}{lead_id}/")

    assert response.status_code == 404
    assert "submitted with this intake key" in response.json()["detail"]


def test_staff_read_any_lead_other_users_are_refused(api, routing, staff_user):
    lead_id = api.post(LEADS_URL, DEMO_LEAD, format="json").json()["id"]
    url = f"{LEADS_URL}{lead_id}/"
    client = APIClient()
    assert client.get(url).status_code == 401

    client.force_login(UserFactory())
    assert client.get(url).status_code == 403

    client.force_login(staff_user)
    assert client.get(url).json()["id"] == lead_id
    assert client.get(f"{LEADS_URL}{lead_id + 1000}/").status_code == 404


def test_intake_takes_no_session_only_a_key(routing, staff_user):
    client = APIClient()
    client.force_login(staff_user)
    before = stored_counts()
    response = client.post(LEADS_URL, DEMO_LEAD, format="json")
    assert response.status_code == 401
    assert stored_counts() == before


def test_answering_reads_nothing_back(api, routing, statements_logged):
    """The answer comes from what intake wrote or read; reading it back again would cost
    a query per field on the hottest path there is."""
    api.post(LEADS_URL, DEMO_LEAD, format="json")  # builds the routing snapshot
    with CaptureQueriesContext(connection) as queries:
        response = api.post(LEADS_URL, {**DEMO_LEAD, "email": "sam@other.com"}, format="json")

    assert response.status_code == 201
    statements = [query["sql"].split()[0] for query in queries]
    writes = ("INSERT", "UPDATE")
    last_write = max(i for i, verb in enumerate(statements) if verb in writes)
    assert set(statements[last_write + 1 :]) <= {"RELEASE", "COMMIT"}
    # 21 before the answer stopped reading back; one more since the outbox is written.
    assert len(statements) <= 16


@pytest.mark.parametrize(
    "backend", ["config.redis_cache.RedisCache", "django.core.cache.backends.redis.RedisCache"]
)
def test_a_lead_is_taken_even_when_the_rate_counter_is_unreachable(api, routing, settings, backend):
    settings.CACHES = {
        "default": {
            "BACKEND": backend,
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    response = api.post(LEADS_URL, DEMO_LEAD, format="json")
    assert response.status_code == 201
    assert Lead.objects.count() == 1


def test_the_answer_is_what_its_documented_serializer_gives(routing):
    from routing.api.responses import LeadRoutedSerializer, lead_routed_body
    from routing.api.serializers import LeadSubmissionSerializer
    from routing.services import lead_intake

    def intake(body):
        submission = LeadSubmissionSerializer(data=body)
        submission.is_valid(raise_exception=True)
        values, payload = submission.validated_data["values"], submission.validated_data["payload"]
        return lead_intake(values=values, payload=payload, intake_key=None)

    results = [
        intake(DEMO_LEAD),  # a rule and its rep
        intake(DEMO_LEAD),  # joins it
        intake({"email": "sam@prospect.com"}),  # the fallback
    ]
    ruleset = routing["ruleset"]
    ruleset.is_active = False
    ruleset.save()
    results.append(intake({"email": "lee@prospect.com"}))  # no rule set: nobody, no owner

    assert [result.created for result in results] == [True, False, True, True]
    assert results[-1].routed.owner is None
    for result in results:
        assert lead_routed_body(result) == LeadRoutedSerializer(result).data
