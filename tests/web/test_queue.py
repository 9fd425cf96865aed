"""The rep queue: a rep sees and works their own leads and their pools' unclaimed ones;
anything else is a 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.http import HttpRequest
from django.utils import timezone

from routing.models import Lead
from routing.services.escalation import assignments_escalate_overdue
from tests.factories import StaffUserFactory
from tests.team import PASSWORD, submit

pytestmark = pytest.mark.django_db


def signed_in(client, rep):
    assert client.login(request=HttpRequest(), username=rep.email, password=PASSWORD)
    return client


def test_the_queue_asks_to_sign_in(client):
    response = client.get("/queue/")
    assert response.status_code == 302 and response["Location"].startswith("/queue/login/")
    login = client.get(response["Location"])
    assert login.status_code == 200 and "Sign in" in login.content.decode()


def test_signing_in_with_email_and_password_opens_my_leads(client, team):
    submit(source="demo_request")
    response = client.post(
        "/queue/login/", {"username": "ana@example.com", "password": PASSWORD}, follow=True
    )
    html = response.content.decode()
    assert "My leads" in html and "Pat" in html
    assert 'class="sla"' in html  # the live countdown


def test_a_wrong_password_says_so(client, team):
    response = client.post("/queue/login/", {"username": "ana@example.com", "password": "no"})
    assert "did not match" in response.content.decode()


def test_a_login_that_is_not_a_rep_is_told_what_to_do(client):
    client.force_login(StaffUserFactory())
    response = client.get("/queue/")
    assert response.status_code == 403 and "not a rep" in response.content.decode()


def test_the_lead_page_shows_the_form_data_why_and_timeline(client, team):
    lead = submit(source="demo_request", phone="+1 555 0100", attributes={"plan": "Pro"})
    page = signed_in(client, team.ana).get(f"/queue/leads/{lead.pk}/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "+1 555 0100" in html and "Pro" in html
    assert "Why you got this lead" in html and "Demo requests" in html
    assert "Submitted" in html and "Assigned to Ana by rule ‘Demo requests’" in html
    assert "Acknowledge</button>" in html


def test_another_reps_lead_is_not_found(client, team):
    lead = submit(source="demo_request")
    client = signed_in(client, team.bo)
    assert client.get(f"/queue/leads/{lead.pk}/").status_code == 404
    assert client.post(f"/queue/leads/{lead.pk}/acknowledge/").status_code == 404
    assert (
        client.post(f"/queue/leads/{lead.pk}/outcome/", {"outcome": "converted"}).status_code == 404
    )
    assert client.get("/queue/leads/99999/").status_code == 404
    lead.refresh_from_db()
    assert lead.status == Lead.Status.ASSIGNED


def test_acknowledge_then_record_outcomes(client, team):
    lead = submit(source="demo_request")
    client = signed_in(client, team.ana)

    page = client.post(f"/queue/leads/{lead.pk}/acknowledge/", follow=True)
    assert "the clock has stopped" in page.content.decode()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.ACKNOWLEDGED

    client.post(f"/queue/leads/{lead.pk}/outcome/", {"outcome": "qualified", "note": "Budget ok"})
    lead.refresh_from_db()
    assert lead.status == Lead.Status.QUALIFIED and lead.outcome_note == "Budget ok"
    assert lead.assignments.get().ended_at is None  # still being worked

    client.post(f"/queue/leads/{lead.pk}/outcome/", {"outcome": "converted"})
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONVERTED
    assert lead.assignments.get().end_reason == "closed"
    home = client.get("/queue/").content.decode()
    assert f"/queue/leads/{lead.pk}/" not in home  # closed leads leave the list


def test_an_unknown_outcome_is_refused_and_changes_nothing(client, team):
    lead = submit(source="demo_request")
    page = signed_in(client, team.ana).post(
        f"/queue/leads/{lead.pk}/outcome/", {"outcome": "won"}, follow=True
    )
    assert "is not an outcome" in page.content.decode()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.ASSIGNED


def test_unclaimed_leads_show_in_the_pool_queue_and_can_be_claimed(client, team):
    lead = submit(source="demo_request")
    for round_ in range(1, 4):
        with time_machine.travel(timezone.now() + round_ * timedelta(minutes=15, seconds=1)):
            assignments_escalate_overdue()

    bo = signed_in(client, team.bo)
    assert "Shared queue" in bo.get("/queue/").content.decode()
    assert f"/queue/leads/{lead.pk}/claim/" in bo.get("/queue/?tab=shared").content.decode()
    page = bo.post(f"/queue/leads/{lead.pk}/claim/", follow=True)
    assert "The lead is yours" in page.content.decode()
    lead.refresh_from_db()
    assert lead.owner == team.bo

    client.logout()
    dee = signed_in(client, team.dee)
    assert dee.get(f"/queue/leads/{lead.pk}/").status_code == 404


def test_every_asset_is_served_by_the_app(client, team):
    html = signed_in(client, team.ana).get("/queue/").content.decode()
    assert "http://" not in html.replace("http://testserver", "")
    assert "https://" not in html
    for asset in ("/static/queue/queue.css", "/static/queue/countdown.js"):
        assert asset in html
        assert client.get(asset).status_code == 200
