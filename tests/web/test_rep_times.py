"""A rep reads every time in their own time zone, the zone named: the queue, the lead
page and the acknowledge page agree with the e-mail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.http import HttpRequest

from routing.links import acknowledge_url
from tests.team import PASSWORD, submit

pytestmark = pytest.mark.django_db

# 04:28 UTC is 22:28 the evening before in Chicago; the 15-minute SLA ends at 22:43.
SUBMITTED = datetime(2026, 12, 7, 4, 28, tzinfo=UTC)


@pytest.fixture
def ana_in_chicago(team):
    team.ana.timezone = "America/Chicago"
    team.ana.save()
    return team.ana


def test_the_queue_and_the_lead_page_say_the_deadline_in_the_reps_zone(client, ana_in_chicago):
    with time_machine.travel(SUBMITTED, tick=False):
        lead = submit(source="demo_request")
        assert client.login(request=HttpRequest(), username=ana_in_chicago.email, password=PASSWORD)
        home = client.get("/queue/").content.decode()
        page = client.get(f"/queue/leads/{lead.pk}/").content.decode()

    assert "by 22:43 America/Chicago" in home
    assert "0\xa0minutes ago" in home and "in 0\xa0minutes ago" not in home
    assert "Acknowledge by 22:43 America/Chicago" in page
    assert "Times in America/Chicago." in page
    assert "Dec 6, 22:28" in page  # the timeline, in Chicago's evening


def test_the_acknowledge_page_says_the_deadline_in_the_reps_zone(client, ana_in_chicago):
    with time_machine.travel(SUBMITTED, tick=False):
        lead = submit(source="demo_request")
        page = client.get(acknowledge_url(lead.assignments.get())).content.decode()

    assert "Acknowledge by 22:43 America/Chicago" in page
