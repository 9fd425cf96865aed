"""import_leads --sla rule|none|DURATION [--sla-working-hours]: the list's own clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from routing.models import Assignment, Lead, LeadImport

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
CSV = (
    "email,first_name,company,source\n"
    "pat@prospect.com,Pat,Prospect Inc,demo_request\n"
    "sam@other.com,Sam,Other,demo_request\n"
)


def run(tmp_path, *args: str) -> str:
    path = tmp_path / "expo.csv"
    path.write_text(CSV)
    out = StringIO()
    call_command("import_leads", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def waits() -> list[timedelta | None]:
    return [
        assignment.ack_due_at - assignment.assigned_at if assignment.ack_due_at else None
        for assignment in Assignment.objects.order_by("id")
    ]


def test_rule_gives_each_lead_its_rules_sla(tmp_path, team):
    out = run(tmp_path, "--sla", "rule")

    assert waits() == [timedelta(minutes=15)] * 2
    assert "Acknowledgment SLA of the new leads: each rule's SLA, as for a form" in out


def test_none_gives_no_deadline_and_no_reminder(tmp_path, team):
    team.ruleset.remind_before = timedelta(minutes=5)
    team.ruleset.save()

    out = run(tmp_path, "--sla", "none")

    assert waits() == [None, None]
    assert not Assignment.objects.filter(remind_at__isnull=False).exists()
    assert "none: no acknowledgment deadline, no reminder, never escalated" in out


def test_a_duration_is_counted_on_the_clock(tmp_path, team):
    out = run(tmp_path, "--sla", "2d")

    assert waits() == [timedelta(days=2)] * 2
    assert LeadImport.objects.get().sla == "2d"
    assert "SLA of the new leads: 2d, on the clock." in out


def test_a_duration_in_working_hours_is_counted_in_the_owners_hours(tmp_path, team):
    team.ana.timezone, team.ana.working_hours = "America/New_York", "mon-fri 09:00-17:00"
    team.ana.save()

    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=NEW_YORK)
    with time_machine.travel(friday_evening, tick=False):
        out = run(tmp_path, "--sla", "4h", "--sla-working-hours")

    due = {assignment.ack_due_at for assignment in Assignment.objects.all()}
    assert due == {datetime(2026, 11, 30, 13, 0, tzinfo=NEW_YORK)}  # Monday 09:00 + 4 h
    assert "4h, counted in each owner's working hours." in out


def test_without_sla_options_the_setting_decides(tmp_path, team, settings):
    run(tmp_path)
    assert waits() == [timedelta(hours=8)] * 2  # 8h of working time; Ana keeps no hours
    assert LeadImport.objects.get().sla_working_hours is True

    Lead.objects.all().delete()
    settings.LEADROUTER = {**settings.LEADROUTER, "IMPORT_SLA": "none"}
    run(tmp_path)
    assert waits() == [None, None]


def test_working_hours_alone_count_the_settings_duration(tmp_path, team, settings):
    settings.LEADROUTER = {
        **settings.LEADROUTER,
        "IMPORT_SLA": "3h",
        "IMPORT_SLA_WORKING_HOURS": False,
    }
    run(tmp_path, "--sla-working-hours")
    assert (LeadImport.objects.get().sla, LeadImport.objects.get().sla_working_hours) == (
        "3h",
        True,
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--sla", "soon"], "--sla: 'soon' is no SLA for a list: write rule"),
        (["--sla", "0h"], "--sla: '0h' is no SLA"),
        (["--sla", "2y"], "--sla: '2y' is no SLA"),
        (
            ["--sla", "none", "--sla-working-hours"],
            "--sla-working-hours: Working hours count a duration, and the SLA is none",
        ),
    ],
)
def test_a_bad_sla_stops_the_command_before_anything_is_stored(tmp_path, team, args, says):
    with pytest.raises(CommandError, match=says):
        run(tmp_path, *args)

    assert not LeadImport.objects.exists()
    assert not Lead.objects.exists()
