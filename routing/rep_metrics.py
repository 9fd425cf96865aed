"""How each rep is doing, who each pool gives its next lead to, and which leads are
breaching their SLA now: the dashboard's per-rep figures. Reads only.

A rep's period counts the assignments they were given in it (routed, escalated to them,
handed off, claimed or reassigned), so a lead escalated from Ana to Bo counts for both:

- received: distinct leads;
- speed to lead: assignment to the rep's acknowledgment, median and 90th percentile
  (nearest rank, as the team's figure), of their acknowledged assignments;
- within SLA: of their assignments with a deadline that were acknowledged or whose
  deadline came while they held them, the share acknowledged by it;
- escalations: their assignments that ended unacknowledged past the deadline (the lead
  was escalated away from them);
- open now: their open assignments, whatever the period;
- conversion: of the leads received that reached an outcome while theirs (they own it,
  converted or disqualified), the share converted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from reps.models import Pool, Rep
from routing.engine import RoutingState
from routing.engine.distribution import pick_member
from routing.models import Assignment, Lead
from routing.services.state import read_rotations, rep_loads
from routing.snapshot import current_snapshot

METHOD_LABELS = dict(Pool.Method.choices)
OUTCOMES = (Lead.Status.CONVERTED, Lead.Status.DISQUALIFIED)
# Pools whose next lead does not depend on the lead: a rotation or the loads decide.
PREDICTABLE_METHODS = (
    Pool.Method.ROUND_ROBIN,
    Pool.Method.WEIGHTED,
    Pool.Method.PERFORMANCE,
    Pool.Method.LEAST_LOADED,
)
DUE_SOON = timedelta(minutes=5)  # the breaching list also shows leads due this soon
BREACHING_SHOWN = 20  # rows on the page; the CSV has them all


@dataclass(frozen=True)
class RepFigures:
    rep_id: int
    rep: str
    is_agent: bool
    received: int
    acknowledged: int
    speed_median_seconds: float | None
    speed_p90_seconds: float | None
    acknowledged_in_time: int
    sla_counted: int
    escalated: int
    open_now: int
    converted: int
    with_outcome: int

    @property
    def sla_share(self) -> float | None:
        return self.acknowledged_in_time / self.sla_counted if self.sla_counted else None

    @property
    def conversion(self) -> float | None:
        return self.converted / self.with_outcome if self.with_outcome else None


def rep_figures(*, start: datetime, end: datetime, now: datetime | None = None) -> list[RepFigures]:
    """Every rep given a lead in [start, end) or holding one now, by name. Three
    aggregate queries and one for the names, however many reps."""
    now = now or timezone.now()
    given = Assignment.objects.filter(assigned_at__gte=start, assigned_at__lt=end)
    # A deadline counts once it came while the rep held the lead (an assignment taken
    # from them earlier, by a manager, was not theirs to miss).
    deadline_came = Q(ack_due_at__lte=now) & (
        Q(ended_at__isnull=True) | Q(ended_at__gte=F("ack_due_at"))
    )
    in_time = Q(acknowledged_at__isnull=False, acknowledged_at__lte=F("ack_due_at"))
    theirs = Q(lead__owner_id=F("rep_id"))
    totals = {
        row["rep_id"]: row
        for row in given.values("rep_id").annotate(
            received=Count("lead_id", distinct=True),
            acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
            sla_counted=Count(
                "id",
                filter=Q(ack_due_at__isnull=False)
                & (Q(acknowledged_at__isnull=False) | deadline_came),
            ),
            in_time=Count("id", filter=Q(ack_due_at__isnull=False) & in_time),
            escalated=Count("id", filter=Q(end_reason=Assignment.EndReason.EXPIRED)),
            with_outcome=Count(
                "lead_id", distinct=True, filter=theirs & Q(lead__status__in=OUTCOMES)
            ),
            converted=Count(
                "lead_id", distinct=True, filter=theirs & Q(lead__status=Lead.Status.CONVERTED)
            ),
        )
    }
    open_now = dict(
        Assignment.objects.filter(ended_at__isnull=True)
        .values("rep_id")
        .annotate(count=Count("id"))
        .values_list("rep_id", "count")
    )
    speeds = _speeds(given)
    reps = Rep.objects.filter(pk__in=totals.keys() | open_now.keys()).order_by("name", "id")
    figures = []
    for rep in reps.only("id", "name", "kind"):
        row = totals.get(rep.pk, {})
        median, p90 = speeds.get(rep.pk, (None, None))
        figures.append(
            RepFigures(
                rep_id=rep.pk,
                rep=rep.name,
                is_agent=rep.kind == Rep.Kind.AGENT,
                received=row.get("received", 0),
                acknowledged=row.get("acknowledged", 0),
                speed_median_seconds=median,
                speed_p90_seconds=p90,
                acknowledged_in_time=row.get("in_time", 0),
                sla_counted=row.get("sla_counted", 0),
                escalated=row.get("escalated", 0),
                open_now=open_now.get(rep.pk, 0),
                converted=row.get("converted", 0),
                with_outcome=row.get("with_outcome", 0),
            )
        )
    return figures


def _speeds(given: QuerySet[Assignment]) -> dict[int, tuple[float | None, float | None]]:
    """Rep id -> (median, 90th percentile) seconds from assignment to acknowledgment.

    The database ranks each rep's waits and returns only the ranks the figures need (the
    one or two middle ones, and the 90th percentile's nearest rank), not every wait."""
    wait = ExpressionWrapper(F("acknowledged_at") - F("assigned_at"), output_field=DurationField())
    ranked = (
        given.filter(acknowledged_at__isnull=False)
        .annotate(
            wait=wait,
            rank=Window(
                RowNumber(), partition_by=[F("rep_id")], order_by=[wait.asc(), F("id").asc()]
            ),
            counted=Window(Count("id"), partition_by=[F("rep_id")]),
        )
        .filter(
            # Integer division: the lower and upper middle ranks (equal when the count is
            # odd) and ceil(0.9 × count).
            Q(rank=(F("counted") + 1) / 2)
            | Q(rank=(F("counted") + 2) / 2)
            | Q(rank=(F("counted") * 9 + 9) / 10)
        )
        .values_list("rep_id", "rank", "counted", "wait")
    )
    at: dict[int, dict[int, float]] = defaultdict(dict)
    counts: dict[int, int] = {}
    for rep_id, rank, counted, waited in ranked:
        at[rep_id][rank] = waited.total_seconds()
        counts[rep_id] = counted
    speeds = {}
    for rep_id, ranks in at.items():
        n = counts[rep_id]
        median = (ranks[(n + 1) // 2] + ranks[(n + 2) // 2]) / 2
        speeds[rep_id] = (round(median, 1), round(ranks[(n * 9 + 9) // 10], 1))
    return speeds


@dataclass(frozen=True)
class NextInPool:
    pool: str
    method: str  # in words
    next_rep: str  # "" when the lead decides or nobody can take a lead now
    why: str  # the engine's reason, or why there is no answer
    passed_over: tuple[str, ...]  # "Bo: out of office until ...", in turn order


def pools_next(*, now: datetime | None = None) -> list[NextInPool]:
    """For each pool, who gets its next lead, as routing would decide it now: the
    engine's own choice over the rotations and loads it would read (without locking or
    moving anything; docs/decisions/0018). Nearest and best-match pools choose by the
    lead."""
    now = now or timezone.now()
    data = current_snapshot().data
    predictable = [pool for pool in data.pools.values() if pool.method in PREDICTABLE_METHODS]
    members = {member.rep_id for pool in predictable for member in pool.members}
    pool_ids = [pool.id for pool in predictable]
    state = RoutingState(
        loads=rep_loads(members, pool_ids=pool_ids, data=data, now=now),
        rotations=read_rotations(
            [pool.id for pool in predictable if pool.method != Pool.Method.LEAST_LOADED],
            lock=False,
        ),
    )
    answers = []
    for pool in sorted(data.pools.values(), key=lambda pool: pool.name.casefold()):
        method = METHOD_LABELS.get(pool.method, pool.method)
        if pool.method not in PREDICTABLE_METHODS:
            answers.append(
                NextInPool(
                    pool.name, method, "", "depends on the lead: this method chooses by it", ()
                )
            )
            continue
        if not pool.members:
            answers.append(NextInPool(pool.name, method, "", "the pool has no members", ()))
            continue
        chosen, _, steps = pick_member(pool, reps=data.reps, state=state, now=now)
        passed = tuple(
            f"{step['rep']}: {step['reason']}" for step in steps if step["step"] == "skip"
        )
        if chosen is None:
            answers.append(NextInPool(pool.name, method, "", "nobody can take a lead now", passed))
            continue
        why = next(step["why"] for step in steps if step["step"] == "pick")
        answers.append(NextInPool(pool.name, method, data.reps[chosen.rep_id].name, why, passed))
    return answers


@dataclass(frozen=True)
class Breaching:
    lead_id: int
    lead: str
    company: str
    owner: str
    due_at: datetime
    late_seconds: float  # negative: due in that many seconds

    @property
    def is_late(self) -> bool:
        return self.late_seconds >= 0


def leads_breaching(
    *, now: datetime | None = None, due_within: timedelta = DUE_SOON, limit: int | None = None
) -> tuple[list[Breaching], int]:
    """Open, unacknowledged assignments past their deadline or due within `due_within`,
    the most overdue first, and how many there are: (the first `limit` of them, the count)."""
    now = now or timezone.now()
    open_due = Assignment.objects.filter(
        ended_at__isnull=True, acknowledged_at__isnull=True, ack_due_at__lte=now + due_within
    )
    rows = open_due.order_by("ack_due_at", "id").values(
        "lead_id",
        "lead__email",
        "lead__first_name",
        "lead__last_name",
        "lead__company",
        "rep__name",
        "ack_due_at",
    )
    if limit is not None:
        rows = rows[:limit]
    found = [
        Breaching(
            lead_id=row["lead_id"],
            lead=f"{row['lead__first_name']} {row['lead__last_name']}".strip()
            or row["lead__email"],
            company=row["lead__company"],
            owner=row["rep__name"],
            due_at=row["ack_due_at"],
            late_seconds=(now - row["ack_due_at"]).total_seconds(),
        )
        for row in rows
    ]
    total = len(found) if limit is None or len(found) < limit else open_due.count()
    return found, total
