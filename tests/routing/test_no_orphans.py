"""A lead always ends where someone can take it: when nobody acknowledges it and no pool
could take it, it waits in the shared queue of the rule set's fallback rep, the managers
are told where, and every message says what really happened."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.http import HttpRequest
from django.utils import timezone

from routing.models import Lead, LeadEvent, Notification
from routing.notifications.messages import message_for
from routing.notifications.slack import slack_blocks
from routing.services.escalation import assignments_escalate_overdue
from tests.team import PASSWORD, submit

pytestmark = pytest.mark.django_db

SLA = timedelta(minutes=15)


@pytest.fixture
def reps_only(team):
    """The rule set names reps only: demo requests to Ana, escalation to Bo, fallback
    Dee; no pool anywhere."""
    team.ruleset.escalate_to_pool = None
    team.ruleset.escalate_to_rep = team.bo
    team.ruleset.save()
    return team


def nobody_acknowledges(lead: Lead) -> None:
    for round_ in range(1, 5):
        with time_machine.travel(timezone.now() + round_ * (SLA + timedelta(seconds=1))):
            assignments_escalate_overdue()
    lead.refresh_from_db()


def test_a_lead_nobody_took_waits_in_the_fallback_reps_shared_queue(client, reps_only):
    team = reps_only
    lead = submit(source="demo_request")

    nobody_acknowledges(lead)

    assert lead.status == Lead.Status.UNCLAIMED and lead.owner is None
    assert list(lead.queue_reps.all()) == [team.dee] and not lead.queue_pools.exists()
    unclaimed = lead.events.get(kind=LeadEvent.Kind.UNCLAIMED)
    assert unclaimed.data["queue_reps"] == [team.dee.pk]

    assert client.login(request=HttpRequest(), username=team.dee.email, password=PASSWORD)
    queue = client.get("/queue/?tab=shared").content.decode()
    assert "Nothing waiting" not in queue and f"/queue/leads/{lead.pk}/" in queue
    claimed = client.post(f"/queue/leads/{lead.pk}/claim/", follow=True)
    assert claimed.status_code == 200
    lead.refresh_from_db()
    assert lead.owner == team.dee and lead.status == Lead.Status.ACKNOWLEDGED
    assert not lead.queue_reps.exists()


def test_another_rep_cannot_claim_it(client, reps_only):
    team = reps_only
    lead = submit(source="demo_request")
    nobody_acknowledges(lead)

    assert client.login(request=HttpRequest(), username=team.cy.email, password=PASSWORD)
    assert f"/queue/leads/{lead.pk}/" not in client.get("/queue/").content.decode()
    client.post(f"/queue/leads/{lead.pk}/claim/")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.UNCLAIMED and lead.owner is None


def test_the_managers_are_told_where_it_waits_once_and_the_last_owner_what_happened(
    reps_only,
):
    team = reps_only
    lead = submit(source="demo_request")

    nobody_acknowledges(lead)

    to_managers = Notification.objects.filter(lead=lead, destination="manager@example.com")
    # One message per escalation before the last; the last is the lead nobody took.
    assert sorted(to_managers.values_list("kind", flat=True)) == [
        "manager.escalated",
        "manager.escalated",
        "manager.unclaimed",
    ]
    told = message_for(to_managers.get(kind="manager.unclaimed"))
    assert told.headline.startswith("Nobody took this lead")
    assert "waits in the shared queue of Dee" in told.note
    last_owner = lead.assignments.order_by("-id").first().rep.name
    assert f"{last_owner} did not acknowledge it by " in told.note
    # A manager works from the admin: the link opens the lead there, not a rep queue.
    assert told.lead_url.endswith(f"/admin/routing/lead/{lead.pk}/change/")
    escalated = message_for(to_managers.filter(kind="manager.escalated").order_by("id").first())
    assert "Ana did not acknowledge it by " in escalated.note
    assert escalated.link_text == "Open the lead in the admin"

    last_expiry = Notification.objects.filter(lead=lead, kind="lead.expired").order_by("id").last()
    note = message_for(last_expiry).note
    assert "waits in the shared queue of Dee" in note
    assert "gone to someone else" not in note
    assert last_expiry.rep != team.ana  # the last one to let it expire


def test_when_it_moved_on_to_someone_the_old_owner_is_told_who(reps_only):
    team = reps_only
    lead = submit(source="demo_request")
    with time_machine.travel(timezone.now() + SLA + timedelta(seconds=1)):
        assignments_escalate_overdue()

    expired = Notification.objects.get(
        lead=lead, kind="lead.expired", rep=team.ana, channel=Notification.Channel.EMAIL
    )
    assert "It is now with Bo." in message_for(expired).note
    on_slack = Notification.objects.get(
        lead=lead, kind="lead.expired", rep=team.ana, channel=Notification.Channel.SLACK
    )
    blocks = slack_blocks(message_for(on_slack))["blocks"]
    texts = [block["text"]["text"] for block in blocks if "text" in block]
    assert any("It is now with Bo." in text for text in texts)
