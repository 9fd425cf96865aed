"""A lead that submits again while it is open. It joins its lead (intake), unless the
submission is routed again: always for an unclaimed lead (someone must hear of it), and
as the active rule set's `reroute_returning` says for an owned one — when an AI agent has
it and it now matches another rule, or (`higher_rule`) also when it matches a rule above
the one that routed it. The decision's first trace step says why."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from routing import engine
from routing.models import Assignment, Lead, RuleSet
from routing.normalize import LeadFacts, lead_facts
from routing.normalize.facts import FACT_FIELD_NAMES
from routing.notifications.outbox import outbox_tell_rep, outbox_write
from routing.notifications.payloads import event_body
from routing.snapshot import Snapshot

from .routing import RETURNED, Routed, lead_plan, lead_reroute, rule_in

# Submitted values that name the lead rather than describe it: never replaced.
_IDENTITY = frozenset({"email", "email_domain"})


def return_route_why(
    lead: Lead, *, values: dict[str, Any], snapshot: Snapshot | None
) -> dict[str, Any] | None:
    """The trace step saying why this returning submission routes its lead again;
    None: it only joins the lead."""
    ruleset = snapshot.active if snapshot is not None else None
    if snapshot is None or ruleset is None:
        return None
    if lead.status == Lead.Status.UNCLAIMED:
        return _why("returned while it waited unclaimed: routed again through the rules")
    mode = ruleset.reroute_returning
    if mode == RuleSet.RerouteReturning.NEVER:
        return None
    planned = lead_plan(_returning_facts(lead, values), snapshot=snapshot, ruleset=ruleset)
    matched = planned.plan.candidates[0].rule if planned.plan.candidates else None
    if matched is None or matched.id == lead.rule_id:
        return None  # the fallback, or the rule that routed it: nothing higher
    owner = snapshot.data.reps.get(lead.owner_id) if lead.owner_id else None
    if owner is not None and owner.kind == "agent":
        return _why(
            f"returned with higher intent: matches “{matched.name}” while an AI agent "
            f"({owner.name}) has it"
        )
    if mode != RuleSet.RerouteReturning.HIGHER_RULE or lead.ruleset_id != ruleset.id:
        return None
    current = rule_in(ruleset, lead.rule_id)
    if _position(ruleset, matched) >= _position(ruleset, current):
        return None
    return _why(
        f"returned with higher intent: matches “{matched.name}” (rule "
        f"{_position(ruleset, matched) + 1}), above "
        + (
            f"“{current.name}” (rule {_position(ruleset, current) + 1})"
            if current
            else "the fallback"
        )
    )


@transaction.atomic
def returning_lead_route(
    lead: Lead, *, values: dict[str, Any], why: dict[str, Any], snapshot: Snapshot, actor: str
) -> Routed:
    """Route the lead again with what it came back with: the lead shows the new
    submission's values, its open assignment ends (its owner is told where it went), and
    its escalations start over."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    changed = _new_values(values)
    for name, value in changed.items():
        setattr(lead, name, value)
    lead.escalation_count = 0
    lead.save(update_fields=[*changed, "escalation_count", "updated_at"])
    lead.queue_pools.clear()
    lead.queue_reps.clear()
    now = timezone.now()
    previous = Assignment.objects.filter(lead=lead, ended_at__isnull=True).first()
    if previous is not None:
        previous.ended_at, previous.end_reason = now, Assignment.EndReason.REASSIGNED
        previous.save(update_fields=["ended_at", "end_reason"])
    routed = lead_reroute(lead, RETURNED, actor=actor, snapshot=snapshot, why=why)
    new_owner = routed.owner.id if routed.owner is not None else None
    if previous is not None and previous.rep_id != new_owner:
        outbox_write(
            outbox_tell_rep(
                contact=snapshot.contacts.get(previous.rep_id),
                kind="lead.moved",
                lead_id=lead.pk,
                assignment=previous,
                body=event_body("lead.moved", lead=lead, at=now, assignment=previous),
            )
        )
    return routed


def _why(text: str) -> dict[str, Any]:
    return {"step": "returned", "why": text}


def _new_values(values: dict[str, Any]) -> dict[str, Any]:
    """What the submission says about the lead: its non-empty values."""
    return {
        name: value
        for name, value in values.items()
        if name not in _IDENTITY and value not in (None, "", {}, [])
    }


def _returning_facts(lead: Lead, values: dict[str, Any]) -> LeadFacts:
    stored = {name: getattr(lead, name) for name in FACT_FIELD_NAMES}
    new = {name: value for name, value in _new_values(values).items() if name in stored}
    return lead_facts({**stored, **new})


def _position(ruleset: engine.CompiledRuleSet, rule: engine.CompiledRule | None) -> int:
    """Where the rule stands in the rule set; the fallback after every rule."""
    if rule is None:
        return len(ruleset.rules)
    return next(
        (i for i, each in enumerate(ruleset.rules) if each.id == rule.id), len(ruleset.rules)
    )
