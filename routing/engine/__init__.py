"""The routing decision as pure functions over plain data (see decide.py)."""

from .deadlines import ChosenSla, duration_words, reminder_time
from .decide import (
    choose,
    choose_target,
    decide,
    owner_rep_ids,
    plan,
    plan_escalation,
    plan_handoff,
)
from .distribution import uses_rotation
from .types import (
    Bypassed,
    Candidate,
    CompiledRule,
    CompiledRuleSet,
    Decision,
    Familiar,
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
    "Bypassed",
    "Candidate",
    "ChosenSla",
    "CompiledRule",
    "CompiledRuleSet",
    "Decision",
    "Familiar",
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
    "choose_target",
    "decide",
    "duration_words",
    "owner_rep_ids",
    "plan",
    "plan_escalation",
    "plan_handoff",
    "reminder_time",
    "uses_rotation",
]
