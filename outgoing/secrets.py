"""Signing secrets for outgoing webhooks, in the Standard Webhooks format.

A secret is a credential: whoever holds it can sign deliveries its receiver trusts. The
admin shows it in full once, when it is made or rotated, and masked after that.
"""

from __future__ import annotations

import base64
import secrets

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
