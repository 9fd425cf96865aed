"""Every lead field reaches the people who read it: the manager's "Test a lead" form takes
whatever a source may send, and the rep's queue and Slack show where the lead is on one
line. Real HTTP against the running app and a local receiver playing Slack."""

from __future__ import annotations

import re

import httpx
import pytest

from routing.models import Rule
from routing.services.delivery import notifications_send_due
from tests.factories import StaffUserFactory
from tests.signin import sign_in
from tests.team import PASSWORD, submit

AUSTIN = {"country": "US", "state": "TX", "postal_code": "78701", "city": "Austin"}


@pytest.fixture
def team(transactional_db, receiver):
    from tests.team import build_team

    return build_team(receiver)


@pytest.fixture
def browser(live_server):
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        yield client


def test_the_test_a_lead_form_takes_every_field_a_source_may_send(team, browser):
    Rule.objects.create(
        ruleset=team.ruleset,
        position=0,
        name="Hot Austin leads",
        conditions={"city": "Austin", "score": {"gte": 80}, "phone": {"exists": True}},
        route_to=Rule.RouteTo.REP,
        route_rep=team.bo,
    )
    StaffUserFactory(email="manager@example.com", password=PASSWORD)
    assert sign_in(browser, "/admin/login/", "manager@example.com", PASSWORD).status_code == 302
    path = f"/admin/routing/ruleset/{team.ruleset.pk}/test/"
    form = browser.get(path)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)[1]

    page = browser.post(
        path,
        data={
            "csrfmiddlewaretoken": token,
            "email": "pat@prospect.com",
            "city": "Austin",
            "score": "92",
            "phone": "+1 512 555 0100",
            "annual_revenue": "1,500,000",
        },
        headers={"Referer": f"{browser.base_url}{path}"},
    )

    assert page.status_code == 200
    assert "Hot Austin leads" in page.text
    assert "Owner:</strong> Bo" in page.text


def test_a_reps_lead_page_shows_where_the_lead_is_on_one_line(team, browser):
    lead = submit(source="demo_request", website="prospect.com", **AUSTIN)
    assert sign_in(browser, "/queue/login/", team.ana.email, PASSWORD).status_code == 302

    page = browser.get(f"/queue/leads/{lead.pk}/")

    assert page.status_code == 200
    assert "<dt>Where</dt><dd>Austin, TX, 78701, US</dd>" in page.text
    assert "<dt>Website</dt><dd>prospect.com</dd>" in page.text
    assert '<a href="mailto:pat@prospect.com">pat@prospect.com</a>' in page.text


def test_slack_says_where_the_lead_is_with_its_postal_code(team, receiver):
    submit(source="demo_request", **AUSTIN)

    notifications_send_due()

    facts = next(
        block for block in receiver.to("/slack/ana")[0].json["blocks"] if "fields" in block
    )
    assert "*Where*\nAustin, TX, 78701, US" in [field["text"] for field in facts["fields"]]
