"""Writes: the transactions of routing. Views, admin actions, commands and tasks call these."""

from .intake import IntakeResult, Simulation, lead_intake, lead_simulate
from .routing import lead_reroute, new_lead_route
from .rulesets import ruleset_activate, ruleset_clone

__all__ = [
    "IntakeResult",
    "Simulation",
    "lead_intake",
    "lead_reroute",
    "lead_simulate",
    "new_lead_route",
    "ruleset_activate",
    "ruleset_clone",
]
