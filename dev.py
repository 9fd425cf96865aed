#!/usr/bin/env python3
"""The two commands of the README, on a fresh machine with only Python 3.11+.

    python3 dev.py run    set up (environment, database, demo data) and serve on :8000
    python3 dev.py test   the test suite, ruff and the import contracts; non-zero exit on a failure

Both create `.venv/` and install the pinned dependencies of pyproject.toml the first time
(and again whenever pyproject.toml changes), then re-run themselves inside it. With
DATABASE_URL and REDIS_URL set they use PostgreSQL and Redis; without, SQLite and an
embedded broker under var/.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
import venv
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV_DIR = Path(os.environ.get("LEADROUTER_VENV", ROOT / ".venv"))
STAMP = VENV_DIR / ".installed-from"
BIN = VENV_DIR / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def requirements() -> list[str]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {})
    wanted = ["dev", *chosen_extras()]
    return [*project["dependencies"], *(pin for name in wanted for pin in extras.get(name, []))]


def chosen_extras() -> list[str]:
    """Optional extras to install too, e.g. LEADROUTER_EXTRAS=semantic."""
    return [
        name.strip() for name in os.environ.get("LEADROUTER_EXTRAS", "").split(",") if name.strip()
    ]


def ensure_environment() -> None:
    """Create the virtual environment and install what pyproject.toml pins, once."""
    pins = (ROOT / "pyproject.toml").read_text()
    wanted = hashlib.sha256(
        f"{sys.version_info[:2]}\n{chosen_extras()}\n{pins}".encode()
    ).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not PYTHON.exists():
        say(f"Creating the virtual environment in {VENV_DIR.name}/")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV_DIR)
    say("Installing dependencies (pinned in pyproject.toml)")
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", *requirements()], check=True)
    STAMP.write_text(wanted)


def in_environment() -> bool:
    return Path(sys.prefix).resolve() == VENV_DIR.resolve()


def manage(*args: str) -> None:
    subprocess.run([str(PYTHON), "manage.py", *args], check=True, cwd=ROOT)


def serve(port: str) -> int:
    """Web, worker and scheduler together; Ctrl-C or SIGTERM (or one of them dying) stops all."""
    # Until the long-running processes start, a stop signal interrupts the set-up step in
    # progress (subprocess.run kills its child then). A shell starting us in the background
    # sets SIGINT to "ignore", and a service manager or `kill` stops with SIGTERM, whose
    # default action would leave a running step behind.
    _on_stop_signals(_interrupt)
    # The development settings, for every process started here (the web and the worker
    # default to production when started by hand).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    # Links in notifications and everything printed point at the port served here.
    os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    try:
        say("Migrating the database")
        manage("migrate", "--noinput")
        say("Loading the demo routing set and the demo admin")
        manage("setup_demo")
        # From here on a stop signal is only noted: raised as an exception, it could land
        # between starting a process and recording it (leaving that process unknown to
        # stop()) or in the middle of stop() itself, when a second signal comes.
        _on_stop_signals(_note_stop_request)
    except KeyboardInterrupt:
        say("Stopped during set-up")
        return 1
    commands = {
        # gunicorn, as in production, with a bounded number of threads: each keeps one
        # database connection, so a burst of clients cannot open more connections than
        # PostgreSQL allows (the development server starts a thread, and with it a
        # connection, per request). --reload restarts the workers when the code changes.
        "web": [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--config",
            "config/gunicorn.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--reload",
            "--access-logfile",
            "-",
        ],
        "worker+scheduler": [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--beat",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
        ],
    }
    processes: dict[str, subprocess.Popen] = {}
    exit_code = 0
    try:
        for name, command in commands.items():
            if _stop_requests:
                break
            # Each in a process group of its own, which stop() signals as a whole: the
            # terminal's Ctrl-C reaches only this process, which stops them in order.
            processes[name] = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
        else:
            say(f"Lead Router is up on {os.environ['SITE_URL']}/admin/ (Ctrl-C stops everything)")
        while not _stop_requests and all(process.poll() is None for process in processes.values()):
            time.sleep(0.2)
        if _stop_requests:
            say("Stopping")
        else:
            for name, process in processes.items():
                if process.returncode is not None:
                    say(f"{name} stopped (exit code {process.returncode}); stopping the rest")
                    exit_code = process.returncode or 1
    finally:
        stop(processes)
    return exit_code


# Long enough for an idle worker's warm shutdown and the web's in-flight requests; a task
# still running then is killed (development only: nothing here waits on it).
STOP_GRACE_SECONDS = 6
_stop_requests: list[int] = []


def _on_stop_signals(handler: Callable[[int, object], None]) -> None:
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, handler)
    # Closing the terminal sends SIGHUP to this process alone (its children are in sessions
    # of their own); under nohup it stays ignored.
    if signal.getsignal(signal.SIGHUP) != signal.SIG_IGN:
        signal.signal(signal.SIGHUP, handler)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _note_stop_request(signum: int, frame: object) -> None:
    _stop_requests.append(signum)


def stop(processes: dict[str, subprocess.Popen]) -> None:
    """SIGTERM to each process group, then SIGKILL to whatever is left after the grace period."""
    for name, process in processes.items():
        if process.poll() is None:
            if name == "web":
                # gunicorn's workers stop as soon as they have answered what they hold.
                _signal_group(process, signal.SIGTERM)
            else:
                # Celery's main process shuts its pool and the embedded scheduler down
                # itself; signalled directly, its pool processes would die mid-task.
                process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
    for process in processes.values():
        # Also when the main process exited in time: a child it left behind is still in
        # the group.
        _signal_group(process, signal.SIGKILL)
        process.wait()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def test(pytest_args: list[str]) -> int:
    database = os.environ.get("DATABASE_URL", "SQLite (embedded)").split("@")[-1]
    broker = os.environ.get("REDIS_URL", "embedded").split("@")[-1]
    say(f"Tests on {database}, broker {broker}")
    failures = []
    for name, command in {
        "ruff check": [str(BIN / "ruff"), "check", "."],
        "ruff format": [str(BIN / "ruff"), "format", "--check", "."],
        "import contracts": [str(BIN / "lint-imports"), "--no-cache"],
        "pytest": [str(PYTHON), "-m", "pytest", *pytest_args],
    }.items():
        say(name)
        if subprocess.run(command, cwd=ROOT).returncode != 0:
            failures.append(name)
    if failures:
        say(f"FAILED: {', '.join(failures)}")
        return 1
    say("All green")
    return 0


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 is
        sys.exit("Lead Router needs Python 3.11 or newer.")
    if not argv or argv[0] not in {"run", "test"}:
        print(__doc__)
        return 2
    if not in_environment():
        ensure_environment()
        os.execv(str(PYTHON), [str(PYTHON), str(Path(__file__).resolve()), *argv])
    command, rest = argv[0], argv[1:]
    if command == "run":
        return serve(port=os.environ.get("PORT", "8000"))
    return test(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
