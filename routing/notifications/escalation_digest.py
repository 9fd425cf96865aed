"""Escalation digests: one message per destination and window instead of one per lead.

routing.services.escalation_messages decides who hears of an escalation at once and
whose escalations wait for a digest; a digest row carries only its window. What it says
is read when it is sent, as every message is: the escalations of its window for its
destination, less those that destination was told of one by one. The admin's lead list
filters on the same reading (`digest_lead_ids`), so its link shows exactly those leads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from routing.links import acknowledge_url
from routing.models import Assignment, Lead, Notification, RuleSet

from .message import Message, MessageItem, lead_title, local_time

MANAGER_DIGEST = "manager.digest"  # to a rule set's managers: leads not acknowledged in time
REP_DIGEST = "escalation.digest"  # to a rep: leads escalated to them, and leads they lost
DIGEST_KINDS = (MANAGER_DIGEST, REP_DIGEST)
# The messages of one lead that a digest stands in for, by the digest's kind.
TOLD_ONE_BY_ONE = {
    MANAGER_DIGEST: ("manager.escalated", "manager.unclaimed"),
    REP_DIGEST: ("lead.escalated", "lead.expired"),
}
LISTED = 10  # leads a digest names; the rest are counted
BODY_LISTED = 50  # leads a rep's webhook digest lists


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime

    def payload(self, kind: str) -> dict[str, Any]:
        """What a digest row stores: its kind and window."""
        return {
            "type": kind,
            "window": {"since": self.since.isoformat(), "until": self.until.isoformat()},
        }


def window_of(payload: dict[str, Any]) -> Window:
    """The window a digest row's payload names."""
    window = payload["window"]
    return Window(datetime.fromisoformat(window["since"]), datetime.fromisoformat(window["until"]))


# ---------------------------------------------------------------------------- reading


def _told_one_by_one(notification: Notification, window: Window) -> QuerySet[Notification]:
    """The assignments this destination heard of one by one in the window."""
    return Notification.objects.filter(
        destination=notification.destination,
        kind__in=TOLD_ONE_BY_ONE[notification.kind],
        created_at__gte=window.since,
        created_at__lt=window.until,
        assignment_id__isnull=False,
    ).values("assignment_id")


def manager_digest_escalations(notification: Notification) -> QuerySet[Assignment]:
    """One expired assignment per escalation a manager's digest tells of: those of the
    window, of leads whose rule set names the digest's address."""
    window = window_of(notification.payload)
    rulesets = [
        pk
        for pk, addresses in RuleSet.objects.values_list("pk", "notify_on_escalation")
        if notification.destination in (addresses or [])
    ]
    return (
        Assignment.objects.filter(
            end_reason=Assignment.EndReason.EXPIRED,
            ended_at__gte=window.since,
            ended_at__lt=window.until,
            lead__ruleset_id__in=rulesets,
        )
        .exclude(pk__in=_told_one_by_one(notification, window))
        .select_related("rep", "lead__owner")
        .order_by("ended_at", "id")
    )


def rep_digest_assignments(
    notification: Notification,
) -> tuple[QuerySet[Assignment], QuerySet[Assignment]]:
    """A rep's digest: the leads escalated to them in its window, and those they lost."""
    window = window_of(notification.payload)
    told = _told_one_by_one(notification, window)
    mine = Assignment.objects.filter(rep_id=notification.rep_id).exclude(pk__in=told)
    got = mine.filter(
        reason=Assignment.Reason.ESCALATED,
        assigned_at__gte=window.since,
        assigned_at__lt=window.until,
    )
    lost = mine.filter(
        end_reason=Assignment.EndReason.EXPIRED,
        ended_at__gte=window.since,
        ended_at__lt=window.until,
    )
    return (
        got.select_related("lead").order_by("assigned_at", "id"),
        lost.select_related("lead__owner").order_by("ended_at", "id"),
    )


def digest_lead_ids(notification: Notification) -> QuerySet[Assignment]:
    """The leads a digest tells of, as a subquery of lead ids."""
    if notification.kind == MANAGER_DIGEST:
        return manager_digest_escalations(notification).values("lead_id")
    got, lost = rep_digest_assignments(notification)
    return (got | lost).values("lead_id")


# ---------------------------------------------------------------------------- the message


def escalation_digest_message(notification: Notification) -> Message:
    if notification.kind == MANAGER_DIGEST:
        return _manager_message(notification)
    return _rep_message(notification)


def _manager_message(notification: Notification) -> Message:
    escalations = manager_digest_escalations(notification)
    window = window_of(notification.payload)
    count = escalations.count()
    unclaimed = (
        escalations.filter(lead__status=Lead.Status.UNCLAIMED).values("lead_id").distinct().count()
    )
    listed = list(escalations[:LISTED])
    headline = f"{count} more lead{_s(count)} not acknowledged in time"
    zone = settings.TIME_ZONE
    note = (
        f"From {local_time(window.since, zone)} to {local_time(window.until, zone)}: "
        f"{count} escalation{_s(count)}"
        + (f"; {unclaimed} of the leads now wait unclaimed" if unclaimed else "")
        + "."
        + (f" The first {len(listed)} are below." if count > len(listed) else "")
    )
    items = tuple(
        MessageItem(
            text=f"{lead_title(expired.lead)}: {expired.rep.name} did not acknowledge it by "
            f"{local_time(expired.ack_due_at, expired.rep.timezone)}; {_where_now(expired.lead)}",
            url=_admin_lead_url(expired.lead_id),
        )
        for expired in listed
    )
    return Message(
        kind=notification.kind,
        headline=headline,
        summary=headline,
        facts=(),
        why="",
        deadline_text="",
        note=note,
        ack_url="",
        lead_url=_admin_list_url(notification),
        link_text="Open these leads in the admin",
        items=items,
    )


