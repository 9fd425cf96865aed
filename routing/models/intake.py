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
