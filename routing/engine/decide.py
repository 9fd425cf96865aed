"""The routing decision: rules in order, first match wins, the fallback always answers.

`plan` runs the conditions (no live state); `choose` applies availability and rotation
to the plan's candidates in order, falling through to the next when a target yields
nobody. `decide` is both in one call, for callers that already hold the state.
Pure: no database, no clock (`now` is an argument), no I/O.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from reps.owners import Owner
from routing.normalize import LeadFacts
from territories.matching import AccountMatch, TerritoryMatch

from .deadlines import ChosenSla, duration_words, reminder_time, working_deadline
from .distribution import pick_member
from .eligibility import (
    at_capacity_because,
    away_because,
    excluded_because,
    out_of_office_because,
    unavailable_because,
    weekday_and_time,
)
from .types import (
    Bypassed,
    Candidate,
    CompiledRule,
    CompiledRuleSet,
    Condition,
    Decision,
    Familiar,
    Miss,
    Plan,
    RepProfile,
    RotationUpdate,
    RoutingData,
    RoutingState,
)
from .when import ValueOf, failed_group, lead_has, value_reader, why_group_failed, why_group_held


class _Matches:
    """The lead's named account and territory, looked up once, and only if a rule asks."""

    def __init__(self, lead: LeadFacts, data: RoutingData) -> None:
        self._lead, self._data = lead, data
        self.steps: list[dict[str, Any]] = []
        self._account: Any = _UNSET
        self._territory: Any = _UNSET

    @property
    def account(self) -> AccountMatch | None:
        if self._account is _UNSET:
            self._account = _named_account(self._lead, self._data)
            self.steps.append(_account_step(self._account))
        return self._account

    @property
    def territory(self) -> TerritoryMatch | None:
        if self._territory is _UNSET:
            lead = self._lead
            self._territory, examined = self._data.territories.match(
                country=lead.country,
                state=lead.state,
                postal_code=lead.postal_code,
                industry=lead.industry,
                employee_count=lead.employee_count,
            )
            self.steps.append(_territory_step(self._territory, examined))
        return self._territory

    def known(self, name: str) -> Any:
        value = getattr(self, f"_{name}")
        return None if value is _UNSET else value

    def value_of(self) -> ValueOf:
        return value_reader(self._lead, lambda: self.account is not None)


_UNSET = object()


def plan(lead: LeadFacts, *, ruleset: CompiledRuleSet, data: RoutingData) -> Plan:
    matches = _Matches(lead, data)
    entries: list[Candidate | Miss | dict[str, Any]] = []
    for rule in ruleset.rules:
        miss = _first_failed_condition(rule, lead, matches)
        if miss is not None:
            entries.append(miss)
            continue
        owner, missing = _rule_owner(rule, matches, data=data)
        if owner is None:
            step = {
                "step": "rule",
                "rule": rule.name,
                "rule_id": rule.id,
                "matched": True,
                "fell_through": missing,
            }
            if rule.conditions.groups:
                step["matched_on"] = _matched_on(rule, matches.value_of(), lead)
            entries.append(step)
            continue
        entries.append(Candidate(rule, owner))
    entries.append(Candidate(None, ruleset.fallback))
    return Plan(
        ruleset,
        lead,
        tuple(entries),
        matches.known("account"),
        matches.known("territory"),
        tuple(matches.steps),
    )


def plan_escalation(
    lead: LeadFacts, *, ruleset: CompiledRuleSet, rule: CompiledRule | None
) -> Plan:
    """Nobody acknowledged in time: the escalation target (the rule's, else the rule
    set's), then the fallback. The conditions are not run again: the lead keeps its
    rule, whose SLA and escalation target still apply."""
    target = (rule.escalate_to if rule else None) or ruleset.escalate_to
    return _plan_via("escalation", target, lead, ruleset=ruleset, rule=rule)


def plan_handoff(lead: LeadFacts, *, ruleset: CompiledRuleSet, rule: CompiledRule) -> Plan:
    """An AI agent hands the lead to people: the rule's hand-off target, then the
    fallback (the caller excludes agents from both)."""
    return _plan_via("handoff", rule.handoff_to, lead, ruleset=ruleset, rule=rule)


