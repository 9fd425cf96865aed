"""The figures a sales manager watches, for a period of lead submissions.

Reads only. Leads count in the period they were submitted in; the dashboard
(/dashboard/) and `GET /api/v1/metrics/` show the same dictionary.

- speed to lead: submission to first acknowledgment (acknowledged leads only), by
  anyone, an AI agent's 2xx included;
- speed to first human action: submission to the first acknowledgment by a person (in
  the queue, by the e-mailed link, by claiming from the shared queue, or by recording an
  outcome, which acknowledges): an agent answering its webhook is not a person;
- within SLA: of leads whose first assignment's deadline has passed or that were
  acknowledged, the share acknowledged by that deadline;
- unclaimed: leads waiting in a shared queue now; unclaimed during the period: leads
  that waited in a shared queue at some time before the period's end, claimed since or not;
- escalations: assignments that expired unacknowledged, and the share of leads that
  were escalated at least once;
- fairness (routing.fairness): per pool, the leads each member got from it against the
  share their weight promises among the members who could take each lead then;
- conversion: converted leads by the rule and by the pool that first routed them
  (Lead.rule, Lead.pool: an escalation or a hand-off does not move a lead to its
  target's column), so that both add up to the leads of the period; and by routing
  path (ROUTING_PATHS), how the lead reached whoever worked it.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from reps.models import Rep
from routing.fairness import pool_fairness
from routing.models import Assignment, Lead, LeadEvent

# How a lead reached whoever worked it, from its assignments: the first that applies, in
# this order. (key, label, meaning), the meaning as the API's documentation gives it.
ROUTING_PATHS = (
    (
        "ai_agent_handoff_human",
        "AI agent → hand-off → person",
        "An AI agent owned it and handed it off to a person (whatever happened after).",
    ),
    (
        "via_shared_queue",
        "Via the shared queue",
        "A person claimed it from the shared queue, where it waited because nobody "
        "acknowledged it in time or nobody could take it.",
    ),
    (
        "via_escalation",
        "Via escalation",
        "A person got it because an earlier owner (a person or an agent) did not "
        "acknowledge it in time.",
    ),
    (
        "via_manager",
        "Reassigned by a manager",
        "A manager gave it to a person by hand.",
    ),
    (
        "direct_to_human",
        "Direct to a person",
        "The rules gave it to a person, and people only ever got it from the rules.",
    ),
    ("ai_agent_only", "AI agent only", "Only AI agents ever owned it; no person did."),
    (
        "waiting_in_shared_queue",
        "Unclaimed, never owned",
        "Nobody ever owned it: it went to the shared queue and nobody claimed it.",
    ),
    ("not_routed", "Not routed", "Never owned, never in a shared queue."),
)
PATH_LABELS = {key: label for key, label, _ in ROUTING_PATHS}
# The assignment reason that puts a lead on a path when a person got it that way, in the
# order of ROUTING_PATHS: the first a lead's people got it by names its path.
PATH_OF_REASON = {
    Assignment.Reason.HANDOFF: "ai_agent_handoff_human",
    Assignment.Reason.CLAIMED: "via_shared_queue",
    Assignment.Reason.ESCALATED: "via_escalation",
    Assignment.Reason.MANUAL: "via_manager",
}


def lead_metrics(*, start: datetime, end: datetime, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    leads = list(
        Lead.objects.filter(created_at__gte=start, created_at__lt=end).values(
            "id",
            "created_at",
            "acknowledged_at",
            "status",
            "ruleset_id",
            "rule__name",
            "pool__name",
        )
    )
    lead_ids = [lead["id"] for lead in leads]
    assignments = _assignments(start, end)
    first = {lead_id: rows[0] for lead_id, rows in assignments.items()}
    unclaimed_leads = set(
        LeadEvent.objects.filter(
            lead__created_at__gte=start,
            lead__created_at__lt=end,
            kind=LeadEvent.Kind.UNCLAIMED,
            at__lt=end,
        ).values_list("lead_id", flat=True)
    )
    days = _days(start, end)
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for lead in leads:
        by_day[_local_date(lead["created_at"])].append(lead)
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "leads": len(leads),
        "speed_to_lead": _speed(leads),
        "speed_to_first_human_action": _speed_to_first_human_action(leads, assignments),
        "within_sla": _within_sla(leads, first, now),
        "unclaimed": _share(sum(lead["status"] == Lead.Status.UNCLAIMED for lead in leads), leads),
        "unclaimed_during_period": {
            **_share(len(unclaimed_leads), leads),
            "still_unclaimed": sum(
                lead["status"] == Lead.Status.UNCLAIMED
                for lead in leads
                if lead["id"] in unclaimed_leads
            ),
        },
        "escalations": _escalations(lead_ids, leads),
        "fairness": pool_fairness(start=start, end=end),
        "conversion_by_rule": _conversion(leads, _rule_name),
        "conversion_by_pool": _conversion(leads, lambda lead: lead["pool__name"] or "(no pool)"),
        "conversion_by_path": _conversion_by_path(leads, assignments, unclaimed_leads),
        "daily": [
            _day(
                day,
                [lead for lead in leads if _local_date(lead["created_at"]) == day],
                first,
                assignments,
                now,
            )
            for day in days
        ],
    }


def _assignments(start: datetime, end: datetime) -> dict[int, list[dict[str, Any]]]:
    """The assignments of the period's leads, oldest first, per lead."""
    by_lead: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in (
        Assignment.objects.filter(lead__created_at__gte=start, lead__created_at__lt=end)
        .order_by("lead_id", "assigned_at", "id")
        .values("lead_id", "reason", "rep__kind", "ack_due_at", "acknowledged_at")
    ):
        by_lead[row["lead_id"]].append(row)
    return by_lead


