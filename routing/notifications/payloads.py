"""The JSON a webhook receives: the event, the lead and its current assignment.

Fixed when the outbox row is written, so a delivery retried an hour later still says
what was true when the event happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from routing.lead_fields import SUBMITTED_FIELDS, Kind
from routing.models import Assignment, Lead

# What the lead said, as it is stored; amounts (decimals) as JSON numbers.
SHOWN_FIELDS = tuple(field.name for field in SUBMITTED_FIELDS if field.kind is not Kind.MONEY)
MONEY_FIELDS = tuple(field.name for field in SUBMITTED_FIELDS if field.kind is Kind.MONEY)


class OwnerLike(Protocol):
    id: int
    name: str
    email: str
    kind: str


def event_body(
    event: str,
    *,
    lead: Lead | Mapping[str, Any],
    at: datetime,
    assignment: Assignment | None = None,
    owner: OwnerLike | None = None,
    **details: Any,
) -> dict[str, Any]:
    """`details` are the event's own facts (the outcome, who it escalated from, ...).
    `lead`: the row, or its field values by name (an import's, not read back)."""
    value = lead.get if isinstance(lead, Mapping) else partial(getattr, lead)
    data: dict[str, Any] = {
        "lead": {
            "id": value("id"),
            "status": value("status"),
            **{name: value(name) for name in SHOWN_FIELDS},
            **{name: _number(value(name)) for name in MONEY_FIELDS},
            "created_at": _iso(value("created_at")),
            # What an AI agent learned before handing the lead to people.
            "handoff_note": value("handoff_note") or "",
        },
        "assignment": _assignment(assignment, owner) if assignment else None,
    }
    data.update(details)
    return {"type": event, "timestamp": _iso(at), "data": data}


def _assignment(assignment: Assignment, owner: OwnerLike | None) -> dict[str, Any]:
    return {
        "id": assignment.pk,
        "owner": (
            {"id": owner.id, "name": owner.name, "email": owner.email, "kind": owner.kind}
            if owner
            else {"id": assignment.rep_id}
        ),
        "reason": assignment.reason,
        "assigned_at": _iso(assignment.assigned_at),
        "ack_due_at": _iso(assignment.ack_due_at),
        "acknowledged_at": _iso(assignment.acknowledged_at),
    }


def _number(amount: Any) -> float | None:
    return float(amount) if amount else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
