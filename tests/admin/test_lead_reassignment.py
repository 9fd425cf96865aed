"""A Sales manager moves leads from the admin: in bulk from the lead list through a
confirmation page that asks for the target and the reason, and one lead at a time from
its page; staff without the change permission on leads cannot."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client

from reps.roles import user_make_sales_manager
from routing.models import Assignment, Lead, LeadEvent
from routing.services.acknowledge import assignment_acknowledge
from tests.admin.helpers import admin_url
from tests.factories import StaffUserFactory, UserFactory
from tests.roles import ensure_sales_manager_group
from tests.team import build_team, submit

pytestmark = pytest.mark.django_db

LIST = "/admin/routing/lead/"


@pytest.fixture
def team():
    return build_team()


@pytest.fixture
def manager_client() -> Client:
    ensure_sales_manager_group()
    manager = UserFactory(email="sam.manager@example.com", name="Sam")
    user_make_sales_manager(user=manager)
    client = Client()
    client.force_login(manager)
    return client


def ana_leads(count: int) -> list[Lead]:
    return [submit(email=f"lead{n}@prospect.com", source="demo_request") for n in range(count)]


def choose(client: Client, action: str, leads: list[Lead], query: str = "") -> object:
    return client.post(
        LIST + query,
        {"action": action, "_selected_action": [lead.pk for lead in leads], "index": "0"},
    )


def confirm(client: Client, page, query: str = "", **fields: object):
    """Send the confirmation page's form as shown, with `fields` filled in."""
    form = page.context["form"]
    data = {
        "action": page.context["action_name"],
        "_selected_action": page.context["selected"],
        "select_across": page.context["select_across"],
        "index": "0",
        "apply": "1",
        "seen_at": form["seen_at"].value().isoformat(),
        **fields,
    }
    return client.post(LIST + query, data)


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_manager_bulk_moves_a_reps_open_leads_to_another_rep(manager_client, team):
    leads = ana_leads(3)
    query = f"?owner__id__exact={team.ana.pk}&status__exact=assigned"
    page = choose(manager_client, "reassign_leads", leads, query)
    assert page.status_code == 200
    assert page.context["title"] == "Reassign: 3 leads"
    assert b"lead0@prospect.com" in page.content

    done = confirm(manager_client, page, query, rep=team.bo.pk, reason="Ana left the company")

    assert done.status_code == 302
    assert done["Location"].endswith(query)
    assert said(done) == ["Reassigned: 3 leads."]
    for lead in leads:
        lead.refresh_from_db()
        assert lead.owner == team.bo
        event = lead.events.get(kind=LeadEvent.Kind.REASSIGNED)
        assert event.actor_user.email == "sam.manager@example.com"
        assert event.data["note"] == "Ana left the company"


def test_the_confirmation_page_asks_again_when_the_target_or_reason_is_missing(
    manager_client, team
):
    leads = ana_leads(1)
    page = choose(manager_client, "reassign_leads", leads)

    again = confirm(manager_client, page, rep=team.bo.pk, pool=team.closers.pk, reason="")

    assert again.status_code == 200
    errors = again.context["form"].errors
    assert errors["reason"] == ["This field is required."]
    assert errors["__all__"] == ["Choose a rep or a pool, not both."]
    assert leads[0].assignments.get().rep == team.ana


def test_an_inactive_rep_is_not_offered(manager_client, team):
    team.cy.is_active = False
    team.cy.save()
    leads = ana_leads(1)
    page = choose(manager_client, "reassign_leads", leads)

    again = confirm(manager_client, page, rep=team.cy.pk, reason="Cover")

    assert "rep" in again.context["form"].errors
    assert leads[0].assignments.get().ended_at is None


def test_a_lead_acknowledged_while_the_manager_confirmed_is_left_and_reported(manager_client, team):
    first, second = ana_leads(2)
    page = choose(manager_client, "reassign_leads", [first, second])
    assignment_acknowledge(assignment=first.assignments.get(), rep=team.ana, via="queue")

    done = confirm(manager_client, page, rep=team.bo.pk, reason="Ana is away")

    assert said(done) == [
        "Reassigned: 1 lead.",
        f"Left as it was: {first} — acknowledged by Ana meanwhile; left with them.",
    ]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.owner, second.owner) == (team.ana, team.bo)


def test_a_manager_returns_one_lead_to_the_rules_from_its_page(manager_client, team):
    (lead,) = ana_leads(1)
    manager_client.post(
        admin_url(Lead, "reassign", lead.pk),
        {"rep": team.bo.pk, "reason": "Cover", "seen_at": "2999-01-01T00:00:00Z", "apply": "1"},
    )
    lead.refresh_from_db()
    assert lead.owner == team.bo
    lead_page = manager_client.get(admin_url(Lead, "change", lead.pk))
    assert b'id="lead-return"' in lead_page.content
    page = manager_client.get(admin_url(Lead, "return", lead.pk))
    form = page.context["form"]

    done = manager_client.post(
        admin_url(Lead, "return", lead.pk),
        {"reason": "Back to normal", "seen_at": form["seen_at"].value().isoformat(), "apply": "1"},
    )

    assert done["Location"] == admin_url(Lead, "change", lead.pk)
    lead.refresh_from_db()
    assert lead.owner == team.ana
    timeline = manager_client.get(admin_url(Lead, "change", lead.pk)).content.decode()
    assert "Reassigned by a manager" in timeline
    assert "Back to normal" in timeline
    history = manager_client.get(admin_url(Lead, "history", lead.pk)).content.decode()
    assert "Reassigned to Bo &lt;bo@example.com&gt;: Cover" in history
    assert "Returned to the rules: Back to normal" in history


def test_a_manager_closes_a_lead_with_a_final_outcome(manager_client, team):
    (lead,) = ana_leads(1)
    page = choose(manager_client, "close_leads", [lead])

    confirm(manager_client, page, outcome="disqualified", reason="A competitor fishing")

    lead.refresh_from_db()
    assert (lead.status, lead.outcome_note) == (Lead.Status.DISQUALIFIED, "A competitor fishing")
    assert lead.assignments.get().end_reason == Assignment.EndReason.CLOSED
    closed_page = manager_client.get(admin_url(Lead, "change", lead.pk))
    assert b'id="lead-reassign"' not in closed_page.content


def test_staff_without_the_change_permission_on_leads_cannot_move_them(team):
    viewer = StaffUserFactory(email="viewer@example.com", is_superuser=False)
    viewer.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client = Client()
    client.force_login(viewer)
    (lead,) = ana_leads(1)

    listing = client.get(LIST)
    lead_page = client.get(admin_url(Lead, "change", lead.pk))
    refused = client.post(
        admin_url(Lead, "reassign", lead.pk),
        {"rep": team.bo.pk, "reason": "x", "seen_at": "2999-01-01T00:00:00Z", "apply": "1"},
    )
    bulk = choose(client, "reassign_leads", [lead])

    assert b"reassign_leads" not in listing.content
    assert b'id="lead-reassign"' not in lead_page.content
    assert refused.status_code == 403
    assert bulk.status_code == 302  # Django: no such action for them
    assert lead.assignments.get().rep == team.ana
