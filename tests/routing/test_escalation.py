"""Nobody acknowledged in time: the sweep expires the assignment and moves the lead on,
once, never back to someone who let it expire; after the last escalation the lead waits
in the shared queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from routing.models import Assignment, Lead, LeadEvent, Notification
from routing.services.acknowledge import AcknowledgeError, assignment_acknowledge
from routing.services.escalation import assignment_expire, assignments_escalate_overdue
from routing.services.work import WorkError, lead_claim
from tests.team import submit

pytestmark = pytest.mark.django_db

SLA = timedelta(minutes=15)


def later(delta: timedelta):
    return time_machine.travel(timezone.now() + delta, tick=False)


def test_an_unacknowledged_lead_moves_to_the_escalation_pool_at_its_deadline(team):
    lead = submit(source="demo_request")
    first = lead.assignments.get()

    with later(SLA - timedelta(seconds=1)):
        assert assignments_escalate_overdue() == 0
    with later(SLA + timedelta(seconds=1)):
        assert assignments_escalate_overdue() == 1

    first.refresh_from_db()
    assert first.end_reason == Assignment.EndReason.EXPIRED
    lead.refresh_from_db()
    assert lead.status == Lead.Status.ASSIGNED and lead.escalation_count == 1
    second = lead.assignments.get(ended_at__isnull=True)
    assert second.rep in (team.bo, team.cy)
    assert second.reason == Assignment.Reason.ESCALATED
    assert second.ack_due_at - second.assigned_at == SLA
    decision = second.decision
    assert decision.kind == "escalation"
    assert decision.steps[0] == {"step": "escalation", "route": "pool Closers"}


def test_everyone_is_told_the_new_owner_the_old_one_and_the_manager(team):
    lead = submit(source="demo_request")
    with later(SLA + timedelta(seconds=1)):
        assignments_escalate_overdue()
    new_owner = lead.assignments.get(ended_at__isnull=True).rep

    told = {(row.kind, row.destination) for row in Notification.objects.filter(lead=lead)}
    assert ("lead.expired", "ana@example.com") in told
    assert ("manager.escalated", "manager@example.com") in told
    new_owner_channels = {
        row.channel for row in Notification.objects.filter(lead=lead, kind="lead.escalated")
    }
    assert new_owner_channels == ({"email"} if new_owner == team.bo else {"slack"})
    escalated = lead.events.get(kind=LeadEvent.Kind.ESCALATED)
    assert escalated.data["from_rep"] == team.ana.pk and escalated.data["escalation"] == 1


def test_a_lead_acknowledged_in_time_stays(team):
    lead = submit(source="demo_request")
    assignment_acknowledge(assignment=lead.assignments.get(), rep=team.ana, via="test")
    with later(SLA * 3):
        assert assignments_escalate_overdue() == 0
    assert lead.assignments.count() == 1


def test_an_escalation_never_goes_back_to_a_rep_who_let_it_expire(team):
    lead = submit(source="demo_request")
    owners = [team.ana]
    with later(SLA + timedelta(seconds=1)):
        assignments_escalate_overdue()
        owners.append(lead.assignments.get(ended_at__isnull=True).rep)
    with later(2 * SLA + timedelta(seconds=2)):
        assignments_escalate_overdue()
        owners.append(lead.assignments.get(ended_at__isnull=True).rep)

    assert len(set(owners)) == 3  # Ana, then one closer, then the other
    assert set(owners[1:]) == {team.bo, team.cy}


def test_after_the_last_escalation_the_lead_is_unclaimed_in_its_pools_queue(team):
    lead = submit(source="demo_request")
    for round_ in range(1, 4):
        with later(round_ * (SLA + timedelta(seconds=1))):
            assignments_escalate_overdue()

    lead.refresh_from_db()
    assert lead.status == Lead.Status.UNCLAIMED and lead.owner is None
    assert lead.escalation_count == 2
    assert list(lead.queue_pools.all()) == [team.closers]
    assert not lead.assignments.filter(ended_at__isnull=True).exists()
    assert lead.events.filter(kind=LeadEvent.Kind.UNCLAIMED).exists()


def test_the_first_pool_member_to_claim_gets_it(team):
    lead = submit(source="demo_request")
    for round_ in range(1, 4):
        with later(round_ * (SLA + timedelta(seconds=1))):
            assignments_escalate_overdue()

    with pytest.raises(WorkError, match="not in your shared queue"):
        lead_claim(lead=lead, rep=team.dee)
    assignment = lead_claim(lead=lead, rep=team.bo)
    with pytest.raises(WorkError, match="Someone else claimed this lead first"):
        lead_claim(lead=lead, rep=team.cy)

    lead.refresh_from_db()
    assert lead.owner == team.bo and lead.status == Lead.Status.ACKNOWLEDGED
    assert assignment.acknowledged_at is not None and assignment.ack_due_at is None
    assert not lead.queue_pools.exists()


def test_two_sweeps_escalate_an_assignment_once(team):
    lead = submit(source="demo_request")
    first = lead.assignments.get()
    with later(SLA + timedelta(seconds=1)):
        now = timezone.now()
        assert assignment_expire(assignment=first, now=now) is True
        assert assignment_expire(assignment=first, now=now) is False
        assert assignments_escalate_overdue() == 0
    assert lead.assignments.count() == 2
    assert lead.events.filter(kind=LeadEvent.Kind.ESCALATED).count() == 1


def test_acknowledging_after_expiry_is_refused(team):
    lead = submit(source="demo_request")
    first = lead.assignments.get()
    with later(SLA + timedelta(seconds=1)):
        assignments_escalate_overdue()
    with pytest.raises(AcknowledgeError, match="Too late"):
        assignment_acknowledge(assignment=first, rep=team.ana, via="test")


def test_slas_have_second_precision(team):
    rule = team.demo
    rule.ack_sla = timedelta(seconds=3)
    rule.save()
    lead = submit(source="demo_request")
    assignment = lead.assignments.get()
    assert assignment.ack_due_at - assignment.assigned_at == timedelta(seconds=3)
    with later(timedelta(seconds=2)):
        assert assignments_escalate_overdue() == 0
    with later(timedelta(seconds=4)):
        assert assignments_escalate_overdue() == 1


def test_without_an_escalation_target_the_fallback_takes_it(team):
    team.ruleset.escalate_to_pool = None
    team.ruleset.save()
    lead = submit(source="demo_request")
    with later(SLA + timedelta(seconds=1)):
        assignments_escalate_overdue()
    assert lead.assignments.get(ended_at__isnull=True).rep == team.dee


def test_a_storm_is_escalated_in_batches_each_lead_once_with_the_rotation_exact(team):
    leads = [submit(source="demo_request", email=f"storm{n}@prospect.com") for n in range(9)]

    with later(SLA + timedelta(seconds=1)):
        assert assignments_escalate_overdue() == 9
        assert assignments_escalate_overdue() == 0

    new_owners = []
    for lead in leads:
        lead.refresh_from_db()
        assert lead.events.filter(kind=LeadEvent.Kind.ESCALATED).count() == 1
        (current,) = lead.assignments.filter(ended_at__isnull=True)
        assert current.reason == Assignment.Reason.ESCALATED and lead.owner == current.rep
        assert lead.escalation_count == 1 and lead.status == Lead.Status.ASSIGNED
        new_owners.append(current.rep)
    # The closers' round robin turned once per lead, across the batch.
    assert sorted(new_owners.count(rep) for rep in (team.bo, team.cy)) == [4, 5]
    # Ana lost nine leads at once: a few messages now, the rest in one digest.
    ana = Notification.objects.filter(destination="ana@example.com")
    assert ana.filter(kind="lead.expired").count() == 3
    assert ana.filter(kind="escalation.digest").count() == 1


def test_a_lead_just_fallen_due_is_not_kept_behind_the_backlog(team):
    backlog = [submit(source="demo_request", email=f"old{n}@prospect.com") for n in range(4)]
    with later(SLA - timedelta(minutes=5)):
        fresh = submit(source="demo_request", email="fresh@prospect.com")
    fresh_assignment = fresh.assignments.get()

    # The backlog has been overdue for five minutes; the fresh lead for a moment.
    with time_machine.travel(fresh_assignment.ack_due_at + timedelta(milliseconds=300), tick=False):
        assert assignments_escalate_overdue(limit=2) == 2

    fresh_assignment.refresh_from_db()
    assert fresh_assignment.end_reason == Assignment.EndReason.EXPIRED
    expired = [lead for lead in backlog if lead.assignments.filter(end_reason="expired").exists()]
    assert expired == [backlog[0]]  # and then the oldest of the backlog


def test_after_the_last_escalation_a_batch_leaves_every_lead_in_its_queue(team):
    leads = [submit(source="demo_request", email=f"late{n}@prospect.com") for n in range(3)]
    for round_ in range(1, 4):
        with later(round_ * (SLA + timedelta(seconds=1))):
            assert assignments_escalate_overdue() == 3

    for lead in leads:
        lead.refresh_from_db()
        assert lead.status == Lead.Status.UNCLAIMED and lead.owner is None
        assert list(lead.queue_pools.all()) == [team.closers]
    # Each round, 15 minutes apart, the manager heard of the first lead at once and of
    # the other two in one digest.
    manager = Notification.objects.filter(destination="manager@example.com")
    assert manager.filter(kind__in=["manager.escalated", "manager.unclaimed"]).count() == 3
    assert manager.filter(kind="manager.digest").count() == 3
