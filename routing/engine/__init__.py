"""The routing decision as pure functions over plain data (see decide.py)."""

from .decide import choose, decide, owner_rep_ids, plan, plan_escalation, plan_handoff
from .distribution import uses_rotation
from .types import (
    Candidate,
    CompiledRule,
    CompiledRuleSet,
    Decision,
    Member,
    Plan,
    PoolProfile,
    RepLoad,
    RepProfile,
    Rotation,
    RotationUpdate,
    RoutingData,
    RoutingState,
)

__all__ = [
    "Candidate",
    "CompiledRule",
    "CompiledRuleSet",
    "Decision",
    "Member",
    "Plan",
    "PoolProfile",
    "RepLoad",
    "RepProfile",
    "Rotation",
    "RotationUpdate",
    "RoutingData",
    "RoutingState",
    "choose",
    "decide",
    "owner_rep_ids",
    "plan",
    "plan_escalation",
    "plan_handoff",
    "uses_rotation",
]
