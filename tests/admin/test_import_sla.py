"""The admin's import form chooses the list's acknowledgment SLA; the import's page says
which; a bad choice is refused on the form with nothing stored; a run again keeps it."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from routing.models import Assignment, Lead, LeadImport
from tests.admin.helpers import admin_url, errors_of, page_data

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
CSV = (
    "email,first_name,company,source\n"
    "pat@prospect.com,Pat,Prospect Inc,demo_request\n"
    "sam@other.com,Sam,Other,demo_request\n"
)


def upload(admin_client, capture, **choices):
    """The add page as the browser shows it, with the file and `choices` changed."""
    page = admin_client.get(admin_url(LeadImport, "add"))
    data = {**page_data(page), **choices}
    if data.get("sla_working_hours") is False:
        del data["sla_working_hours"]  # an unticked box is not sent
    data["file"] = SimpleUploadedFile("expo.csv", CSV.encode(), content_type="text/csv")
    with capture(execute=True):
        return admin_client.post(admin_url(LeadImport, "add"), data)


def test_the_form_offers_the_settings_default(admin_client, settings):
    page = admin_client.get(admin_url(LeadImport, "add"))
    assert page_data(page)["sla"] == "8h"
    assert page_data(page)["sla_working_hours"] == "on"

    settings.LEADROUTER = {**settings.LEADROUTER, "IMPORT_SLA": "none"}
    page = admin_client.get(admin_url(LeadImport, "add"))
    assert page_data(page)["sla"] == "none"
    assert "sla_working_hours" not in page_data(page)


@pytest.mark.parametrize(
    ("choices", "wait", "shown"),
    [
        ({"sla": "rule", "sla_working_hours": False}, timedelta(minutes=15), "each rule's SLA"),
        ({"sla": "none", "sla_working_hours": False}, None, "none: no acknowledgment deadline"),
        ({"sla": "36h", "sla_working_hours": False}, timedelta(hours=36), "1d12h, on the clock"),
        ({}, timedelta(hours=8), "8h, counted in each owner's working hours"),
    ],
)
def test_each_choice_sets_the_deadlines_and_the_import_page_says_it(
    admin_client, team, django_capture_on_commit_callbacks, choices, wait, shown
):
    response = upload(admin_client, django_capture_on_commit_callbacks, **choices)

    lead_import = LeadImport.objects.get()
    assert response["Location"] == admin_url(LeadImport, "change", lead_import.pk)
    assert lead_import.status == LeadImport.Status.DONE
    waits = {
        a.ack_due_at - a.assigned_at if a.ack_due_at else None for a in Assignment.objects.all()
    }
    assert waits == {wait}
    page = html.unescape(admin_client.get(response["Location"]).content.decode())
    assert "Acknowledgment SLA" in page and shown in page


def test_working_hours_on_the_form_count_the_owners_hours(
    admin_client, team, django_capture_on_commit_callbacks
):
    team.ana.timezone, team.ana.working_hours = "America/New_York", "mon-fri 09:00-17:00"
    team.ana.save()

    with time_machine.travel(datetime(2026, 11, 24, 16, 0, tzinfo=NEW_YORK), tick=False):
        upload(admin_client, django_capture_on_commit_callbacks, sla="2h", sla_working_hours="on")

    due = set(Assignment.objects.values_list("ack_due_at", flat=True))
    assert due == {datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK)}  # an hour Tue, one Wed


@pytest.mark.parametrize(
    ("choices", "says"),
    [
        ({"sla": "tomorrow"}, "'tomorrow' is no SLA for a list: write rule"),
        ({"sla": ""}, "This field is required."),
        (
            {"sla": "none", "sla_working_hours": "on"},
            "Working hours count a duration, and the SLA is none",
        ),
    ],
)
def test_a_bad_choice_is_shown_on_the_form_and_nothing_is_stored(
    admin_client, team, django_capture_on_commit_callbacks, choices, says
):
    response = upload(admin_client, django_capture_on_commit_callbacks, **choices)

    assert response.status_code == 200
    assert any(says in error for error in errors_of(response)), errors_of(response)
    assert not LeadImport.objects.exists()
    assert not Lead.objects.exists()


def test_an_import_run_again_keeps_its_sla(
    admin_client, team, settings, django_capture_on_commit_callbacks
):
    failed = LeadImport.objects.create(
        name="expo.csv",
        status=LeadImport.Status.FAILED,
        error="OperationalError: the database restarted. Run it again to carry on from there.",
        sla="3h",
        sla_working_hours=False,
    )
    failed.file.save("expo.csv", ContentFile(CSV.encode()))
    settings.LEADROUTER = {**settings.LEADROUTER, "IMPORT_SLA": "none"}

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            admin_url(LeadImport, "changelist"),
            {"action": "run_again", "_selected_action": [failed.pk]},
        )

    failed.refresh_from_db()
    assert failed.status == LeadImport.Status.DONE
    waits = {a.ack_due_at - a.assigned_at for a in Assignment.objects.all()}
    assert waits == {timedelta(hours=3)}
