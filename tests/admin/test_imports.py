"""Uploading a list in the admin: mapping, validation before anything is stored, the
import run by the worker, its report and the progress the page follows."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from routing.models import Lead, LeadImport
from tests.admin.helpers import admin_url

pytestmark = pytest.mark.django_db

CSV = (
    "E-mail,First,company,source,Booth\n"
    "pat@prospect.com,Pat,Prospect Inc,demo_request,B12\n"
    "not-an-email,Nobody,,demo_request,\n"
    "dev@gmail.com,Dev,,free_signup,A1\n"
)


def upload(admin_client, text=CSV, columns="E-mail=email\nFirst=first_name", **fields):
    data = text if isinstance(text, bytes) else text.encode()
    return admin_client.post(
        admin_url(LeadImport, "add"),
        {
            "file": SimpleUploadedFile("expo.csv", data, content_type="text/csv"),
            "columns": columns,
            "notify": "digest",
            "sla": "8h",  # the form's initial values, as a browser sends them
            "sla_working_hours": "on",
            **fields,
        },
    )


def test_an_uploaded_list_is_imported_by_the_worker_and_reported(
    admin_client, team, staff_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client)

    lead_import = LeadImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == admin_url(LeadImport, "change", lead_import.pk)
    assert lead_import.status == LeadImport.Status.DONE  # the task ran (eagerly in tests)
    assert (lead_import.rows, lead_import.imported, lead_import.rejected) == (3, 2, 1)
    assert lead_import.created_by == staff_user
    assert lead_import.mapping == {"E-mail": "email", "First": "first_name"}
    assert lead_import.attribute_columns == ["Booth"]
    pat = Lead.objects.get(email="pat@prospect.com")
    assert (pat.first_name, pat.owner, pat.attributes) == ("Pat", team.ana, {"Booth": "B12"})
    assert pat.lead_import == lead_import

    page = admin_client.get(response["Location"])
    html = page.content.decode()
    assert 'id="import-progress" max="100" value="100"' in html
    assert "3 rows read, 2 new leads, 0 joined an open lead, 1 rejected" in html
    assert "<td>3</td><td>email: " in html  # the bad row, by its line
    assert "fetch(url" not in html  # done: nothing to follow


def test_a_mapping_line_that_is_not_column_equals_field_is_refused(admin_client, team):
    response = upload(admin_client, columns="E-mail=email\nFirst name")

    assert response.status_code == 200
    assert "write COLUMN=FIELD, e.g. E-mail=email" in response.content.decode()
    assert not LeadImport.objects.exists() and not Lead.objects.exists()


def test_mapping_to_a_field_that_does_not_exist_names_the_fields(admin_client, team):
    response = upload(admin_client, columns="E-mail=e_mail")

    assert "e_mail is no lead field; choose from email, first_name" in response.content.decode()
    assert not LeadImport.objects.exists()


def test_a_file_without_an_email_column_is_refused_before_anything_is_stored(admin_client, team):
    response = upload(admin_client, columns="")

    html = response.content.decode()
    assert "No column gives the e-mail address (columns: E-mail, First, company, source" in html
    assert not LeadImport.objects.exists()


def test_the_page_of_a_running_import_follows_its_progress(admin_client, db):
    running = LeadImport.objects.create(
        name="big.csv",
        status=LeadImport.Status.RUNNING,
        size=1000,
        bytes_read=420,
        rows=4000,
        imported=3990,
        rejected=10,
    )
    progress_url = reverse("admin:routing_leadimport_progress", args=[running.pk])

    html = admin_client.get(admin_url(LeadImport, "change", running.pk)).content.decode()
    assert 'value="42"' in html and f'"{progress_url}"' in html and "fetch(url" in html

    now = admin_client.get(progress_url).json()
    assert now == {
        "status": "running",
        "status_display": "Running",
        "percent": 42,
        "rows": 4000,
        "imported": 3990,
        "joined": 0,
        "rejected": 10,
        "error": "",
    }


def test_progress_is_for_staff_only(client, db):
    running = LeadImport.objects.create(name="big.csv")
    response = client.get(reverse("admin:routing_leadimport_progress", args=[running.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_failed_import_runs_again_from_where_it_stopped(
    admin_client, team, django_capture_on_commit_callbacks
):
    failed = LeadImport.objects.create(
        name="expo.csv",
        status=LeadImport.Status.FAILED,
        error="OperationalError: the database restarted. Run it again to carry on from there.",
        mapping={"E-mail": "email", "First": "first_name"},
        rows=1,  # the first row was committed before it stopped
        imported=1,
    )
    failed.file.save("expo.csv", ContentFile(CSV.encode()))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            admin_url(LeadImport, "changelist"),
            {"action": "run_again", "_selected_action": [failed.pk]},
            follow=True,
        )

    assert "1 import(s) queued" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == LeadImport.Status.DONE and failed.error == ""
    assert (failed.rows, failed.imported, failed.rejected) == (3, 2, 1)
    assert list(Lead.objects.values_list("email", flat=True)) == ["dev@gmail.com"]


# A row over the intake's limit (64 KiB) and a quote never closed, with NULs, between
# good rows; lines end with CRLF, as spreadsheets write them.
LONG = "y" * 70_000
SPOILT = (
    "E-mail,First,company,source,Notes\r\n"
    "pat@prospect.com,Pat,Prospect Inc,demo_request,first\r\n"  # 2
    f'long@prospect.com,Long,Long Inc,demo_request,"{LONG}\r\n{LONG}"\r\n'  # 3-4: too large
    "nul@prospect.com,Nul,Nul Inc,demo_request,a\x00b\r\n"  # 5: NUL in an attribute
    "dev@gmail.com,Dev,,free_signup,\r\n"  # 6
    'stray@prospect.com,"Stray,Stray Inc,demo_request,\r\n'  # 7: a quote never closed
    "late@prospect.com,Late,Late Inc,demo_request,\r\n"  # 8
)


def test_an_upload_with_spoilt_rows_imports_the_good_ones_and_lists_the_others(
    admin_client, team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, SPOILT)

    lead_import = LeadImport.objects.get()
    assert (lead_import.status, lead_import.error) == (LeadImport.Status.DONE, "")
    assert (lead_import.rows, lead_import.imported, lead_import.rejected) == (5, 2, 3)
    assert [line for line, _ in lead_import.problems] == [3, 5, 7]
    assert sorted(Lead.objects.values_list("email", flat=True)) == [
        "dev@gmail.com",
        "pat@prospect.com",
    ]
    assert Lead.objects.get(email="pat@prospect.com").attributes == {"Notes": "first"}

    html = admin_client.get(response["Location"]).content.decode()
    assert "5 rows read, 2 new leads, 0 joined an open lead, 3 rejected" in html
    assert (
        "<td>3</td><td>The row has 140,051 bytes over lines 3–4, more than the 65,536 a lead "
        "may have (as through the API); its largest cell, in column &#x27;Notes&#x27;, has "
        "140,002. Shorten it, or close its quote where the cell should end.</td>"
    ) in html
    assert "<td>5</td><td>attributes: Contains a NUL character (U+0000); remove it.</td>" in html
    assert (
        "<td>7</td><td>A quote opened here is never closed (it swallowed lines 7–8, the rest "
        "of the file)"
    ) in html


def test_an_upload_with_a_nul_in_its_header_is_refused_before_anything_is_stored(
    admin_client, team
):
    response = upload(admin_client, "E-mail,First,Badge\x00\npat@prospect.com,Pat,B1\n")

    assert response.status_code == 200
    assert (
        "The header row&#x27;s column 3, &#x27;Badge\\x00&#x27;: Contains a NUL character "
        "(U+0000); remove it."
    ) in response.content.decode()
    assert not LeadImport.objects.exists() and not Lead.objects.exists()


def test_an_import_that_failed_on_a_huge_cell_runs_again_to_the_end(
    admin_client, team, django_capture_on_commit_callbacks
):
    huge = "z" * 200_000
    text = (
        "E-mail,First,company,source\n"
        "pat@prospect.com,Pat,Prospect Inc,demo_request\n"
        f"huge@prospect.com,{huge},Huge Inc,demo_request\n"
        "dev@gmail.com,Dev,,free_signup\n"
    )
    failed = LeadImport.objects.create(
        name="expo.csv",
        status=LeadImport.Status.FAILED,
        error="Error: field larger than field limit (131072). Run it again to carry on from there.",
        mapping={"E-mail": "email", "First": "first_name"},
    )
    failed.file.save("expo.csv", ContentFile(text.encode()))

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            admin_url(LeadImport, "changelist"),
            {"action": "run_again", "_selected_action": [failed.pk]},
        )

    failed.refresh_from_db()
    assert (failed.status, failed.error) == (LeadImport.Status.DONE, "")
    assert (failed.rows, failed.imported, failed.rejected) == (3, 2, 1)
    [[line, why]] = failed.problems
    assert line == 3 and "its largest cell, in column 'First', has 200,000" in why
    assert sorted(Lead.objects.values_list("email", flat=True)) == [
        "dev@gmail.com",
        "pat@prospect.com",
    ]
