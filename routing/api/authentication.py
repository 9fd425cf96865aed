"""`Authorization: Api-Key <key>`: the intake key of a lead source, and who may do what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from routing.models import IntakeKey
from routing.models.intake import PUBLIC_METRICS_MESSAGE

from .forms import KEY_FIELD, is_form_post
from .parsing import body_headers_check

KEYWORD = "Api-Key"
MISSING_KEY_MESSAGE = f"Send the intake key in the Authorization header: '{KEYWORD} <key>'."
FORM_KEY_MESSAGE = (
    f"{MISSING_KEY_MESSAGE} A web page's HTML form may send its public key as the "
    "'key' field instead."
)

# last_used_at is for people ("is this source still sending?"), not for accounting:
# writing it on every request would turn each intake into two writes on one hot row.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class IntakeKeyAuthentication(BaseAuthentication):
    """Authenticates a lead source by its intake key.

    request.user stays anonymous (a source is not a person) and request.auth is the
    IntakeKey. Without an `Api-Key` Authorization header it returns None, so a view can
    also accept a signed-in session; with one that is not a usable key it refuses (401).
    """

    def authenticate(self, request: Request) -> tuple[AnonymousUser, IntakeKey] | None:
        scheme, raw_key = _authorization(request)
        if scheme.lower() != KEYWORD.lower():
            # Not ours (none, or e.g. Basic added by a proxy in front of staging): let the
            # session try; the view says how to send a key if nothing authenticates.
            return None
        raw_key = raw_key.strip()
        if not raw_key:
            raise AuthenticationFailed(
                f"The Authorization header has no key. {MISSING_KEY_MESSAGE}"
            )
        intake_key = intake_key_from(raw_key)
        intake_key_touch(intake_key=intake_key)
        return AnonymousUser(), intake_key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class FormKeyAuthentication(BaseAuthentication):
    """A public key sent as an HTML form's `key` field: a plain form (no script) cannot
    set the Authorization header. Only without that header, only for a form's body, and
    only a public key: a server key in a page's form is a secret published."""

    def authenticate(self, request: Request) -> tuple[AnonymousUser, IntakeKey] | None:
        if request.META.get("HTTP_AUTHORIZATION") or not is_form_post(request):
            return None
        body_headers_check(request)  # before the body is read for its key
        raw_key = request.data.get(KEY_FIELD)
        if not isinstance(raw_key, str) or not raw_key.strip():
            return None
        intake_key = intake_key_from(raw_key.strip())
        if not intake_key.is_public:
            raise AuthenticationFailed(
                f"The intake key '{intake_key.name}' is a server key: it must never be in a "
                "web page, where anyone can read it. Revoke it if the page was published; "
                "a form posts with a public key, a server sends its key in the "
                f"Authorization header."
            )
        intake_key_touch(intake_key=intake_key)
        return AnonymousUser(), intake_key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


def _authorization(request: Request) -> tuple[str, str]:
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    return scheme, credentials


def not_authenticated_message(request: Request, message: str = MISSING_KEY_MESSAGE) -> str:
    """Why nothing authenticated the request, for the 401."""
    scheme, _ = _authorization(request)
    if scheme and scheme.lower() != KEYWORD.lower():
        return f"The Authorization header uses the '{scheme}' scheme. {message}"
    return message


def intake_key_from(raw_key: str) -> IntakeKey:
    """The key `raw_key` stands for, or AuthenticationFailed saying why it cannot be used.

    Revoked and expired are only told to a caller who holds the whole key: a guessed
    prefix learns nothing more than "invalid".
    """
    prefix, _, _ = raw_key.partition(".")
    intake_key = IntakeKey.objects.filter(prefix=prefix).first()
    if intake_key is None or not intake_key.is_valid(raw_key):
        raise AuthenticationFailed(
            "This intake key is not valid. Check that the whole key was copied; "
            "an admin can create a new one."
        )
    if intake_key.revoked:
        raise AuthenticationFailed(
            f"The intake key '{intake_key.name}' was revoked; ask an admin for a new one."
        )
    if intake_key.has_expired:
        expired = timezone.localtime(intake_key.expiry_date).strftime("%Y-%m-%d %H:%M %Z")
        raise AuthenticationFailed(
            f"The intake key '{intake_key.name}' expired on {expired}; ask an admin for a new one."
        )
    return intake_key


def intake_key_touch(*, intake_key: IntakeKey) -> None:
    """Record that the key was used, at most once per LAST_USED_RESOLUTION.

    The row just read tells whether a write is due, so most requests write nothing. The
    UPDATE's condition settles races: of concurrent requests (any process) that all see
    a stale value, the first one to get the row lock updates it and the others match
    no row.
    """
    now = timezone.now()
    cutoff = now - LAST_USED_RESOLUTION
    if intake_key.last_used_at is not None and intake_key.last_used_at >= cutoff:
        return
    updated = IntakeKey.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=cutoff), pk=intake_key.pk
    ).update(last_used_at=now)
    if updated:
        intake_key.last_used_at = now


class HasIntakeKey(BasePermission):
    message = MISSING_KEY_MESSAGE

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, IntakeKey)


PUBLIC_KEY_MESSAGE = (
    "A public intake key can only submit leads: it sits in a web page for anyone to read. "
    "Reading leads and simulating take a server key (or a manager signed in to the admin)."
)


class HasServerKey(BasePermission):
    """A server key: a secret kept on a server, trusted with leads and decisions."""

    message = PUBLIC_KEY_MESSAGE

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, IntakeKey) and not request.auth.is_public


class PublicKeyOrigin(BasePermission):
    """A public key used by a browser on a site the key does not list is refused.

    Requests without an Origin header (not from a browser) pass: anyone may read a
    public key and send it from a script, which the per-address rate bounds."""

    def has_permission(self, request: Request, view: Any) -> bool:
        intake_key = request.auth
        origin = request.headers.get("Origin")
        if not isinstance(intake_key, IntakeKey) or not intake_key.is_public or origin is None:
            return True
        if intake_key.allows_origin(origin):
            return True
        self.message = (
            f"The intake key '{intake_key.name}' does not accept leads from pages on "
            f"{origin}; add that origin to the key's allowed origins in the admin."
        )
        return False


class IsStaffUser(BasePermission):
    """A manager signed in to the admin (session), e.g. testing a lead from the browser."""

    message = "Only staff users (sales managers) can use this without an intake key."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)


class StaffOrMetricsKey(BasePermission):
    """A manager's session, or a server key a manager allowed to read metrics (a BI tool
    has no browser session). Each refusal says what would be accepted."""

    message = (
        "Only staff users (sales managers) signed in, or an intake key a manager allowed to "
        "read metrics, can read metrics."
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        intake_key = request.auth
        if not isinstance(intake_key, IntakeKey):
            return IsStaffUser().has_permission(request, view)
        if intake_key.is_public:
            self.message = PUBLIC_METRICS_MESSAGE
            return False
        if not intake_key.may_read_metrics:
            self.message = (
                f"The intake key '{intake_key.name}' may not read metrics. A manager can allow "
                "it in the admin: Intake keys, the key, 'May read metrics'."
            )
            return False
        return True
