"""A reminder before the deadline: the owner of a lead still unacknowledged
`remind_before` ahead of its deadline is told once how long is left, on their channels,
with the acknowledge link; never after acknowledging, never twice; a new owner after an
escalation gets their own, for their own deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from routing.models import IntakeKey, Notification
from routing.services.acknowledge import assignment_acknowledge
from routing.services.delivery import notifications_send_due
from routing.services.escalation import assignments_escalate_overdue
from routing.services.reminders import assignment_mark_reminded, assignments_remind_due
from tests.team import submit

pytestmark = pytest.mark.django_db

SLA = timedelta(minutes=15)
REMIND_BEFORE = timedelta(minutes=5)
SECOND = timedelta(seconds=1)


@pytest.fixture
def team(team):
    team.ruleset.remind_before = REMIND_BEFORE
    team.ruleset.save()
    return team


def later(delta: timedelta):
    return time_machine.travel(timezone.now() + delta, tick=False)


def reminders(**filters):
    return Notification.objects.filter(kind="lead.reminder", **filters).order_by("id")


def test_the_owner_is_reminded_once_on_each_channel_when_five_minutes_are_left(team):
    lead = submit(source="demo_request")
    assignment = lead.assignments.get()
    assert assignment.remind_at == assignment.ack_due_at - REMIND_BEFORE

    with later(SLA - REMIND_BEFORE - SECOND):
        assert assignments_remind_due() == 0
    with later(SLA - REMIND_BEFORE + SECOND):
        assert assignments_remind_due() == 1
        assert assignments_remind_due() == 0
    with later(SLA - SECOND):
        assert assignments_remind_due() == 0

    assert sorted(reminders(lead=lead).values_list("channel", flat=True)) == [
        "email",
        "slack",
        "webhook",
    ]
    assert {row.rep_id for row in reminders(lead=lead)} == {team.ana.pk}
    assignment.refresh_from_db()
    assert assignment.reminded_at is not None


def test_the_reminder_says_how_long_is_left_and_links_the_acknowledgment(team, receiver):
    lead = submit(source="demo_request")
    notifications_send_due()  # the assignment's own messages
    mail.outbox.clear()
    with later(SLA - REMIND_BEFORE + SECOND):
        assignments_remind_due()
        assert notifications_send_due() == 3

    slack = receiver.to("/slack/ana")[-1].json
    assert slack["text"].startswith("5 minutes left to acknowledge: Pat (Prospect Inc). ")
    assert "Acknowledge by " in slack["text"]
    blocks = {block["type"]: block for block in slack["blocks"]}
    assert "/ack/" in blocks["actions"]["elements"][0]["url"]
    [sent] = mail.outbox
    assert sent.subject.startswith("5 minutes left to acknowledge: Pat (Prospect Inc)")
    assert "/ack/" in sent.body
    hook = receiver.to("/hooks/ana")[-1].json
    assert hook["type"] == "lead.reminder"
    assert hook["data"]["lead"]["id"] == lead.pk
    assert 298 <= hook["data"]["seconds_left"] <= 300


def test_an_acknowledged_lead_gets_no_reminder(team):
    lead = submit(source="demo_request")
    assignment_acknowledge(assignment=lead.assignments.get(), rep=team.ana, via="test")

    with later(SLA - REMIND_BEFORE + SECOND):
        assert assignments_remind_due() == 0
    assert not reminders(lead=lead).exists()


def test_a_sweep_that_lost_the_race_reminds_nobody(team):
    lead = submit(source="demo_request")
    stale = lead.assignments.get()
    with later(SLA - REMIND_BEFORE + SECOND):
        assert assignments_remind_due() == 1
        # Another worker read the row before the first marked it.
        assert not assignment_mark_reminded(assignment=stale, now=timezone.now())
    assert reminders(lead=lead).count() == 3


def test_the_new_owner_after_an_escalation_is_reminded_before_their_own_deadline(team):
    lead = submit(source="demo_request")
    with later(SLA - REMIND_BEFORE + SECOND):
        assignments_remind_due()
    with later(SLA + SECOND):
        assignments_escalate_overdue()
    second = lead.assignments.get(ended_at__isnull=True)
    assert second.rep in (team.bo, team.cy)
    assert second.remind_at == second.ack_due_at - REMIND_BEFORE

    with later(SLA + SLA - REMIND_BEFORE):
        assert assignments_remind_due() == 0
    with later(SLA + SLA - REMIND_BEFORE + 2 * SECOND):
        assert assignments_remind_due() == 1

    assert list(reminders(lead=lead, assignment=second).values_list("rep_id", flat=True)) == [
        second.rep_id
    ]
    assert reminders(lead=lead).exclude(assignment=second).count() == 3  # Ana's, earlier


def test_a_lead_past_its_deadline_gets_no_late_reminder(team):
    lead = submit(source="demo_request")
    with later(SLA + SECOND):
        assert assignments_remind_due() == 0
    assert not reminders(lead=lead).exists()


def test_a_rule_whose_sla_is_shorter_than_the_reminder_gets_none(team):
    team.demo.ack_sla = timedelta(minutes=3)
    team.demo.save()
    lead = submit(source="demo_request")

    assert lead.assignments.get().remind_at is None
    with later(timedelta(minutes=2)):
        assert assignments_remind_due() == 0


def test_without_remind_before_nobody_is_reminded(team):
    team.ruleset.remind_before = None
    team.ruleset.save()
    lead = submit(source="demo_request")

    assert lead.assignments.get().remind_at is None
    with later(SLA - SECOND):
        assert assignments_remind_due() == 0


def test_the_decision_trace_says_when_the_reminder_comes(team):
    lead = submit(source="demo_request")

    assigned = next(step for step in lead.decisions.get().steps if step["step"] == "assigned")
    assert assigned["reminder"] == "5 minutes before the deadline, unless acknowledged by then"


def test_the_api_shows_when_the_owner_is_and_was_reminded(team):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {IntakeKey.objects.create_key(name='Web')[1]}")
    posted = client.post(
        "/api/v1/leads/",
        {"email": "pat@prospect.com", "source": "demo_request"},
        format="json",
    ).json()
    [assignment] = client.get(f"/api/v1/leads/{posted['id']}/").json()["assignments"]
    due = parse_datetime(assignment["ack_due_at"])
    assert parse_datetime(assignment["remind_at"]) == due - REMIND_BEFORE
    assert assignment["reminded_at"] is None

    with later(SLA - REMIND_BEFORE + SECOND):
        assignments_remind_due()
    [assignment] = client.get(f"/api/v1/leads/{posted['id']}/").json()["assignments"]
    assert parse_datetime(assignment["reminded_at"]) < due
