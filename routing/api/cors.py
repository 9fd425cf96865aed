"""Which browser origins may call the intake API across sites: those a public intake key
lists. django-cors-headers answers the preflight and sets the headers; it asks this
module whether the request's origin is allowed at all.

A preflight carries no Authorization header, so it cannot say which key will be used:
an origin that any usable public key lists passes it. The request itself is then
checked against its own key's origins (`PublicKeyOrigin`).
"""

from __future__ import annotations

from typing import Any

from corsheaders.signals import check_request_enabled
from django.http import HttpRequest
from django.utils import timezone

from routing.models import IntakeKey
from routing.models.intake import origin_of


def public_key_origins() -> set[str]:
    """Every origin a usable public key lists. Public keys are few (one per site), so
    they are read whole; SQLite cannot search inside JSON lists."""
    keys = IntakeKey.objects.filter(kind=IntakeKey.Kind.PUBLIC, revoked=False)
    now = timezone.now()
    return {
        origin
        for expiry_date, origins in keys.values_list("expiry_date", "allowed_origins")
        if expiry_date is None or expiry_date > now
        for origin in origins
    }


def origin_listed_by_a_public_key(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
    origin = request.headers.get("Origin")
    return origin is not None and origin_of(origin) in public_key_origins()


check_request_enabled.connect(origin_listed_by_a_public_key)
