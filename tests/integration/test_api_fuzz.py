"""The API keeps its published contract under fuzzing: schemathesis generates requests
from `/api/schema/` (valid ones, and ones the schema forbids) for every operation, with a
server key, a public key, an AI agent's key (which may act on its leads) and a manager's
session (the metrics), against the running app on PostgreSQL. No answer may be
a server error, and every answer must be what the schema documents (status, content type,
headers, body); every request the schema forbids must be refused.

`positive_data_acceptance` is left out on purpose: the schema cannot list every country
name, state or e-mail address the intake understands, so a schema-valid "country": "0" is
rightly a 400. NUL characters are not generated: JSON Schema cannot say "no NUL anywhere
in `attributes`", which the intake refuses (PostgreSQL cannot store it).

A fixed seed keeps CI repeatable; `st run` with another `--seed` and more examples
searches wider.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from reps.models import Rep
from routing.models import IntakeKey
from tests.team import build_team

pytestmark = pytest.mark.postgres

ST = Path(sys.executable).parent / "st"
EXAMPLES_PER_OPERATION = 25
SEED = "20261206"
METRICS = "/api/v1/metrics/"


@pytest.fixture
def fuzzed_app(live_server, transactional_db, settings):
    build_team()
    # Thousands of requests in a minute: the rates would otherwise answer most of them.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"intake": "100000/min", "intake_address": "100000/min"},
    }
    return live_server


def fuzz(url: str, auth: str, config_dir: Path, *only: str) -> subprocess.CompletedProcess[str]:
    """`st run` with the caller's credentials named by the schema's security scheme, so
    schemathesis also knows how to send requests without them (and expects a refusal)."""
    config = config_dir / "schemathesis.toml"
    config.write_text(auth)
    return subprocess.run(
        [
            str(ST), "--config-file", str(config), "run", f"{url}/api/schema/",
            *only,
            "--checks", "all",
            "--exclude-checks", "positive_data_acceptance",
            "--generation-allow-x00", "false",
            "--generation-database", "none",
            "--max-examples", str(EXAMPLES_PER_OPERATION),
            "--seed", SEED,
            "--workers", "1",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip


def key_auth(kind: str, *, agent: Rep | None = None) -> str:
    _, key = IntakeKey.objects.create_key(
        name=f"Fuzzing {kind}",
        kind=kind,
        rep=agent,
        allowed_origins=["https://www.example.com"] if kind == IntakeKey.Kind.PUBLIC else [],
    )
    return f'[auth.openapi.IntakeKey]\napi_key = "Api-Key {key}"\n'


def manager_session_auth() -> str:
    manager = get_user_model().objects.create_superuser("manager@example.com", "x")
    browser = Client()
    browser.force_login(manager)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return f'[auth.openapi.cookieAuth]\napi_key = "{session}"\n'


def operations_in(url: str, path: str | None = None) -> int:
    schema = httpx.get(f"{url}/api/schema/?format=json").json()
    return sum(
        1
        for each, methods in schema["paths"].items()
        for method in methods
        if method in {"get", "post", "put", "patch", "delete"} and path in (None, each)
    )


@pytest.mark.parametrize("caller", ["server key", "public key", "agent key", "manager session"])
def test_every_operation_keeps_its_contract_under_fuzzing(fuzzed_app, caller, tmp_path):
    only: tuple[str, ...] = ()
    if caller == "manager session":
        # The session reads the metrics; its writes need a CSRF token, which is the
        # browser's business, not the API contract's.
        only = ("--include-path", METRICS)
        auth = manager_session_auth()
    elif caller == "agent key":
        auth = key_auth(IntakeKey.Kind.SERVER, agent=Rep.objects.get(kind=Rep.Kind.AGENT))
    else:
        auth = key_auth(caller.removesuffix(" key"))

    run = fuzz(fuzzed_app.url, auth, tmp_path, *only)

    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report  # any failed check exits 1
    tested = operations_in(fuzzed_app.url, METRICS if only else None)
    assert f"Tested: {tested}" in run.stdout, report
