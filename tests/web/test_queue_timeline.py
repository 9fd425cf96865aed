"""A lead's timeline reads as sentences, with times in the rep's own zone: who got the
lead and by which rule, who let it pass and after how long, who took it, what came of it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.http import HttpRequest
from django.test.utils import CaptureQueriesContext

from routing.services.escalation import assignments_escalate_overdue
from tests.team import PASSWORD, submit

pytestmark = pytest.mark.django_db

# 04:28 UTC is 22:28 the evening before in Chicago.
SUBMITTED = datetime(2026, 12, 7, 4, 28, tzinfo=UTC)


def timeline(client, rep, lead) -> list[str]:
    assert client.login(request=HttpRequest(), username=rep.email, password=PASSWORD)
    html = client.get(f"/queue/leads/{lead.pk}/").content.decode()
    items = re.findall(r"<li>(.*?)</li>", html.split('<ol class="timeline">')[1], re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_the_timeline_says_who_got_the_lead_by_which_rule_with_local_times(client, team):
    team.ana.timezone = "America/Chicago"
    team.ana.save()
    with time_machine.travel(SUBMITTED, tick=False):
        lead = submit(source="demo_request")
    with time_machine.travel(SUBMITTED + timedelta(minutes=3), tick=False):
        assert client.login(request=HttpRequest(), username="ana@example.com", password=PASSWORD)
        client.post(f"/queue/leads/{lead.pk}/acknowledge/")
        client.post(f"/queue/leads/{lead.pk}/outcome/", {"outcome": "qualified", "note": "Budget"})
        lines = timeline(client, team.ana, lead)

    assert lines[0] == "Dec 6, 22:28 Submitted via intake"
    assert "Dec 6, 22:28 Assigned to Ana by rule ‘Demo requests’ To acknowledge by 22:43" in lines
    assert "Dec 6, 22:31 Acknowledged by Ana in the queue Within the deadline" in lines
    assert "Dec 6, 22:31 Outcome: qualified, recorded by Ana Budget" in lines
    assert not any(re.search(r"\d{4}-\d\d-\d\dT", line) for line in lines)  # no ISO dates


def test_the_timeline_says_why_a_lead_was_escalated_and_who_claimed_it(client, team):
    with time_machine.travel(SUBMITTED, tick=False):
        lead = submit(source="demo_request")
    for round_ in range(1, 4):
        with time_machine.travel(SUBMITTED + round_ * timedelta(minutes=15, seconds=1)):
            assignments_escalate_overdue()
    with time_machine.travel(SUBMITTED + timedelta(hours=1), tick=False):
        assert client.login(request=HttpRequest(), username="bo@example.com", password=PASSWORD)
        client.post(f"/queue/leads/{lead.pk}/claim/")
        lines = timeline(client, team.bo, lead)

    assert any("Escalated: Ana did not acknowledge within 15 min" in line for line in lines)
    assert any(re.search(r"Escalated to (Bo|Cy) To acknowledge by", line) for line in lines)
    assert any("Waiting in the shared queue" in line for line in lines)
    assert any("The last escalation" in line for line in lines)
    assert lines[-1].endswith("Claimed by Bo from the shared queue")


def test_a_long_timeline_costs_no_more_queries_than_a_short_one(client, team):
    with time_machine.travel(SUBMITTED, tick=False):
        long = submit(source="demo_request", email="long@prospect.com")
    for round_ in range(1, 3):
        with time_machine.travel(SUBMITTED + round_ * timedelta(minutes=15, seconds=1)):
            assignments_escalate_overdue()
    with time_machine.travel(SUBMITTED + timedelta(hours=1), tick=False):
        short = submit(source="demo_request", email="short@prospect.com")
    long.refresh_from_db()
    assert long.events.count() > short.events.count() + 3

    def read(lead) -> int:
        client.force_login(lead.owner.user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/queue/leads/{lead.pk}/").status_code == 200
        return len(queries)

    assert read(long) == read(short)
