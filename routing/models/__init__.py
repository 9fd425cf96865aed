from .intake import IdempotencyRecord, IntakeKey
from .leads import Assignment, Lead, LeadEvent, RoutingDecision
from .rulesets import Rule, RuleSet
from .state import PoolRotation, RoutingVersion

__all__ = [
    "Assignment",
    "IdempotencyRecord",
    "IntakeKey",
    "Lead",
    "LeadEvent",
    "PoolRotation",
    "RoutingDecision",
    "RoutingVersion",
    "Rule",
    "RuleSet",
]
