"""Development: DEBUG on (refused off), a secret key generated once and kept under var/."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from .base import *  # noqa: F403
from .base import LOCAL_NETWORKS, VAR_DIR, env

DEBUG = env.bool("DEBUG", default=True)
if not DEBUG:
    # DEBUG off means a server; these settings (console e-mail, a generated key, no HTTPS)
    # must never run one because DJANGO_SETTINGS_MODULE was left out of its environment.
    raise ImproperlyConfigured(
        "config.settings.local is for development and needs DEBUG on. On a server, set "
        "DJANGO_SETTINGS_MODULE=config.settings.production."
    )
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret_key() -> str:
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env("SECRET_KEY", default="") or _development_secret_key()

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# The demo's agent and the local test receivers listen on loopback.
OUTBOUND_ALLOWED_NETWORKS = env.list("OUTBOUND_ALLOWED_NETWORKS", default=LOCAL_NETWORKS)

# The demo's AI agent (demo/): served at /demo/agent/leads/ on the development server,
# where `setup_demo` points the demo agent's webhook. It hands a lead to people this
# long after acknowledging it, so the tour can see the agent had it first.
INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405
ROOT_URLCONF = "demo.urls"
DEMO_AGENT_HANDOFF_SECONDS = env.int("DEMO_AGENT_HANDOFF_SECONDS", default=5)

# The worker's console in development: Celery's own line for every task received and
# succeeded, and the scheduler's for every task it sends, make three lines a second of an
# idle sweep. The tasks log one line of their own when they escalate or send something
# (routing/tasks.py); failures stay, as warnings and errors.
QUIET_IN_DEVELOPMENT = ("celery.app.trace", "celery.worker.strategy", "celery.beat")
LOGGING = {
    **LOGGING,  # noqa: F405
    "loggers": {
        **LOGGING["loggers"],  # noqa: F405
        **{name: {"level": "WARNING"} for name in QUIET_IN_DEVELOPMENT},
    },
}
