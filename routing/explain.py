"""'Why you got this lead', in plain words, from a stored decision trace.

Reps read this in their notification and on the lead page; managers read the full trace
in the admin. Only the steps that led to the owner are told, in order.
"""

from __future__ import annotations

from typing import Any

from routing.models import RoutingDecision

_KIND_OPENING = {
    RoutingDecision.Kind.ESCALATION: "Escalated: the owner before did not acknowledge it in time.",
    RoutingDecision.Kind.HANDOFF: "Handed over by an AI agent for a person to take on.",
    RoutingDecision.Kind.FALLBACK_ON_ERROR: "Routing hit an error, so the fallback owner took it.",
    RoutingDecision.Kind.MANUAL: "Reassigned by a manager.",
    RoutingDecision.Kind.REROUTED: "A manager returned it to the rules, which routed it again.",
}


def why_sentences(decision: RoutingDecision | None) -> list[str]:
    if decision is None:
        return []
    sentences = []
    if decision.kind in _KIND_OPENING:
        sentences.append(_KIND_OPENING[decision.kind])
    for step in decision.steps or []:
        sentence = _sentence(step) if isinstance(step, dict) else None
        if sentence:
            sentences.append(sentence)
    return sentences


def why_text(decision: RoutingDecision | None) -> str:
    return " ".join(why_sentences(decision))


def _sentence(step: dict[str, Any]) -> str | None:
    kind = step.get("step")
    if kind == "account" and step.get("matched"):
        return f"Named account {step.get('account')}: {step.get('detail')}."
    if kind == "territory" and step.get("matched"):
        return f"Territory {step.get('territory')}: {step.get('on')}."
    if kind == "rule" and step.get("matched") and "route" in step:
        matched_on = step.get("matched_on")
        on = f" on {'; '.join(map(str, matched_on))}" if isinstance(matched_on, list) else ""
        return f"Rule “{step.get('rule')}” matched{on}; it routes to the {step.get('route')}."
    if kind == "fallback" and step.get("matched"):
        return f"No rule took it, so it went to the fallback, the {step.get('route')}."
    if kind == "escalation" and "route" in step:
        return f"It went to the escalation target, the {step.get('route')}."
    if kind in ("reassigned", "returned to the rules"):  # a manager's action
        return f"{step.get('by')}: “{step.get('reason')}”."
    if kind == "manual" and "route" in step:
        return f"It went to the {step.get('route')}."
    if kind == "familiar":
        why = _capitalized(str(step.get("why", "")))
        if "reason" in step:
            return f"{why}, but {step['reason']}; the rules decided."
        return f"{why}, so it went to {step.get('rep')}."
    if kind == "kept":  # an account's owner, at capacity, with a rule that keeps them
        return f"{step.get('rep')} kept it as the account's owner ({step.get('reason')})."
    if kind == "cover":  # the account's owner is out of office; their cover took it
        return f"{step.get('rep')} took it, {step.get('reason')}."
    if kind == "fell_through":
        return f"{step.get('reason', '').capitalize()}, so it moved on."
    if kind == "pick":
        return f"Picked from {step.get('pool')} ({step.get('why')})."
    return None


def _capitalized(text: str) -> str:
    """The first letter up, the rest as written (names keep their case)."""
    return text[:1].upper() + text[1:]
