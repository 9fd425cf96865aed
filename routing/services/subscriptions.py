"""Writes about the systems subscribed to lead events."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from reps.audit import acting_as
from routing.models import WebhookSubscription
from routing.notifications.secrets import ROTATED_REASON, new_webhook_secret


def subscription_secret_rotate(*, subscription: WebhookSubscription, user: Any) -> str:
    """Give the subscription a new signing secret and return it; the old one stops
    signing at once (deliveries still waiting are signed with the new one when sent).
    History records who rotated it and when, not the secret."""
    with transaction.atomic(), acting_as(user):
        subscription.secret = new_webhook_secret()
        subscription.secret_rotated_at = timezone.now()
        subscription._change_reason = ROTATED_REASON  # type: ignore[attr-defined]
        subscription.save(update_fields=["secret", "secret_rotated_at"])
    return subscription.secret
