"""The README's production section, run as written: its `export` lines name the
environment, every other line is a command run in it, in order.

The values are the test's own (its database, a Redis of its own, folders under the
test's temporary directory); the names and the commands are the README's. A command
the test does not know how to run fails the test, so the README cannot gain a step that
nothing runs.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx

from tests.integration.stack import ROOT, Service, free_port, wait_until

SITE_HOST = "leads.example.com"
SITE = f"https://{SITE_HOST}"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Recipe:
    variables: list[str]  # names the README exports
    commands: list[list[str]]  # the lines after them, split as the shell would


def readme_recipe() -> Recipe:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Production deployment\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "the README's production section has no ```sh block"
    variables, commands = [], []
    for line in block[1].splitlines():
        words = shlex.split(line)
        if words[:1] == ["export"]:
            variables += [word.split("=", 1)[0] for word in words[1:]]
        elif words:
            commands.append(words)
    return Recipe(variables, commands)


class ProductionSite:
    """The recipe's processes on the test database; `client()` is the TLS proxy."""

    def __init__(self, workdir: Path, *, database_url: str, redis_url: str, secret_key: str):
        self.workdir = workdir
        self.recipe = readme_recipe()
        self.port = free_port()
        self.manager = ("manager@example.com", "a-long-manager-passphrase")
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "DATABASE_URL", "REDIS_URL"}
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            DEBUG="false",
            SECRET_KEY=secret_key,
            TRUSTED_PROXY_COUNT="1",
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            ALLOWED_HOSTS=SITE_HOST,
            CSRF_TRUSTED_ORIGINS=SITE,
            SITE_URL=SITE,
            STATIC_ROOT=str(workdir / "static"),
            MEDIA_ROOT=str(workdir / "media"),
            # Not created beforehand, as on a new server.
            VAR_DIR=str(workdir / "var"),
        )
        self.services: list[Service] = []

    @property
    def gunicorn_workers(self) -> int:
        command = next(words for words in self.recipe.commands if words[0] == "gunicorn")
        return int(command[command.index("--workers") + 1])

    def missing_variables(self) -> set[str]:
        return set(self.recipe.variables) - set(self.env)

    def run(self, *, serve: tuple[str, ...] = ("gunicorn", "celery")) -> list[str]:
        """Every command in order: one-shot commands must succeed; long-running ones whose
        program is in `serve` are started (the others skipped). Returns what each one-shot
        command printed."""
        printed = []
        for words in self.recipe.commands:
            program = words[0]
            if program in {"gunicorn", "celery"}:
                if program in serve:
                    self._start(words)
                continue
            command, extra_env = self._one_shot(words)
            result = subprocess.run(
                command,
                cwd=ROOT,
                env={**self.env, **extra_env},
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert result.returncode == 0, f"{shlex.join(words)}:\n{result.stdout}{result.stderr}"
            printed.append(result.stdout + result.stderr)
        if "gunicorn" in serve:
            wait_until(self._serving, timeout=60, what=f"gunicorn serving\n{self.logs()}")
        return printed

    def _one_shot(self, words: list[str]) -> tuple[list[str], dict[str, str]]:
        if words == ["pip", "install", "."]:
            # Into the suite's own environment, which has every pin: build the project
            # and resolve its dependencies, install nothing.
            return [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "."], {}
        if words[:2] == ["python", "manage.py"]:
            command = [sys.executable, "manage.py", *words[2:]]
            if words[2:] == ["check", "--deploy"]:
                return [*command, "--fail-level", "WARNING"], {}
            if words[2:] == ["createsuperuser"]:
                # The prompts' answers, as Django's createsuperuser documents them.
                email, password = self.manager
                return [*command, "--noinput"], {
                    "DJANGO_SUPERUSER_EMAIL": email,
                    "DJANGO_SUPERUSER_PASSWORD": password,
                }
            return command, {}
        raise AssertionError(f"the README's production section runs {shlex.join(words)!r}")

    def _start(self, words: list[str]) -> None:
        command = [str(BIN / words[0]), *words[1:]]
        if words[0] == "gunicorn":
            bind = command.index("--bind") + 1
            command[bind] = f"127.0.0.1:{self.port}"
        name = "web" if words[0] == "gunicorn" else f"celery-{words[3]}"  # worker, beat
        service = Service(name, command, self.env, self.workdir / f"{name}.log")
        service.start()
        self.services.append(service)

    def _serving(self) -> bool:
        try:
            return httpx.get(f"{self.url}/admin/login/", timeout=2).status_code > 0
        except httpx.TransportError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> httpx.Client:
        """Requests as the TLS proxy forwards them: to the site's host name, marked https,
        with the cookies the site set (Secure ones too: the browser sent them over TLS)."""
        cookies = SimpleCookie()

        def keep_cookies(response: httpx.Response) -> None:
            for header in response.headers.get_list("set-cookie"):
                cookies.load(header)

        def send_cookies(request: httpx.Request) -> None:
            if cookies:
                request.headers["Cookie"] = "; ".join(
                    f"{name}={morsel.value}" for name, morsel in cookies.items() if morsel.value
                )

        return httpx.Client(
            base_url=self.url,
            headers={"Host": SITE_HOST, "X-Forwarded-Proto": "https"},
            event_hooks={"request": [send_cookies], "response": [keep_cookies]},
            timeout=30,
        )

    def logs(self) -> str:
        return "\n".join(f"--- {s.name} ---\n{s.output()}" for s in self.services)

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()


def static_paths(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


def page(client: httpx.Client, path: str, **kwargs: Any) -> httpx.Response:
    response = client.get(path, **kwargs)
    assert response.status_code == 200, f"{path}: {response.status_code}\n{response.text[:2000]}"
    return response
