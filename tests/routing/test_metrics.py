"""The dashboard's figures, each computed here by hand from a known day of leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from routing.metrics import BadPeriod, lead_metrics, period_of
from routing.models import Lead
from routing.services.acknowledge import assignment_acknowledge
from routing.services.escalation import assignments_escalate_overdue
from routing.services.work import lead_record_outcome
from tests.team import Team, build_team, submit

pytestmark = pytest.mark.django_db

T = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def team(db, receiver) -> Team:
    """The team as set up the day before the leads: the Closers were members all along,
    as the pool's membership history says."""
    with at(T - timedelta(days=1)):
        return build_team(receiver)


def acknowledge(lead: Lead, rep, moment: datetime) -> None:
    with at(moment):
        assignment_acknowledge(assignment=lead.assignments.get(), rep=rep, via="test")


@pytest.fixture
def day(team):
    """Four demo requests to Ana on one day: acknowledged after 1 and 10 minutes (in
    time), one never (escalated to the Closers), one after 20 minutes (late)."""
    with at(T):
        a = submit(email="a@prospect.com", source="demo_request")
    acknowledge(a, team.ana, T + timedelta(seconds=60))
    with at(T + timedelta(hours=1)):
        b = submit(email="b@prospect.com", source="demo_request")
    acknowledge(b, team.ana, T + timedelta(hours=1, seconds=600))
    with at(T + timedelta(hours=2)):
        c = submit(email="c@prospect.com", source="demo_request")
    with at(T + timedelta(hours=2, minutes=15, seconds=1)):
        assert assignments_escalate_overdue() == 1
    with at(T + timedelta(hours=3)):
        d = submit(email="d@prospect.com", source="demo_request")
    acknowledge(d, team.ana, T + timedelta(hours=3, seconds=1200))
    with at(T + timedelta(hours=4)):
        lead_record_outcome(lead=a, rep=team.ana, outcome="converted")
        lead_record_outcome(lead=b, rep=team.ana, outcome="disqualified")
    return {"a": a, "b": b, "c": c, "d": d}


def figures():
    with at(T + timedelta(hours=5)):
        return lead_metrics(start=T - timedelta(hours=9), end=T + timedelta(hours=15))


def test_speed_to_lead_is_submission_to_first_acknowledgment(day):
    speed = figures()["speed_to_lead"]
    # a 60 s, b 600 s, d 1200 s; c was never acknowledged.
    assert speed == {"acknowledged": 3, "median_seconds": 600.0, "p90_seconds": 1200.0}


def test_within_sla_counts_first_assignments_that_are_decided(day):
    # a and b in time; c expired; d acknowledged after its deadline.
    assert figures()["within_sla"] == {"acknowledged_in_time": 2, "counted": 4, "share": 0.5}


def test_escalations_unclaimed_and_volume(day):
    result = figures()
    assert result["leads"] == 4
    assert result["escalations"] == {"count": 1, "leads": 1, "share": 0.25}
    assert result["unclaimed"] == {"count": 0, "share": 0.0}
    assert sum(d["leads"] for d in result["daily"]) == 4


def test_fairness_shows_each_members_leads_against_their_share(day):
    [closers] = figures()["fairness"]
    assert closers["pool"] == "Closers" and closers["leads"] == 1
    assert sorted(m["leads"] for m in closers["members"]) == [0, 1]
    assert {m["expected"] for m in closers["members"]} == {0.5}


def test_conversion_by_rule_and_by_pool(day):
    result = figures()
    assert result["conversion_by_rule"] == [
        {"name": "Demo requests", "leads": 4, "converted": 1, "rate": 0.25}
    ]
    assert result["conversion_by_pool"] == [
        {"name": "(no pool)", "leads": 4, "converted": 1, "rate": 0.25}
    ]


def test_leads_outside_the_period_do_not_count(day):
    with at(T + timedelta(hours=5)):
        later = lead_metrics(start=T + timedelta(days=1), end=T + timedelta(days=2))
    assert later["leads"] == 0 and later["speed_to_lead"]["median_seconds"] is None


def test_periods_are_read_or_refused_clearly():
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    start, end, label = period_of({"days": "7"}, now=now)
    assert (end - start).days == 7 and label == "last 7 days"
    start, end, _ = period_of({"start": "2026-11-01", "end": "2026-11-03"}, now=now)
    assert (end - start).days == 3
    for bad in (
        {"days": "x"},
        {"start": "yesterday"},
        {"start": "2026-11-05", "end": "2026-11-01"},
    ):
        with pytest.raises(BadPeriod):
            period_of(bad, now=now)
