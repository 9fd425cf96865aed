"""GET /api/v1/metrics/ with an intake key: a BI tool has no browser session, so a server
key a manager allowed to read metrics gets the dashboard's figures; any other key is told
why not, and a public key can never be allowed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from routing.metrics import lead_metrics, period_of
from routing.models import IntakeKey
from routing.services.intake_keys import intake_key_create
from tests.admin.helpers import admin_url
from tests.team import submit

pytestmark = pytest.mark.django_db

METRICS_URL = "/api/v1/metrics/"


def client_with(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def test_a_server_key_allowed_to_read_metrics_gets_the_dashboards_figures(team):
    submit(source="demo_request")
    _, raw = intake_key_create(name="Looker", may_read_metrics=True)
    response = client_with(raw).get(METRICS_URL, {"days": "7"})
    assert response.status_code == 200
    start, end, _ = period_of({"days": "7"})
    assert response.json() == lead_metrics(start=start, end=end)
    assert response.json()["leads"] == 1


def test_a_bad_period_from_a_key_is_refused_with_what_is_wrong(db):
    _, raw = intake_key_create(name="Looker", may_read_metrics=True)
    response = client_with(raw).get(METRICS_URL, {"start": "2026-11-05", "end": "2026-11-01"})
    assert response.status_code == 400
    assert response.json() == {"detail": "end is before start."}


def test_a_server_key_not_allowed_is_refused_and_told_how_to_be_allowed(db):
    _, raw = intake_key_create(name="Website demo form")
    response = client_with(raw).get(METRICS_URL)
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "The intake key 'Website demo form' may not read metrics. A manager can allow it in "
        "the admin: Intake keys, the key, 'May read metrics'."
    )


def test_a_public_key_is_refused_metrics(db):
    _, raw = intake_key_create(
        name="Pricing page form", kind=IntakeKey.Kind.PUBLIC, allowed_origins=["https://a.com"]
    )
    response = client_with(raw).get(METRICS_URL)
    assert response.status_code == 403
    assert "can never read metrics" in response.json()["detail"]


def test_a_public_key_cannot_be_allowed_to_read_metrics_anywhere(db):
    with pytest.raises(ValidationError) as refused:
        intake_key_create(name="Form", kind=IntakeKey.Kind.PUBLIC, may_read_metrics=True)
    assert "can never read metrics" in refused.value.message_dict["may_read_metrics"][0]
    assert not IntakeKey.objects.exists()

    public, _ = intake_key_create(name="Form", kind=IntakeKey.Kind.PUBLIC)
    with pytest.raises(IntegrityError), transaction.atomic():
        IntakeKey.objects.filter(pk=public.pk).update(may_read_metrics=True)


def test_revoked_and_wrong_keys_are_refused_before_any_figure(db):
    key, raw = intake_key_create(name="Looker", may_read_metrics=True)
    assert client_with("nope.nope").get(METRICS_URL).status_code == 401
    key.revoked = True
    key.save()
    response = client_with(raw).get(METRICS_URL)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_manager_allows_a_key_in_the_admin_and_it_reads_metrics(admin_client, db):
    key, raw = intake_key_create(name="Looker")
    assert client_with(raw).get(METRICS_URL).status_code == 403
    page = admin_client.get(admin_url(IntakeKey, "change", key.pk)).content.decode()
    assert 'name="may_read_metrics"' in page
    response = admin_client.post(
        admin_url(IntakeKey, "change", key.pk),
        {"name": "Looker", "allowed_origins": "", "thank_you_url": "", "may_read_metrics": "on"},
    )
    assert response.status_code == 302, response.content.decode()
    key.refresh_from_db()
    assert key.may_read_metrics
    assert client_with(raw).get(METRICS_URL).status_code == 200


def test_the_admin_refuses_a_public_key_that_reads_metrics(admin_client, db):
    response = admin_client.post(
        admin_url(IntakeKey, "add"),
        {
            "name": "Pricing page form",
            "kind": IntakeKey.Kind.PUBLIC,
            "allowed_origins": "https://www.example.com",
            "thank_you_url": "",
            "may_read_metrics": "on",
        },
    )
    assert response.status_code == 200
    assert "can never read metrics" in response.content.decode()
    assert not IntakeKey.objects.exists()

    public, _ = intake_key_create(name="Form", kind=IntakeKey.Kind.PUBLIC)
    page = admin_client.get(admin_url(IntakeKey, "change", public.pk)).content.decode()
    assert 'name="may_read_metrics"' not in page  # shown, not offered


def test_a_staff_session_still_reads_metrics_without_a_key(admin_client, db):
    assert admin_client.get(METRICS_URL).status_code == 200


def test_the_command_makes_a_key_that_reads_metrics(db, capsys):
    call_command("create_intake_key", "Looker", "--metrics")
    output = capsys.readouterr().out
    key = IntakeKey.objects.get(name="Looker")
    assert key.may_read_metrics and key.kind == IntakeKey.Kind.SERVER
    assert "/api/v1/metrics/?days=30" in output


def test_the_schema_documents_who_may_read_metrics_and_what_each_figure_means(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/metrics/"]["get"]
    assert {"IntakeKey": []} in operation["security"]
    for words in (
        "May read metrics",
        "speed_to_first_human_action",
        "first_human_action_median_seconds",
        "unclaimed_during_period",
        "`ai_agent_handoff_human`",
        "expected_share_accounts_for",
        "pool_membership",
    ):
        assert words in operation["description"]
    assert {"401", "403"} <= set(operation["responses"])
