"""`python3 dev.py run` on an empty database: set-up, demo data, all processes, clean stop.

Runs the real command in its own runtime folder (VAR_DIR) on the embedded defaults, the
way a newcomer starts it, whatever DATABASE_URL the suite itself uses.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _processes_using(path: Path) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if f"VAR_DIR={path}".encode() in environ.split(b"\0"):
            found.append(proc.name)
    return found


@pytest.fixture
def run_command(tmp_path):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(VAR_DIR=str(tmp_path), PORT=str(port), PYTHONUNBUFFERED="1")
    log = (tmp_path / "run.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "dev.py"), "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # As when a shell starts it in the background: SIGINT inherited as "ignore".
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    yield process, port, tmp_path, log
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    for pid in _processes_using(tmp_path):
        os.kill(int(pid), signal.SIGKILL)


def test_run_serves_the_admin_with_demo_data_and_stops_everything_on_ctrl_c(run_command):
    process, port, var_dir, log = run_command

    def output() -> str:
        log.seek(0)
        return log.read()

    _wait_for(lambda: _port_open(port), 120, f"the web server on port {port}\n{output()}")
    _wait_for(lambda: "celery@" in output() and " ready." in output(), 60, "the worker")
    credentials = re.search(r"Demo admin: (\S+)\s+Password:\s+(\S+)", output())
    assert credentials, output()

    base = f"http://127.0.0.1:{port}"
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = browser.open(f"{base}/admin/login/").read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page)[1]
    form = urllib.parse.urlencode(
        {
            "username": credentials[1],
            "password": credentials[2],
            "csrfmiddlewaretoken": csrf,
            "next": "/admin/",
        }
    ).encode()
    browser.open(
        urllib.request.Request(
            f"{base}/admin/login/", data=form, headers={"Referer": f"{base}/admin/login/"}
        )
    )
    rulesets = browser.open(f"{base}/admin/routing/ruleset/").read().decode()
    assert "SaaS inbound" in rulesets

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert not _port_open(port)
    _wait_for(lambda: not _processes_using(var_dir), 20, "every child process to stop")
