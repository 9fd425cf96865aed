"""What an attacker or a broken form sends: a clear 400 naming the field, nothing stored,
and nothing that breaks a page, an e-mail or a Slack message later. Real HTTP against
the running app."""

from __future__ import annotations

import httpx
import pytest
from django.core import mail
from django.http import HttpRequest
from django.test import Client

from routing.models import IntakeKey, Lead, Notification
from routing.services.delivery import notifications_send_due
from tests.api.conftest import LEADS_URL, stored_counts
from tests.team import PASSWORD, build_team, submit


@pytest.fixture
def key(transactional_db) -> str:
    return IntakeKey.objects.create_key(name="Website form")[1]


def post_raw(live_server, key: str, body: bytes | object, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{live_server.url}{LEADS_URL}",
        content=body,
        headers={
            "Authorization": f"Api-Key {key}",
            "Content-Type": "application/json",
            **headers,
        },
    )


@pytest.mark.parametrize("idempotency_key", [None, "retry-1"])
def test_a_lone_surrogate_is_a_400_naming_the_field(live_server, routing, key, idempotency_key):
    before = stored_counts()
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}

    response = post_raw(
        live_server, key, b'{"email": "pat@prospect.com", "company": "ab\\ud800"}', **headers
    )

    assert response.status_code == 400
    assert "surrogate" in response.json()["company"][0]
    assert stored_counts() == before


def test_a_surrogate_deep_in_attributes_names_attributes(live_server, routing, key):
    body = b'{"email": "pat@prospect.com", "attributes": {"notes": ["ok", "\\udfff"]}}'

    response = post_raw(live_server, key, body)

    assert response.status_code == 400
    assert "surrogate" in response.json()["attributes"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", "Ana\r\nBcc: everyone@example.com"),
        ("company", "Acme\nCorp"),
        ("source", "demo\x00request"),
        ("last_name", "Silva\x1b[31m"),
        ("email", "ana@acme.com\r\nBcc: x@example.com"),
    ],
)
def test_single_line_fields_refuse_line_breaks_and_control_characters(
    live_server, routing, key, field, value
):
    before = stored_counts()
    body = {"email": "pat@prospect.com", field: value}

    response = httpx.post(
        f"{live_server.url}{LEADS_URL}", json=body, headers={"Authorization": f"Api-Key {key}"}
    )

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert "U+" in response.json()[field][0]
    assert stored_counts() == before


def test_a_message_keeps_its_newlines_and_tabs(live_server, routing, key):
    message = "Hello,\r\n\tWe need 50 seats.\nThanks"

    response = httpx.post(
        f"{live_server.url}{LEADS_URL}",
        json={"email": "pat@prospect.com", "message": message},
        headers={"Authorization": f"Api-Key {key}"},
    )

    assert response.status_code == 201
    assert Lead.objects.get().message == message


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"email": "pat@prospect.com", "score": "1e400"}', "score"),
        (b'{"email": "pat@prospect.com", "score": 1e400}', "score"),
        (b'{"email": "pat@prospect.com", "country": "US", "state": "Atlantis"}', "state"),
    ],
)
def test_infinite_scores_and_unknown_states_are_400(live_server, routing, key, raw, field):
    before = stored_counts()

    response = post_raw(live_server, key, raw)

    assert response.status_code == 400
    assert field in response.json()
    assert stored_counts() == before


def test_a_state_of_a_country_with_free_form_regions_is_kept(live_server, routing, key):
    response = post_raw(
        live_server, key, b'{"email": "pat@prospect.com", "country": "DE", "state": "Bavaria"}'
    )

    assert response.status_code == 201
    assert Lead.objects.get().state == "BAVARIA"


def test_a_chunked_body_is_411_saying_to_send_a_length(live_server, routing, key):
    def chunks():
        yield b'{"email": '
        yield b'"pat@prospect.com"}'

    response = post_raw(live_server, key, chunks())

    assert response.status_code == 411
    assert "Content-Length" in response.json()["detail"]
    assert not Lead.objects.exists()


@pytest.fixture
def ana_session(live_server, transactional_db) -> tuple[object, httpx.Client]:
    """The team, and an HTTP client signed in to the queue as Ana."""
    team = build_team()
    client = Client()
    assert client.login(request=HttpRequest(), email="ana@example.com", password=PASSWORD)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    with httpx.Client(base_url=live_server.url, cookies=cookies) as http:
        yield team, http


@pytest.mark.parametrize(
    "attributes",
    [
        {"items": "ab"},
        {"items": [["Forged field", "Call +1-900-SCAM"]]},
        {"keys": 1, "values": [1, 2], "get": {"x": "y"}, "utm_source": "ads"},
    ],
)
def test_the_reps_lead_page_shows_attributes_whatever_their_names(ana_session, attributes):
    _team, http = ana_session
    lead = submit(source="demo_request", attributes=attributes)

    page = http.get(f"/queue/leads/{lead.pk}/")

    assert page.status_code == 200
    for name in attributes:
        assert f"<dt>{name}</dt>" in page.text
    assert "<dt>Forged field</dt>" not in page.text


def test_slack_escapes_every_piece_of_lead_text(team, receiver):
    submit(
        source="demo_request",
        first_name="<!channel>",
        company="A&B <https://evil.example|Click>",
        message="<@U123> call me",
    )

    notifications_send_due()

    message = receiver.to("/slack/ana")[0].json
    texts = [message["text"]]
    for block in message["blocks"]:
        texts += [block.get("text", {}).get("text", "")]
        texts += [field["text"] for field in block.get("fields", [])]
        texts += [e.get("text", "") for e in block.get("elements", []) if isinstance(e, dict)]
    sent = "\n".join(str(text) for text in texts)
    assert "&lt;!channel&gt;" in message["text"]
    assert "A&amp;B &lt;https://evil.example|Click&gt;" in sent
    assert "&lt;@U123&gt;" in sent
    assert "<!channel>" not in sent and "<@U123>" not in sent and "<https://evil" not in sent


def test_an_email_about_an_old_lead_with_a_line_break_in_its_name_is_one_line(team, receiver):
    lead = submit(source="demo_request")
    # Stored before names were checked, e.g. by an older version.
    Lead.objects.filter(pk=lead.pk).update(first_name="Ana\r\nBcc: everyone@example.com")

    Notification.objects.filter(lead=lead).update(status=Notification.Status.PENDING)
    notifications_send_due()

    sent = [m for m in mail.outbox if m.to == ["ana@example.com"]]
    assert sent and "\n" not in sent[0].subject and "\r" not in sent[0].subject
    assert sent[0].subject.startswith("New lead: Ana Bcc: everyone@example.com")
    row = Notification.objects.get(lead=lead, channel="email")
    assert row.status == Notification.Status.SENT


def test_an_email_that_can_never_be_sent_fails_for_good_without_retries(team, receiver):
    lead = submit(source="demo_request")
    row = Notification.objects.get(lead=lead, channel="email")
    Notification.objects.filter(pk=row.pk).update(destination="ana@example.com\nBcc: x@y.com")

    notifications_send_due()

    row.refresh_from_db()
    assert row.status == Notification.Status.FAILED
    assert row.attempts == 1
