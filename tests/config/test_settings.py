"""Settings behave as the README promises on a fresh machine and in production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load_settings(module: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    clean.update(DJANGO_SETTINGS_MODULE=module, VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SECRET_KEY)"],
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
