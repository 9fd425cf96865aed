"""A manager moves leads by hand: reassigned to a rep or a pool, returned to the rules,
closed — each recorded as any routing is, and never taken from someone who has just
started working it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from routing.models import Assignment, Lead, LeadEvent, Notification, RoutingDecision
from routing.notifications.messages import message_for
from routing.services.acknowledge import assignment_acknowledge
from routing.services.reassignment import (
    ReassignmentError,
    leads_close,
    leads_reassign,
    leads_return_to_rules,
)
from tests.factories import StaffUserFactory
from tests.team import build_team, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return build_team()


@pytest.fixture
def manager():
    return StaffUserFactory(email="mia.manager@example.com", name="Mia")


def ana_leads(count: int) -> list[Lead]:
    return [submit(email=f"lead{n}@prospect.com", source="demo_request") for n in range(count)]


def open_assignments(lead: Lead) -> list[Assignment]:
    return list(lead.assignments.filter(ended_at__isnull=True))


def test_a_manager_moves_a_reps_open_leads_to_another_rep_with_a_fresh_deadline(team, manager):
    leads = ana_leads(2)
    later = timezone.now() + timedelta(minutes=5)

    with time_machine.travel(later, tick=False):
        moved = leads_reassign(
            lead_ids=[lead.pk for lead in leads],
            target=team.bo,
            reason="Ana is off sick",
            by=manager,
            seen_at=later,
        )

    assert [lead.pk for lead in moved.done] == sorted(lead.pk for lead in leads)
    assert moved.left == []
    for lead in leads:
        lead.refresh_from_db()
        assert (lead.owner, lead.status, lead.rule) == (team.bo, Lead.Status.ASSIGNED, team.demo)
        (current,) = open_assignments(lead)
        assert current.rep == team.bo
        assert current.reason == Assignment.Reason.MANUAL
        assert current.ack_due_at == later + timedelta(minutes=15)
        ended = lead.assignments.get(rep=team.ana)
        assert (ended.ended_at, ended.end_reason) == (later, Assignment.EndReason.REASSIGNED)
        decision = current.decision
        assert decision.kind == RoutingDecision.Kind.MANUAL
        assert decision.steps[0] == {
            "step": "reassigned",
            "by": "Mia",
            "by_user_id": manager.pk,
            "reason": "Ana is off sick",
        }
        event = lead.events.get(kind=LeadEvent.Kind.REASSIGNED)
        assert event.actor_user == manager
        assert event.assignment == current
        assert event.data["note"] == "Ana is off sick"
        assert event.data["from_rep"] == team.ana.pk
        told = set(lead.notifications.values_list("kind", "rep__name", "channel"))
        assert ("lead.assigned", "Bo", "email") in told
        assert ("lead.reassigned", "Ana", "email") in told
        to_ana = lead.notifications.get(kind="lead.reassigned")
        assert message_for(to_ana).note == (
            "A manager took this lead off your list. It is now with Bo."
        )


def test_a_pool_picks_its_members_in_turn_and_never_the_current_owner(team, manager):
    leads = ana_leads(2)
    ids = [lead.pk for lead in leads]

    moved = leads_reassign(
        lead_ids=ids,
        target=team.closers,
        reason="Spread the load",
        by=manager,
        seen_at=timezone.now(),
    )

    owners = {lead.owner.name for lead in Lead.objects.filter(pk__in=ids).select_related("owner")}
    assert owners == {"Bo", "Cy"}
    assert len(moved.done) == 2
    first = Lead.objects.get(pk=ids[0])
    again = leads_reassign(
        lead_ids=[first.pk],
        target=team.closers,
        reason="Not a fit",
        by=manager,
        seen_at=timezone.now(),
    )
    first.refresh_from_db()
    assert len(again.done) == 1
    assert first.owner.name == ({"Bo", "Cy"} - {moved.done[0].owner.name}).pop()
    decision = first.decisions.order_by("-id").first()
    assert decision.pool == team.closers
    assert first.pool is None, "the pool of its first routing stays on the lead"


def test_an_inactive_rep_cannot_be_a_target_and_nothing_changes(team, manager):
    (lead,) = ana_leads(1)
    team.cy.is_active = False
    team.cy.save()

    with pytest.raises(ReassignmentError, match="inactive"):
        leads_reassign(
            lead_ids=[lead.pk],
            target=team.cy,
            reason="Why not",
            by=manager,
            seen_at=timezone.now(),
        )

    lead.refresh_from_db()
    assert lead.owner == team.ana
    assert lead.assignments.count() == 1


def test_a_reason_is_required(team, manager):
    (lead,) = ana_leads(1)

    with pytest.raises(ReassignmentError, match="Say why"):
        leads_reassign(
            lead_ids=[lead.pk], target=team.bo, reason="   ", by=manager, seen_at=timezone.now()
        )

    assert lead.assignments.count() == 1


def test_a_lead_acknowledged_after_the_manager_chose_stays_with_its_owner_and_is_reported(
    team, manager
):
    first, second = ana_leads(2)
    seen_at = timezone.now()
    with time_machine.travel(seen_at + timedelta(seconds=30), tick=False):
        assignment_acknowledge(assignment=first.assignments.get(), rep=team.ana, via="queue")

    with time_machine.travel(seen_at + timedelta(minutes=1), tick=False):
        moved = leads_reassign(
            lead_ids=[first.pk, second.pk],
            target=team.bo,
            reason="Ana is away",
            by=manager,
            seen_at=seen_at,
        )

    assert [lead.pk for lead in moved.done] == [second.pk]
    ((left, why),) = moved.left
    assert left.pk == first.pk
    assert why == "acknowledged by Ana meanwhile; left with them"
    first.refresh_from_db()
    assert first.owner == team.ana
    assert first.status == Lead.Status.ACKNOWLEDGED


def test_returning_a_lead_to_the_rules_routes_it_again_and_starts_its_escalations_over(
    team, manager
):
    (lead,) = ana_leads(1)
    leads_reassign(
        lead_ids=[lead.pk], target=team.bo, reason="Cover", by=manager, seen_at=timezone.now()
    )
    Lead.objects.filter(pk=lead.pk).update(escalation_count=1)

    moved = leads_return_to_rules(
        lead_ids=[lead.pk], reason="Bo is back to his own", by=manager, seen_at=timezone.now()
    )

    assert len(moved.done) == 1
    lead.refresh_from_db()
    assert (lead.owner, lead.rule, lead.escalation_count) == (team.ana, team.demo, 0)
    (current,) = open_assignments(lead)
    decision = current.decision
    assert decision.kind == RoutingDecision.Kind.REROUTED
    assert decision.steps[0]["step"] == "returned to the rules"
    assert any(step.get("rule") == "Demo requests" for step in decision.steps)
    routed = lead.events.filter(kind=LeadEvent.Kind.ROUTED).order_by("-id").first()
    assert (routed.actor_user, routed.data["note"]) == (manager, "Bo is back to his own")
    assert Notification.objects.filter(lead=lead, kind="lead.reassigned", rep=team.bo).exists()


def test_closing_a_lead_ends_its_assignment_with_the_managers_reason(team, manager):
    (lead,) = ana_leads(1)

    moved = leads_close(
        lead_ids=[lead.pk],
        outcome=Lead.Status.DISQUALIFIED,
        reason="Duplicate of a customer",
        by=manager,
        seen_at=timezone.now(),
    )

    assert len(moved.done) == 1
    lead.refresh_from_db()
    assert (lead.status, lead.outcome_note) == (Lead.Status.DISQUALIFIED, "Duplicate of a customer")
    assert open_assignments(lead) == []
    assert lead.assignments.get().end_reason == Assignment.EndReason.CLOSED
    outcome = lead.events.get(kind=LeadEvent.Kind.OUTCOME)
    assert outcome.actor_user == manager
    again = leads_close(
        lead_ids=[lead.pk],
        outcome=Lead.Status.CONVERTED,
        reason="Oops",
        by=manager,
        seen_at=timezone.now(),
    )
    assert again.done == []
    assert again.left[0][1] == "closed already (disqualified)"


def test_closing_needs_a_final_outcome(team, manager):
    (lead,) = ana_leads(1)

    with pytest.raises(ReassignmentError, match="not a final outcome"):
        leads_close(
            lead_ids=[lead.pk], outcome="contacted", reason="x", by=manager, seen_at=timezone.now()
        )


def test_an_unclaimed_lead_given_to_a_rep_leaves_the_shared_queue(team, manager):
    (lead,) = ana_leads(1)
    Assignment.objects.filter(lead=lead).update(
        ended_at=timezone.now(), end_reason=Assignment.EndReason.EXPIRED
    )
    Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.UNCLAIMED, owner=None)
    lead.queue_pools.add(team.closers)

    leads_reassign(
        lead_ids=[lead.pk],
        target=team.dee,
        reason="Dee knows them",
        by=manager,
        seen_at=timezone.now(),
    )

    lead.refresh_from_db()
    assert (lead.owner, lead.status) == (team.dee, Lead.Status.ASSIGNED)
    assert lead.waiting_for() == []


@pytest.mark.parametrize("target", ["rep", "pool", "rules"])
def test_moving_ten_leads_takes_as_many_statements_as_moving_two(team, manager, target):
    def statements_to_move(count: int, offset: int) -> int:
        leads = [
            submit(email=f"batch{offset + n}@prospect.com", source="demo_request")
            for n in range(count)
        ]
        chosen = {"lead_ids": [lead.pk for lead in leads], "reason": "Ana has left"}
        with CaptureQueriesContext(connection) as queries:
            if target == "rules":
                moved = leads_return_to_rules(**chosen, by=manager, seen_at=timezone.now())
            else:
                moved = leads_reassign(
                    **chosen,
                    target=team.bo if target == "rep" else team.closers,
                    by=manager,
                    seen_at=timezone.now(),
                )
        assert len(moved.done) == count
        return len(queries)

    statements_to_move(1, offset=200)  # the first also makes the pool's rotation row
    two = statements_to_move(2, offset=0)

    assert statements_to_move(10, offset=100) == two


def test_a_pool_with_nobody_but_the_current_owner_available_leaves_the_lead_and_says_why(
    team, manager
):
    (lead,) = ana_leads(1)
    leads_reassign(
        lead_ids=[lead.pk], target=team.bo, reason="Cover", by=manager, seen_at=timezone.now()
    )
    team.cy.is_active = False
    team.cy.save()

    moved = leads_reassign(
        lead_ids=[lead.pk],
        target=team.closers,
        reason="Spread",
        by=manager,
        seen_at=timezone.now(),
    )

    assert moved.done == []
    assert moved.left[0][1] == "nobody in Closers can take it now (its current owner aside)"
    lead.refresh_from_db()
    assert lead.owner == team.bo
    assert len(open_assignments(lead)) == 1


def test_the_new_owner_reads_who_moved_the_lead_and_why_in_their_queue(client, team, manager):
    (lead,) = ana_leads(1)
    leads_reassign(
        lead_ids=[lead.pk],
        target=team.bo,
        reason="Ana is off sick",
        by=manager,
        seen_at=timezone.now(),
    )
    client.force_login(team.bo.user)

    page = client.get(reverse("queue:lead", args=[lead.pk])).content.decode()

    assert "Reassigned by a manager" in page
    assert "Ana is off sick" in page
    assert "Mia: “Ana is off sick”" in page
    assert "mia.manager@example.com" not in page
