"""A lead's timeline as a rep reads it: one sentence per event ("Assigned to Nate Brooks by
rule ‘Enterprise EMEA’", "Escalated: Ana did not acknowledge within 15 min"), times in
the current time zone (the rep's, inside `in_rep_time`).

Built from the event log (`LeadEvent`): its kind, its data, and the assignment it
belongs to, read with the events (`timeline_events`) so the page costs one query however
long the lead's life.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from routing.models import Assignment, Lead, LeadEvent, Notification


@dataclass(frozen=True, slots=True)
class TimelineLine:
    at: datetime
    text: str
    detail: str = ""  # a second line: the rep's note, the deadline set


def timeline_events(lead: Lead) -> QuerySet[LeadEvent]:
    return lead.events.select_related("actor_user", "assignment__rep").order_by("at", "id")


def timeline_lines(events: Iterable[LeadEvent]) -> list[TimelineLine]:
    return [_line(event) for event in events]


def _line(event: LeadEvent) -> TimelineLine:
    data = event.data if isinstance(event.data, dict) else {}
    words = _WORDS.get(event.kind)
    text, detail = words(event, data) if words else (event.get_kind_display(), "")
    return TimelineLine(at=event.at, text=text, detail=detail)


def _owner(event: LeadEvent) -> str:
    assignment = event.assignment
    return assignment.rep.name if assignment is not None else "the owner"


def _submitted(event: LeadEvent, data: dict[str, Any]) -> tuple[str, str]:
    return (f"Submitted via {event.actor}" if event.actor else "Submitted"), ""


def _resubmitted(event: LeadEvent, data: dict[str, Any]) -> tuple[str, str]:
    return "Submitted again: joined this open lead as a duplicate", ""


def _routed(event: LeadEvent, data: dict[str, Any]) -> tuple[str, str]:
    rep = _owner(event)
    reason = event.assignment.reason if event.assignment is not None else ""
    if reason == Assignment.Reason.ESCALATED:
        text = f"Escalated to {rep}"
    elif reason == Assignment.Reason.HANDOFF:
        text = f"Handed to {rep} by the AI agent's hand-off"
    elif reason == Assignment.Reason.MANUAL:
        text = f"Reassigned to {rep} by {_actor(event)}"
    elif data.get("error"):
        text = f"Assigned to {rep} by the fallback: routing hit an error"
    elif data.get("rule") in (None, "", "fallback"):
        text = f"Assigned to {rep} by the rule set's fallback (no rule took it)"
    else:
        text = f"Assigned to {rep} by rule ‘{data['rule']}’"
    due = _moment(data.get("ack_due_at"))
    return text, f"To acknowledge by {_clock(due, day_of=event.at)}" if due else ""


def _notified(event: LeadEvent, data: dict[str, Any]) -> tuple[str, str]:
    channel = data.get("channel", "")
    by = Notification.Channel(channel).label if channel in Notification.Channel.values else ""
    return f"{_owner(event)} told by {by}" if by else f"{_owner(event)} told", ""


def _acknowledged(event: LeadEvent, data: dict[str, Any]) -> tuple[str, str]:
    text = f"Acknowledged by {_owner(event)}"
    via = _ACKNOWLEDGED_VIA.get(str(data.get("via", "")))
    if via:
        text = f"{text} {via}"
    had_deadline = event.assignment is not None and event.assignment.ack_due_at is not None
    if not had_deadline or "within_sla" not in data:
        return text, ""
    return text, "Within the deadline" if data["within_sla"] else "After the deadline"


_ACKNOWLEDGED_VIA = {
    "queue": "in the queue",
    "link": "with the link in the message",
    "api": "through the API",
    "outcome": "by recording an outcome",
    "agent webhook": "as the AI agent took the lead",
}


def _escalated(event: LeadEvent, data: dict[str, Any]) -> tuple[str, str]:
    assignment = event.assignment
    due = _moment(data.get("ack_due_at"))
    if assignment is not None and due is not None:
        within = _span(due - assignment.assigned_at)
        text = f"Escalated: {assignment.rep.name} did not acknowledge within {within}"
    else:
        text = "Escalated: not acknowledged in time"
    return text, "The last escalation" if data.get("last") else ""


def _unclaimed(event: LeadEvent, data: dict[str, Any]) -> tuple[str, str]:
    reason = str(data.get("reason", ""))
    return "Waiting in the shared queue", f"{reason[:1].upper()}{reason[1:]}" if reason else ""


def _claimed(event: LeadEvent, data: dict[str, Any]) -> tuple[str, str]:
    return f"Claimed by {_owner(event)} from the shared queue", ""


def _handed_off(event: LeadEvent, data: dict[str, Any]) -> tuple[str, str]:
    return f"Handed off to people by {event.actor or 'the AI agent'}", str(data.get("note", ""))


def _outcome(event: LeadEvent, data: dict[str, Any]) -> tuple[str, str]:
    outcome = str(data.get("outcome", ""))
    label = Lead.Status(outcome).label if outcome in Lead.Status.values else outcome
    return f"Outcome: {label.lower()}, recorded by {_actor(event)}", str(data.get("note", ""))


def _edited(event: LeadEvent, data: dict[str, Any]) -> tuple[str, str]:
    return f"Edited by {_actor(event)}", ""


def _actor(event: LeadEvent) -> str:
    user = event.actor_user
    if user is not None:
        return user.get_full_name() or user.get_username()
    return event.actor or "the system"


_WORDS: dict[str, Callable[[LeadEvent, dict[str, Any]], tuple[str, str]]] = {
    LeadEvent.Kind.SUBMITTED: _submitted,
    LeadEvent.Kind.RESUBMITTED: _resubmitted,
    LeadEvent.Kind.ROUTED: _routed,
    LeadEvent.Kind.NOTIFIED: _notified,
    LeadEvent.Kind.ACKNOWLEDGED: _acknowledged,
    LeadEvent.Kind.ESCALATED: _escalated,
    LeadEvent.Kind.UNCLAIMED: _unclaimed,
    LeadEvent.Kind.CLAIMED: _claimed,
    LeadEvent.Kind.HANDED_OFF: _handed_off,
    LeadEvent.Kind.OUTCOME: _outcome,
    LeadEvent.Kind.EDITED: _edited,
}


def _moment(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def _clock(moment: datetime, *, day_of: datetime) -> str:
    """A time of day in the current zone, with its day when not the day of `day_of`."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localtime(day_of).date():
        return f"{local:%H:%M}"
    return f"{local:%b} {local.day}, {local:%H:%M}"


def _span(length: timedelta) -> str:
    """15 min, 1 h 30 min, 45 s: a deadline's length in words."""
    seconds = max(0, round(length.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    if not hours and not minutes:
        parts.append(f"{seconds} s")
    return " ".join(part for part in parts if part)