def _rep_message(notification: Notification) -> Message:
    got, lost = rep_digest_assignments(notification)
    assert notification.rep is not None, "a rep's digest names the rep"
    zone = notification.rep.timezone
    got_count, lost_count = got.count(), lost.count()
    parts = []
    if got_count:
        parts.append(f"{got_count} lead{_s(got_count)} escalated to you")
    if lost_count:
        parts.append(f"{lost_count} lead{_s(lost_count)} moved on from you")
    headline = " and ".join(parts) or "No escalations left to tell of"
    got_listed = list(got[:LISTED])
    lost_listed = list(lost[: max(LISTED - len(got_listed), 0)])
    items = tuple(_got_item(assignment, zone) for assignment in got_listed) + tuple(
        MessageItem(
            f"{lead_title(assignment.lead)}: not acknowledged by "
            f"{local_time(assignment.ack_due_at, zone)}; moved on"
        )
        for assignment in lost_listed
    )
    first_due = min(
        (assignment.ack_due_at for assignment in got_listed if _waits_for_ack(assignment)),
        default=None,
    )
    deadline_text = f"The first is due by {local_time(first_due, zone)}." if first_due else ""
    more = len(items) < got_count + lost_count
    return Message(
        kind=notification.kind,
        headline=headline,
        summary=f"{headline}. {deadline_text}" if deadline_text else headline,
        facts=(),
        why="",
        deadline_text=deadline_text,
        note=f"The first {len(items)} are below." if more else "",
        ack_url="",
        lead_url=settings.LEADROUTER["SITE_URL"] + reverse("queue:home"),
        link_text="Open your queue",
        items=items,
        body=_rep_body(notification, got, lost),
    )


def _waits_for_ack(assignment: Assignment) -> bool:
    return (
        assignment.ended_at is None
        and assignment.acknowledged_at is None
        and assignment.ack_due_at is not None
    )


def _got_item(assignment: Assignment, zone: str) -> MessageItem:
    """A lead escalated to the rep: its deadline and acknowledge link while it waits for
    them, else what became of it."""
    title = lead_title(assignment.lead)
    url = _queue_lead_url(assignment.lead_id)
    if _waits_for_ack(assignment):
        assert assignment.ack_due_at is not None
        due = local_time(assignment.ack_due_at, zone)
        return MessageItem(f"{title}: acknowledge by {due}", url, acknowledge_url(assignment))
    state = "acknowledged" if assignment.acknowledged_at else "no longer yours"
    return MessageItem(f"{title}: escalated to you, {state}", url)


def _rep_body(
    notification: Notification, got: QuerySet[Assignment], lost: QuerySet[Assignment]
) -> dict[str, Any]:
    """What a rep's webhook receives: the window's leads, each with its links."""
    window = window_of(notification.payload)
    return {
        "type": REP_DIGEST,
        "timestamp": timezone.now().isoformat(),
        "data": {
            "rep": notification.rep_id,
            "window": {"since": window.since.isoformat(), "until": window.until.isoformat()},
            "escalated_leads": got.count(),
            "lost_leads": lost.count(),
            "escalated": [
                {
                    "lead": assignment.lead_id,
                    "assignment": assignment.pk,
                    "ack_due_at": _iso(assignment.ack_due_at),
                    "links": {
                        "acknowledge": acknowledge_url(assignment)
                        if _waits_for_ack(assignment)
                        else "",
                        "lead": _queue_lead_url(assignment.lead_id),
                    },
                }
                for assignment in got[:BODY_LISTED]
            ],
            "lost": [
                {"lead": assignment.lead_id, "ack_due_at": _iso(assignment.ack_due_at)}
                for assignment in lost[:BODY_LISTED]
            ],
        },
    }


def _where_now(lead: Lead) -> str:
    if lead.status == Lead.Status.UNCLAIMED:
        return "nobody has it now"
    return f"now with {lead.owner.name}" if lead.owner else "nobody has it now"


def _admin_lead_url(lead_id: int) -> str:
    return settings.LEADROUTER["SITE_URL"] + reverse("admin:routing_lead_change", args=[lead_id])


def _admin_list_url(notification: Notification) -> str:
    path = reverse("admin:routing_lead_changelist")
    return f"{settings.LEADROUTER['SITE_URL']}{path}?{DIGEST_FILTER}={notification.pk}"


def _queue_lead_url(lead_id: int) -> str:
    return settings.LEADROUTER["SITE_URL"] + reverse("queue:lead", args=[lead_id])


DIGEST_FILTER = "digest"  # the admin lead list's parameter: the leads of this digest


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
