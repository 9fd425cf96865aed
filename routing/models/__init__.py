from .intake import IntakeKey
from .leads import Assignment, Lead, LeadEvent, RoutingDecision
from .rulesets import Rule, RuleSet

__all__ = [
    "Assignment",
    "IntakeKey",
    "Lead",
    "LeadEvent",
    "RoutingDecision",
    "Rule",
    "RuleSet",
]
