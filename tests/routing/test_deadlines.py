"""Acknowledgment deadlines counted in the owner's working hours, in their time zone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from reps.working_hours import parse
from routing.engine.deadlines import working_deadline
from routing.services.escalation import assignments_escalate_overdue
from tests.routing.engine_builders import data, lead, rep, rep_owner, route, rule, ruleset
from tests.team import submit

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def shifts_of(text: str):
    shifts: dict[int, list[tuple[int, int]]] = {}
    for shift in parse(text):
        shifts.setdefault(shift.weekday, []).append((shift.start_minute, shift.end_minute))
    return {day: tuple(spans) for day, spans in shifts.items()}


NINE_TO_FIVE = shifts_of("mon-fri 09:00-17:00")


def ny(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NEW_YORK)


def due(start: datetime, minutes: int, shifts=NINE_TO_FIVE, zone=NEW_YORK) -> datetime:
    return working_deadline(start, timedelta(minutes=minutes), shifts=shifts, zone=zone)


@pytest.mark.parametrize(
    ("arrives", "minutes", "is_due"),
    [
        # Tuesday during hours: the clock.
        (ny(2026, 11, 24, 10, 0), 20, ny(2026, 11, 24, 10, 20)),
        # Tuesday 18:55, after hours, 15 minutes: 09:15 on Wednesday.
        (ny(2026, 11, 24, 18, 55), 15, ny(2026, 11, 25, 9, 15)),
        # Tuesday 16:50: ten minutes today, ten tomorrow.
        (ny(2026, 11, 24, 16, 50), 20, ny(2026, 11, 25, 9, 10)),
        # Early morning: waits for 09:00.
        (ny(2026, 11, 24, 6, 0), 15, ny(2026, 11, 24, 9, 15)),
        # Friday evening: Monday morning.
        (ny(2026, 11, 27, 18, 55), 15, ny(2026, 11, 30, 9, 15)),
        # Saturday: Monday.
        (ny(2026, 11, 28, 12, 0), 60, ny(2026, 11, 30, 10, 0)),
        # Longer than a day's shift: 10 h from Monday 09:00 is Tuesday 11:00.
        (ny(2026, 11, 30, 9, 0), 600, ny(2026, 12, 1, 11, 0)),
    ],
)
def test_the_sla_counts_only_working_time(arrives, minutes, is_due):
    assert due(arrives, minutes) == is_due


def test_across_the_weekend_clocks_change_and_the_deadline_is_the_real_instant():
    # US clocks went forward on Sunday 8 March 2026: Friday is EST (UTC-5), Monday EDT (-4).
    deadline = due(ny(2026, 3, 6, 16, 50), 20)
    assert deadline == datetime(2026, 3, 9, 13, 10, tzinfo=UTC)  # 09:10 EDT
    assert deadline.astimezone(NEW_YORK).hour == 9


def test_a_shift_on_the_night_clocks_change_lasts_what_the_clock_says():
    # Europe went back an hour on Sunday 25 October 2026: 00:00-06:00 local is 7 real hours.
    night = shifts_of("sun 00:00-06:00")
    start = datetime(2026, 10, 25, 0, 0, tzinfo=BERLIN)
    deadline = working_deadline(start, timedelta(hours=7), shifts=night, zone=BERLIN)
    assert deadline == datetime(2026, 10, 25, 6, 0, tzinfo=BERLIN)
    assert deadline - start == timedelta(hours=7)


def test_a_lunch_break_is_not_working_time():
    split = shifts_of("mon-fri 09:00-12:00; mon-fri 13:00-17:00")
    assert due(ny(2026, 11, 24, 11, 50), 20, shifts=split) == ny(2026, 11, 24, 13, 10)


def test_without_working_hours_the_sla_is_on_the_clock():
    start = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
    assert working_deadline(start, timedelta(minutes=20), shifts={}, zone=NEW_YORK) == (
        start + timedelta(minutes=20)
    )


def test_a_rule_with_a_working_hours_sla_sets_the_deadline_and_says_so():
    the_rep = rep(1, timezone=NEW_YORK, shifts=NINE_TO_FIVE)
    plain = rule(1, {}, "rep", rep_owner(1), ack_sla=timedelta(minutes=15))
    the_rule = replace(plain, sla_in_working_hours=True)
    now = datetime(2026, 11, 24, 18, 55, tzinfo=NEW_YORK)
    decision = route(lead(), ruleset([the_rule], rep_owner(1)), data([the_rep]), now=now)
    assert decision.ack_due_at == datetime(2026, 11, 25, 9, 15, tzinfo=NEW_YORK)
    assert decision.steps[-1]["due"] == "Wed 09:15 America/New_York, SLA in working hours"

    decision = route(lead(), ruleset([plain], rep_owner(1)), data([the_rep]), now=now)
    assert decision.ack_due_at == now + timedelta(minutes=15)


@pytest.mark.django_db
def test_the_stored_deadline_and_the_sweep_use_working_hours(team):
    team.ana.timezone, team.ana.working_hours = "America/New_York", "mon-fri 09:00-17:00"
    team.ana.save()
    team.demo.sla_in_working_hours = True
    team.demo.save()

    with time_machine.travel(ny(2026, 11, 27, 16, 55), tick=False):  # a Friday
        assignment = submit(source="demo_request").assignments.get()
    assert assignment.ack_due_at == ny(2026, 11, 30, 9, 10)  # Monday

    with time_machine.travel(ny(2026, 11, 28, 12, 0), tick=False):  # Saturday: not due
        assert assignments_escalate_overdue() == 0
    with time_machine.travel(ny(2026, 11, 30, 9, 11), tick=False):
        assert assignments_escalate_overdue() == 1
