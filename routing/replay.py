"""Replay: what a draft rule set would have done with real leads, next to what happened
(stored leads of a period) or what the active rule set does (an uploaded CSV).

Nothing is written and no rotation moves: the state (loads, rotations) is read once,
without locks, and carried forward in memory from one lead to the next, as rotations
would turn and loads grow (leads acknowledged or closed meanwhile are not seen). Good
enough to see where leads would go, not a forecast of anyone's exact count.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from django.utils import timezone

from routing import engine
from routing.engine import RoutingState
from routing.imports.reader import LeadFile, rejection
from routing.models import Lead
from routing.normalize import lead_facts, normalize_submission
from routing.normalize.facts import FACT_FIELD_NAMES
from routing.services.state import RoutingMemory
from routing.snapshot import Snapshot, current_snapshot

FALLBACK = "(fallback)"
NOBODY = "(nobody)"


@dataclass(frozen=True)
class ReplayRow:
    lead: str  # id or CSV line, and e-mail
    today_owner: str
    today_rule: str
    draft_owner: str
    draft_rule: str

    @property
    def changed(self) -> bool:
        return (self.today_owner, self.today_rule) != (self.draft_owner, self.draft_rule)


@dataclass
class Replay:
    rows: list[ReplayRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # CSV line, what is wrong

    @property
    def changed(self) -> list[ReplayRow]:
        return [row for row in self.rows if row.changed]

    @property
    def by_rule(self) -> list[tuple[str, int, int]]:
        return self.by("rule")

    @property
    def by_owner(self) -> list[tuple[str, int, int]]:
        return self.by("owner")

    def by(self, what: str) -> list[tuple[str, int, int]]:
        """(rule or owner, leads today, leads under the draft), most leads first."""
        today = Counter(getattr(row, f"today_{what}") for row in self.rows)
        draft = Counter(getattr(row, f"draft_{what}") for row in self.rows)
        names = sorted(
            set(today) | set(draft), key=lambda name: (-max(today[name], draft[name]), name)
        )
        return [(name, today[name], draft[name]) for name in names]


class _Router:
    """Decides leads with one compiled rule set, the state kept in memory."""

    def __init__(self, snapshot: Snapshot, ruleset: engine.CompiledRuleSet, now: datetime) -> None:
        self.snapshot, self.ruleset, self.now = snapshot, ruleset, now
        self.memory = RoutingMemory(data=snapshot.data, now=now, lock=False)

    def decide(self, facts: Any) -> tuple[str, str]:
        memory = self.memory
        state = RoutingState(loads=memory.loads, rotations=memory.rotations)
        decision = engine.decide(
            facts, ruleset=self.ruleset, data=self.snapshot.data, state=state, now=self.now
        )
        memory.taken(decision)
        rep = self.snapshot.data.reps.get(decision.rep_id) if decision.rep_id else None
        return (rep.name if rep else NOBODY), (decision.rule.name if decision.rule else FALLBACK)


def replay_stored(
    *, ruleset_id: int, start: datetime, end: datetime, limit: int = 20_000
) -> Replay:
    """The period's stored leads: their owner and rule then, against the draft's."""
    snapshot = current_snapshot()
    draft = _Router(snapshot, snapshot.rulesets[ruleset_id], timezone.now())
    result = Replay()
    leads = (
        Lead.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by("created_at", "id")
        .values("id", "owner__name", "rule__name", "status", *FACT_FIELD_NAMES)[:limit]
    )
    for lead in leads.iterator(chunk_size=1000):
        owner, rule = draft.decide(lead_facts(lead))
        result.rows.append(
            ReplayRow(
                lead=f"{lead['id']} {lead['email']}",
                today_owner=lead["owner__name"] or NOBODY,
                today_rule=lead["rule__name"] or FALLBACK,
                draft_owner=owner,
                draft_rule=rule,
            )
        )
    return result


def replay_csv(*, ruleset_id: int, source: IO[bytes], limit: int = 20_000) -> Replay:
    """Leads from a CSV (read as an import reads it, with no mapping): the active rule
    set's choice against the draft's. Bad rows are reported by line and left out."""
    snapshot = current_snapshot()
    now = timezone.now()
    draft = _Router(snapshot, snapshot.rulesets[ruleset_id], now)
    active = _Router(snapshot, snapshot.active, now) if snapshot.active else None
    result = Replay()
    for line, body, problem in itertools.islice(LeadFile(source, {}), limit):
        if problem:
            result.errors.append((line, problem))
            continue
        values, errors = normalize_submission(body)
        if errors:
            result.errors.append((line, rejection(errors)))
            continue
        facts = lead_facts(values)
        today = active.decide(facts) if active else (NOBODY, FALLBACK)
        owner, rule = draft.decide(facts)
        result.rows.append(ReplayRow(f"line {line} {values['email']}", *today, owner, rule))
    return result
