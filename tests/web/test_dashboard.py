"""/dashboard/ and GET /api/v1/metrics/: managers only, the same figures."""

from __future__ import annotations

import csv
import io

import pytest
from django.http import HttpRequest

from routing.metrics import lead_metrics, period_of
from routing.services.acknowledge import assignment_acknowledge
from tests.team import PASSWORD, submit

pytestmark = pytest.mark.django_db


def test_the_dashboard_shows_the_period_figures_and_local_charts(admin_client, team):
    submit(source="demo_request")
    page = admin_client.get("/dashboard/?days=7")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Leads submitted in the last 7 days" in html
    assert "Demo requests" in html  # conversion by rule
    assert "/static/dashboard/chart.umd.min.js" in html
    assert 'id="figures"' in html
    assert admin_client.get("/static/dashboard/chart.umd.min.js").status_code == 200
    assert "https://" not in html


def test_the_dashboard_shows_escalation_rate_first_human_action_and_paths(admin_client, team):
    lead = submit(source="demo_request")
    assignment_acknowledge(assignment=lead.assignments.get(), rep=team.ana, via="queue")
    submit(email="bot-lead@prospect.com", source="free_signup")
    html = admin_client.get("/dashboard/?days=7").content.decode()
    tile = html.split('id="tile-first-human"')[1].split("</div>")[0]
    assert "1 lead a person acted on" in tile
    escalations = html.split('id="tile-escalations"')[1].split("</div>")[0]
    assert "<strong>0%</strong>" in escalations
    assert 'id="conversion-by-path"' in html
    paths = admin_client.get("/dashboard/paths.csv", {"days": "7"})
    rows = list(csv.DictReader(io.StringIO(b"".join(paths.streaming_content).decode())))
    assert {(row["Routing path"], row["Leads"], row["Converted"]) for row in rows} == {
        ("Direct to a person", "1", "0"),
        ("AI agent only", "1", "0"),
    }
    assert "is due leads only for the time they were in it" in html


def test_a_bad_period_is_explained_and_the_default_shown(admin_client):
    html = admin_client.get("/dashboard/?start=soon").content.decode()
    assert "start and end are dates like 2026-11-01. Showing the last 30 days." in html


def test_reps_and_strangers_are_sent_to_sign_in(client, team):
    assert client.get("/dashboard/").status_code == 302
    client.login(request=HttpRequest(), username="ana@example.com", password=PASSWORD)
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_metrics_api_returns_the_dashboard_figures(admin_client, team):
    submit(source="demo_request")
    response = admin_client.get("/api/v1/metrics/", {"days": "30"})
    assert response.status_code == 200
    start, end, _ = period_of({"days": "30"})
    expected = lead_metrics(start=start, end=end)
    body = response.json()
    assert body["leads"] == expected["leads"] == 1
    assert body["conversion_by_rule"] == expected["conversion_by_rule"]

    refused = admin_client.get("/api/v1/metrics/", {"days": "0"})
    assert refused.status_code == 400
    assert "days" in refused.json()["detail"]
    empty = admin_client.get("/api/v1/metrics/", {"start": ""})
    assert empty.status_code == 400
    assert empty.json() == {"detail": "start is empty: give a value or leave it out."}


def test_the_metrics_api_is_for_managers_and_tells_strangers_how_to_get_in(client, team):
    stranger = client.get("/api/v1/metrics/")
    assert stranger.status_code == 401
    assert stranger["WWW-Authenticate"] == "Api-Key"
    assert "allowed to read metrics" in stranger.json()["detail"]
    assert "sign in to the admin" in stranger.json()["detail"]
    client.login(request=HttpRequest(), username="ana@example.com", password=PASSWORD)
    rep = client.get("/api/v1/metrics/")
    assert rep.status_code == 403
    assert "staff users" in rep.json()["detail"]
