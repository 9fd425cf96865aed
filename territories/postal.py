"""Postal-code matchers of a territory: prefixes ("112") and prefix ranges ("100-104")."""

from __future__ import annotations

import re

_PREFIX = re.compile(r"^[A-Z0-9]+$")


def normalize_postal_code(value: str) -> str:
    return re.sub(r"[\s-]", "", (value or "").upper())


class PostalMatcherError(ValueError):
    """A matcher that is neither a prefix nor a range; the message says how to write one."""


def parse_postal_matcher(text: str) -> tuple[str, str]:
    """The (low, high) prefixes a matcher covers; a plain prefix is its own range."""
    low, sep, high = text.strip().upper().partition("-")
    low, high = low.strip(), (high.strip() if sep else low.strip())
    if not (_PREFIX.match(low) and _PREFIX.match(high)):
        raise PostalMatcherError(
            f"Postal code '{text}' is not a prefix (like 112) or a range (like 100-104)."
        )
    if len(low) != len(high):
        raise PostalMatcherError(
            f"Postal range '{text}' needs both ends of the same length (like 100-104)."
        )
    if low > high:
        raise PostalMatcherError(f"Postal range '{text}' runs backwards.")
    return low, high
