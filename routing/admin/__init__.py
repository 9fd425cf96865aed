"""The routing admin, by concern: rule sets, leads and their trail, intake keys, state."""

from . import intake, leads, rulesets, state

__all__ = ["intake", "leads", "rulesets", "state"]
