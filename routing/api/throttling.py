"""Requests per intake key: one runaway form or script cannot drown the others."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from routing.models import IntakeKey

logger = logging.getLogger(__name__)


class IntakeKeyRateThrottle(SimpleRateThrottle):
    """`INTAKE_RATE` requests (default 600/min) per intake key, or per signed-in user.

    Keyed by the key's prefix, which is public and stable (the hash is the secret). The
    counts live in Django's default cache, Redis in production, so every process shares
    them. SimpleRateThrottle reads and writes the history without a lock, so a burst
    from many processes at once can pass the limit by a few requests; it is a guard
    against floods, not a quota.
    """

    scope = "intake"

    def allow_request(self, request: Request, view: Any) -> bool:
        # The counts are a guard, the lead is the business: with the cache (Redis) down,
        # let the request through rather than lose the lead.
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as error:
            logger.warning("Intake rate not checked, the cache is unreachable: %s", error)
            return True

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
