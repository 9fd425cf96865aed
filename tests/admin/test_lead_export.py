"""Leads downloaded as CSV from the admin's lead list and from the dashboard: the list's
filters and search apply, ticked leads go alone, and only staff who may view leads get it."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from routing.models import Lead
from tests.admin.helpers import admin_url
from tests.factories import LeadFactory, RepFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

EXPORT = "/admin/routing/lead/export/"


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="leads-')
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def emails(response) -> set[str]:
    return {row["E-mail"] for row in csv_rows(response)}


@pytest.fixture
def leads(db):
    ana = RepFactory(name="Ana")
    return {
        "acme": LeadFactory(
            email="pat@acme.com", company="Acme", status=Lead.Status.CONVERTED, owner=ana
        ),
        "acme_open": LeadFactory(email="lee@acme.com", company="Acme", status=Lead.Status.ASSIGNED),
        "globex": LeadFactory(
            email="kim@globex.com", company="Globex", status=Lead.Status.CONVERTED
        ),
    }


def staff_who_may_view_leads(*, may: bool):
    user = StaffUserFactory(email=f"viewer-{may}@example.com", is_superuser=False)
    if may:
        user.user_permissions.add(Permission.objects.get(codename="view_lead"))
    return user


def test_the_list_button_downloads_the_leads_as_filtered_and_searched(admin_client, leads):
    page = admin_client.get(
        admin_url(Lead, "changelist"), {"status__exact": "converted", "q": "acme"}
    )
    href = re.search(r'href="([^"]+)" id="lead-export"', page.content.decode()).group(1)
    assert href.startswith(EXPORT)
    assert emails(admin_client.get(href.replace("&amp;", "&"))) == {"pat@acme.com"}


def test_every_lead_when_no_filter_is_set(admin_client, leads):
    assert emails(admin_client.get(EXPORT)) == {lead.email for lead in leads.values()}


def test_an_owner_filter_and_a_period_apply_too(admin_client, leads):
    owner = leads["acme"].owner
    assert emails(admin_client.get(EXPORT, {"owner__id__exact": owner.pk})) == {"pat@acme.com"}
    old = LeadFactory(email="old@x.com", created_at=timezone.now() - timedelta(days=400))
    year = str(old.created_at.year)
    assert "old@x.com" in emails(admin_client.get(EXPORT, {"created_at__year": year}))


def test_a_filter_the_list_does_not_offer_is_refused_and_nothing_exported(admin_client, leads):
    response = admin_client.get(EXPORT, {"colour": "red"})
    assert response.status_code == 400
    assert "not ones the lead list offers" in response.content.decode()


def test_the_action_downloads_only_the_ticked_leads(admin_client, leads):
    ticked = [leads["acme_open"].pk, leads["globex"].pk]
    response = admin_client.post(
        admin_url(Lead, "changelist"), {"action": "export_csv", "_selected_action": ticked}
    )
    assert emails(response) == {"lee@acme.com", "kim@globex.com"}


def test_what_a_lead_source_sent_as_a_formula_reaches_the_file_quoted(admin_client):
    LeadFactory(
        email="x@evil.com", company='=HYPERLINK("http://evil","Click")', last_name="@SUM(1)"
    )
    (row,) = csv_rows(admin_client.get(EXPORT))
    assert row["Company"] == '\'=HYPERLINK("http://evil","Click")'
    assert row["Last name"] == "'@SUM(1)"


def test_staff_without_the_view_permission_on_leads_are_refused(client, leads):
    client.force_login(staff_who_may_view_leads(may=False))
    assert client.get(EXPORT).status_code == 403
    assert client.get("/dashboard/leads.csv").status_code == 403
    assert 'id="leads-csv"' not in client.get("/dashboard/").content.decode()


def test_staff_with_the_view_permission_may_download(client, leads):
    staff = staff_who_may_view_leads(may=True)
    client.force_login(staff)
    assert len(emails(client.get(EXPORT))) == 3
    # The dashboard's download also takes the dashboard's permission.
    assert client.get("/dashboard/leads.csv").status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    client.force_login(staff)  # a fresh user object: permissions are cached on it
    assert len(emails(client.get("/dashboard/leads.csv"))) == 3


def test_people_who_are_not_staff_are_sent_to_sign_in(client, leads):
    assert client.get(EXPORT).status_code == 302
    assert client.get("/dashboard/leads.csv").status_code == 302


def test_the_dashboard_link_downloads_the_leads_of_its_period(admin_client, leads):
    LeadFactory(email="old@x.com", created_at=timezone.now() - timedelta(days=40))
    html = admin_client.get("/dashboard/?days=7").content.decode()
    href = re.search(r'id="leads-csv" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert emails(admin_client.get(href)) == {lead.email for lead in leads.values()}
    assert "old@x.com" in emails(admin_client.get("/dashboard/leads.csv", {"days": 90}))


def test_a_bad_period_is_explained_and_nothing_exported(admin_client, leads):
    response = admin_client.get("/dashboard/leads.csv", {"start": "soon"})
    assert response.status_code == 400
    assert response.content.decode() == (
        "start and end are dates like 2026-11-01. Nothing was exported."
    )
