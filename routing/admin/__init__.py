"""The routing admin, by concern: rule sets, leads and their trail, intake keys, state."""

from . import imports, intake, leads, notifications, rulesets, state

__all__ = ["imports", "intake", "leads", "notifications", "rulesets", "state"]
