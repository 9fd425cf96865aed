"""What every channel shares: the error it raises and posting JSON over HTTP."""

from __future__ import annotations

from typing import Any, Protocol

import httpx
from django.conf import settings

from routing.models import Notification

from .messages import Message


class TransportError(Exception):
    """Sending failed. `permanent`: trying again will not help (a 404, a bad address)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class Transport(Protocol):
    def send(self, notification: Notification, message: Message) -> int | None:
        """Deliver, or raise TransportError. Returns the HTTP status, if any."""


# A retry may help after these; after any other 4xx the request itself is wrong.
_RETRYABLE_CLIENT_ERRORS = {408, 409, 425, 429}


def post(url: str, *, content: bytes, headers: dict[str, str]) -> int:
    """POST with the configured timeouts; no redirects (a webhook URL is exact)."""
    timeouts = settings.LEADROUTER["HTTP_TIMEOUT"]
    try:
        response = httpx.post(
            url,
            content=content,
            headers={"Content-Type": "application/json", "User-Agent": "LeadRouter", **headers},
            timeout=httpx.Timeout(timeouts["total"], connect=timeouts["connect"]),
            follow_redirects=False,
        )
    except httpx.TimeoutException as error:
        raise TransportError(f"no answer within {timeouts['total']} s ({error})") from error
    except httpx.HTTPError as error:
        raise TransportError(f"could not reach {url}: {error}") from error
    if response.is_success:
        return response.status_code
    status = response.status_code
    permanent = 400 <= status < 500 and status not in _RETRYABLE_CLIENT_ERRORS
    raise TransportError(f"answered {status}: {_excerpt(response)}", permanent=permanent)


def _excerpt(response: httpx.Response) -> Any:
    text = response.text.strip().replace("\n", " ")
    return text[:200] or response.reason_phrase
