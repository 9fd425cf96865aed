"""What a person is told, independent of the channel: headline, facts, why, deadline
and the acknowledge link. Built when the message is sent, from the rows as they are."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse

from routing.engine import duration_words
from routing.explain import why_text
from routing.lead_fields import Shown, facts_shown
from routing.links import acknowledge_url
from routing.models import Assignment, Lead, Notification

from .escalation_digest import DIGEST_KINDS, escalation_digest_message
from .message import Message, lead_title, local_time

HEADLINES = {
    "lead.assigned": "New lead: {who}",
    "lead.escalated": "Escalated to you: {who}",
    "lead.expired": "Moved on: {who}",
    "lead.moved": "Moved on: {who}",
    "lead.reassigned": "Moved on: {who}",
    "lead.returned": "Back again: {who}",
    "lead.reminder": "{left} left to acknowledge: {who}",
    "manager.escalated": "Not acknowledged in time: {who}",
    "manager.unclaimed": "Nobody took this lead: {who}",
    "owner.bypassed": "Your account's lead went to someone else: {who}",
}
# To a named account's owner a rule routed the lead to, passed over while away or at
# capacity: where it went and why.
PASSED_OVER = "owner.bypassed"
DIGEST = "import.digest"  # many leads of an imported list, one message per rep
MANAGER_KINDS = {"manager.escalated", "manager.unclaimed"}
# Kinds that ask the rep to act, with a deadline and an acknowledge button.
ACTIONABLE = {"lead.assigned", "lead.escalated", "lead.reminder"}
# Kinds whose reader works the lead: they need what the AI agent learned before it.
TOLD_OF_HANDOFF = ACTIONABLE | {"lead.returned"}


def message_for(notification: Notification) -> Message:
    if notification.kind == DIGEST:
        return _digest_message(notification)
    if notification.kind in DIGEST_KINDS:
        return escalation_digest_message(notification)
    lead = notification.lead
    assert lead is not None, "every message but a digest is about one lead"
    assignment = notification.assignment
    kind = notification.kind
    who = lead_title(lead)
    headline = HEADLINES.get(kind, "{who}").format(who=who, left=_left(assignment))
    zone = ZoneInfo(notification.rep.timezone) if notification.rep else ZoneInfo("UTC")
    deadline_text = ""
    ack_url = ""
    why = ""
    if kind in ACTIONABLE and assignment is not None:
        why = why_text(assignment.decision)
        if assignment.ack_due_at:
            due = assignment.ack_due_at.astimezone(zone)
            deadline_text = f"Acknowledge by {due:%H:%M} {zone.key} ({due:%a %d %b})."
        ack_url = acknowledge_url(assignment)
    summary = headline if not deadline_text else f"{headline}. {deadline_text}"
    for_manager = kind in MANAGER_KINDS  # a manager works from the admin, not a rep queue
    return Message(
        kind=kind,
        headline=headline,
        summary=summary,
        facts=lead_facts_shown(lead),
        why=why,
        deadline_text=deadline_text,
        note=_note(notification),
        handoff_note=lead.handoff_note if kind in TOLD_OF_HANDOFF else "",
        ack_url=ack_url,
        lead_url=settings.LEADROUTER["SITE_URL"]
        + reverse("admin:routing_lead_change" if for_manager else "queue:lead", args=[lead.pk]),
        link_text="Open the lead in the admin" if for_manager else Message.link_text,
    )


def _left(assignment: Assignment | None) -> str:
    """How long the owner had left when reminded (fixed then, so a retried message says
    the same), as people say it: to the minute, or in seconds under a minute."""
    if assignment is None or assignment.ack_due_at is None or assignment.reminded_at is None:
        return "Little time"
    seconds = (assignment.ack_due_at - assignment.reminded_at).total_seconds()
    seconds = round(seconds / 60) * 60 if seconds >= 60 else round(seconds)
    return duration_words(timedelta(seconds=seconds)).capitalize()


def lead_facts_shown(lead: Lead) -> tuple[tuple[str, str], ...]:
    return tuple((fact.label, fact.text) for fact in facts_shown(lead, Shown.NOTIFICATION))


def _note(notification: Notification) -> str:
    kind = notification.kind
    if kind == "lead.expired":
        return "You did not acknowledge this lead in time. " + _current_owner(notification.lead)
    if kind == "lead.reminder":
        return (
            "This lead is still waiting for you. Acknowledge it before the deadline, or it "
            "moves on without you."
        )
    if kind == "lead.returned":
        return "This lead submitted a form again; it is still yours."
    if kind == "lead.moved":
        return "This lead came back with higher intent and was routed again. " + _current_owner(
            notification.lead
        )
    if kind == "lead.reassigned":
        return "A manager took this lead off your list. " + _current_owner(notification.lead)
    if kind == PASSED_OVER:
        return _passed_over_note(notification)
    if kind == "manager.escalated":
        lead = notification.lead
        return (
            f"Escalation {lead.escalation_count} for this lead: "
            + _who_missed(notification.assignment)
            + " "
            + _current_owner(lead)
        )
    if kind == "manager.unclaimed":
        lead = notification.lead
        missed = (
            lead.assignments.filter(end_reason=Assignment.EndReason.EXPIRED)
            .select_related("rep")
            .order_by("-ended_at", "-id")
            .first()
        )
        what = f"{_who_missed(missed)} Nobody else took it." if missed else "Nobody could take it."
        return f"{what} {_current_owner(lead)} Claim it there, or reassign it in the admin."
    return ""


def _passed_over_note(notification: Notification) -> str:
    """Why the lead did not come to the account's owner, in the words of the decision's
    trace (the step that skipped them), and who has it now."""
    assignment = notification.assignment
    steps = assignment.decision.steps if assignment and assignment.decision else []
    account = next((step.get("account") for step in steps if step.get("step") == "account"), "")
    reason = next(
        (
            step.get("reason")
            for step in steps
            if step.get("step") == "skip" and step.get("rep_id") == notification.rep_id
        ),
        "",
    )
    opening = f"{account} is your named account, but this lead" if account else "This lead"
    why = f" ({reason})" if reason else ""
    return f"{opening} did not come to you{why}. {_current_owner(notification.lead)}"


def _who_missed(assignment: Assignment | None) -> str:
    """Who let the lead expire, and the deadline they missed (in their time zone)."""
    if assignment is None or assignment.ack_due_at is None:
        return "its owner did not acknowledge it in time."
    due = local_time(assignment.ack_due_at, assignment.rep.timezone)
    return f"{assignment.rep.name} did not acknowledge it by {due}."


def _current_owner(lead: Lead) -> str:
    """Where the lead is now, as it is when the message is sent."""
    if lead.status == Lead.Status.UNCLAIMED:
        waiting_for = lead.waiting_for()
        if not waiting_for:
            return "Nobody has it now, and it waits in no shared queue."
        return f"Nobody has it now: it waits in the shared queue of {', '.join(waiting_for)}."
    return f"It is now with {lead.owner.name}." if lead.owner else ""


DIGEST_LISTED = 10  # leads named in a digest; the rest are counted


def _digest_message(notification: Notification) -> Message:
    """An imported list's leads for one rep: how many are theirs now, the first to
    acknowledge with their deadlines, and the way to their queue."""
    lead_import = notification.lead_import
    assert lead_import is not None and notification.rep is not None
    zone = ZoneInfo(notification.rep.timezone)
    waiting = (
        Assignment.objects.filter(
            rep=notification.rep,
            lead__lead_import=lead_import,
            ended_at__isnull=True,
        )
        .select_related("lead")
        .order_by("ack_due_at", "id")
    )
    count = waiting.count()
    facts = tuple(
        (_due(assignment, zone), lead_title(assignment.lead))
        for assignment in waiting[:DIGEST_LISTED]
    )
    returned = notification.payload.get("data", {}).get("returned_leads", 0)
    first_due = waiting.filter(acknowledged_at__isnull=True).values_list("ack_due_at", flat=True)
    deadline_text = ""
    if (due := first_due.first()) is not None:
        local = due.astimezone(zone)
        deadline_text = f"The first is due by {local:%H:%M} {zone.key} ({local:%a %d %b})."
    headline = f"{count} new lead{'s' if count != 1 else ''} from {lead_import.name}"
    if not count and returned:
        headline = f"{returned} of your leads came back in {lead_import.name}"
    notes = []
    if count > len(facts):
        notes.append(f"The first {len(facts)} are below; all {count} are in your queue.")
    if returned and count:
        notes.append(f"{returned} of your open leads came back in this list.")
    return Message(
        kind=DIGEST,
        headline=headline,
        summary=f"{headline}. {deadline_text}".strip(),
        facts=facts,
        why="",
        deadline_text=deadline_text,
        note=" ".join(notes),
        ack_url="",
        lead_url=settings.LEADROUTER["SITE_URL"] + reverse("queue:home"),
        link_text="Open your queue",
    )


def _due(assignment: Assignment, zone: ZoneInfo) -> str:
    if assignment.acknowledged_at is not None:
        return "acknowledged"
    if assignment.ack_due_at is None:
        return "no deadline"
    return f"due {assignment.ack_due_at.astimezone(zone):%H:%M}"
