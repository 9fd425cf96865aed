"""The README's production section followed to the letter (tests/integration/production.py),
on the test database and a Redis of the test's own, DEBUG off; then the pages people use,
over HTTP as the TLS proxy forwards them (the PostgreSQL + Redis pass of CI)."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from routing.links import acknowledge_url
from routing.models import IntakeKey
from tests.integration.production import (
    SITE,
    SITE_HOST,
    ProductionSite,
    page,
    static_paths,
)
from tests.integration.stack import REAL_STACK, RedisServer, database_url, wait_until
from tests.signin import sign_in
from tests.team import PASSWORD, submit

pytestmark = REAL_STACK


@pytest.fixture
def site(tmp_path, settings):
    redis = RedisServer(tmp_path)
    redis.start()
    workdir = tmp_path / "site"
    workdir.mkdir()
    # The test's own key, so that the acknowledge link signed here opens there.
    running = ProductionSite(
        workdir, database_url=database_url(), redis_url=redis.url, secret_key=settings.SECRET_KEY
    )
    yield running
    running.stop()
    redis.stop()
    if "Traceback" in running.logs():
        print(running.logs())


def _with_production_password(rep) -> None:
    """The test settings hash passwords with MD5, which production does not accept."""
    hasher = PBKDF2PasswordHasher()
    rep.user.password = hasher.encode(PASSWORD, hasher.salt())
    rep.user.save()


def _assert_static_files_served(client: httpx.Client, html: str) -> None:
    paths = static_paths(html)
    assert paths, html[:2000]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "max-age" in response.headers.get("cache-control", ""), path


def test_the_readme_recipe_serves_every_page_with_debug_off(site, team):
    assert not site.missing_variables()
    ana = team.ana
    _with_production_password(ana)
    assignment = submit(source="demo_request", message="Call me after 3pm").assignments.get()

    printed = site.run()

    check_deploy = printed[1]
    assert "System check identified no issues (0 silenced)." in check_deploy
    wait_until(lambda: " ready." in site.logs(), timeout=60, what=f"the worker\n{site.logs()}")
    wait_until(lambda: "beat: Starting" in site.logs(), timeout=30, what="the scheduler")

    plain = httpx.get(f"{site.url}/admin/login/", headers={"Host": SITE_HOST})
    assert plain.status_code == 301
    assert plain.headers["location"] == f"{SITE}/admin/login/"

    with site.client() as manager:
        login = page(manager, "/admin/login/")
        assert login.headers["strict-transport-security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        _assert_static_files_served(manager, login.text)
        signed_in = sign_in(manager, "/admin/login/", *site.manager)
        assert signed_in.status_code == 302, signed_in.text
        assert "Routing set-up" in page(manager, "/admin/").text
        dashboard = page(manager, "/dashboard/")
        assert any("chart.umd.min" in path for path in static_paths(dashboard.text))
        _assert_static_files_served(manager, dashboard.text)
        docs = page(manager, "/api/docs/")
        _assert_static_files_served(manager, docs.text)

    with site.client() as rep:
        _assert_static_files_served(rep, page(rep, "/queue/login/").text)
        assert sign_in(rep, "/queue/login/", ana.email, PASSWORD).status_code == 302
        assert "Prospect Inc" in page(rep, "/queue/").text

    with site.client() as anyone:
        ack = page(anyone, acknowledge_url(assignment).removeprefix("http://127.0.0.1:8000"))
        assert "Acknowledge</button>" in ack.text and "Call me after 3pm" in ack.text
        _assert_static_files_served(anyone, ack.text)


def _connections_of_others() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_no_request_fails_after_postgresql_drops_the_web_workers_connections(site, team):
    key = IntakeKey.objects.create_key(name="Website form")[1]
    site.run(serve=("gunicorn",))
    workers = site.gunicorn_workers

    with site.client() as client:
        client.headers["Authorization"] = f"Api-Key {key}"
        posted = client.post("/api/v1/leads/", json={"email": "pat@prospect.com"})
        assert posted.status_code == 201, posted.text

        def lead_page() -> int:
            return client.get(f"/api/v1/leads/{posted.json()['id']}/").status_code

        # Every worker holds a connection it will reuse...
        def every_worker_connected() -> bool:
            assert lead_page() == 200
            return _connections_of_others() >= workers

        wait_until(every_worker_connected, timeout=30, what=f"{workers} workers connected")
        # ...when PostgreSQL ends them, as a restart or a failover does.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )

        answers = Counter(lead_page() for _ in range(12 * workers))

    assert answers == {200: 12 * workers}, site.logs()
