"""Settings behave as the README promises on a fresh machine and in production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load_settings(
    module: str, tmp_path: Path, show: str = "settings.SECRET_KEY", **env: str
) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    clean.update(DJANGO_SETTINGS_MODULE=module, VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; print({show})"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _load_settings("config.settings.production", tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_development_generates_a_secret_key_once_and_keeps_it(tmp_path):
    first = _load_settings("config.settings.local", tmp_path)
    second = _load_settings("config.settings.local", tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert len(first.stdout.strip()) >= 50
    assert (tmp_path / "secret_key").exists()


def test_development_settings_refuse_to_load_with_debug_off_even_with_a_secret_key(tmp_path):
    result = _load_settings("config.settings.local", tmp_path, DEBUG="false", SECRET_KEY="k" * 50)
    assert result.returncode != 0
    assert "set DJANGO_SETTINGS_MODULE=config.settings.production" in result.stderr


def test_sign_in_lockouts_are_set_from_the_environment(tmp_path):
    show = "settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME"
    default = _load_settings("config.settings.local", tmp_path, show)
    chosen = _load_settings(
        "config.settings.local", tmp_path, show, LOGIN_FAILURE_LIMIT="3", LOGIN_LOCKOUT="1h"
    )
    assert default.stdout.strip() == "5 0:15:00", default.stderr
    assert chosen.stdout.strip() == "3 1:00:00", chosen.stderr


def test_a_lockout_time_that_is_no_duration_is_refused_by_name(tmp_path):
    result = _load_settings("config.settings.local", tmp_path, LOGIN_LOCKOUT="soon")
    assert result.returncode != 0
    assert "'soon' is not a duration; write e.g. 15m, 90s, 1h or 90d." in result.stderr
