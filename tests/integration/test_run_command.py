"""`python3 dev.py run` on an empty database: set-up, demo data, all processes, clean stop.

Runs the real command in its own runtime folder (VAR_DIR) on the embedded defaults, the
way a newcomer starts it, whatever DATABASE_URL the suite itself uses; on PostgreSQL,
also with DATABASE_URL set, under a burst of clients.
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
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
from django.db import connection

from tests.integration.stack import scratch_database

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


class RunCommand:
    """`python3 dev.py run` in its own runtime folder, as a newcomer starts it."""

    def __init__(self, var_dir: Path, **env: str) -> None:
        self.port = _free_port()
        self.var_dir = var_dir
        environment = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SITE_URL"}
        }
        environment.update(VAR_DIR=str(var_dir), PORT=str(self.port), PYTHONUNBUFFERED="1", **env)
        self.log = (var_dir / "run.log").open("w+")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "dev.py"), "run"],
            cwd=ROOT,
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # As when a shell starts it in the background: SIGINT inherited as "ignore".
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def wait_until_serving(self) -> None:
        _wait_for(lambda: _port_open(self.port), 120, f"the web server\n{self.output()}")
        _wait_for(
            lambda: "celery@" in self.output() and " ready." in self.output(), 60, "the worker"
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        for pid in _processes_using(self.var_dir):
            os.kill(int(pid), signal.SIGKILL)


@pytest.fixture
def run_command(tmp_path):
    """Starts the run command with extra environment variables; kills what is left."""
    started: list[RunCommand] = []

    def start(**env: str) -> RunCommand:
        started.append(RunCommand(tmp_path, **env))
        return started[-1]

    yield start
    for run in started:
        run.kill()


def test_run_serves_the_admin_with_demo_data_and_stops_everything_on_ctrl_c(run_command):
    run = run_command()
    run.wait_until_serving()
    credentials = re.search(r"Demo admin: (\S+)\s+Password:\s+(\S+)", run.output())
    assert credentials, run.output()
    # Served on a port of its own: what it prints (and the links it sends) say that port.
    assert f"Sign in at {run.url}/admin/" in run.output()
    assert f"Lead Router is up on {run.url}/admin/" in run.output()
    assert "127.0.0.1:8000" not in run.output()

    base = run.url
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

    run.process.send_signal(signal.SIGINT)
    assert run.process.wait(timeout=30) == 0
    assert not _port_open(run.port)
    _wait_for(lambda: not _processes_using(run.var_dir), 20, "every child process to stop")


def test_sigterm_to_the_run_command_stops_every_process_it_started_within_seconds(run_command):
    """As `kill <pid>` or `pkill -f "dev.py run"` stop it: SIGTERM to dev.py alone, none of
    its children (each in a process group of its own) is signalled by the sender."""
    run = run_command()
    run.wait_until_serving()
    started = set(_processes_using(run.var_dir)) - {str(run.process.pid)}
    # gunicorn's arbiter and two workers, Celery's main process, two pool processes, beat.
    assert len(started) >= 7, started

    run.process.send_signal(signal.SIGTERM)
    assert run.process.wait(timeout=15) == 0, run.output()[-3000:]
    _wait_for(
        lambda: not _processes_using(run.var_dir) and not any(map(_alive, started)),
        10,
        f"every child process to stop\n{run.output()[-3000:]}",
    )
    assert not _port_open(run.port)


def test_sigterm_during_set_up_stops_the_step_in_progress_instead_of_leaving_it_running(
    run_command,
):
    run = run_command()
    _wait_for(
        lambda: set(_processes_using(run.var_dir)) - {str(run.process.pid)},
        60,
        f"the migrate step\n{run.output()}",
    )

    run.process.send_signal(signal.SIGTERM)
    assert run.process.wait(timeout=5) == 1
    assert "Stopped during set-up" in run.output()
    # Migrating an empty database takes longer than this: the step was stopped, not awaited.
    _wait_for(lambda: not _processes_using(run.var_dir), 3, "the set-up step to stop")
    assert "Lead Router is up" not in run.output()


def _alive(pid: str) -> bool:
    """Running, not a zombie waiting for its parent (the container's init may never reap it)."""
    try:
        status = (Path("/proc") / pid / "stat").read_text()
    except OSError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.postgres
def test_a_burst_of_clients_on_a_small_postgresql_gets_every_lead_answered(run_command):
    """16 clients at once on a server that lets this install hold 16 connections: the web
    serves a bounded number of requests at once, each thread keeping one connection, so
    the burst queues instead of running out of connections (no 500)."""
    if connection.vendor != "postgresql":
        pytest.skip("the connection limit is PostgreSQL's")
    with scratch_database(connection_limit=16) as url:
        run = run_command(DATABASE_URL=url)
        run.wait_until_serving()
        key = (run.var_dir / "demo-intake-key").read_text().strip()

        def post(number: int) -> int | str:
            try:
                response = httpx.post(
                    f"{run.url}/api/v1/leads/",
                    json={"email": f"buyer{number}@burst-{number}.com", "source": "demo_request"},
                    headers={"Authorization": f"Api-Key {key}"},
                    timeout=60,
                )
            except httpx.TransportError as error:
                # Counted, not raised: the server's log below says why.
                return f"{type(error).__name__}: {error}"
            return response.status_code

        with ThreadPoolExecutor(max_workers=16) as clients:
            answers = Counter(clients.map(post, range(240)))

        assert answers == {201: 240}, run.output()[-4000:]
        with psycopg.connect(url) as database:
            stored = database.execute("SELECT count(*) FROM routing_lead").fetchone()[0]
        assert stored == 240
        run.kill()
