"""Account owners keep their accounts: a rule routing to the named account's owner with
`ignore_capacity` gives them the lead even at their capacity limits, the trace saying
so; an owner passed over (out of office, or at capacity without it) is told where the
lead went and why, once, on their own channels, with a link they can open."""

from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from routing.explain import why_text
from routing.imports import lead_import_create, lead_import_run
from routing.models import Lead, Notification, Rule
from routing.services.delivery import notifications_send_due
from tests.api.conftest import LEADS_URL, SIMULATE_URL, stored_counts
from tests.factories import AccountDomainFactory, NamedAccountFactory
from tests.team import submit

pytestmark = pytest.mark.django_db

ACME_LEAD = {"email": "pat@acme.com", "first_name": "Pat", "company": "Acme Corp"}


@pytest.fixture
def owners(team):
    """Acme Corp is Ana's named account; the first rule routes its leads to her. Other
    leads without a source fall to Dee."""
    account = NamedAccountFactory(name="Acme Corp", owner=team.ana)
    AccountDomainFactory(account=account, domain="acme.com")
    team.named = Rule.objects.create(
        ruleset=team.ruleset,
        position=0,
        name="Named accounts",
        conditions={"named_account": True},
        route_to=Rule.RouteTo.ACCOUNT_OWNER,
    )
    return team


def keep_at_capacity(team, keep: bool = True) -> None:
    team.named.ignore_capacity = keep
    team.named.save()


def fill(team, **limits) -> None:
    """Ana reaches her limit with one lead she has not acknowledged."""
    for name, value in limits.items():
        setattr(team.ana, name, value)
    team.ana.save()
    submit(source="demo_request", email="earlier@prospect.com")
    Notification.objects.all().delete()  # that lead's own messages are not the subject


