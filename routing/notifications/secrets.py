"""Signing secrets for outgoing webhooks, in the Standard Webhooks format.

A secret is a credential: whoever holds it can sign deliveries its receiver trusts. The
admin shows it in full once, when it is made or rotated, and masked after that.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from reps.audit import acting_as

PREFIX = "whsec_"

# The history row of a rotation says so (the secret itself is kept out of history).
ROTATED_REASON = "Secret rotated"


def new_webhook_secret() -> str:
    """`whsec_` and 32 random bytes in base64: what Standard Webhooks libraries accept
    to verify a signature, so a receiver can use one off the shelf."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def masked(secret: str) -> str:
    """`whsec_…Ab3d`: enough to tell two secrets apart, not to sign with."""
    if not secret:
        return "—"
    return f"{PREFIX}…{secret[-4:]}"


def secret_rotate(
    owner: models.Model,
    *,
    secret_field: str,
    rotated_at_field: str,
    user: Any,
    also_saved: tuple[str, ...] = (),
) -> str:
    """Give `owner` (a rep, a subscription) a new signing secret and return it; the old one
    stops signing at once (messages still waiting are signed with the new one when sent).
    History records who rotated it and when, not the secret."""
    with transaction.atomic(), acting_as(user):
        setattr(owner, secret_field, new_webhook_secret())
        setattr(owner, rotated_at_field, timezone.now())
        # simple-history's documented way to give the history row its reason.
        owner._change_reason = ROTATED_REASON  # type: ignore[attr-defined]
        owner.save(update_fields=[secret_field, rotated_at_field, *also_saved])
    return getattr(owner, secret_field)
