"""An AI agent's hand-off note reaches the person who takes the lead over: in each of
their messages (Slack, e-mail, webhook), on the queue's lead page and its timeline, and
in the API's lead."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from routing.models import IntakeKey
from routing.services.delivery import notifications_send_due
from tests.team import PASSWORD, submit

pytestmark = pytest.mark.django_db

NOTE = "Qualified: budget approved, 50 seats"


def key_client(**key: object) -> APIClient:
    _, raw = IntakeKey.objects.create_key(**key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def handed_off(team):
    """A free signup the agent owned, handed to Ana (Slack, webhook and e-mail)."""
    team.signups.handoff_to_pool = None
    team.signups.handoff_to_rep = team.ana
    team.signups.save()
    form = key_client(name="Signup form")
    submitted = form.post(
        "/api/v1/leads/", {"email": "dev@gmail.com", "source": "free_signup"}, format="json"
    )
    assert submitted.status_code == 201, submitted.json()
    lead_id = submitted.json()["id"]
    notifications_send_due()  # the agent's own message
    mail.outbox.clear()
    agent = key_client(name="Agent key", rep=team.bot)
    response = agent.post(f"/api/v1/leads/{lead_id}/handoff/", {"note": NOTE}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["owner"]["name"] == "Ana"
    notifications_send_due()
    return form, lead_id


def test_the_new_owners_slack_message_carries_the_hand_off_note(team, receiver, handed_off):
    [message] = [delivery.json for delivery in receiver.to("/slack/ana")]
    texts = [block["text"]["text"] for block in message["blocks"] if "text" in block]
    assert f"*Note from the AI agent*\n{NOTE}" in texts


def test_the_new_owners_email_carries_the_hand_off_note(team, handed_off):
    [sent] = mail.outbox
    assert sent.to == ["ana@example.com"]
    assert f"Note from the AI agent:\n{NOTE}" in sent.body
    html, _ = sent.alternatives[0]
    assert NOTE in html


def test_the_new_owners_webhook_carries_the_hand_off_note(team, receiver, handed_off):
    [delivery] = receiver.to("/hooks/ana")
    payload = Webhook(team.ana.webhook_secret).verify(delivery.body, delivery.headers)
    assert payload["type"] == "lead.assigned"
    assert payload["data"]["lead"]["handoff_note"] == NOTE


def test_the_api_answers_the_lead_with_its_hand_off_note(team, handed_off):
    form, lead_id = handed_off
    response = form.get(f"/api/v1/leads/{lead_id}/")
    assert response.status_code == 200
    assert response.json()["handoff_note"] == NOTE


def test_the_queue_shows_the_hand_off_note_on_the_lead_page_and_in_its_timeline(
    client, team, handed_off
):
    _, lead_id = handed_off
    assert client.login(request=HttpRequest(), username=team.ana.email, password=PASSWORD)
    html = client.get(f"/queue/leads/{lead_id}/").content.decode()
    assert "Note from the AI agent" in html
    timeline = html.split("Timeline", 1)[1]
    assert "Handed off" in timeline and NOTE in timeline


def test_a_lead_no_agent_handed_off_has_an_empty_note(team):
    form = key_client(name="Demo form")
    submitted = form.post(
        "/api/v1/leads/", {"email": "pat@prospect.com", "source": "demo_request"}, format="json"
    )
    assert form.get(f"/api/v1/leads/{submitted.json()['id']}/").json()["handoff_note"] == ""
    notifications_send_due()
    assert "Note from the AI agent" not in mail.outbox[0].body


def test_an_agent_key_made_from_a_shell_hands_its_lead_off(team):
    signup = submit(source="free_signup", email="dev@gmail.com")
    out = StringIO()
    call_command("create_intake_key", "Bot", "--agent", "BOT@example.com", stdout=out)

    key = IntakeKey.objects.get(name="Bot")
    assert key.rep == team.bot and not key.is_public
    assert "AI agent SDR Bot" in out.getvalue()
    raw = re.findall(rf"{re.escape(key.prefix)}\.\w+", out.getvalue())[0]
    agent = APIClient()
    agent.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    response = agent.post(f"/api/v1/leads/{signup.pk}/handoff/", {"note": NOTE}, format="json")
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("nobody@example.com", "No rep has the e-mail nobody@example.com"),
        ("ana@example.com", "--agent: Ana <ana@example.com> is a person, not an AI agent"),
    ],
)
def test_an_agent_key_needs_the_e_mail_of_an_ai_agent(team, email, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_intake_key", "Bot", "--agent", email, stdout=StringIO())
    assert not IntakeKey.objects.exists()


def test_an_agent_key_is_no_public_key(team):
    with pytest.raises(CommandError, match="leave out --public"):
        call_command(
            "create_intake_key", "Bot", "--agent", team.bot.email, "--public", stdout=StringIO()
        )
    assert not IntakeKey.objects.exists()
