"""The outbound policy: the server posts only to public addresses, unless
OUTBOUND_ALLOWED_NETWORKS says otherwise, and never to cloud metadata.

Checked when a URL is saved and again at every send, against a real receiver on
127.0.0.1 reached through the name `localhost` (test settings allow loopback; tests
that need the production default empty the setting)."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone
from standardwebhooks import Webhook

from outgoing.addresses import check_url
from routing.models import Notification, WebhookSubscription
from routing.services.delivery import notification_send
from tests.team import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_policy(settings):
    """The production default: public addresses only."""
    settings.OUTBOUND_ALLOWED_NETWORKS = []


def _refusal(url: str) -> str:
    with pytest.raises(ValidationError) as error:
        check_url(url)
    return " ".join(error.value.messages)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.1.2.3/hooks", "10.1.2.3 is a private address"),
        ("http://192.168.0.10:8080/", "a private address"),
        ("http://100.64.0.1/", "not a public address"),
        ("http://169.254.10.10/", "a link-local address"),
        ("http://224.0.0.1/", "a multicast address"),
        ("http://240.0.0.1/", "a private address"),
        ("http://0.0.0.0:5432/", "an unspecified address"),
        ("http://[fd12::1]/", "a private address"),
        ("http://[fe80::1]/", "a link-local address"),
        # IPv4 inside IPv6: a gateway would deliver to the IPv4 address.
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://[2002:a00:1::]/", "a private address (10.0.0.1 inside it)"),
    ],
)
def test_non_public_addresses_are_refused_with_the_reason(url, reason):
    message = _refusal(url)
    assert reason in message
    assert "OUTBOUND_ALLOWED_NETWORKS" in message


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://169.254.170.2/v2/credentials",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://[64:ff9b::a9fe:a9fe]/",
    ],
)
def test_metadata_addresses_are_refused_even_inside_an_allowed_network(settings, url):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["0.0.0.0/0", "::/0"]
    assert "cloud metadata address" in _refusal(url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:6379/", "http://localhost:5432/", "http://[::1]/"]
)
def test_loopback_is_refused_in_production(production_policy, url):
    assert "a loopback address" in _refusal(url)


def test_a_configured_network_is_allowed(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert check_url("http://10.20.3.4/hooks") is True
    assert "private" in _refusal("http://10.21.0.1/hooks")


def test_credentials_in_a_url_are_refused():
    assert "user name or password" in _refusal("https://bot:hunter2@93.184.215.14/hooks")


def test_a_host_that_does_not_resolve_yet_is_accepted_when_saved():
    assert check_url("https://hooks.does-not-exist.invalid/x") is False


def test_a_malformed_allowed_network_stops_the_checks(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.0.0.0/33", "192.168.1.5/16"]
    with pytest.raises(SystemCheckError, match=r"OUTBOUND_ALLOWED_NETWORKS: '10.0.0.0/33'"):
        call_command("check")
    settings.OUTBOUND_ALLOWED_NETWORKS = ["192.168.1.5/16"]
    with pytest.raises(SystemCheckError, match=r"did you mean 192.168.0.0/16"):
        call_command("check")


# ---------------------------------------------------------------------------- send time


def _slack_row(lead) -> Notification:
    return Notification.objects.get(lead=lead, channel="slack")


def test_a_name_that_resolves_to_a_refused_address_is_not_posted_to(
    team, receiver, production_policy
):
    lead = submit(source="demo_request")
    row = _slack_row(lead)
    url = receiver.url("/slack/ana").replace("127.0.0.1", "localhost")
    Notification.objects.filter(pk=row.pk).update(destination=url)

    assert notification_send(notification_id=row.pk) is False

    row.refresh_from_db()
    assert receiver.requests == []
    assert row.status == Notification.Status.FAILED  # a refusal is not retried
    assert row.last_error.startswith("refused: localhost resolves to 127.0.0.1")
    assert "a loopback address" in row.last_error


def test_the_request_goes_to_the_checked_address_with_the_real_host_name(team, receiver):
    lead = submit(source="demo_request")
    row = _slack_row(lead)
    url = receiver.url("/slack/ana").replace("127.0.0.1", "localhost")
    Notification.objects.filter(pk=row.pk).update(destination=url)

    assert notification_send(notification_id=row.pk) is True

    [request] = receiver.to("/slack/ana")
    assert request.headers["host"] == url.split("/")[2]  # localhost:<port>


def test_a_receiver_that_moved_to_a_refused_address_gets_nothing(team, receiver, settings):
    """Saved while allowed, refused at send: the send-time check does not trust the save."""
    crm = WebhookSubscription.objects.create(name="CRM", url=receiver.url("/crm"))
    submit(source="demo_request")
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    row = Notification.objects.get(subscription=crm)

    notification_send(notification_id=row.pk)

    row.refresh_from_db()
    assert receiver.to("/crm") == []
    assert row.status == Notification.Status.FAILED
    assert "127.0.0.1 is a loopback address" in row.last_error


def test_what_the_receiver_answers_is_never_stored(team, receiver):
    lead = submit(source="demo_request")
    row = _slack_row(lead)
    receiver.answer(500)  # its body says "nope"

    notification_send(notification_id=row.pk)

    row.refresh_from_db()
    assert row.last_error == "the receiver answered 500 Internal Server Error"
    assert row.response_status == 500
    assert "nope" not in row.last_error


def test_a_retried_webhook_keeps_its_webhook_id(team, receiver):
    """Delivery is at least once: a receiver drops repeats by webhook-id."""
    lead = submit(source="demo_request")
    row = Notification.objects.get(lead=lead, channel="webhook")
    receiver.answer(503)

    assert notification_send(notification_id=row.pk) is False
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=11)):
        assert notification_send(notification_id=row.pk) is True

    first, second = receiver.to("/hooks/ana")
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == f"msg_{row.pk}"
    for delivery in (first, second):
        Webhook(team.ana.webhook_secret).verify(delivery.body, delivery.headers)
