"""Requests per intake key: one runaway form or script cannot drown the others."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from routing.models import IntakeKey


class IntakeKeyRateThrottle(SimpleRateThrottle):
    """`INTAKE_RATE` requests (default 600/min) per intake key, or per signed-in user.

    Keyed by the key's prefix, which is public and stable (the hash is the secret). The
    counts live in Django's default cache, Redis in production, so every process shares
    them. SimpleRateThrottle reads and writes the history without a lock, so a burst
    from many processes at once can pass the limit by a few requests; it is a guard
    against floods, not a quota.
    """

    scope = "intake"

    def get_rate(self) -> str | None:
        # Read at each request, not at import (SimpleRateThrottle.THROTTLE_RATES is bound
        # once), so settings overrides apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, IntakeKey):
            ident = f"key:{request.auth.prefix}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            return None  # refused by the permissions anyway
        return self.cache_format % {"scope": self.scope, "ident": ident}
