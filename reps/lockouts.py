"""Sign-in lockouts (django-axes): after `LOGIN_FAILURE_LIMIT` wrong passwords for one
account from one client address, that pair is locked for `LOGIN_LOCKOUT`, on the admin
login and the queue login alike. The callables below are named in the AXES_* settings.

Per account and address, not per account alone: someone guessing a rep's password from
elsewhere must not be able to lock the rep out of their own queue.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.timesince import timeuntil
from rest_framework.throttling import BaseThrottle


def client_address(request: HttpRequest) -> str | None:
    """The address the intake rate limits count too: REMOTE_ADDR, or the one
    X-Forwarded-For names behind TRUSTED_PROXY_COUNT proxies (DRF's NUM_PROXIES). If that
    entry is no address (more proxies configured than there are), the connection's."""
    forwarded = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(forwarded))
    except ValueError:
        return request.META.get("REMOTE_ADDR")


def login_name(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account a sign-in tried: e-mail logins are stored lower-case, so `Ana@…` and
    `ana@…` are one account's failures."""
    source = credentials if credentials else request.POST
    name = (source.get(settings.AXES_USERNAME_FORM_FIELD) or "").strip().lower()
    return name or None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The page a locked sign-in gets instead of the login form: in the queue's look on
    the queue, the admin's on the admin; 429 with Retry-After."""
    username = login_name(request, credentials)
    unlocks_at = _unlocks_at(username, client_address(request))
    now = timezone.now()
    seconds_left = max(1, math.ceil((unlocks_at - now).total_seconds())) if unlocks_at else 1
    # In whole minutes, rounded up: "15 minutes" just after the lock, never "0 minutes".
    minutes_left = timedelta(minutes=math.ceil(seconds_left / 60))
    context = {
        "username": username,
        "locked_for": timeuntil(now + minutes_left, now),
        "title": "Sign-in locked",
    }
    if request.resolver_match is not None and request.resolver_match.namespace == "queue":
        template = "queue/locked_out.html"
    else:
        template = "admin/locked_out.html"
        context.update(admin.site.each_context(request))
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(seconds_left)
    return response


def _unlocks_at(username: str | None, address: str | None) -> datetime | None:
    """When the lock lifts: the cool-off after the failure that set it (failures while
    locked are not counted, so they do not push it back)."""
    last = AccessAttempt.objects.filter(username=username, ip_address=address).aggregate(
        last=Max("attempt_time")
    )["last"]
    return last + settings.AXES_COOLOFF_TIME if last else None
