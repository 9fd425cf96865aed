"""The one-click link in a notification: opening it shows, only the button acknowledges."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from routing.links import acknowledge_url
from routing.models import Lead, LeadEvent
from routing.services.escalation import assignments_escalate_overdue
from tests.team import submit

pytestmark = pytest.mark.django_db


def path_of(assignment) -> str:
    return acknowledge_url(assignment).removeprefix("http://127.0.0.1:8000")


@pytest.fixture
def assignment(team):
    return submit(source="demo_request", message="Call me after 3pm").assignments.get()


def test_opening_the_link_shows_the_lead_and_changes_nothing(client, assignment):
    page = client.get(path_of(assignment))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Pat (Prospect Inc)" in html and "Call me after 3pm" in html
    assert "Acknowledge</button>" in html
    assert "Rule “Demo requests” matched" in html
    assignment.refresh_from_db()
    assert assignment.acknowledged_at is None


def test_the_button_acknowledges_without_signing_in(client, assignment):
    page = client.post(path_of(assignment))

    assert page.status_code == 200
    assert "the clock has stopped" in page.content.decode()
    assignment.refresh_from_db()
    assert assignment.acknowledged_at is not None
    lead = Lead.objects.get()
    assert lead.status == Lead.Status.ACKNOWLEDGED and lead.acknowledged_at is not None
    event = lead.events.get(kind=LeadEvent.Kind.ACKNOWLEDGED)
    assert event.data["via"] == "link" and event.data["within_sla"] is True


def test_pressing_twice_is_harmless(client, assignment):
    client.post(path_of(assignment))
    again = client.post(path_of(assignment))
    assert again.status_code == 200
    assert Lead.objects.get().events.filter(kind=LeadEvent.Kind.ACKNOWLEDGED).count() == 1


def test_a_tampered_link_is_refused(client, assignment):
    token = path_of(assignment).split("/")[2]
    forged = signing.dumps({"a": assignment.pk, "r": assignment.rep_id + 1}, key="not-ours")
    for bad in (token[:-2] + "xx", forged):
        page = client.post(f"/ack/{bad}/")
        assert page.status_code == 404
        assert "not valid" in page.content.decode()
    assignment.refresh_from_db()
    assert assignment.acknowledged_at is None


def test_an_old_link_has_expired(client, assignment):
    path = path_of(assignment)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        page = client.post(path)
    assert page.status_code == 404 and "expired" in page.content.decode()


def test_the_link_dies_when_the_lead_moves_on(client, assignment):
    path = path_of(assignment)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assignments_escalate_overdue()
    shown = client.get(path)
    assert "Too late" in shown.content.decode()
    assert "Acknowledge</button>" not in shown.content.decode()
    pressed = client.post(path)
    assert pressed.status_code == 409 and "Too late" in pressed.content.decode()
