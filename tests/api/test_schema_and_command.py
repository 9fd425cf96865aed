"""The OpenAPI schema and its docs pages; creating a key from the command line."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from routing.models import IntakeKey
from tests.api.conftest import LEADS_URL

pytestmark = pytest.mark.django_db


def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


def test_the_schema_documents_the_intake(client):
    schema = client.get("/api/schema/?format=json").json()
    intake = schema["paths"]["/api/v1/leads/"]["post"]
    assert {"201", "200", "400", "401", "409", "413", "415", "422", "429"} <= set(
        intake["responses"]
    )
    assert any(p["name"] == "Idempotency-Key" for p in intake["parameters"])
    assert intake["security"] == [{"IntakeKey": []}]
    assert schema["components"]["securitySchemes"]["IntakeKey"]["in"] == "header"
    simulate = schema["paths"]["/api/v1/route/simulate/"]["post"]
    assert {"IntakeKey": []} in simulate["security"]
    assert "/api/v1/leads/{id}/" in schema["paths"]


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_use_only_local_assets(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html
    assert "googleapis" not in html
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", html)
    # Not "cdn" anywhere in the page: the page's CSRF token is random and once had it.
    urls = re.findall(r"(?:https?:)?//[^\s\"'<>]+", html) + assets
    assert not [url for url in urls if "cdn" in url.lower()]
    for asset in assets:
        if asset.startswith("/static/"):
            assert Client().get(asset).status_code == 200, asset


def test_the_command_prints_a_key_that_authenticates():
    out = StringIO()
    call_command("create_intake_key", "Website demo form", stdout=out)

    output = out.getvalue()
    key = IntakeKey.objects.get()
    assert key.name == "Website demo form"
    assert key.expiry_date is None
    [raw] = re.findall(rf"{re.escape(key.prefix)}\.\w+", output.split("curl")[0])
    assert f"-H 'Authorization: Api-Key {raw}'" in output
    assert "/api/v1/leads/" in output

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert client.post(LEADS_URL, {}, format="json").status_code == 400  # past the key


def test_the_command_can_make_an_expiring_key():
    call_command("create_intake_key", "Event badge scans", "--expires", "30", stdout=StringIO())
    expiry = IntakeKey.objects.get().expiry_date
    assert abs(expiry - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["   "], "Give the key a name"),
        ([""], "Give the key a name"),
        (["x" * 51], "at most 50"),
        (["Form", "--expires", "0"], "1 or more"),
    ],
)
def test_the_command_refuses_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_intake_key", *args, stdout=StringIO())
    assert not IntakeKey.objects.exists()
