"""A rep sets their own availability in the queue: pause and resume new leads, away until
a time with a cover, back early. Each change is the rep's own, in history as made by
them; bad input is refused with a reason and changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from reps.models import Rep
from tests.factories import RepFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)


@pytest.fixture
def ana(client, team):
    team.ana.timezone = "Europe/Paris"
    team.ana.save()
    client.force_login(team.ana.user)
    return team.ana


def availability_fields(rep: Rep) -> tuple:
    rep.refresh_from_db()
    return (rep.paused_at, rep.out_of_office_from, rep.out_of_office_until, rep.cover_rep_id)


def test_the_queue_shows_that_the_rep_is_taking_new_leads(client, ana):
    html = client.get("/queue/").content.decode()

    assert "My availability" in html
    assert "Taking new leads" in html and "Pause new leads" in html


@time_machine.travel(NOW, tick=False)
def test_pausing_stops_new_leads_is_recorded_as_the_reps_own_change_and_resuming_ends_it(
    client, ana
):
    page = client.post("/queue/availability/pause/", follow=True).content.decode()

    ana.refresh_from_db()
    assert ana.paused_at == timezone.now()
    assert "New leads paused: you keep the leads you have." in page
    assert "Resume new leads" in page and ">Mon 7 Dec, 09:00</time>" in page
    latest = ana.history.latest()
    assert latest.history_user == ana.user and latest.paused_at == timezone.now()

    page = client.post("/queue/availability/resume/", follow=True).content.decode()

    ana.refresh_from_db()
    assert ana.paused_at is None
    assert "Taking new leads" in page
    assert [row.paused_at is None for row in ana.history.order_by("history_id")][-2:] == [
        False,
        True,
    ]


@time_machine.travel(NOW, tick=False)
def test_going_away_until_a_local_time_with_a_cover_and_coming_back(client, ana, team):
    page = client.post(
        "/queue/availability/away/",
        {"until": "2026-12-11T18:00", "cover": team.bo.pk},
        follow=True,
    ).content.decode()

    ana.refresh_from_db()
    assert ana.out_of_office_from == timezone.now()
    assert ana.out_of_office_until == datetime(2026, 12, 11, 18, 0, tzinfo=PARIS)
    assert ana.cover_rep == team.bo
    assert "Away until Fri 11 Dec, 18:00. Bo covers your account leads." in page
    assert "I’m back" in page and "Bo covers your named accounts meanwhile." in page
    assert ana.history.latest().history_user == ana.user

    page = client.post("/queue/availability/back/", follow=True).content.decode()

    assert availability_fields(ana) == (None, None, None, None)
    assert "Welcome back: new leads come to you again." in page


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"until": "2026-12-06T18:00"}, "That time has passed; choose when you will be back."),
        ({"until": "2026-12-07T09:00"}, "That time has passed; choose when you will be back."),
        ({"until": "next week"}, "Give a date and time, such as 2026-12-24 09:00."),
        ({"until": ""}, "Say until when you are away."),
        ({"until": "2026-12-11T18:00", "cover": "999999"}, "That cover is not a rep"),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_a_time_away_that_makes_no_sense_is_refused_and_changes_nothing(client, ana, form, error):
    before = availability_fields(ana)

    response = client.post("/queue/availability/away/", form)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert availability_fields(ana) == before


@time_machine.travel(NOW, tick=False)
def test_a_cover_must_be_an_active_person_other_than_the_rep(client, ana, team):
    retired = RepFactory(name="Old Timer", is_active=False)
    refusals = {
        ana.pk: "A rep cannot cover for themselves",
        team.bot.pk: "SDR Bot is an AI agent; a cover must be a person.",
        retired.pk: "Old Timer is inactive and receives no leads",
    }
    for cover, error in refusals.items():
        response = client.post(
            "/queue/availability/away/", {"until": "2026-12-11T18:00", "cover": cover}
        )
        assert response.status_code == 400
        assert error in response.content.decode()
    assert availability_fields(ana) == (None, None, None, None)


def test_the_cover_list_offers_only_active_colleagues(client, ana, team):
    RepFactory(name="Old Timer", is_active=False)

    html = client.get("/queue/availability/away/").content.decode()
    select = html[html.index('<select name="cover"') : html.index("</select>")]

    offered = [line.strip() for line in select.splitlines() if "<option" in line]
    assert offered[1:] == [
        f'<option value="{rep.pk}">{rep.name}</option>' for rep in (team.bo, team.cy, team.dee)
    ]


def test_changing_availability_takes_a_post_with_the_csrf_token(team):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(team.ana.user)

    assert csrf_client.post("/queue/availability/pause/").status_code == 403
    assert csrf_client.get("/queue/availability/pause/").status_code == 405
    assert availability_fields(team.ana)[0] is None


def test_only_a_signed_in_rep_changes_availability_and_only_their_own(client, team):
    response = client.post("/queue/availability/pause/")
    assert response.status_code == 302 and response["Location"].startswith("/queue/login/")

    client.force_login(StaffUserFactory())
    assert client.post("/queue/availability/pause/").status_code == 403

    client.force_login(team.bo.user)
    client.post("/queue/availability/pause/")
    assert availability_fields(team.bo)[0] is not None
    assert availability_fields(team.ana)[0] is None


def test_coming_back_while_paused_says_new_leads_are_still_paused(client, ana):
    client.post("/queue/availability/pause/")
    client.post("/queue/availability/away/", {"until": "2099-01-01T09:00"})

    page = client.post("/queue/availability/back/", follow=True).content.decode()

    assert "New leads are still paused" in page and "Resume new leads" in page
    assert availability_fields(ana)[2] is None


def test_time_away_planned_by_a_manager_shows_in_the_queue_and_can_be_called_off(client, ana):
    ana.out_of_office_from = timezone.now() + timedelta(days=3)
    ana.out_of_office_until = timezone.now() + timedelta(days=5)
    ana.save()

    html = client.get("/queue/").content.decode()
    assert "Away soon" in html and "Call off time away" in html and "Taking new leads" in html

    client.post("/queue/availability/back/")
    assert availability_fields(ana)[1:3] == (None, None)
