"""A message as every channel renders it: what a person is told, independent of the
channel (routing.notifications.messages and .escalation_digest make them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from routing.models import Lead


@dataclass(frozen=True)
class MessageItem:
    """One lead of a message about many: a line, and its links ("" when it has none)."""

    text: str
    url: str = ""
    ack_url: str = ""


@dataclass(frozen=True)
class Message:
    kind: str
    headline: str
    summary: str  # the e-mail subject; Slack's notification text
    facts: tuple[tuple[str, str], ...]
    why: str
    deadline_text: str
    note: str
    ack_url: str
    lead_url: str
    handoff_note: str = ""  # what the AI agent wrote when it handed the lead to people
    link_text: str = "Open the lead in your queue"
    # A message about many leads: one line each (the first few; the note counts them all).
    items: tuple[MessageItem, ...] = ()
    # What a webhook receives when it is built at sending time (a digest); None: the
    # body fixed when the row was written.
    body: dict[str, Any] | None = None


def lead_title(lead: Lead) -> str:
    name = f"{lead.first_name} {lead.last_name}".strip() or lead.email
    return f"{name} ({lead.company})" if lead.company else name


def local_time(at: datetime, zone_name: str) -> str:
    """A time as a person reads it in their zone, the zone named: "14:05 America/Chicago
    (Mon 07 Dec)"."""
    zone = ZoneInfo(zone_name)
    local = at.astimezone(zone)
    return f"{local:%H:%M} {zone.key} ({local:%a %d %b})"
