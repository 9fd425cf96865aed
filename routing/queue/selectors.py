"""What a rep may see: their own leads and the unclaimed ones waiting in their shared
queue (their pools', or theirs as a rule set's fallback rep). Nothing else."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from reps.models import Rep
from routing.models import Assignment, Lead
from routing.notifications.messages import PASSED_OVER

# Leads still being worked: shown in "My leads". Closed ones (converted, disqualified)
# stay reachable by their page but leave the list.
WORKING_STATUSES = (
    Lead.Status.ASSIGNED,
    Lead.Status.ESCALATED,
    Lead.Status.ACKNOWLEDGED,
    Lead.Status.CONTACTED,
    Lead.Status.QUALIFIED,
)


def rep_visible_leads(*, rep: Rep) -> QuerySet[Lead]:
    """The rep's own leads (they own them now) and the unclaimed leads they may claim."""
    return Lead.objects.filter(Q(owner=rep) | Lead.claimable_by(rep)).distinct()


def rep_readable_leads(*, rep: Rep) -> QuerySet[Lead]:
    """What the rep may open but not act on, besides their visible leads: the leads of
    their named accounts they were told went to someone else."""
    told = Q(notifications__rep=rep, notifications__kind=PASSED_OVER)
    return Lead.objects.filter(Q(owner=rep) | Lead.claimable_by(rep) | told).distinct()


def rep_working_leads(*, rep: Rep) -> QuerySet[Lead]:
    """The rep's leads being worked, the most urgent (earliest deadline) first."""
    open_assignments = Assignment.objects.filter(ended_at__isnull=True)
    return (
        Lead.objects.filter(owner=rep, status__in=WORKING_STATUSES)
        .prefetch_related(Prefetch("assignments", open_assignments, to_attr="open_assignments"))
        .order_by("acknowledged_at", "created_at")
    )


def rep_shared_queue(*, rep: Rep) -> QuerySet[Lead]:
    """Unclaimed leads the rep may claim, oldest first."""
    return Lead.objects.filter(Lead.claimable_by(rep)).distinct().order_by("created_at")