def _plan_via(
    via: str,
    target: Owner | None,
    lead: LeadFacts,
    *,
    ruleset: CompiledRuleSet,
    rule: CompiledRule | None,
) -> Plan:
    entries: list[Candidate | Miss | dict[str, Any]] = []
    if target is not None:
        entries.append(Candidate(rule, target, via=via))
    else:
        entries.append({"step": via, "reason": f"no {via} target is set"})
    entries.append(Candidate(None, ruleset.fallback))
    return Plan(ruleset, lead, tuple(entries), None, None, ())


def choose_target(
    lead: LeadFacts,
    *,
    target: Owner,
    ruleset: CompiledRuleSet,
    rule: CompiledRule | None,
    data: RoutingData,
    state: RoutingState,
    now: datetime,
    why: dict[str, Any],
) -> Decision:
    """A manager sends the lead to `target`, with `why` (the first trace step). A rep
    named by a manager gets it unless they may never have it (inactive): their
    availability and capacity are the manager's call. A pool picks a member its own
    way, among those available now. The lead keeps its rule, whose SLA applies to the
    new deadline. `rep_id` None: nobody in the pool can take it now."""
    plan = Plan(ruleset, lead, (Candidate(rule, target, via="manual"),), None, None, ())
    steps: list[dict[str, Any]] = [why, {"step": "manual", "route": str(target)}]
    relaxed = target.kind == "rep"
    rep_id, pool_id, rotation = _owner_pick(target, data, state, now, steps, lead, relaxed=relaxed)
    if rep_id is None:
        steps.append({"step": "unassigned", "reason": f"nobody in {target} can take it now"})
        return Decision(
            rep_id=None,
            rule=rule,
            pool_id=None,
            rotation=None,
            ack_sla=rule.ack_sla if rule and rule.ack_sla else ruleset.ack_sla,
            escalate_to=None,
            account=None,
            territory=None,
            steps=tuple(steps),
            relaxed=False,
        )
    return _decision(plan, rule, rep_id, pool_id, rotation, steps, False, data, now, None)


def choose(
    plan: Plan,
    *,
    data: RoutingData,
    state: RoutingState,
    now: datetime,
    sla: ChosenSla | None = None,
) -> Decision:
    """`sla`: the acknowledgment SLA chosen for this lead instead of its rule's."""
    steps = list(plan.intro)
    if state.familiar is not None:
        rep_id = _familiar_pick(state.familiar, plan, data, state, now, steps)
        if rep_id is not None:
            # The rule the rules would pick sets the SLA and escalation: the lead is the
            # same lead to the team, only its owner is known already.
            rule = plan.candidates[0].rule
            return _decision(plan, rule, rep_id, None, None, steps, False, data, now, sla)
    bypassed: Bypassed | None = None
    for entry in plan.entries:
        if isinstance(entry, Miss):
            steps.append(_miss_step(entry, plan))
            continue
        if isinstance(entry, dict):
            steps.append(entry)
            continue
        rule = entry.rule
        is_fallback = rule is None and not entry.via
        steps.append(_candidate_step(entry, plan))
        if rule is not None and rule.route_to == "account_owner" and not entry.via:
            rep_id, passed_over = _account_owner_pick(rule, entry.owner, plan, data, state, now)
            steps.extend(passed_over.steps)
            bypassed = bypassed or passed_over.bypassed
            pool_id = rotation = None
        else:
            rep_id, pool_id, rotation = _owner_pick(entry.owner, data, state, now, steps, plan.lead)
        relaxed = False
        if rep_id is None and is_fallback:
            steps.append(
                {
                    "step": "fallback",
                    "relaxed": True,
                    "reason": "nobody available: the fallback answers regardless",
                }
            )
            rep_id, pool_id, rotation = _owner_pick(
                entry.owner, data, state, now, steps, plan.lead, relaxed=True
            )
            relaxed = True
        if rep_id is None and not is_fallback:
            steps.append(
                {
                    "step": "fell_through",
                    **({entry.via: True} if entry.via else {"rule": rule.name}),
                    "reason": f"nobody eligible in {entry.owner}",
                }
            )
            continue
        decision = _decision(plan, rule, rep_id, pool_id, rotation, steps, relaxed, data, now, sla)
        if bypassed is not None and bypassed.rep_id != rep_id:
            decision.bypassed = bypassed
        return decision
    raise AssertionError("the plan always ends with the fallback")  # pragma: no cover


