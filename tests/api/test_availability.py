"""Routing honours what a rep sets in their queue from the next lead on: paused, they get
no new leads (and keep the ones they have); away with a cover, their named accounts'
leads go to the cover, the trace and the owner's message saying so; back, they come
to them again."""

from __future__ import annotations

import pytest
from django.utils import timezone

from routing.explain import why_text
from routing.models import Lead, Notification, Rule
from tests.api.conftest import LEADS_URL
from tests.factories import AccountDomainFactory, NamedAccountFactory

pytestmark = pytest.mark.django_db

ACME_LEAD = {"email": "pat@acme.com", "first_name": "Pat", "company": "Acme Corp"}
DEMO_LEAD = {"email": "sam@prospect.com", "first_name": "Sam", "source": "demo_request"}


@pytest.fixture
def owners(team):
    """Acme Corp is Ana's named account; the first rule routes its leads to her. Demo
    requests go to Ana by name; anything else falls to Dee."""
    account = NamedAccountFactory(name="Acme Corp", owner=team.ana)
    AccountDomainFactory(account=account, domain="acme.com")
    Rule.objects.create(
        ruleset=team.ruleset,
        position=0,
        name="Named accounts",
        conditions={"named_account": True},
        route_to=Rule.RouteTo.ACCOUNT_OWNER,
    )
    return team


@pytest.fixture
def ana_queue(client, owners):
    client.force_login(owners.ana.user)
    return client


def post(api, lead: dict) -> dict:
    response = api.post(LEADS_URL, lead, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_paused_rep_gets_no_new_leads_from_the_next_one_on_and_keeps_the_ones_they_have(
    api, ana_queue, owners
):
    before = post(api, DEMO_LEAD)  # routes, and so builds this process's snapshot
    assert before["owner"]["name"] == "Ana"

    ana_queue.post("/queue/availability/pause/")
    demo = post(api, {**DEMO_LEAD, "email": "kim@prospect.com"})
    account = post(api, ACME_LEAD)

    assert demo["owner"]["name"] == "Dee"
    assert account["owner"]["name"] == "Dee"
    assert ("Ana", "paused new leads") in [
        (step.get("rep"), step.get("reason")) for step in account["decision"]["steps"]
    ]
    assert Lead.objects.get(pk=before["id"]).owner == owners.ana
    assert Notification.objects.filter(kind="owner.bypassed", rep=owners.ana).exists()

    ana_queue.post("/queue/availability/resume/")
    assert post(api, {**DEMO_LEAD, "email": "lee@prospect.com"})["owner"]["name"] == "Ana"


def test_the_cover_takes_an_away_owners_account_leads_until_they_are_back(api, ana_queue, owners):
    assert post(api, ACME_LEAD)["owner"]["name"] == "Ana"

    ana_queue.post(
        "/queue/availability/away/",
        {"until": "2099-01-05T09:00", "cover": owners.bo.pk},
    )
    covered = post(api, {**ACME_LEAD, "email": "jo@acme.com"})
    other = post(api, DEMO_LEAD)

    assert covered["owner"]["name"] == "Bo"
    assert covered["rule"]["name"] == "Named accounts"
    reason = "out of office until 2099-01-05 09:00 (UTC)"
    assert f"Bo took it, covering for Ana, {reason}." in why_text(
        Lead.objects.get(pk=covered["id"]).decisions.get()
    )
    # The cover takes account leads only: Ana's demo requests follow the rules.
    assert other["owner"]["name"] == "Dee"
    told = Notification.objects.filter(kind="owner.bypassed", rep=owners.ana)
    assert told.exists() and {row.lead_id for row in told} == {covered["id"]}

    ana_queue.post("/queue/availability/back/")
    assert post(api, {**ACME_LEAD, "email": "max@acme.com"})["owner"]["name"] == "Ana"


def test_a_cover_who_is_paused_is_passed_over_too_and_the_lead_follows_the_rules(
    api, client, ana_queue, owners
):
    ana_queue.post(
        "/queue/availability/away/",
        {"until": "2099-01-05T09:00", "cover": owners.bo.pk},
    )
    owners.bo.paused_at = timezone.now()
    owners.bo.save()

    body = post(api, ACME_LEAD)

    assert body["owner"]["name"] == "Dee"
    assert ("Bo", "paused new leads (the cover)") in [
        (step.get("rep"), step.get("reason")) for step in body["decision"]["steps"]
    ]
