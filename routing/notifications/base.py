"""What every channel shares: the error it raises and posting JSON over HTTP."""

from __future__ import annotations

from http import HTTPStatus
from typing import Protocol

import httpx
from django.conf import settings

from outgoing import addresses
from routing.models import Notification

from .messages import Message


class TransportError(Exception):
    """Sending failed. `permanent`: trying again will not help (a 404, a refused address).
    `status`: the receiver's HTTP status, when it answered."""

    def __init__(self, message: str, *, permanent: bool = False, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status = status


class Transport(Protocol):
    def send(self, notification: Notification, message: Message) -> int | None:
        """Deliver, or raise TransportError. Returns the HTTP status, if any."""


# A retry may help after these; after any other 4xx the request itself is wrong.
_RETRYABLE_CLIENT_ERRORS = {408, 409, 425, 429}


def post(url: str, *, content: bytes, headers: dict[str, str]) -> int:
    """POST with the configured timeouts, to an address the outbound policy allows.

    Errors are stored and shown in the admin, so they say what happened in fixed words
    and the status: never what the receiver wrote back, which could be anything the
    server behind the URL holds.
    """
    timeouts = settings.LEADROUTER["HTTP_TIMEOUT"]
    host = _host(url)
    try:
        response = addresses.post(
            url,
            content=content,
            headers={"Content-Type": "application/json", "User-Agent": "LeadRouter", **headers},
            timeout=httpx.Timeout(timeouts["total"], connect=timeouts["connect"]),
        )
    except addresses.OutboundRefused as refused:
        raise TransportError(f"refused: {refused.message}", permanent=True) from refused
    except addresses.HostNotFound as error:
        raise TransportError(f"could not reach {host}: it does not resolve") from error
    except httpx.TimeoutException as error:
        raise TransportError(f"no answer within {timeouts['total']} s") from error
    except httpx.ConnectError as error:
        # The operating system's or TLS library's words ("Connection refused",
        # "certificate verify failed"), not the receiver's.
        raise TransportError(f"could not reach {host}: {error}") from error
    except httpx.HTTPError as error:
        raise TransportError(
            f"could not reach {host}: the answer was not valid HTTP ({type(error).__name__})"
        ) from error
    status = response.status_code
    if response.is_success:
        return status
    permanent = 400 <= status < 500 and status not in _RETRYABLE_CLIENT_ERRORS
    raise TransportError(
        f"the receiver answered {status}{_phrase(status)}", permanent=permanent, status=status
    )


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host or url
    except httpx.InvalidURL:
        return url


def _phrase(status: int) -> str:
    """The standard reason phrase, not the one the receiver sent."""
    try:
        return f" {HTTPStatus(status).phrase}"
    except ValueError:
        return ""