def decide(
    lead: LeadFacts,
    *,
    ruleset: CompiledRuleSet,
    data: RoutingData,
    state: RoutingState,
    now: datetime,
) -> Decision:
    return choose(plan(lead, ruleset=ruleset, data=data), data=data, state=state, now=now)


def owner_rep_ids(owner: Owner, data: RoutingData) -> tuple[int, ...]:
    """The reps an owner stands for: itself, or a pool's members."""
    if owner.kind == "rep":
        return (owner.id,)
    pool = data.pools.get(owner.id)
    return tuple(member.rep_id for member in pool.members) if pool else ()


# ----------------------------------------------------------------------------- helpers


def _first_failed_condition(rule: CompiledRule, lead: LeadFacts, matches: _Matches) -> Miss | None:
    conditions = rule.conditions
    for condition in conditions.tests:
        if condition.field == "named_account":
            value: Any = matches.account is not None
        else:
            value = condition.read(lead)
        if not condition.test(value):
            return Miss(rule, condition, value)
    if conditions.groups:
        group = failed_group(conditions.groups, matches.value_of())
        if group is not None:
            return Miss(rule, group, None)
    return None


def _plan_value_of(plan: Plan) -> ValueOf:
    """Lead values as the plan read them: the account lookup is done by then for every
    condition the plan reached, and the trace explains only those."""
    return value_reader(plan.lead, lambda: plan.account is not None)


def _matched_on(rule: CompiledRule, value_of: ValueOf, lead: LeadFacts) -> list[str]:
    """For a rule with `any` or `not` that matched: which alternative, why not."""
    return [why_group_held(group, value_of, lead) for group in rule.conditions.groups]


def _candidate_step(candidate: Candidate, plan: Plan) -> dict[str, Any]:
    route = str(candidate.owner)
    if candidate.via:
        return {"step": candidate.via, "route": route}
    rule = candidate.rule
    if rule is None:
        return {"step": "fallback", "fallback": True, "matched": True, "route": route}
    step = {"step": "rule", "rule": rule.name, "rule_id": rule.id, "matched": True, "route": route}
    if rule.conditions.groups:
        step["matched_on"] = _matched_on(rule, _plan_value_of(plan), plan.lead)
    return step


def _miss_step(miss: Miss, plan: Plan) -> dict[str, Any]:
    condition = miss.condition
    if isinstance(condition, Condition):
        has = lead_has(condition.field, miss.value, plan.lead)
    else:
        has = why_group_failed(condition, _plan_value_of(plan), plan.lead)
    return {
        "step": "rule",
        "rule": miss.rule.name,
        "rule_id": miss.rule.id,
        "matched": False,
        "reason": f"needs {condition.text}; {has}",
    }


def _rule_owner(
    rule: CompiledRule, matches: _Matches, *, data: RoutingData
) -> tuple[Owner | None, str]:
    if rule.route_to == "account_owner":
        account = matches.account
        if account is None:
            return None, "no named account matches this lead"
        rep = data.reps.get(account.owner_rep_id)
        name = rep.name if rep else account.owner_name
        return Owner("rep", account.owner_rep_id, name), ""
    if rule.route_to == "territory":
        territory = matches.territory
        if territory is None:
            return None, "no territory matches this lead"
        return territory.owner, ""
    return rule.target, ""


def _owner_pick(
    owner: Owner,
    data: RoutingData,
    state: RoutingState,
    now: datetime,
    steps: list[dict[str, Any]],
    lead: LeadFacts,
    *,
    relaxed: bool = False,
) -> tuple[int | None, int | None, RotationUpdate | None]:
    if owner.kind == "pool":
        pool = data.pools.get(owner.id)
        if pool is None or not pool.members:
            steps.append({"step": "skip", "pool": owner.name, "reason": "the pool has no members"})
            return None, None, None
        member, rotation, pool_steps = pick_member(
            pool, reps=data.reps, state=state, now=now, relaxed=relaxed, lead=lead
        )
        steps.extend(pool_steps)
        return (member.rep_id if member else None), pool.id, rotation
    rep = data.reps.get(owner.id)
    if rep is None:
        steps.append({"step": "skip", "rep": owner.name, "reason": "no longer a rep"})
        return None, None, None
    # A rep named directly is not held to working hours: only pools choose to be.
    reason = unavailable_because(rep, now=now, state=state, check_hours=False, relaxed=relaxed)
    if reason is not None:
        steps.append({"step": "skip", "rep": rep.name, "rep_id": rep.id, "reason": reason})
        return None, None, None
    return rep.id, None, None


