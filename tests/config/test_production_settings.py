"""The production settings as an operator meets them: the commands of the README's
production section, each in its own process with the environment it names."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _server_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """What the README tells an operator to set (SQLite here: nothing below needs more)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="leads.example.com",
        CSRF_TRUSTED_ORIGINS="https://leads.example.com",
        SITE_URL="https://leads.example.com",
        STATIC_ROOT=str(tmp_path / "static"),
        VAR_DIR=str(tmp_path / "var"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    env.update(extra)
    return env


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_deployment_check_finds_nothing_to_warn_about(tmp_path):
    result = _run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        _server_environment(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_collectstatic_writes_every_file_and_the_manifest_into_static_root(tmp_path):
    result = _run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"], _server_environment(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    for name in (
        "dashboard/chart.umd.min.js",
        "admin/css/base.css",
        "queue/queue.css",
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
    ):
        assert (tmp_path / "static" / manifest[name]).is_file(), name


def test_a_server_that_forgot_the_settings_module_refuses_to_run_the_development_ones(tmp_path):
    env = _server_environment(tmp_path)
    del env["DJANGO_SETTINGS_MODULE"]
    result = _run([sys.executable, "manage.py", "check"], env)
    assert result.returncode != 0
    assert "set DJANGO_SETTINGS_MODULE=config.settings.production" in result.stderr


def test_the_celery_app_loads_the_production_settings_unless_told_otherwise(tmp_path):
    env = _server_environment(tmp_path)
    del env["DJANGO_SETTINGS_MODULE"]
    result = _run(
        [
            sys.executable,
            "-c",
            "from config.celery import app; from django.conf import settings; "
            "print(app.conf.broker_url, settings.SETTINGS_MODULE, settings.DEBUG)",
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1:] == ["config.settings.production", "False"]