def _speed(leads: list[dict[str, Any]]) -> dict[str, Any]:
    return _durations(
        "acknowledged",
        [lead["acknowledged_at"] - lead["created_at"] for lead in leads if lead["acknowledged_at"]],
    )


def _speed_to_first_human_action(
    leads: list[dict[str, Any]], assignments: dict[int, list[dict[str, Any]]]
) -> dict[str, Any]:
    # A person's claim, outcome or link all set their assignment's acknowledged_at; an
    # agent's assignment is the agent's (its 2xx), whoever reads its leads later.
    waits = []
    for lead in leads:
        acted = [
            row["acknowledged_at"]
            for row in assignments.get(lead["id"], ())
            if row["rep__kind"] == Rep.Kind.HUMAN and row["acknowledged_at"] is not None
        ]
        if acted:
            waits.append(min(acted) - lead["created_at"])
    return _durations("acted", waits)


def _durations(counted_as: str, waits: list[timedelta]) -> dict[str, Any]:
    seconds = sorted(wait.total_seconds() for wait in waits)
    if not seconds:
        return {counted_as: 0, "median_seconds": None, "p90_seconds": None}
    return {
        counted_as: len(seconds),
        "median_seconds": round(statistics.median(seconds), 1),
        "p90_seconds": round(_percentile(seconds, 0.9), 1),
    }