class _OwnerCheck(NamedTuple):
    steps: tuple[dict[str, Any], ...]
    bypassed: Bypassed | None  # passed over while away or at capacity: to be told


def _account_owner_pick(
    rule: CompiledRule,
    owner: Owner,
    plan: Plan,
    data: RoutingData,
    state: RoutingState,
    now: datetime,
) -> tuple[int | None, _OwnerCheck]:
    """The named account's owner, named directly, so not held to working hours; with the
    rule's `ignore_capacity`, not held to capacity either (the trace says so). An owner
    out of office with a cover hands the lead to the cover, held to the same. An owner
    passed over while away, paused or at capacity is to be told; one who may never have
    the lead (inactive, excluded) is not."""
    rep = data.reps.get(owner.id)
    if rep is None:
        step = {"step": "skip", "rep": owner.name, "reason": "no longer a rep"}
        return None, _OwnerCheck((step,), None)
    skip: dict[str, Any] = {"step": "skip", "rep": rep.name, "rep_id": rep.id}
    excluded = excluded_because(rep, state=state)
    if excluded is not None:
        return None, _OwnerCheck(({**skip, "reason": excluded},), None)
    reason, kept = _named_rep_check(rule, rep, state, now, kept_as="account owner")
    if reason is None:
        return rep.id, _OwnerCheck(kept, None)
    steps = ({**skip, "reason": reason},)
    account = plan.account.name if plan.account is not None else owner.name
    bypassed = Bypassed(rep.id, account, reason)
    cover = data.reps.get(rep.cover_rep_id) if rep.cover_rep_id is not None else None
    # A cover stands in for time away the rep planned, not for a pause or a full queue.
    if cover is None or out_of_office_because(rep, now=now) is None:
        return None, _OwnerCheck(steps, bypassed)
    about_cover = {"rep": cover.name, "rep_id": cover.id, "covering_for": rep.name}
    cover_reason = excluded_because(cover, state=state)
    cover_kept: tuple[dict[str, Any], ...] = ()
    if cover_reason is None:
        cover_reason, cover_kept = _named_rep_check(rule, cover, state, now, kept_as="cover")
    if cover_reason is not None:
        cover_skip = {"step": "skip", **about_cover, "reason": f"{cover_reason} (the cover)"}
        return None, _OwnerCheck((*steps, cover_skip), bypassed)
    covers = {"step": "cover", **about_cover, "reason": f"covering for {rep.name}, {reason}"}
    return cover.id, _OwnerCheck((*steps, covers, *cover_kept), bypassed)


def _named_rep_check(
    rule: CompiledRule, rep: RepProfile, state: RoutingState, now: datetime, *, kept_as: str
) -> tuple[str | None, tuple[dict[str, Any], ...]]:
    """Why a rep the account-owner rule reached, not excluded, cannot have the lead now
    (None: they can), and the trace step that keeps them over a limit the rule ignores.
    Being away is never ignored."""
    away = away_because(rep, now=now, check_hours=False)
    if away is not None:
        return away, ()
    full = at_capacity_because(rep, state=state)
    if full is None or not rule.ignore_capacity:
        return full, ()
    kept = {"step": "kept", "rep": rep.name, "rep_id": rep.id}
    return None, ({**kept, "reason": f"{full}; kept as {kept_as}"},)


def _familiar_pick(
    familiar: Familiar,
    plan: Plan,
    data: RoutingData,
    state: RoutingState,
    now: datetime,
    steps: list[dict[str, Any]],
) -> int | None:
    """The rep the lead already knows, if they can take it now (the eligibility of a rep
    named directly); otherwise the trace says why not and the rules decide."""
    step: dict[str, Any] = {"step": "familiar", "kind": familiar.kind, "why": familiar.why}
    steps.append(step)
    if familiar.kind == "same_company":
        account = plan.account or _named_account(plan.lead, data)
        if account is not None:  # named accounts come first
            step["reason"] = f"not used: the lead matches named account {account.name}"
            return None
    rep = data.reps.get(familiar.rep_id)
    if rep is None:
        step["reason"] = "not available: no longer a rep"
        return None
    step.update(rep=rep.name, rep_id=rep.id)
    reason = unavailable_because(rep, now=now, state=state, check_hours=False)
    if reason is not None:
        step["reason"] = f"not available: {reason}"
        return None
    return rep.id


