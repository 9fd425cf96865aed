"""Telling the owner and the subscribers: the outbox, its channels, retries and signing.

A receiver on 127.0.0.1 plays Slack, the rep's webhook, the agent and the CRM."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook

from routing.models import Lead, LeadEvent, Notification, WebhookSubscription
from routing.services.delivery import MAX_ATTEMPTS, notification_send, notifications_send_due
from tests.team import submit

pytestmark = pytest.mark.django_db


def rows(**filters):
    return Notification.objects.filter(**filters).order_by("id")


def test_a_new_lead_is_queued_once_per_channel_of_its_owner(team):
    lead = submit(source="demo_request")

    queued = rows(lead=lead)
    assert [(row.channel, row.kind) for row in queued] == [
        ("slack", "lead.assigned"),
        ("webhook", "lead.assigned"),
        ("email", "lead.assigned"),
    ]
    assert all(row.status == Notification.Status.PENDING for row in queued)
    assert {row.assignment_id for row in queued} == {lead.assignments.get().pk}


def test_slack_gets_the_lead_why_the_deadline_and_an_acknowledge_button(team, receiver):
    lead = submit(source="demo_request", phone="+1 555 0100")

    assert notifications_send_due() == 3

    message = receiver.to("/slack/ana")[0].json
    assert message["text"].startswith("New lead: Pat (Prospect Inc). Acknowledge by ")
    blocks = {block["type"]: block for block in message["blocks"]}
    assert blocks["header"]["text"]["text"] == "New lead: Pat (Prospect Inc)"
    facts = next(block for block in message["blocks"] if "fields" in block)
    fields = [field["text"] for field in facts["fields"]]
    assert "*Phone*\n+1 555 0100" in fields
    button = blocks["actions"]["elements"][0]
    assert button["text"]["text"] == "Acknowledge"
    assert "/ack/" in button["url"]
    why = [block for block in message["blocks"] if block["type"] == "section"][-1]
    assert "Rule “Demo requests” matched" in why["text"]["text"]
    assert rows(lead=lead, channel="slack").get().status == Notification.Status.SENT


def test_the_webhook_is_signed_the_standard_webhooks_way(team, receiver):
    lead = submit(source="demo_request")
    notifications_send_due()

    delivery = receiver.to("/hooks/ana")[0]
    payload = Webhook(team.ana.webhook_secret).verify(delivery.body, delivery.headers)
    assert payload["type"] == "lead.assigned"
    assert payload["data"]["lead"]["id"] == lead.pk
    assert payload["data"]["assignment"]["owner"]["email"] == "ana@example.com"
    # The rep's own endpoint gets the links the Slack and e-mail messages carry.
    assert "/ack/" in payload["links"]["acknowledge"]
    assert payload["links"]["lead"].endswith(f"/queue/leads/{lead.pk}/")
    forged = {**delivery.headers, "webhook-signature": "v1,AAAA"}
    with pytest.raises(Exception, match=r"(?i)signature"):
        Webhook(team.ana.webhook_secret).verify(delivery.body, forged)


def test_the_email_has_text_and_html_with_the_acknowledge_link(team):
    submit(source="demo_request")
    notifications_send_due()

    [sent] = mail.outbox
    assert sent.to == ["ana@example.com"]
    assert sent.subject.startswith("New lead: Pat (Prospect Inc)")
    assert "/ack/" in sent.body
    html, kind = sent.alternatives[0]
    assert kind == "text/html" and "Acknowledge</a>" in html


def test_a_row_is_sent_once_even_when_sending_runs_twice(team, receiver):
    lead = submit(source="demo_request")
    slack = rows(lead=lead, channel="slack").get()

    assert notification_send(notification_id=slack.pk) is True
    assert notification_send(notification_id=slack.pk) is False
    assert notifications_send_due() == 2  # the other two channels; slack is done

    assert len(receiver.to("/slack/ana")) == 1


def test_a_claimed_row_is_not_sent_by_another_worker_until_its_claim_lapses(team, receiver):
    lead = submit(source="demo_request")
    slack = rows(lead=lead, channel="slack").get()
    # A worker claimed it and died before sending.
    Notification.objects.filter(pk=slack.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=2), attempts=1
    )
    assert notification_send(notification_id=slack.pk) is False
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert notifications_send_due() >= 1
    assert len(receiver.to("/slack/ana")) == 1


def test_a_failure_is_retried_with_backoff_and_then_succeeds(team, receiver):
    lead = submit(source="demo_request")
    slack = rows(lead=lead, channel="slack").get()
    receiver.answer(503)

    assert notification_send(notification_id=slack.pk) is False
    slack.refresh_from_db()
    assert slack.status == Notification.Status.PENDING
    assert slack.attempts == 1 and "answered 503" in slack.last_error
    assert slack.next_attempt_at > timezone.now() + timedelta(seconds=5)
    assert notification_send(notification_id=slack.pk) is False  # not due yet

    with time_machine.travel(timezone.now() + timedelta(seconds=11)):
        assert notification_send(notification_id=slack.pk) is True
    slack.refresh_from_db()
    assert slack.status == Notification.Status.SENT and slack.attempts == 2
    assert len(receiver.to("/slack/ana")) == 2


def test_a_permanent_refusal_is_not_retried(team, receiver):
    lead = submit(source="demo_request")
    slack = rows(lead=lead, channel="slack").get()
    receiver.answer(404)

    notification_send(notification_id=slack.pk)

    slack.refresh_from_db()
    assert slack.status == Notification.Status.FAILED
    assert "answered 404" in slack.last_error


def test_retries_stop_after_the_last_attempt(team, receiver):
    lead = submit(source="demo_request")
    slack = rows(lead=lead, channel="slack").get()
    Notification.objects.filter(pk=slack.pk).update(attempts=MAX_ATTEMPTS - 1)
    receiver.answer(500)

    notification_send(notification_id=slack.pk)

    slack.refresh_from_db()
    assert slack.status == Notification.Status.FAILED and slack.attempts == MAX_ATTEMPTS


def test_a_receiver_that_does_not_answer_in_time_is_a_retry(team, receiver, settings):
    settings.LEADROUTER = {**settings.LEADROUTER, "HTTP_TIMEOUT": {"connect": 0.5, "total": 0.3}}
    lead = submit(source="demo_request")
    slack = rows(lead=lead, channel="slack").get()
    receiver.delay = 1.0

    notification_send(notification_id=slack.pk)

    slack.refresh_from_db()
    assert slack.status == Notification.Status.PENDING
    assert "no answer within 0.3 s" in slack.last_error


def test_an_unreachable_receiver_is_a_retry(team):
    lead = submit(source="demo_request")
    slack = rows(lead=lead, channel="slack").get()
    Notification.objects.filter(pk=slack.pk).update(destination="http://127.0.0.1:9/nothing")

    notification_send(notification_id=slack.pk)

    slack.refresh_from_db()
    assert slack.status == Notification.Status.PENDING
    assert "could not reach" in slack.last_error


def test_sending_puts_notified_on_the_timeline(team):
    lead = submit(source="demo_request")
    notifications_send_due()
    channels = sorted(
        event.data["channel"] for event in lead.events.filter(kind=LeadEvent.Kind.NOTIFIED)
    )
    assert channels == ["email", "slack", "webhook"]


def test_subscribers_get_the_events_they_asked_for_signed(team, receiver):
    crm = WebhookSubscription.objects.create(name="CRM", url=receiver.url("/crm"))
    WebhookSubscription.objects.create(
        name="Warehouse", url=receiver.url("/warehouse"), events=["lead.outcome"]
    )
    lead = submit(source="demo_request")
    notifications_send_due()

    [delivery] = receiver.to("/crm")
    event = Webhook(crm.secret).verify(delivery.body, delivery.headers)
    assert event["type"] == "lead.assigned"
    assert event["data"]["lead"]["email"] == lead.email
    assert receiver.to("/warehouse") == []


def test_an_agent_that_answers_2xx_has_acknowledged(team, receiver):
    lead = submit(source="free_signup", email="dev@gmail.com")
    assert lead.owner == team.bot

    notifications_send_due()

    lead.refresh_from_db()
    assert lead.status == Lead.Status.ACKNOWLEDGED
    assert lead.assignments.get().acknowledged_at is not None
    acknowledged = lead.events.get(kind=LeadEvent.Kind.ACKNOWLEDGED)
    assert acknowledged.data["via"] == "agent webhook"
    assert receiver.to("/agent")[0].json["data"]["lead"]["source"] == "free_signup"


def test_an_agent_that_fails_has_not_acknowledged(team, receiver):
    lead = submit(source="free_signup", email="dev@gmail.com")
    receiver.answer(500)
    notifications_send_due()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.ASSIGNED


def test_the_owner_is_told_when_the_lead_comes_back(team, receiver):
    submit(source="demo_request")
    notifications_send_due()
    again = submit(source="demo_request", email="PAT@prospect.com", message="Any news?")
    notifications_send_due()

    kinds = [request.json["type"] for request in receiver.to("/hooks/ana")]
    assert kinds == ["lead.assigned", "lead.returned"]
    assert receiver.to("/hooks/ana")[1].json["data"]["submission"]["message"] == "Any news?"
    slack = receiver.to("/slack/ana")[1].json
    assert slack["text"] == "Back again: Pat (Prospect Inc)"
    assert again.events.filter(kind=LeadEvent.Kind.RESUBMITTED).count() == 1


def test_returns_within_the_cooldown_are_on_the_timeline_but_told_once(team, receiver, settings):
    settings.LEADROUTER = {**settings.LEADROUTER, "RETURN_NOTIFY_COOLDOWN": timedelta(minutes=30)}
    lead = submit(source="demo_request")
    for n in range(5):
        submit(source="demo_request", message=f"Hello? ({n})")
    notifications_send_due()
    assert [r.json["type"] for r in receiver.to("/hooks/ana")] == ["lead.assigned", "lead.returned"]
    assert lead.events.filter(kind=LeadEvent.Kind.RESUBMITTED).count() == 5

    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        submit(source="demo_request", message="Still nobody?")
        notifications_send_due()

    told = [r.json for r in receiver.to("/hooks/ana")]
    assert [body["type"] for body in told] == ["lead.assigned", "lead.returned", "lead.returned"]
    assert told[-1]["data"]["submission"]["message"] == "Still nobody?"


def test_the_worker_is_asked_to_send_right_after_commit(
    team, receiver, django_capture_on_commit_callbacks
):
    # Tests run tasks in-process (CELERY_TASK_ALWAYS_EAGER), so the nudge sends at once.
    with django_capture_on_commit_callbacks(execute=True):
        submit(source="demo_request")
    assert len(receiver.to("/slack/ana")) == 1
    assert not rows(status=Notification.Status.PENDING).exists()
