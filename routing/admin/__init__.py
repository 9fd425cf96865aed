"""The routing admin, by concern: rule sets, leads and their trail, intake keys."""

from . import intake, leads, rulesets

__all__ = ["intake", "leads", "rulesets"]
