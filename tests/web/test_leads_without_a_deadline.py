"""A lead from a list imported with no SLA: the rep's pages say there is no deadline,
and acknowledging works as for any lead."""

from __future__ import annotations

import io

import pytest
from django.http import HttpRequest

from routing.imports import lead_import_create, lead_import_run
from routing.links import acknowledge_url
from routing.models import Lead
from tests.team import PASSWORD

pytestmark = pytest.mark.django_db

CSV = b"email,first_name,company,source\npat@prospect.com,Pat,Prospect Inc,demo_request\n"


@pytest.fixture
def lead(team) -> Lead:
    lead_import = lead_import_create(name="expo.csv", sla="none")
    lead_import_run(lead_import=lead_import, source=io.BytesIO(CSV))
    return Lead.objects.get()


def test_the_queue_and_the_lead_page_say_there_is_no_deadline(client, team, lead):
    assert client.login(request=HttpRequest(), username=team.ana.email, password=PASSWORD)

    home = client.get("/queue/").content.decode()
    page = client.get(f"/queue/leads/{lead.pk}/").content.decode()

    assert "to acknowledge" in home and "no deadline" in home
    assert "No deadline for this one: acknowledge it when you start on it." in page
    assert "Acknowledge by" not in page


def test_the_acknowledge_link_works_without_a_deadline(client, lead):
    url = acknowledge_url(lead.assignments.get())

    page = client.get(url).content.decode()
    assert "No deadline for this one" in page
    client.post(url)

    lead.refresh_from_db()
    assert lead.status == Lead.Status.ACKNOWLEDGED
