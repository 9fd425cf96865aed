"""What a rep may see: their own leads and the unclaimed ones waiting in their shared
queue (their pools', or theirs as a rule set's fallback rep). Nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from reps.models import Rep
from routing.models import Assignment, Lead
from routing.notifications.messages import PASSED_OVER

# Leads still being worked: shown in "My leads". Closed ones (converted, disqualified)
# stay reachable by their page and by the status filter, but leave the list.
WORKING_STATUSES = (
    Lead.Status.ASSIGNED,
    Lead.Status.ESCALATED,
    Lead.Status.ACKNOWLEDGED,
    Lead.Status.CONTACTED,
    Lead.Status.QUALIFIED,
)
CLOSED_STATUSES = (Lead.Status.CONVERTED, Lead.Status.DISQUALIFIED)

# The age filter's periods, counted back from now ("today" starts at the rep's midnight).
AGE_TODAY = "today"
AGE_WEEK = "week"
AGE_OLDER = "older"
WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the rep narrowed the list to; the empty filter keeps every lead of the tab."""

    search: str = ""  # words, each found in the name, the e-mail or the company
    status: str = ""  # one of the lead's statuses; "": every lead being worked
    overdue: bool = False  # only leads whose acknowledgment deadline has passed
    age: str = ""  # AGE_TODAY, AGE_WEEK or AGE_OLDER; "": any age


@dataclass(frozen=True, slots=True)
class QueueCounts:
    mine: int
    shared: int


def rep_visible_leads(*, rep: Rep) -> QuerySet[Lead]:
    """The rep's own leads (they own them now) and the unclaimed leads they may claim."""
    return Lead.objects.filter(Q(owner=rep) | Lead.claimable_by(rep)).distinct()


def rep_readable_leads(*, rep: Rep) -> QuerySet[Lead]:
    """What the rep may open but not act on, besides their visible leads: the leads of
    their named accounts they were told went to someone else."""
    told = Q(notifications__rep=rep, notifications__kind=PASSED_OVER)
    return Lead.objects.filter(Q(owner=rep) | Lead.claimable_by(rep) | told).distinct()


def rep_my_leads(*, rep: Rep, filters: QueueFilter, now: datetime) -> QuerySet[Lead]:
    """The rep's leads as `filters` narrow them: those waiting for acknowledgment first,
    the earliest deadline first, then the rest oldest first. Each carries its open
    assignment (`open_assignments`), read in one query for the whole page."""
    statuses = (filters.status,) if filters.status else WORKING_STATUSES
    open_assignments = Assignment.objects.filter(ended_at__isnull=True)
    due = open_assignments.filter(lead=OuterRef("pk"), acknowledged_at__isnull=True)
    leads = (
        Lead.objects.filter(owner=rep, status__in=statuses)
        .annotate(due=Subquery(due.values("ack_due_at")[:1]))
        .prefetch_related(Prefetch("assignments", open_assignments, to_attr="open_assignments"))
        .order_by(
            F("due").asc(nulls_last=True),
            F("acknowledged_at").asc(nulls_first=True),  # then those without a deadline
            "created_at",
            "pk",
        )
    )
    if filters.overdue:
        leads = leads.filter(Exists(_overdue_assignments(now)))
    return _narrowed(leads, filters=filters, rep=rep, now=now)


def rep_shared_leads(*, rep: Rep, filters: QueueFilter, now: datetime) -> QuerySet[Lead]:
    """Unclaimed leads the rep may claim, as `filters` narrow them, oldest first."""
    leads = _claimable(rep).order_by("created_at", "pk")
    return _narrowed(leads, filters=filters, rep=rep, now=now)


def rep_queue_counts(*, rep: Rep) -> QueueCounts:
    """How many leads each tab holds before any search or filter."""
    return QueueCounts(
        mine=Lead.objects.filter(owner=rep, status__in=WORKING_STATUSES).count(),
        shared=_claimable(rep).count(),
    )


def _claimable(rep: Rep) -> QuerySet[Lead]:
    # By id rather than with DISTINCT: a lead waits in several of the rep's pools.
    return Lead.objects.filter(pk__in=Lead.objects.filter(Lead.claimable_by(rep)).values("pk"))


def _overdue_assignments(now: datetime) -> QuerySet[Assignment]:
    return Assignment.objects.filter(
        lead=OuterRef("pk"),
        ended_at__isnull=True,
        acknowledged_at__isnull=True,
        ack_due_at__lt=now,
    )


def _narrowed(
    leads: QuerySet[Lead], *, filters: QueueFilter, rep: Rep, now: datetime
) -> QuerySet[Lead]:
    for word in filters.search.split():
        leads = leads.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(company__icontains=word)
        )
    if filters.age == AGE_TODAY:
        leads = leads.filter(created_at__gte=_start_of_day(now, rep=rep))
    elif filters.age == AGE_WEEK:
        leads = leads.filter(created_at__gte=now - WEEK)
    elif filters.age == AGE_OLDER:
        leads = leads.filter(created_at__lt=now - WEEK)
    return leads


def _start_of_day(now: datetime, *, rep: Rep) -> datetime:
    """Midnight where the rep is: "today" is the rep's day, not the server's."""
    local = timezone.localtime(now, ZoneInfo(rep.timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
