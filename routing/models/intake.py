"""Intake keys: one per lead source, stored hashed, revocable."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from rest_framework_api_key.models import AbstractAPIKey

from reps.fields import ListField

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(text: str) -> str | None:
    """The origin a browser would send for the site `text` names ("scheme://host[:port]",
    lower case, no default port), or None if `text` names no web origin."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname or parts.username:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    scheme = parts.scheme.lower()
    shown_port = "" if port in (None, _DEFAULT_PORTS[scheme]) else f":{port}"
    return f"{scheme}://{host}{shown_port}"


def validate_origin(text: str) -> None:
    origin = origin_of(text)
    if origin is None:
        raise ValidationError(
            "is not a web origin; give the scheme and host of the site whose pages post "
            "leads, like https://www.example.com (a port if it has one, no path)."
        )
    if origin != text:
        raise ValidationError(f"write it as browsers send it: {origin}")


def validate_thank_you_url(text: str) -> None:
    """Where a visitor's browser goes after posting a form: a web page, and on a site
    served over HTTPS only (production), an HTTPS page, so that nothing the visitor
    does next travels in clear text."""
    schemes = ["https"] if settings.SECURE_SSL_REDIRECT else ["http", "https"]
    try:
        URLValidator(schemes=schemes)(text)
    except ValidationError:
        raise ValidationError(
            f"is not a web page address; give the page visitors see after the form, like "
            f"https://www.example.com/thanks ({' or '.join(schemes)})."
        ) from None


PUBLIC_METRICS_MESSAGE = (
    "A public key sits in a web page for anyone to read, so it can never read metrics; "
    "make a server key for the BI tool."
)


class IntakeKey(AbstractAPIKey):
    """The key a form, signup flow or tool posts leads with (`Authorization: Api-Key …`).

    Only a SHA-512 hash is stored; the key itself is shown once, when it is created.
    A server key is a secret: it gets the whole routing answer, reads the leads it
    submitted and may simulate. A public key sits in a web page for anyone to read, so
    it may only submit, and its answer says nothing of who got the lead or why.
    """

    class Kind(models.TextChoices):
        SERVER = "server", "Server key: kept secret on a server (full answers, reads, simulation)"
        PUBLIC = "public", "Public key: in a web page's form, readable by anyone (submit only)"

    kind = models.CharField(
        max_length=10,
        choices=Kind.choices,
        default=Kind.SERVER,
        help_text="Where the key will live. It cannot be changed later: make a new key.",
    )
    allowed_origins = ListField(
        item_validator=validate_origin,
        help_text="Public keys: the sites whose pages post with this key, comma-separated, "
        "e.g. https://www.example.com. Browsers on any other site are refused.",
    )
    thank_you_url = models.URLField(
        blank=True,
        validators=[validate_thank_you_url],
        verbose_name="thank-you URL",
        help_text="A plain HTML form posting with this key sends the visitor here (303) "
        "once the lead is stored; JSON posts keep their JSON answer.",
    )
    may_read_metrics = models.BooleanField(
        default=False,
        verbose_name="may read metrics",
        help_text="Server keys: a BI tool or a script may read GET /api/v1/metrics/ with "
        "this key (the dashboard's figures, team-wide). Off: the key only does its source's work.",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    rep = models.ForeignKey(
        "reps.Rep",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_keys",
        help_text="An AI agent's key: it may also acknowledge, record outcomes for and hand "
        "off the leads of this rep. Blank: a lead source that only submits.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "intake key"
        verbose_name_plural = "intake keys"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="server") | Q(rep__isnull=True),
                name="intake_key_public_is_no_agent",
                violation_error_message="An AI agent's key acts for the agent, so it must be "
                "a server key; a public key sits in a web page for anyone to read.",
            ),
            models.CheckConstraint(
                condition=Q(kind="server") | Q(may_read_metrics=False),
                name="intake_key_public_reads_no_metrics",
                violation_error_message=PUBLIC_METRICS_MESSAGE,
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if self.rep_id is not None and self.rep.kind != self.rep.Kind.AGENT:
            raise ValidationError(
                {
                    "rep": f"{self.rep} is a person, not an AI agent: only an agent's key "
                    "acts on its own leads. People work their leads in the queue."
                }
            )
        if self.is_public and self.may_read_metrics:
            raise ValidationError({"may_read_metrics": PUBLIC_METRICS_MESSAGE})
        if self.kind == self.Kind.SERVER and self.allowed_origins:
            raise ValidationError(
                {
                    "allowed_origins": "Only public keys list origins: a server key must "
                    "never be in a web page. Clear this, or make a public key."
                }
            )

    @property
    def is_public(self) -> bool:
        return self.kind == self.Kind.PUBLIC

    def allows_origin(self, origin: str) -> bool:
        return origin_of(origin) in self.allowed_origins


class IdempotencyRecord(models.Model):
    """The first answer to a request sent with an `Idempotency-Key`, per intake key.

    The row is inserted before the request is processed (state in_flight), so a twin
    arriving meanwhile hits the unique constraint and is told to retry (409); once
    answered, replays get the stored status and body. Kept at least 24 hours.
    """

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", "In flight"
        DONE = "done", "Answered"

    intake_key = models.ForeignKey(IntakeKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["intake_key", "key"], name="idempotency_key_once")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.get_state_display()})"
