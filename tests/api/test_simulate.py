"""POST /api/v1/route/simulate/: what intake would decide, with nothing stored or moved."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from routing.models import PoolRotation
from tests.api.conftest import DEMO_LEAD, LEADS_URL, SIMULATE_URL, stored_counts
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PRICING_LEAD = {"email": "sam@prospect.com", "source": "pricing_page"}


def rotations() -> list[tuple]:
    return list(PoolRotation.objects.values_list("pool_id", "cursor", "weights"))


def test_a_simulation_decides_without_storing_or_rotating(api, routing):
    before, rotation = stored_counts(), rotations()

    answers = [api.post(SIMULATE_URL, PRICING_LEAD, format="json") for _ in range(2)]

    assert [a.status_code for a in answers] == [200, 200]
    body = answers[0].json()
    assert body["id"] is None
    assert body["status"] == "simulated"
    assert body["owner"]["name"] == "Bo Lee"
    assert answers[1].json()["owner"]["name"] == "Bo Lee"  # the rotation did not move
    assert body["rule"] == {"id": routing["pricing"].pk, "name": "Pricing page"}
    assert body["ack_due_at"]
    assert body["duplicate"] is False
    assert body["duplicate_of"] is None
    assert body["decision"]["ruleset"]["name"] == "Inbound"
    assert [step["step"] for step in body["decision"]["steps"]][-1] == "assigned"
    assert stored_counts() == before
    assert rotations() == rotation

    # ...and the real intake then gives the lead to the rep the simulation named.
    real = api.post(LEADS_URL, PRICING_LEAD, format="json").json()
    assert real["owner"]["name"] == "Bo Lee"


def test_a_simulation_names_the_open_lead_it_would_join(api, routing):
    lead_id = api.post(LEADS_URL, DEMO_LEAD, format="json").json()["id"]
    body = api.post(SIMULATE_URL, DEMO_LEAD, format="json").json()
    assert body["duplicate"] is True
    assert body["duplicate_of"] == lead_id


def test_without_an_active_rule_set_the_simulation_says_so(api, routing):
    ruleset = routing["ruleset"]
    ruleset.is_active = False
    ruleset.save()
    body = api.post(SIMULATE_URL, PRICING_LEAD, format="json").json()
    assert body["owner"] is None
    assert body["decision"]["ruleset"] is None
    assert "No rule set is active" in body["decision"]["steps"][0]["error"]


def test_a_simulation_validates_like_intake(api, nothing_stored):
    response = api.post(SIMULATE_URL, {"contry": "US"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"contry", "email"}


def test_a_staff_session_may_simulate_with_a_csrf_token(routing, staff_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff_user)
    assert client.post(SIMULATE_URL, PRICING_LEAD, format="json").status_code == 403  # no token

    client.get("/admin/")  # sets the CSRF cookie, as the browser would have it
    token = client.cookies["csrftoken"].value
    response = client.post(SIMULATE_URL, PRICING_LEAD, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert response.json()["owner"]["name"] == "Bo Lee"


def test_other_users_may_not_simulate(routing, nothing_stored):
    client = APIClient()
    response = client.post(SIMULATE_URL, PRICING_LEAD, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert "sign in to the admin" in response.json()["detail"]

    client.force_login(UserFactory())
    assert client.post(SIMULATE_URL, PRICING_LEAD, format="json").status_code == 403
