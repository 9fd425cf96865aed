"""The routing admin, by concern: rule sets, leads and their trail, intake keys, state."""

from . import intake, leads, notifications, rulesets, state

__all__ = ["intake", "leads", "notifications", "rulesets", "state"]