def _named_account(lead: LeadFacts, data: RoutingData) -> AccountMatch | None:
    return data.accounts.match(
        email_domain=lead.email_domain,
        is_free_mail=lead.is_free_mail,
        website_domain=lead.website_domain,
        company=lead.company,
        company_key=lead.company_key,
    )


def _decision(
    plan: Plan,
    rule: CompiledRule | None,
    rep_id: int | None,
    pool_id: int | None,
    rotation: RotationUpdate | None,
    steps: list[dict[str, Any]],
    relaxed: bool,
    data: RoutingData,
    now: datetime,
    sla: ChosenSla | None,
) -> Decision:
    ruleset = plan.ruleset
    ack_sla = rule.ack_sla if rule and rule.ack_sla else ruleset.ack_sla
    if sla is not None and sla.duration is not None:
        ack_sla = sla.duration
    ack_due_at = remind_at = None
    if rep_id is None:
        steps.append(
            {
                "step": "unassigned",
                "reason": "nobody in the fallback can take leads (all inactive or excluded)",
            }
        )
    else:
        rep = data.reps[rep_id]
        assigned: dict[str, Any] = {
            "step": "assigned",
            "rep": rep.name,
            "rep_id": rep.id,
            "rule": rule.name if rule else None,
        }
        ack_due_at, due = _acknowledgment_due(rule, ack_sla, rep, now, sla)
        if due:
            assigned["due"] = due
        if ack_due_at is not None:
            remind_at = reminder_time(ack_due_at, ruleset.remind_before, assigned_at=now)
        if remind_at is not None:
            left = duration_words(ack_due_at - remind_at)
            assigned["reminder"] = f"{left} before the deadline, unless acknowledged by then"
        steps.append(assigned)
    return Decision(
        rep_id=rep_id,
        rule=rule,
        pool_id=pool_id if rep_id is not None else None,
        rotation=rotation if rep_id is not None else None,
        ack_sla=ack_sla,
        escalate_to=(rule.escalate_to if rule and rule.escalate_to else ruleset.escalate_to),
        account=plan.account,
        territory=plan.territory,
        steps=tuple(steps),
        relaxed=relaxed,
        ack_due_at=ack_due_at,
        remind_at=remind_at,
    )


def _acknowledgment_due(
    rule: CompiledRule | None,
    ack_sla: timedelta,
    rep: RepProfile,
    now: datetime,
    sla: ChosenSla | None,
) -> tuple[datetime | None, str]:
    """The deadline (None: none) and what the trace says of it: nothing for the rule's
    SLA on the clock, since the decision's time plus the SLA says it already."""
    if sla is not None and sla.duration is None:
        return None, f"no acknowledgment deadline: none chosen for {sla.chosen_for}"
    in_working_hours = (
        sla.working_hours if sla is not None else bool(rule and rule.sla_in_working_hours)
    )
    if in_working_hours:
        due = working_deadline(now, ack_sla, shifts=rep.shifts, zone=rep.timezone)
    else:
        due = now + ack_sla
    if sla is not None:
        counted = " of working hours" if in_working_hours else ""
        said = f"SLA of {duration_words(ack_sla)}{counted} chosen for {sla.chosen_for}"
    elif in_working_hours:
        said = "SLA in working hours"
    else:
        return due, ""
    local = due.astimezone(rep.timezone)
    return due, f"{weekday_and_time(local)} {rep.timezone.key}, {said}"


def _account_step(account: Any) -> dict[str, Any]:
    if account is None:
        return {"step": "account", "matched": False}
    step = {
        "step": "account",
        "matched": True,
        "account": account.name,
        "account_id": account.account_id,
        "by": account.matched_by,
        "detail": account.detail,
    }
    if account.score is not None:
        step["score"] = round(account.score, 1)
    return step


def _territory_step(territory: Any, examined: int) -> dict[str, Any]:
    if territory is None:
        return {"step": "territory", "matched": False, "examined": examined}
    return {
        "step": "territory",
        "matched": True,
        "territory": territory.name,
        "territory_id": territory.territory_id,
        "on": territory.matched_on,
        "owner": str(territory.owner),
        "examined": examined,
    }
