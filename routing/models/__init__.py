from .imports import LeadImport
from .intake import IdempotencyRecord, IntakeKey
from .leads import Assignment, Lead, LeadEvent, RoutingDecision
from .notifications import EVENT_NAMES, Notification, WebhookSubscription
from .rulesets import Rule, RuleSet
from .state import PoolRotation, RoutingVersion

__all__ = [
    "EVENT_NAMES",
    "Assignment",
    "IdempotencyRecord",
    "IntakeKey",
    "Lead",
    "LeadEvent",
    "LeadImport",
    "Notification",
    "PoolRotation",
    "RoutingDecision",
    "RoutingVersion",
    "Rule",
    "RuleSet",
    "WebhookSubscription",
]
