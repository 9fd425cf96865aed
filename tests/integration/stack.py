"""Real processes for the end-to-end tests: a Redis server of their own, the web app
under gunicorn and a Celery worker with its scheduler, all on the test database.

Each test gets its own Redis (a free port), so stopping it hurts nobody else.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    """The test database as a URL, for processes started by the test."""
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return (
        f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


@contextlib.contextmanager
def scratch_database(*, connection_limit: int = -1) -> Iterator[str]:
    """A new, empty database on the test database's server, owned by a login role of its
    own that may hold at most `connection_limit` connections (as on a small server);
    yields its URL, then drops both. Needs the suite's role to create roles."""
    settings = connection.settings_dict
    server = {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
        "user": settings["USER"],
        "password": settings.get("PASSWORD") or None,
    }
    name = f"scratch_{secrets.token_hex(6)}"

    def maintenance(*statements: str) -> None:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            for statement in statements:
                admin.execute(statement)

    maintenance(
        f"CREATE ROLE {name} LOGIN CONNECTION LIMIT {connection_limit}",
        f"CREATE DATABASE {name} OWNER {name}",
    )
    try:
        yield f"postgres://{name}@{server['host']}:{server['port']}/{name}"
    finally:
        maintenance(f"DROP DATABASE {name} WITH (FORCE)", f"DROP ROLE {name}")


def run_together(script: str, arguments: list[list[str]], go: Path) -> list[str]:
    """One Python process per argument list, each running `script` on the test database
    with its arguments and then the path `go`, which the script waits for, so that all
    start their work at the same moment. Returns what each printed; fails on an error."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, *args, str(go)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in arguments
    ]
    time.sleep(1.5)  # let every process import Django and wait at the line
    go.touch()
    outputs = []
    for process in processes:
        out, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors
        outputs.append(out)
    return outputs


def wait_until(check, *, timeout: float, step: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(step)
    raise AssertionError(f"{what}: not met after {timeout} s")


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def redis_server_binary() -> str | None:
    return shutil.which("redis-server") or shutil.which("/usr/bin/redis-server")


# The marks of a module whose tests run processes of their own (web, worker, a Redis
# server) against PostgreSQL: skipped on SQLite, without Redis, or without redis-server.
REAL_STACK = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(redis_server_binary() is None, reason="redis-server is not installed"),
    pytest.mark.django_db(transaction=True),
]


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = redis_server_binary() or "redis-server"
        self.process = subprocess.Popen(
            [
                binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: _port_open(self.port), timeout=10, what="Redis listening")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        wait_until(lambda: not _port_open(self.port), timeout=10, what="Redis stopped")


class Service:
    """A child process in its own process group, stopped with everything it started."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.command, self.env, self.log = name, command, env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the whole group: no warm shutdown, no chance to finish anything."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


class Stack:
    """Web (gunicorn) and worker (celery --beat) on the test database and a private Redis."""

    def __init__(self, workdir: Path, **extra_env: str) -> None:
        self.workdir = workdir
        self.redis = RedisServer(workdir)
        self.web_port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url(),
            "REDIS_URL": self.redis.url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "VAR_DIR": str(workdir),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "ESCALATION_SWEEP_SECONDS": "0.5",
            **extra_env,
        }
        bin_dir = Path(sys.executable).parent
        self.web = Service(
            "web",
            [
                str(bin_dir / "gunicorn"),
                "config.wsgi:application",
                "--bind", f"127.0.0.1:{self.web_port}",
                "--workers", "2",
                "--log-level", "warning",
            ],
            env,
            workdir / "web.log",
        )  # fmt: skip
        self.worker = Service(
            "worker",
            [
                sys.executable, "-m", "celery", "-A", "config", "worker", "--beat",
                "--loglevel", "WARNING",
                "--concurrency", "2",
                "--without-mingle", "--without-gossip",
                "--schedule", str(workdir / "celerybeat-schedule"),
            ],
            env,
            workdir / "worker.log",
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start(self) -> Stack:
        self.redis.start()
        self.web.start()
        self.start_worker()
        wait_until(lambda: _port_open(self.web_port), timeout=30, what="gunicorn listening")
        return self

    def start_worker(self) -> None:
        self.worker.start()
        time.sleep(1.0)  # let it connect before the test starts the clock

    def stop(self) -> None:
        self.worker.stop()
        self.web.stop()
        self.redis.stop()
