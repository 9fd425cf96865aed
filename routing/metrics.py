"""The figures a sales manager watches, for a period of lead submissions.

Reads only. Leads count in the period they were submitted in; the dashboard
(/dashboard/) and `GET /api/v1/metrics/` show the same dictionary.

- speed to lead: submission to first acknowledgment (acknowledged leads only);
- within SLA: of leads whose first assignment's deadline has passed or that were
  acknowledged, the share acknowledged by that deadline;
- unclaimed: leads waiting in a shared queue now;
- escalations: assignments that expired unacknowledged;
- fairness: per pool, the leads each member got from it against the share their
  weight promises (rotation pools; other methods choose by the lead, so they show
  counts only). A lead counts once for each member it went to, however often, and once
  in the pool's total: a lead escalated from one member to another counts for both;
- conversion: converted leads by the rule and by the pool that first routed them
  (Lead.rule, Lead.pool: an escalation or a hand-off does not move a lead to its
  target's column), so that both add up to the leads of the period.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from reps.models import Pool
from routing.models import Assignment, Lead, LeadEvent, RoutingDecision

ROTATION_METHODS = (Pool.Method.ROUND_ROBIN, Pool.Method.WEIGHTED)


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
    first = _first_assignments(lead_ids)
    days = _days(start, end)
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for lead in leads:
        by_day[_local_date(lead["created_at"])].append(lead)
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "leads": len(leads),
        "speed_to_lead": _speed(leads),
        "within_sla": _within_sla(leads, first, now),
        "unclaimed": _share(sum(lead["status"] == Lead.Status.UNCLAIMED for lead in leads), leads),
        "escalations": _escalations(lead_ids),
        "fairness": _fairness(start, end),
        "conversion_by_rule": _conversion(leads, _rule_name),
        "conversion_by_pool": _conversion(leads, lambda lead: lead["pool__name"] or "(no pool)"),
        "daily": [
            _day(
                day, [lead for lead in leads if _local_date(lead["created_at"]) == day], first, now
            )
            for day in days
        ],
    }


def _first_assignments(lead_ids: list[int]) -> dict[int, dict[str, Any]]:
    first: dict[int, dict[str, Any]] = {}
    for row in (
        Assignment.objects.filter(lead_id__in=lead_ids)
        .order_by("lead_id", "assigned_at", "id")
        .values("lead_id", "ack_due_at", "acknowledged_at")
    ):
        first.setdefault(row["lead_id"], row)
    return first


def _speed(leads: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = sorted(
        (lead["acknowledged_at"] - lead["created_at"]).total_seconds()
        for lead in leads
        if lead["acknowledged_at"]
    )
    if not seconds:
        return {"acknowledged": 0, "median_seconds": None, "p90_seconds": None}
    return {
        "acknowledged": len(seconds),
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


def _escalations(lead_ids: list[int]) -> dict[str, Any]:
    escalated = list(
        LeadEvent.objects.filter(lead_id__in=lead_ids, kind=LeadEvent.Kind.ESCALATED).values_list(
            "lead_id", flat=True
        )
    )
    return {"count": len(escalated), "leads": len(set(escalated))}


def _rule_name(lead: dict[str, Any]) -> str:
    if lead["rule__name"]:
        return lead["rule__name"]
    return "(fallback)" if lead["ruleset_id"] else "(not routed)"


def _fairness(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per pool, the period's leads it gave out and each member's distinct leads from it,
    from every decision that picked from a pool (first routings, escalations, hand-offs)."""
    picked = RoutingDecision.objects.filter(
        lead__created_at__gte=start,
        lead__created_at__lt=end,
        pool__isnull=False,
        owner__isnull=False,
    ).values_list("pool_id", "lead_id", "owner_id")
    # pool → lead → the members it went to (a rep picked twice for a lead is one lead)
    went_to: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for pool_id, lead_id, rep_id in picked:
        went_to[pool_id][lead_id].add(rep_id)
    pools = Pool.objects.filter(pk__in=went_to).prefetch_related("memberships__rep")
    report = []
    for pool in sorted(pools, key=lambda pool: pool.name):
        leads = went_to[pool.pk]
        got = Counter(rep_id for reps in leads.values() for rep_id in reps)
        # A rotation promises each member a share of its turns, and a lead passed from
        # one member to another took a turn of each: the shares are of the members' sum.
        turns = sum(got.values())
        weights = {
            membership.rep_id: (membership.weight if pool.method == Pool.Method.WEIGHTED else 1)
            for membership in pool.memberships.all()
        }
        names = {membership.rep_id: membership.rep.name for membership in pool.memberships.all()}
        weight_sum = sum(weights.values())
        rotation = pool.method in ROTATION_METHODS and weight_sum
        members = [
            {
                "rep": names.get(rep_id, f"rep {rep_id} (left the pool)"),
                "leads": got.get(rep_id, 0),
                "expected": round(turns * weights[rep_id] / weight_sum, 1)
                if rotation and rep_id in weights
                else None,
            }
            for rep_id in sorted(set(weights) | set(got), key=lambda rep: names.get(rep, ""))
        ]
        report.append(
            {
                "pool": pool.name,
                "method": pool.method,
                "leads": len(leads),
                "leads_to_several_members": sum(len(reps) > 1 for reps in leads.values()),
                "members": members,
            }
        )
    return report


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


def _day(
    day: date, leads: list[dict[str, Any]], first: dict[int, dict[str, Any]], now: datetime
) -> dict[str, Any]:
    speed = _speed(leads)
    return {
        "date": day.isoformat(),
        "leads": len(leads),
        "speed_median_seconds": speed["median_seconds"],
        "speed_p90_seconds": speed["p90_seconds"],
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
