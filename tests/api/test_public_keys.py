"""Public intake keys sit in a web page: they submit, and learn nothing else.

Real HTTP against the running app (pytest-django's live server), as a browser form or an
attacker who copied the key out of the page would send it.
"""

from __future__ import annotations

import httpx
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from routing.models import IntakeKey, Lead
from tests.api.conftest import DEMO_LEAD, LEADS_URL, SIMULATE_URL, stored_counts

SITE = "https://www.prospect-forms.com"


@pytest.fixture
def public_key(transactional_db) -> str:
    _, key = IntakeKey.objects.create_key(
        name="Website form", kind=IntakeKey.Kind.PUBLIC, allowed_origins=[SITE]
    )
    return key


@pytest.fixture
def server_key(transactional_db) -> str:
    _, key = IntakeKey.objects.create_key(name="CRM sync")
    return key


def post(live_server, key: str, body=DEMO_LEAD, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{live_server.url}{LEADS_URL}",
        json=body,
        headers={"Authorization": f"Api-Key {key}", **headers},
    )


def test_a_public_key_is_told_only_that_the_lead_arrived(live_server, routing, public_key):
    response = post(live_server, public_key, Origin=SITE)

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert response.json() == {"id": lead.pk, "status": "received", "duplicate": False}
    assert lead.owner == routing["ana"]  # routed as any lead, just not told
    assert "ana@example.com" not in response.text and "Ana Silva" not in response.text


def test_a_duplicate_through_a_public_key_reveals_nothing_of_the_open_lead(
    live_server, routing, public_key, server_key
):
    first = post(live_server, server_key).json()
    assert first["owner"]["email"] == "ana@example.com"

    again = post(live_server, public_key, Origin=SITE)

    assert again.status_code == 200
    assert again.json() == {"id": first["id"], "status": "received", "duplicate": True}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/leads/{id}/"), ("POST", SIMULATE_URL)],
)
def test_a_public_key_cannot_read_leads_or_simulate(live_server, routing, public_key, method, path):
    lead_id = post(live_server, public_key).json()["id"]

    response = httpx.request(
        method,
        f"{live_server.url}{path.format(id=lead_id)}",
        json=DEMO_LEAD if method == "POST" else None,
        headers={"Authorization": f"Api-Key {public_key}"},
    )

    assert response.status_code == 403
    assert "public intake key can only submit" in response.json()["detail"]
    assert "ana@example.com" not in response.text and "Ana Silva" not in response.text


def test_a_server_key_still_gets_the_whole_answer_and_reads_its_leads(
    live_server, routing, server_key
):
    answer = post(live_server, server_key).json()
    assert answer["owner"]["name"] == "Ana Silva"
    assert answer["decision"]["steps"]

    lead = httpx.get(
        f"{live_server.url}/api/v1/leads/{answer['id']}/",
        headers={"Authorization": f"Api-Key {server_key}"},
    )
    assert lead.status_code == 200
    assert lead.json()["email"] == DEMO_LEAD["email"]


def test_a_browser_preflight_from_a_listed_origin_is_allowed(live_server, public_key):
    response = httpx.options(
        f"{live_server.url}{LEADS_URL}",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SITE
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "idempotency-key"} <= set(allowed.split(", "))


def test_a_browser_on_another_site_gets_no_cors_grant(live_server, public_key):
    response = httpx.options(
        f"{live_server.url}{LEADS_URL}",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )

    assert "access-control-allow-origin" not in response.headers


def test_a_post_from_a_listed_origin_is_readable_by_the_page(live_server, routing, public_key):
    response = post(live_server, public_key, Origin=SITE)

    assert response.status_code == 201
    assert response.headers["access-control-allow-origin"] == SITE


def test_a_public_key_used_from_an_unlisted_site_is_refused_and_stores_nothing(
    live_server, routing, public_key
):
    before = stored_counts()

    response = post(live_server, public_key, Origin="https://copycat.example")

    assert response.status_code == 403
    assert "does not accept leads from pages on https://copycat.example" in response.text
    assert stored_counts() == before


def test_another_sites_origin_does_not_open_a_key_that_lists_another(
    live_server, routing, public_key
):
    IntakeKey.objects.create_key(
        name="Partner form", kind=IntakeKey.Kind.PUBLIC, allowed_origins=["https://partner.example"]
    )

    response = post(live_server, public_key, Origin="https://partner.example")

    assert response.status_code == 403


def test_a_public_key_is_rate_limited_per_client_address(
    live_server, routing, public_key, server_key, settings
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"intake": "100/min", "intake_address": "3/min"},
    }
    answers = [
        post(live_server, public_key, {"email": f"visitor{n}@prospect.com"}).status_code
        for n in range(4)
    ]

    assert answers == [201, 201, 201, 429]
    refused = post(live_server, public_key, {"email": "late@prospect.com"})
    assert "Too many requests from your address (limit 3/min)" in refused.json()["detail"]
    assert not Lead.objects.filter(email="late@prospect.com").exists()
    # A server key is a secret: its own per-key rate is the only limit.
    assert post(live_server, server_key, {"email": "crm@prospect.com"}).status_code == 201


def test_create_intake_key_makes_a_public_key_from_a_shell(transactional_db, capsys):
    call_command("create_intake_key", "Pricing form", "--public", "--origin", SITE)

    key = IntakeKey.objects.get(name="Pricing form")
    assert key.is_public
    assert key.allowed_origins == [SITE]
    out = capsys.readouterr().out
    assert "may only submit leads" in out
    assert "fetch(" in out


def test_create_intake_key_refuses_an_origin_with_a_path(transactional_db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="not a web origin"):
        call_command("create_intake_key", "Form", "--public", "--origin", f"{SITE}/contact")
    assert not IntakeKey.objects.exists()


def test_keys_made_before_key_kinds_become_server_keys(transactional_db):
    executor = MigrationExecutor(connection)
    before = [("routing", "0011_load_counts_by_index")]
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old_state = MigrationExecutor(connection).loader.project_state(before).apps
        OldKey = old_state.get_model("routing", "IntakeKey")
        OldKey.objects.create(id="old.key", prefix="old", hashed_key="x", name="Old form")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)

    assert IntakeKey.objects.get(prefix="old").kind == IntakeKey.Kind.SERVER
