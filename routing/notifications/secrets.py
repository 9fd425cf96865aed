"""Signing secrets for outgoing webhooks, in the Standard Webhooks format."""

from __future__ import annotations

import base64
import secrets

PREFIX = "whsec_"


def new_webhook_secret() -> str:
    """`whsec_` and 32 random bytes in base64: what Standard Webhooks libraries accept
    to verify a signature, so a receiver can use one off the shelf."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
