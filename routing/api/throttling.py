"""Requests per intake key: one runaway form or script cannot drown the others."""

from __future__ import annotations

import logging
import time
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
    count lives in Django's default cache, Redis in production, so every process shares
    it: a window opens with a key's first request and allows the rate's number of
    requests until it closes (a minute for "/min"). With Redis, one round trip per
    request; DRF's own throttle keeps a list of every request's time, read and written
    back whole each time (two round trips, and a pickled list of up to 600 entries).
    """

    scope = "intake"

    def allow_request(self, request: Request, view: Any) -> bool:
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        # The counts are a guard, the lead is the business: with the cache (Redis) down,
        # let the request through rather than lose the lead.
        try:
            count, self.seconds_left = _count(self.cache, key, self.duration)
        except (RedisError, OSError) as error:
            logger.warning("Intake rate not checked, the cache is unreachable: %s", error)
            return True
        return count <= self.num_requests

    def wait(self) -> float:
        return self.seconds_left

    def get_rate(self) -> str | None:
        # Read at each request, not at import (SimpleRateThrottle.THROTTLE_RATES is bound
        # once), so settings overrides apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def refusal(self, request: Request) -> str:
        who = "this intake key" if isinstance(request.auth, IntakeKey) else "your account"
        return f"Too many requests for {who} (limit {self.rate})."

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, IntakeKey):
            ident = f"key:{request.auth.prefix}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            return None  # refused by the permissions anyway
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PublicKeyAddressRateThrottle(IntakeKeyRateThrottle):
    """`INTAKE_RATE_PER_IP` requests per client address for each public key: the key is
    no secret, so its own rate alone would let one script use up a site's whole share.
    The address is REMOTE_ADDR, or X-Forwarded-For's behind TRUSTED_PROXY_COUNT proxies
    (DRF's NUM_PROXIES)."""

    scope = "intake_address"

    def refusal(self, request: Request) -> str:
        return f"Too many requests from your address (limit {self.rate}); try again later."

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        intake_key = request.auth
        if not isinstance(intake_key, IntakeKey) or not intake_key.is_public:
            return None
        ident = f"address:{intake_key.prefix}:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _count(cache: Any, key: str, seconds: int) -> tuple[int, float]:
    """This request counted in the key's window: (count so far, seconds the window has
    left). Other caches than Redis (development) take three calls."""
    if hasattr(cache, "count"):
        return cache.count(key, seconds)
    now = time.time()
    cache.add(f"{key}:opened", now, seconds)
    cache.add(key, 0, seconds)
    count = cache.incr(key)
    opened = cache.get(f"{key}:opened", now)
    return count, max(opened + seconds - now, 0.0)
