"""A rep's two capacity limits through the API: open leads (owned without a final
outcome, acknowledged or not) and unacknowledged leads, each named in the trace."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import LEADS_URL
from tests.team import submit

pytestmark = pytest.mark.django_db


def as_rep(rep) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=rep.user)
    return client


def give_leads(count: int) -> list:
    return [submit(source="demo_request", email=f"lead{n}@prospect.com") for n in range(count)]


def demo_request(api: APIClient) -> dict:
    response = api.post(
        LEADS_URL, {"email": "next@prospect.com", "source": "demo_request"}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def skips(body: dict) -> list[tuple[str, str]]:
    return [
        (step["rep"], step["reason"])
        for step in body["decision"]["steps"]
        if step["step"] == "skip"
    ]


def test_a_rep_at_max_open_with_acknowledged_leads_is_skipped(team, api):
    team.ana.max_open = 3
    team.ana.save()
    ana = as_rep(team.ana)
    for lead in give_leads(3):
        assert ana.post(f"/api/v1/leads/{lead.pk}/acknowledge/").status_code == 200
        response = ana.post(
            f"/api/v1/leads/{lead.pk}/outcome/", {"outcome": "contacted"}, format="json"
        )
        assert response.status_code == 200

    body = demo_request(api)

    assert body["owner"]["name"] == "Dee"
    assert ("Ana", "at capacity: 3 of 3 open leads") in skips(body)


def test_a_rep_whose_leads_were_converted_or_disqualified_gets_new_ones(team, api):
    team.ana.max_open = 3
    team.ana.save()
    ana = as_rep(team.ana)
    leads = give_leads(3)
    for lead, outcome in zip(leads, ("converted", "disqualified"), strict=False):
        response = ana.post(
            f"/api/v1/leads/{lead.pk}/outcome/", {"outcome": outcome}, format="json"
        )
        assert response.status_code == 200

    body = demo_request(api)

    assert body["owner"]["name"] == "Ana"
    assert skips(body) == []


def test_max_unacknowledged_counts_only_leads_waiting_for_acknowledgment(team, api):
    team.ana.max_unacknowledged = 2
    team.ana.save()
    first, _ = give_leads(2)

    body = demo_request(api)
    assert body["owner"]["name"] == "Dee"
    assert ("Ana", "at capacity: 2 of 2 unacknowledged leads") in skips(body)

    assert as_rep(team.ana).post(f"/api/v1/leads/{first.pk}/acknowledge/").status_code == 200
    response = api.post(
        LEADS_URL, {"email": "later@prospect.com", "source": "demo_request"}, format="json"
    )
    assert response.json()["owner"]["name"] == "Ana"
