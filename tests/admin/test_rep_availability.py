"""Managers see who is paused or away, until when and who covers, in the reps list, filter
by it, and read and change the same on a rep's page."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction

from reps.models import Rep
from tests.admin.helpers import admin_url, errors_of, page_data
from tests.factories import AgentFactory, RepFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def reps(db):
    """Ana is away until Friday with Bo covering, Cy has paused new leads, Dee works."""
    bo = RepFactory(name="Bo")
    ana = RepFactory(
        name="Ana",
        timezone="Europe/Paris",
        out_of_office_from=NOW - timedelta(hours=1),
        out_of_office_until=datetime(2026, 12, 11, 18, 0, tzinfo=ZoneInfo("Europe/Paris")),
        cover_rep=bo,
    )
    cy = RepFactory(name="Cy", paused_at=NOW - timedelta(minutes=30))
    dee = RepFactory(name="Dee")
    return {"ana": ana, "bo": bo, "cy": cy, "dee": dee}


def listed(admin_client, query: str = "") -> list[str]:
    response = admin_client.get(admin_url(Rep, "changelist") + query)
    assert response.status_code == 200
    return [rep.name for rep in response.context["cl"].result_list]


@time_machine.travel(NOW, tick=False)
def test_the_reps_list_says_who_is_away_until_when_who_covers_and_who_paused(admin_client, reps):
    html = admin_client.get(admin_url(Rep, "changelist")).content.decode()

    assert "Away until Fri 11 Dec 18:00 (Europe/Paris)<br>covered by Bo" in html
    assert "New leads paused since Mon 07 Dec 08:30" in html
    assert html.count('<td class="field-availability">Taking new leads</td>') == 2  # Bo, Dee


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("choice", "names"),
    [
        ("taking", ["Bo", "Dee"]),
        ("paused", ["Cy"]),
        ("away", ["Ana"]),
        ("covering", ["Bo"]),
    ],
)
def test_the_reps_list_filters_by_availability(admin_client, reps, choice, names):
    assert listed(admin_client, f"?availability={choice}") == names


@time_machine.travel(NOW, tick=False)
def test_time_away_that_is_over_shows_as_taking_leads(admin_client, reps):
    with time_machine.travel(datetime(2026, 12, 12, tzinfo=ZoneInfo("UTC")), tick=False):
        assert listed(admin_client, "?availability=away") == []
        assert "Ana" in listed(admin_client, "?availability=taking")


def test_the_reps_page_shows_time_away_in_the_reps_own_time_zone_beside_the_admins(
    admin_client, reps
):
    page = admin_client.get(admin_url(Rep, "change", reps["ana"].pk))
    html = page.content.decode()

    assert 'name="out_of_office_until_1" value="17:00:00"' in html  # the admin's zone, UTC
    assert "Away from Mon 07 Dec 09:00<br>Away until Fri 11 Dec 18:00<br>" in html
    assert "(Europe/Paris, the rep&#x27;s time zone)" in html


def test_the_reps_page_says_so_when_the_rep_has_no_time_away_or_pause(admin_client, reps):
    html = admin_client.get(admin_url(Rep, "change", reps["dee"].pk)).content.decode()

    assert "No time away or pause set." in html


def test_a_manager_sets_a_cover_and_a_pause_on_the_reps_page_recorded_as_theirs(
    admin_client, staff_user, reps
):
    dee = reps["dee"]
    url = admin_url(Rep, "change", dee.pk)
    page = admin_client.get(url)
    html = page.content.decode()
    assert 'name="cover_rep"' in html and 'name="paused_at_0"' in html
    data = page_data(page)
    data.update(
        cover_rep=reps["bo"].pk,
        out_of_office_from_0="2026-12-20",
        out_of_office_from_1="09:00",
        out_of_office_until_0="2026-12-24",
        out_of_office_until_1="18:00",
        paused_at_0="2026-12-07",
        paused_at_1="08:00",
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    dee.refresh_from_db()
    assert dee.cover_rep == reps["bo"] and dee.paused_at is not None
    assert dee.history.latest().history_user == staff_user


def test_the_reps_page_offers_as_cover_only_active_people_other_than_the_rep(admin_client, reps):
    AgentFactory(name="SDR Bot")
    RepFactory(name="Old Timer", is_active=False)

    page = admin_client.get(admin_url(Rep, "change", reps["dee"].pk))

    offered = page.context["adminform"].form.fields["cover_rep"].queryset
    assert [rep.name for rep in offered] == ["Ana", "Bo", "Cy"]


def test_a_cover_who_became_inactive_is_refused_with_the_reason_on_saving(admin_client, reps):
    dee = reps["dee"]
    retired = RepFactory(name="Old Timer")
    dee.cover_rep = retired
    dee.save()
    Rep.objects.filter(pk=retired.pk).update(is_active=False)
    url = admin_url(Rep, "change", dee.pk)

    response = admin_client.post(url, page_data(admin_client.get(url)))

    assert response.status_code == 200
    assert errors_of(response) == [
        "Old Timer is inactive and receives no leads; choose an active rep."
    ]


@pytest.mark.parametrize("cover", ["self", "agent"])
def test_the_reps_page_refuses_a_cover_who_cannot_cover(admin_client, reps, cover):
    dee = reps["dee"]
    choices = {"self": dee, "agent": AgentFactory(name="SDR Bot")}
    url = admin_url(Rep, "change", dee.pk)
    data = {**page_data(admin_client.get(url)), "cover_rep": choices[cover].pk}

    response = admin_client.post(url, data)

    assert response.status_code == 200 and errors_of(response)
    dee.refresh_from_db()
    assert dee.cover_rep is None


def test_a_rep_cannot_cover_themselves_even_outside_the_admin(reps):
    dee = reps["dee"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Rep.objects.filter(pk=dee.pk).update(cover_rep=dee)
    dee.refresh_from_db()
    assert dee.cover_rep is None
