"""Writes about the systems subscribed to lead events."""

from __future__ import annotations

from typing import Any

from reps.services import secret_rotate
from routing.models import WebhookSubscription


def subscription_secret_rotate(*, subscription: WebhookSubscription, user: Any) -> str:
    """A new signing secret for the subscription, returned to be shown once."""
    return secret_rotate(
        subscription, secret_field="secret", rotated_at_field="secret_rotated_at", user=user
    )