def post(api: APIClient, **fields) -> dict:
    response = api.post(LEADS_URL, {**ACME_LEAD, **fields}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def steps_of(body: dict, kind: str) -> list[dict]:
    return [step for step in body["decision"]["steps"] if step["step"] == kind]


def passed_over_messages() -> list[Notification]:
    return list(Notification.objects.filter(kind="owner.bypassed").order_by("id"))


@pytest.mark.parametrize(
    ("limits", "reached"),
    [
        ({"max_open": 1}, "at capacity: 1 of 1 open leads"),
        ({"max_unacknowledged": 1}, "at capacity: 1 of 1 unacknowledged leads"),
        ({"max_per_day": 1}, "daily limit reached: 1 of 1 today"),
    ],
)
def test_an_owner_at_capacity_keeps_the_account_when_the_rule_ignores_capacity(
    api, owners, limits, reached
):
    keep_at_capacity(owners)
    fill(owners, **limits)

    body = post(api)

    assert body["owner"]["name"] == "Ana"
    assert body["rule"]["name"] == "Named accounts"
    (kept,) = steps_of(body, "kept")
    assert kept["rep"] == "Ana"
    assert kept["reason"] == f"{reached}; kept as account owner"
    assert steps_of(body, "skip") == []
    lead = Lead.objects.get(pk=body["id"])
    assert f"Ana kept it as the account's owner ({reached}; kept as account owner)." in why_text(
        lead.decisions.get()
    )
    assert passed_over_messages() == []


def test_without_ignore_capacity_the_owner_at_capacity_is_passed_over_and_told(
    api, owners, receiver
):
    fill(owners, max_open=1)

    body = post(api)

    assert body["owner"]["name"] == "Dee"
    assert ("Ana", "at capacity: 1 of 1 open leads") in [
        (step["rep"], step["reason"]) for step in steps_of(body, "skip")
    ]
    told = passed_over_messages()
    assert [(row.channel, row.rep_id) for row in told] == [
        ("slack", owners.ana.pk),
        ("webhook", owners.ana.pk),
        ("email", owners.ana.pk),
    ]
    assert notifications_send_due() == 3

    line = (
        "Acme Corp is your named account, but this lead did not come to you "
        "(at capacity: 1 of 1 open leads). It is now with Dee."
    )
    (slack,) = receiver.to("/slack/ana")
    assert slack.json["text"] == "Your account's lead went to someone else: Pat (Acme Corp)"
    assert line in [block["text"]["text"] for block in slack.json["blocks"] if "text" in block]
    assert "actions" not in [block["type"] for block in slack.json["blocks"]]  # nothing to ack
    (hook,) = receiver.to("/hooks/ana")
    payload = Webhook(owners.ana.webhook_secret).verify(hook.body, hook.headers)
    assert payload["type"] == "owner.bypassed"
    assert payload["data"]["account"] == "Acme Corp"
    assert payload["data"]["reason"] == "at capacity: 1 of 1 open leads"
    assert payload["data"]["assignment"]["owner"]["name"] == "Dee"
    assert payload["links"]["acknowledge"] == ""
    assert payload["links"]["lead"].endswith(f"/queue/leads/{body['id']}/")
    (email,) = mail.outbox
    assert email.to == ["ana@example.com"]
    assert line in email.body
    assert f"/queue/leads/{body['id']}/" in email.body


def test_an_owner_out_of_office_is_passed_over_even_with_ignore_capacity_and_told_until_when(
    api, owners, receiver
):
    keep_at_capacity(owners)
    owners.ana.timezone = "America/New_York"
    owners.ana.out_of_office_until = timezone.now() + timedelta(days=2)
    owners.ana.save()
    back = owners.ana.out_of_office_until.astimezone(ZoneInfo("America/New_York"))

    body = post(api)

    assert body["owner"]["name"] == "Dee"
    reason = f"out of office until {back:%Y-%m-%d %H:%M} (America/New_York)"
    assert ("Ana", reason) in [(step["rep"], step["reason"]) for step in steps_of(body, "skip")]
    assert steps_of(body, "kept") == []
    assert len(passed_over_messages()) == 3
    notifications_send_due()
    (slack,) = receiver.to("/slack/ana")
    texts = [block["text"]["text"] for block in slack.json["blocks"] if "text" in block]
    assert f"did not come to you ({reason}). It is now with Dee." in " ".join(texts)


def test_an_inactive_owner_is_passed_over_without_a_message(api, owners):
    owners.ana.is_active = False
    owners.ana.save()

    body = post(api)

    assert body["owner"]["name"] == "Dee"
    assert ("Ana", "inactive") in [(s["rep"], s["reason"]) for s in steps_of(body, "skip")]
    assert passed_over_messages() == []


def test_an_owner_who_gets_the_lead_after_all_is_not_told_they_were_passed_over(api, owners):
    # Ana is also the fallback: passed over by the account rule, she still gets it
    # from the fallback, which answers regardless when nobody else can.
    owners.ruleset.fallback_rep = owners.ana
    owners.ruleset.save()
    fill(owners, max_open=1)

    body = post(api)

    assert body["owner"]["name"] == "Ana"
    assert passed_over_messages() == []


def test_the_owner_told_can_open_the_lead_but_not_act_on_it(api, owners, client):
    fill(owners, max_open=1)
    body = post(api)
    url = f"/queue/leads/{body['id']}/"

    client.force_login(owners.ana.user)
    page = client.get(url)
    assert page.status_code == 200
    assert b"Pat" in page.content and b"Acknowledge</button>" not in page.content
    assert client.post(f"{url}acknowledge/").status_code == 404
    assert Lead.objects.get(pk=body["id"]).owner == owners.dee

    client.force_login(owners.cy.user)  # told nothing of it
    assert client.get(url).status_code == 404


def test_the_simulator_shows_the_owner_kept_and_stores_and_tells_nothing(api, owners):
    keep_at_capacity(owners)
    fill(owners, max_open=1)
    before = stored_counts()

    response = api.post(SIMULATE_URL, ACME_LEAD, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["owner"]["name"] == "Ana"
    assert steps_of(body, "kept")[0]["reason"] == (
        "at capacity: 1 of 1 open leads; kept as account owner"
    )
    assert stored_counts() == before
    assert passed_over_messages() == []


def test_an_imported_list_passes_an_away_owner_over_without_a_message_per_lead(owners):
    owners.ana.out_of_office_until = timezone.now() + timedelta(days=1)
    owners.ana.save()
    data = b"email,first_name,company\npat@acme.com,Pat,Acme Corp\nsam@acme.com,Sam,Acme Corp\n"
    lead_import = lead_import_create(name="expo.csv", notify="each", size=len(data))

    lead_import_run(lead_import=lead_import, source=io.BytesIO(data))

    assert [lead.owner.name for lead in Lead.objects.order_by("email")] == ["Dee", "Dee"]
    assert passed_over_messages() == []
