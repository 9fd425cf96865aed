"""Writes: the transactions of routing. Views, admin actions, commands and tasks call these."""

from .rulesets import ruleset_activate

__all__ = ["ruleset_activate"]
