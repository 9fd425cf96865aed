"""A storm of escalations: the managers and each rep channel hear of the first at once and
of the rest in one digest per window; subscribers still get every event."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks import Webhook

from routing.models import Assignment, Lead, Notification, WebhookSubscription
from routing.models.notifications import ESCALATION_KINDS
from routing.notifications.escalation_digest import DIGEST_KINDS, TOLD_ONE_BY_ONE
from routing.services.delivery import notifications_send_due
from routing.services.escalation import assignments_escalate_overdue
from routing.services.escalation_messages import (
    DIGEST_GRACE,
    REP_ONE_BY_ONE,
    Escalated,
    escalation_messages,
)
from routing.snapshot import current_snapshot
from tests.team import submit

pytestmark = pytest.mark.django_db

SLA = timedelta(minutes=15)
WINDOW = timedelta(seconds=300)  # ESCALATION_DIGEST_SECONDS' default


def at(start, delta: timedelta):
    return time_machine.travel(start + delta, tick=False)


def storm(count: int, start) -> list[Lead]:
    """`count` leads for Ana at `start`, whose "new lead" messages are sent and forgotten."""
    with at(start, timedelta(0)):
        leads = [
            submit(
                source="demo_request", email=f"lead{number}@prospect.com", first_name=f"P{number}"
            )
            for number in range(count)
        ]
    notifications_send_due()
    mail.outbox.clear()
    return leads


def to(destination: str):
    return Notification.objects.filter(destination=destination)


@pytest.fixture
def start(team):
    return timezone.now()


def test_twenty_escalations_in_a_window_tell_the_manager_once_then_in_one_digest(
    team, start, admin_client
):
    leads = storm(20, start)
    with at(start, SLA + timedelta(seconds=1)):
        assert assignments_escalate_overdue() == 20

    kinds = sorted(to("manager@example.com").values_list("kind", flat=True))
    assert kinds == ["manager.digest", "manager.escalated"]
    digest = to("manager@example.com").get(kind="manager.digest")
    assert digest.status == Notification.Status.PENDING  # due when its window closes

    with at(start, SLA + WINDOW + DIGEST_GRACE + timedelta(seconds=2)):
        notifications_send_due()
    to_manager = [email for email in mail.outbox if email.to == ["manager@example.com"]]
    assert len(to_manager) == 2  # the first, then the digest
    [sent] = [email for email in to_manager if email.subject.startswith("19 more")]
    assert sent.subject == "19 more leads not acknowledged in time"
    assert "19 escalations" in sent.body
    assert "Ana did not acknowledge it by " in sent.body  # who missed it, and when
    assert "The first 10 are below." in sent.body
    link = f"/admin/routing/lead/?digest={digest.pk}"
    assert link in sent.body

    # The link lists exactly the leads the digest told of: all but the one told at once.
    told_at_once = to("manager@example.com").get(kind="manager.escalated").lead
    page = admin_client.get(link)
    assert page.status_code == 200
    listed = {lead.pk for lead in page.context["cl"].result_list}
    assert listed == {lead.pk for lead in leads} - {told_at_once.pk}


def test_a_rep_losing_many_leads_gets_a_few_messages_then_one_listing_the_rest(team, start):
    storm(10, start)
    with at(start, SLA + timedelta(seconds=1)):
        assignments_escalate_overdue()

    for channel in ("slack", "webhook", "email"):
        rows = Notification.objects.filter(rep=team.ana, channel=channel)
        assert rows.filter(kind="lead.expired").count() == REP_ONE_BY_ONE
        assert rows.filter(kind="escalation.digest").count() == 1
    # The new owners too: a few "escalated to you" at once, the rest in a digest.
    bo = Notification.objects.filter(rep=team.bo, kind__in=["lead.escalated", "escalation.digest"])
    assert bo.filter(kind="lead.escalated").count() == REP_ONE_BY_ONE
    assert bo.filter(kind="escalation.digest").count() == 1

    with at(start, SLA + WINDOW + DIGEST_GRACE + timedelta(seconds=2)):
        notifications_send_due()
    to_ana = [email for email in mail.outbox if email.to == ["ana@example.com"]]
    assert len(to_ana) == REP_ONE_BY_ONE + 1
    assert to_ana[-1].subject == "7 leads moved on from you"
    [to_bo] = [
        email
        for email in mail.outbox
        if email.to == ["bo@example.com"] and "leads escalated to you" in email.subject
    ]
    escalated_to_bo = Lead.objects.filter(owner=team.bo).count()
    left = escalated_to_bo - REP_ONE_BY_ONE
    assert to_bo.subject.startswith(f"{left} lead{'s' if left != 1 else ''} escalated to you")
    assert to_bo.body.count("Acknowledge: ") == left  # each with its acknowledge link


def test_a_reps_webhook_digest_lists_the_leads_it_tells_of(team, start, receiver):
    storm(6, start)
    with at(start, SLA + timedelta(seconds=1)):
        assignments_escalate_overdue()
    with at(start, SLA + WINDOW + DIGEST_GRACE + timedelta(seconds=2)):
        notifications_send_due()
        [request] = [r for r in receiver.to("/hooks/ana") if r.json["type"] == "escalation.digest"]
        digests = [Webhook(team.ana.webhook_secret).verify(request.body, request.headers)]
    assert digests[0]["data"]["lost_leads"] == 6 - REP_ONE_BY_ONE
    assert len(digests[0]["data"]["lost"]) == 6 - REP_ONE_BY_ONE


def test_a_slack_channel_of_managers_gets_slack_messages(team, start, receiver):
    team.ruleset.notify_on_escalation = ["manager@example.com", receiver.url("/slack/sales-team")]
    team.ruleset.save()
    storm(5, start)
    with at(start, SLA + timedelta(seconds=1)):
        assignments_escalate_overdue()
    with at(start, SLA + WINDOW + DIGEST_GRACE + timedelta(seconds=2)):
        notifications_send_due()

    first, digest = (request.json for request in receiver.to("/slack/sales-team"))
    assert first["text"].startswith("Not acknowledged in time: ")
    assert digest["text"] == "4 more leads not acknowledged in time"
    texts = [block.get("text", {}).get("text", "") for block in digest["blocks"]]
    assert sum("Ana did not acknowledge it by" in text for text in texts) == 4
    [button] = [
        element
        for block in digest["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert "/admin/routing/lead/?digest=" in button["url"]
    assert not mail.outbox or all(
        receiver.url("/slack/sales-team") not in email.to for email in mail.outbox
    )


def test_subscribers_still_get_one_event_per_escalation(team, start, receiver):
    WebhookSubscription.objects.create(name="CRM", url=receiver.url("/crm"))
    storm(20, start)
    with at(start, SLA + timedelta(seconds=1)):
        assignments_escalate_overdue()

    events = Notification.objects.filter(subscription__isnull=False, kind="lead.escalated")
    assert events.count() == 20
    assert len({row.lead_id for row in events}) == 20


def test_after_a_quiet_window_the_next_escalation_is_told_at_once(team, start):
    storm(1, start)
    with at(start, SLA + timedelta(seconds=1)):
        assignments_escalate_overdue()
    later = start + WINDOW + timedelta(seconds=30)
    with at(later, timedelta(0)):
        submit(source="demo_request", email="later@prospect.com")
    with at(later, SLA + timedelta(seconds=1)):
        assignments_escalate_overdue()

    kinds = list(to("manager@example.com").values_list("kind", flat=True))
    assert kinds == ["manager.escalated", "manager.escalated"]


def test_within_a_window_after_a_digest_the_next_digest_follows_a_window_later(team, start):
    storm(2, start)
    with at(start, SLA + timedelta(seconds=1)):
        assignments_escalate_overdue()
    # Just after the first digest's window: a quiet spell it is not.
    later = start + WINDOW + timedelta(seconds=20)
    with at(later, timedelta(0)):
        submit(source="demo_request", email="later@prospect.com")
    with at(later, SLA + timedelta(seconds=1)):
        assignments_escalate_overdue()

    digests = to("manager@example.com").filter(kind="manager.digest").order_by("next_attempt_at")
    assert digests.count() == 2
    assert digests[1].next_attempt_at - digests[0].next_attempt_at == WINDOW


def test_the_last_escalation_tells_the_managers_the_lead_waits_unclaimed(team, start):
    storm(1, start)
    for round_ in range(1, 4):
        with at(start, round_ * (SLA + timedelta(seconds=1))):
            assignments_escalate_overdue()

    kinds = list(to("manager@example.com").order_by("id").values_list("kind", flat=True))
    assert kinds == ["manager.escalated", "manager.escalated", "manager.unclaimed"]


def test_a_digest_filter_naming_no_digest_lists_no_lead(team, start, admin_client):
    storm(1, start)
    page = admin_client.get("/admin/routing/lead/?digest=999999")
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == []
    assert b"No such digest" in page.content


def test_managers_may_be_emails_or_slack_webhook_urls_and_nothing_else(team):
    ruleset = team.ruleset
    ruleset.notify_on_escalation = ["boss@example.com", "https://hooks.slack.com/services/T0/B0/Xy"]
    ruleset.full_clean()
    for wrong, words in (
        ("boss at example", "neither an e-mail address nor a Slack webhook URL"),
        ("https://10.1.2.3/hook", "private address"),
    ):
        ruleset.notify_on_escalation = [wrong]
        with pytest.raises(ValidationError, match=words):
            ruleset.full_clean()


def test_every_kind_a_digest_reads_is_in_the_index_of_escalation_messages():
    read = {*DIGEST_KINDS, *(kind for kinds in TOLD_ONE_BY_ONE.values() for kind in kinds)}
    assert read == set(ESCALATION_KINDS)


def test_a_batch_of_escalations_reads_what_was_told_in_one_query(team, start):
    leads = storm(12, start)
    with at(start, SLA + timedelta(seconds=1)):
        assignments_escalate_overdue()
    snapshot = current_snapshot()
    batch = [
        Escalated(
            lead=lead,
            missed=lead.assignments.get(end_reason=Assignment.EndReason.EXPIRED),
            new=lead.assignments.get(ended_at__isnull=True),
            new_owner=None,
            managers=("manager@example.com", "other-manager@example.com"),
        )
        for lead in Lead.objects.filter(pk__in=[lead.pk for lead in leads])
    ]
    with CaptureQueriesContext(connection) as queries:
        messages = escalation_messages(batch, contacts=snapshot.contacts)
    assert len(queries) == 1
    # Told before: the managers' first went out, so all go to the digest; the new
    # address hears of the first at once.
    to_other = [row for row in messages.now if row.destination == "other-manager@example.com"]
    assert len(to_other) == 1
    assert {row.kind for row in messages.digests} >= {"manager.digest", "escalation.digest"}


def test_a_lists_escalations_reach_its_reps_only_in_digests(team, start):
    from routing.models import LeadImport

    leads = storm(6, start)
    listed = LeadImport.objects.create(name="expo.csv")
    Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(lead_import=listed)
    with at(start, SLA + timedelta(seconds=1)):
        assert assignments_escalate_overdue() == 6

    # Ana heard of the list in the import's digest, and hears of losing it in one too.
    assert not to("ana@example.com").filter(kind="lead.expired").exists()
    assert to("ana@example.com").filter(kind="escalation.digest").count() == 1
    # The closers who got them: one digest each, no message per lead.
    closers = Notification.objects.filter(rep__in=[team.bo, team.cy])
    assert not closers.filter(kind="lead.escalated").exists()
    assert closers.filter(kind="escalation.digest").exists()


def test_a_live_lead_escalated_is_told_at_once_though_a_lists_digest_is_open(team, start):
    from routing.models import LeadImport

    leads = storm(6, start)
    listed = LeadImport.objects.create(name="expo.csv")
    Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(lead_import=listed)
    with at(start, timedelta(minutes=1)):
        hot = submit(source="demo_request", email="hot@prospect.com", first_name="Hot")
    with at(start, SLA + timedelta(seconds=1)):
        assert assignments_escalate_overdue() == 6
    with at(start, SLA + timedelta(minutes=1, seconds=1)):
        assert assignments_escalate_overdue() == 1

    hot_owner = hot.assignments.get(ended_at__isnull=True).rep
    told_now = Notification.objects.filter(lead=hot, kind="lead.escalated", rep=hot_owner)
    assert told_now.exists()  # not left for the digest that closes minutes later
    assert to("ana@example.com").filter(kind="lead.expired", lead=hot).exists()
