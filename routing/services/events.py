"""Recording a moment of a lead's life: the event row, and the outbox rows for the
systems subscribed to it. Called inside the transaction that made the change."""

from __future__ import annotations

from typing import Any

from routing.db.rows import row_insert
from routing.models import Assignment, Lead, LeadEvent, Notification
from routing.notifications.contacts import Subscriber
from routing.notifications.outbox import outbox_publish, outbox_write
from routing.notifications.payloads import OwnerLike, event_body


def lead_event_record(
    *,
    lead: Lead,
    kind: str,
    publish_as: str,
    subscribers: tuple[Subscriber, ...],
    assignment: Assignment | None = None,
    owner: OwnerLike | None = None,
    actor: str = "system",
    actor_user: Any = None,
    data: dict[str, Any] | None = None,
) -> tuple[LeadEvent, list[Notification]]:
    """The event, and its deliveries as `publish_as` (e.g. "lead.acknowledged") to the
    `subscribers` who want it, not yet stored: the caller writes all its outbox rows at
    once (`lead_event_publish` when the event is all it has to tell)."""
    event = LeadEvent(
        lead=lead,
        kind=kind,
        actor=actor,
        actor_user=actor_user,
        assignment=assignment,
        data=data or {},
    )
    row_insert(event)
    if not subscribers:
        return event, []
    body = event_body(
        publish_as, lead=lead, at=event.at, assignment=assignment, owner=owner, **(data or {})
    )
    return event, outbox_publish(subscribers=subscribers, event=event, name=publish_as, body=body)


def lead_event_publish(**event: Any) -> LeadEvent:
    """`lead_event_record`, with its deliveries written to the outbox at once."""
    recorded, deliveries = lead_event_record(**event)
    outbox_write(deliveries)
    return recorded
