"""Intake keys: one per lead source, stored hashed, revocable."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey


class IntakeKey(AbstractAPIKey):
    """The key a form, signup flow or tool posts leads with (`Authorization: Api-Key …`).

    Only a SHA-512 hash is stored; the key itself is shown once, when it is created.
    """

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