def _percentile(ordered: list[float], share: float) -> float:
    """Nearest rank: the smallest value at or above `share` of the values."""
    rank = max(1, -(-len(ordered) * share // 1))  # ceil
    return ordered[int(rank) - 1]


def _within_sla(
    leads: list[dict[str, Any]], first: dict[int, dict[str, Any]], now: datetime
) -> dict[str, Any]:
    in_time = counted = 0
    for lead in leads:
        assignment = first.get(lead["id"])
        if assignment is None or assignment["ack_due_at"] is None:
            continue
        acknowledged, due = assignment["acknowledged_at"], assignment["ack_due_at"]
        if acknowledged is not None and acknowledged <= due:
            in_time += 1
            counted += 1
        elif acknowledged is not None or due <= now:
            counted += 1
    return {
        "acknowledged_in_time": in_time,
        "counted": counted,
        "share": round(in_time / counted, 4) if counted else None,
    }


def _share(count: int, leads: list[dict[str, Any]]) -> dict[str, Any]:
    return {"count": count, "share": round(count / len(leads), 4) if leads else None}


def _escalations(lead_ids: list[int], leads: list[dict[str, Any]]) -> dict[str, Any]:
    escalated = list(
        LeadEvent.objects.filter(lead_id__in=lead_ids, kind=LeadEvent.Kind.ESCALATED).values_list(
            "lead_id", flat=True
        )
    )
    escalated_leads = len(set(escalated))
    return {
        "count": len(escalated),
        "leads": escalated_leads,
        "share": round(escalated_leads / len(leads), 4) if leads else None,
    }


def _rule_name(lead: dict[str, Any]) -> str:
    if lead["rule__name"]:
        return lead["rule__name"]
    return "(fallback)" if lead["ruleset_id"] else "(not routed)"


def _conversion(leads: list[dict[str, Any]], key: Any) -> list[dict[str, Any]]:
    totals: Counter[str] = Counter()
    converted: Counter[str] = Counter()
    for lead in leads:
        name = key(lead)
        totals[name] += 1
        converted[name] += lead["status"] == Lead.Status.CONVERTED
    return [
        {
            "name": name,
            "leads": totals[name],
            "converted": converted[name],
            "rate": round(converted[name] / totals[name], 4),
        }
        for name in sorted(totals)
    ]


def _conversion_by_path(
    leads: list[dict[str, Any]],
    assignments: dict[int, list[dict[str, Any]]],
    unclaimed_leads: set[int],
) -> list[dict[str, Any]]:
    def path(lead: dict[str, Any]) -> str:
        rows = assignments.get(lead["id"], [])
        reasons = {row["reason"] for row in rows if row["rep__kind"] == Rep.Kind.HUMAN}
        if not reasons:
            if rows:
                return "ai_agent_only"
            return "waiting_in_shared_queue" if lead["id"] in unclaimed_leads else "not_routed"
        for reason, key in PATH_OF_REASON.items():
            if reason in reasons:
                return key
        return "direct_to_human"

    order = list(PATH_LABELS)
    return [
        {**row, "path": row["name"], "name": PATH_LABELS[row["name"]]}
        for row in sorted(_conversion(leads, path), key=lambda row: order.index(row["name"]))
    ]


def _day(
    day: date,
    leads: list[dict[str, Any]],
    first: dict[int, dict[str, Any]],
    assignments: dict[int, list[dict[str, Any]]],
    now: datetime,
) -> dict[str, Any]:
    speed = _speed(leads)
    human = _speed_to_first_human_action(leads, assignments)
    return {
        "date": day.isoformat(),
        "leads": len(leads),
        "speed_median_seconds": speed["median_seconds"],
        "speed_p90_seconds": speed["p90_seconds"],
        "first_human_action_median_seconds": human["median_seconds"],
        "first_human_action_p90_seconds": human["p90_seconds"],
        "within_sla_share": _within_sla(leads, first, now)["share"],
    }


def _local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _days(start: datetime, end: datetime) -> list[date]:
    first, last = _local_date(start), _local_date(end - timedelta(microseconds=1))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class BadPeriod(ValueError):
    pass


PERIOD_PRESETS = (7, 30, 90)  # the "last N days" links of the pages that pick a period


def period_of(params: Any, *, now: datetime | None = None) -> tuple[datetime, datetime, str]:
    """(start, end, label) from `start` and `end` dates (YYYY-MM-DD, both included, in the
    server's time zone) or `days` (the last N days, today included); the last 30 days by
    default. BadPeriod says what is wrong."""
    today = timezone.localtime(now or timezone.now()).date()
    if params.get("start") or params.get("end"):
        try:
            first = date.fromisoformat(params.get("start") or "")
            last = date.fromisoformat(params.get("end") or today.isoformat())
        except ValueError as error:
            raise BadPeriod("start and end are dates like 2026-11-01.") from error
        if last < first:
            raise BadPeriod("end is before start.")
        label = f"{first:%d %b %Y} – {last:%d %b %Y}"
    else:
        try:
            days = int(params.get("days") or 30)
        except ValueError as error:
            raise BadPeriod("days is a whole number, like 30.") from error
        if not 1 <= days <= 366:
            raise BadPeriod("days is between 1 and 366.")
        first, last = today - timedelta(days=days - 1), today
        label = f"last {days} days"
    if (last - first).days > 366:
        raise BadPeriod("a period is at most 366 days.")
    zone = timezone.get_current_timezone()
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    end = datetime(last.year, last.month, last.day, tzinfo=zone) + timedelta(days=1)
    return start, end, label


def period_or_default(params: Any) -> tuple[datetime, datetime, str, str]:
    """`period_of`, or the last 30 days with what was wrong (for pages that always show
    something): (start, end, label, problem)."""
    try:
        return (*period_of(params), "")
    except BadPeriod as error:
        return (*period_of({}), f"{error} Showing the last 30 days.")
