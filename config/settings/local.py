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
