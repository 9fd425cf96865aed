"""import_leads: a CSV of leads, each stored and routed; bad rows reported by line."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from routing.models import Assignment, Lead, LeadEvent, LeadImport
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
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
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


# One row of each kind a file can spoil, between good ones.
HUGE = "x" * 140_000  # past the csv module's own limit on a cell (128 Ki characters)
SPOILT = (
    "E-mail,First name,company,source,Booth,message\n"
    "pat@prospect.com,Pat,Prospect Inc,demo_request,B12,Hello\n"  # 2
    "nul@prospect.com,Nu\x00ll,Null Inc,demo_request,B13,\n"  # 3: NUL in a field
    "booth@prospect.com,Bo,Booth Inc,demo_request,B\x0014,\n"  # 4: NUL in an attribute
    f"big@prospect.com,Big,Big Inc,demo_request,B15,{HUGE}\n"  # 5: a cell too large
    'multi@prospect.com,Mo,Multi Inc,demo_request,B16,"two\nlines"\n'  # 6-7: fine
    'zed@prospect.com,Zed,Zed Inc,demo_request,B18,"a NUL\n\x00 on line 9"\n'  # 8-9
    "sam@other.com,Sam,Other,demo_request,B19,\n"  # 10
    'stray@prospect.com,Stray,"Stray Inc,demo_request,B20,\n'  # 11: a quote never closed
    "late@prospect.com,Late,Late Inc,demo_request,B21,\n"  # 12
    "last@prospect.com,Last,Last Inc,demo_request,B22,\n"  # 13
)
BIG_ROW_BYTES = len("big@prospect.com,Big,Big Inc,demo_request,B15,\n") + len(HUGE)


@pytest.mark.parametrize(
    "database", [pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"]
)
def test_one_bad_row_never_stops_an_import(tmp_path, team, database):
    if connection.vendor != database:
        pytest.skip(f"for the {database} pass")

    out, _ = run(tmp_path, SPOILT)

    lead_import = LeadImport.objects.get()
    assert (lead_import.status, lead_import.error) == (LeadImport.Status.DONE, "")
    assert (lead_import.rows, lead_import.imported, lead_import.rejected) == (8, 3, 5)
    assert lead_import.problems == [
        [3, "first_name: Contains a NUL character (U+0000); remove it."],
        [4, "attributes: Contains a NUL character (U+0000); remove it."],
        [
            5,
            f"The row has {BIG_ROW_BYTES:,} bytes, more than the 65,536 a lead may have (as "
            "through the API); its largest cell, in column 'message', has 140,000. Shorten it.",
        ],
        [8, "message: Contains a NUL character (U+0000); remove it."],
        [
            11,
            "A quote opened here is never closed (it swallowed lines 11–13, the rest of the "
            'file), so none of those lines was imported. Close the quote, or double it ("") if '
            "it is part of the text, and import lines 11–13 again.",
        ],
    ]
    for line, why in lead_import.problems:
        assert f"  line {line}: {why}" in out
    assert "8 rows" in out and "3 new leads, 0 joined an open lead with the same e-mail" in out
    assert sorted(Lead.objects.values_list("email", flat=True)) == [
        "multi@prospect.com",
        "pat@prospect.com",
        "sam@other.com",
    ]
    multi = Lead.objects.get(email="multi@prospect.com")
    assert (multi.message, multi.owner) == ("two\nlines", team.ana)
    assert multi.events.get(kind=LeadEvent.Kind.SUBMITTED).data["line"] == 6  # its first line


def test_a_nul_in_the_header_refuses_the_whole_file(tmp_path, team):
    text = "E-mail,First\x00name,company\npat@prospect.com,Pat,Prospect Inc\n"

    with pytest.raises(
        CommandError, match=r"header row's column 2, 'First\\x00name': Contains a NUL"
    ):
        run(tmp_path, text)

    lead_import = LeadImport.objects.get()
    assert lead_import.status == LeadImport.Status.FAILED
    assert lead_import.error == (
        "The header row's column 2, 'First\\x00name': Contains a NUL character (U+0000); remove it."
    )
    assert (lead_import.rows, lead_import.attribute_columns) == (0, [])
    assert not Lead.objects.exists()


def test_a_list_whose_lines_end_with_a_lone_carriage_return_is_read_row_by_row(tmp_path, team):
    text = "E-mail,First name\rpat@prospect.com,Pat\rsam@other.com,Sam\r"

    out, _ = run(tmp_path, text)

    assert "2 rows" in out and "2 new leads" in out
    assert set(Lead.objects.values_list("first_name", flat=True)) == {"Pat", "Sam"}
