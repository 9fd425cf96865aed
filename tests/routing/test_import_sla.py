"""An imported list's own clock: each rule's SLA, none, or a duration on the clock or in
the owner's working hours, kept with the import so that a resumed run uses it too."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from routing import engine
from routing.imports import lead_import_create, lead_import_run, runs
from routing.models import Assignment, Lead, LeadImport, Notification
from routing.tasks import escalate_overdue, remind_due
from tests.routing.engine_builders import NOW, data, lead, rep, rep_owner, rule, ruleset
from tests.routing.test_deadlines import NINE_TO_FIVE

NEW_YORK = ZoneInfo("America/New_York")
HEADER = "email,first_name,company,source\n"


def ny(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NEW_YORK)


def rows(count: int, start: int = 0) -> str:
    return "".join(
        f"lead{n}@prospect{n}.com,Lead{n},Prospect {n},demo_request\n" for n in range(start, count)
    )


def run_import(text: str, **options) -> LeadImport:
    data_bytes = text.encode()
    lead_import = lead_import_create(name="expo.csv", size=len(data_bytes), **options)
    return lead_import_run(lead_import=lead_import, source=io.BytesIO(data_bytes))


def later(delta: timedelta):
    return time_machine.travel(timezone.now() + delta, tick=False)


# The engine: a chosen SLA replaces the rule's, and the trace says whose it is.


def choose(sla: engine.ChosenSla | None, *, shifts=None, remind_before=None, now=NOW):
    the_rep = rep(1, timezone=NEW_YORK, shifts=shifts or {})
    the_rule = rule(1, {}, "rep", rep_owner(1), ack_sla=timedelta(minutes=5))
    the_ruleset = replace(ruleset([the_rule], rep_owner(1)), remind_before=remind_before)
    the_data = data([the_rep])
    planned = engine.plan(lead(), ruleset=the_ruleset, data=the_data)
    return engine.choose(planned, data=the_data, state=engine.RoutingState(), now=now, sla=sla)


def test_a_chosen_duration_replaces_the_rules_sla_and_the_reminder_follows_it():
    decision = choose(
        engine.ChosenSla(timedelta(hours=2), chosen_for="the import expo.csv"),
        remind_before=timedelta(minutes=10),
    )
    assert decision.ack_due_at == NOW + timedelta(hours=2)
    assert decision.remind_at == NOW + timedelta(hours=1, minutes=50)
    assert decision.steps[-1]["due"] == (
        "Tue 12:00 America/New_York, SLA of 2 hours chosen for the import expo.csv"
    )


def test_a_chosen_duration_in_working_hours_counts_the_owners_shifts():
    friday_afternoon = ny(2026, 11, 27, 16, 0)
    decision = choose(
        engine.ChosenSla(timedelta(hours=8), working_hours=True, chosen_for="the import x.csv"),
        shifts=NINE_TO_FIVE,
        now=friday_afternoon,
    )
    assert decision.ack_due_at == ny(2026, 11, 30, 16, 0)  # an hour Friday, seven Monday
    assert decision.steps[-1]["due"] == (
        "Mon 16:00 America/New_York, SLA of 8 hours of working hours chosen for the import x.csv"
    )


def test_no_chosen_duration_means_no_deadline_and_no_reminder():
    decision = choose(
        engine.ChosenSla(None, chosen_for="the import expo.csv"),
        remind_before=timedelta(minutes=2),
    )
    assert decision.rep_id == 1
    assert (decision.ack_due_at, decision.remind_at) == (None, None)
    assert decision.steps[-1]["due"] == (
        "no acknowledgment deadline: none chosen for the import expo.csv"
    )
    assert "reminder" not in decision.steps[-1]


def test_without_a_choice_the_rules_sla_holds():
    assert choose(None).ack_due_at == NOW + timedelta(minutes=5)


# Imports: the choice reaches the stored assignments, the sweeps and a resumed run.


@pytest.mark.django_db
def test_a_list_with_no_sla_is_never_escalated_nor_reminded(team):
    team.ruleset.remind_before = timedelta(minutes=5)
    team.ruleset.save()

    run_import(HEADER + rows(3), sla="none")

    assignments = Assignment.objects.all()
    assert [(a.ack_due_at, a.remind_at) for a in assignments] == [(None, None)] * 3
    with later(timedelta(days=30)):
        assert escalate_overdue() == 0
        assert remind_due() == 0
    assert set(Lead.objects.values_list("owner", "status")) == {(team.ana.pk, "assigned")}
    sent = set(Notification.objects.values_list("kind", flat=True))
    assert sent == {"import.digest"}  # no reminder, no "moved on", no manager's alert


@pytest.mark.django_db
def test_a_list_with_a_duration_is_escalated_after_it_and_reminded_before_it(team):
    team.ruleset.remind_before = timedelta(minutes=5)
    team.ruleset.save()

    run_import(HEADER + rows(2), sla="2h")

    for assignment in Assignment.objects.all():
        assert assignment.ack_due_at - assignment.assigned_at == timedelta(hours=2)
        assert assignment.ack_due_at - assignment.remind_at == timedelta(minutes=5)
    with later(timedelta(minutes=20)):  # past the rules' 15 minutes: nothing yet
        assert escalate_overdue() == 0
        assert remind_due() == 0
    with later(timedelta(hours=1, minutes=56)):
        assert remind_due() == 2
    with later(timedelta(hours=2, minutes=1)):
        assert escalate_overdue() == 2
    assert not Lead.objects.filter(owner=team.ana).exists()


@pytest.mark.django_db
def test_a_list_in_working_hours_is_due_in_the_owners_working_time(team):
    team.ana.timezone, team.ana.working_hours = "America/New_York", "mon-fri 09:00-17:00"
    team.ana.save()

    with time_machine.travel(ny(2026, 11, 27, 16, 30), tick=False):  # a Friday
        lead_import = run_import(HEADER + rows(1), sla="8h", sla_working_hours=True)

    assignment = Assignment.objects.get()
    assert assignment.ack_due_at == ny(2026, 11, 30, 16, 30)  # Monday, 7.5 h later
    assert (lead_import.sla, lead_import.sla_working_hours) == ("8h", True)
    with time_machine.travel(ny(2026, 11, 30, 16, 29), tick=False):
        assert escalate_overdue() == 0
    with time_machine.travel(ny(2026, 11, 30, 16, 31), tick=False):
        assert escalate_overdue() == 1


@pytest.mark.django_db
def test_the_rule_choice_keeps_each_rules_sla(team):
    run_import(HEADER + rows(1), sla="rule")

    assignment = Assignment.objects.get()
    assert assignment.ack_due_at - assignment.assigned_at == team.ruleset.ack_sla


@pytest.mark.django_db
def test_the_default_is_eight_hours_of_working_time_from_the_settings(team):
    lead_import = run_import(HEADER + rows(1))

    assert (lead_import.sla, lead_import.sla_working_hours) == ("8h", True)
    assignment = Assignment.objects.get()  # Ana keeps no working hours: the clock
    assert assignment.ack_due_at - assignment.assigned_at == timedelta(hours=8)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setting", "stored"),
    [("none", ("none", False)), ("90m", ("1h30m", True)), ("rule", ("rule", False))],
)
def test_the_import_sla_setting_is_the_default(team, settings, setting, stored):
    settings.LEADROUTER = {**settings.LEADROUTER, "IMPORT_SLA": setting}

    lead_import = lead_import_create(name="expo.csv")

    assert (lead_import.sla, lead_import.sla_working_hours) == stored


@pytest.mark.django_db
def test_a_duration_given_alone_is_on_the_clock(team):
    lead_import = lead_import_create(name="expo.csv", sla="2d")
    assert (lead_import.sla, lead_import.sla_working_hours) == ("2d", False)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sla", "working_hours", "field", "says"),
    [
        ("soon", False, "sla", "'soon' is no SLA for a list: write rule"),
        ("0m", False, "sla", "'0m' is no SLA"),
        ("400d", False, "sla", "at most 365d"),
        ("99999999999d", False, "sla", "at most 365d"),
        ("none", True, "sla_working_hours", "Working hours count a duration"),
        ("rule", True, "sla_working_hours", "and the SLA is rule"),
    ],
)
def test_a_bad_choice_is_refused_by_field_and_nothing_is_stored(
    team, sla, working_hours, field, says
):
    with pytest.raises(ValidationError) as refused:
        lead_import_create(name="expo.csv", sla=sla, sla_working_hours=working_hours)

    assert says in " ".join(refused.value.message_dict[field])
    assert not LeadImport.objects.exists()


@pytest.mark.django_db
def test_a_resumed_import_keeps_its_sla_whatever_the_settings_say_now(team, monkeypatch, settings):
    monkeypatch.setattr(runs, "BATCH_ROWS", 2)
    data_bytes = (HEADER + rows(5)).encode()

    class Breaks(io.BytesIO):
        """The file's storage fails after the fourth line (three rows read)."""

        def __iter__(self):
            for number, line in enumerate(io.BytesIO(data_bytes), start=1):
                if number > 4:
                    raise OSError("the disk went away")
                yield line

    lead_import = lead_import_create(name="expo.csv", sla="none")
    with pytest.raises(OSError):
        lead_import_run(lead_import=lead_import, source=Breaks())
    assert Lead.objects.count() == 2
    settings.LEADROUTER = {**settings.LEADROUTER, "IMPORT_SLA": "15m"}

    lead_import = lead_import_run(lead_import=lead_import, source=io.BytesIO(data_bytes))

    assert lead_import.status == LeadImport.Status.DONE
    assert list(Assignment.objects.values_list("ack_due_at", flat=True)) == [None] * 5
