"""import_leads: a CSV of leads, each stored and routed; bad rows reported by line."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from routing.models import Assignment, Lead, LeadEvent
from tests.commands.conftest import DEMO_FILE

pytestmark = pytest.mark.django_db

CSV = """E-mail,First name,company,employee_count,source,Booth
pat@prospect.com,Pat,Prospect Inc,51-200,demo_request,B12
not-an-email,Nobody,,,demo_request,
sam@other.com,Sam,Other,lots,demo_request,
dev@gmail.com,Dev,,,free_signup,A1
PAT@prospect.com,Pat,Prospect Inc,,demo_request,
"""


def run(tmp_path, text=CSV, *args):
    path = tmp_path / "event.csv"
    path.write_text(text)
    out, err = StringIO(), StringIO()
    call_command(
        "import_leads",
        str(path),
        "--map",
        "E-mail=email",
        "--map",
        "First name=first_name",
        *args,
        stdout=out,
        stderr=err,
    )
    return out.getvalue(), err.getvalue()


def test_good_rows_are_stored_and_routed_bad_ones_reported_by_line(tmp_path, team):
    out, _ = run(tmp_path)

    assert "5 rows" in out
    assert "2 new leads, 1 joined an open lead with the same e-mail, 2 rejected" in out
    assert "line 3: email:" in out
    assert "line 4: employee_count:" in out
    pat = Lead.objects.get(email="pat@prospect.com")
    assert pat.owner == team.ana and pat.first_name == "Pat"
    assert pat.attributes == {"Booth": "B12"}
    assert Lead.objects.get(email="dev@gmail.com").owner == team.bot
    assert Assignment.objects.count() == 2
    assert pat.events.filter(kind=LeadEvent.Kind.SUBMITTED, actor="import event.csv").exists()
    assert "Columns kept in each lead's attributes: Booth." in out


def test_a_dry_run_checks_and_stores_nothing(tmp_path, team):
    out, _ = run(tmp_path, CSV, "--dry-run")
    assert "5 rows checked" in out and "2 with problems" in out
    assert not Lead.objects.exists()


def test_progress_is_shown_as_rows_go(tmp_path, team):
    rows = "".join(f"lead{n}@prospect.com,L{n},,,contact_form,\n" for n in range(2500))
    _, err = run(tmp_path, "E-mail,First name,company,employee_count,source,Booth\n" + rows)
    updates = [line.split() for line in err.split("\r") if "rows read" in line]
    assert [words[1] for words in updates] == ["1,000", "2,000", "2,500"]
    percents = [int(words[0].rstrip("%")) for words in updates]
    assert percents == sorted(percents) and 30 < percents[0] < 50 and percents[-1] >= 99
    assert Lead.objects.count() == 2500


def test_mistakes_in_the_command_are_named(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_leads", str(tmp_path / "missing.csv"))
    (tmp_path / "x.csv").write_text("email\n")
    with pytest.raises(CommandError, match="write COLUMN=FIELD"):
        call_command("import_leads", str(tmp_path / "x.csv"), "--map", "email")


def test_the_demo_list_imports_as_the_readme_says(db):
    call_command("load_routing", str(DEMO_FILE), stdout=StringIO())
    out = StringIO()
    call_command(
        "import_leads",
        str(DEMO_FILE.parent / "expo.csv"),
        "--map",
        "E-mail=email",
        "--map",
        "Employees=employee_count",
        stdout=out,
        stderr=StringIO(),
    )

    assert "197 new leads, 1 joined an open lead with the same e-mail, 2 rejected" in out.getvalue()
    assert "Columns kept in each lead's attributes: Campaign, Language, Badge." in out.getvalue()
    assert Lead.objects.filter(owner__isnull=True).count() == 0
