"""Who is told, and where: a rep's channels and the event subscribers, as plain data.

Both are kept in the routing snapshot (they change when reps or subscriptions change,
which moves the routing version), so writing the outbox for a new assignment reads
nothing from the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from reps.models import Rep
from routing.models import Notification, WebhookSubscription
from routing.validators import is_webhook_address

Channel = Notification.Channel


@dataclass(frozen=True, slots=True)
class Contact:
    rep_id: int
    is_agent: bool
    # (channel, destination) in sending order: Slack and the webhook before e-mail.
    channels: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    url: str
    events: frozenset[str]  # empty: every event

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events


def contact_of(rep: Rep) -> Contact:
    channels: list[tuple[str, str]] = []
    if rep.slack_webhook_url:
        channels.append((Channel.SLACK, rep.slack_webhook_url))
    if rep.webhook_url:
        channels.append((Channel.WEBHOOK, rep.webhook_url))
    if rep.notify_email and rep.kind == Rep.Kind.HUMAN:
        channels.append((Channel.EMAIL, rep.email))
    return Contact(rep.id, rep.kind == Rep.Kind.AGENT, tuple(channels))


def active_subscribers() -> tuple[Subscriber, ...]:
    return tuple(
        Subscriber(subscription.id, subscription.url, frozenset(subscription.events))
        for subscription in WebhookSubscription.objects.filter(is_active=True).order_by("id")
    )


def manager_channel(address: str) -> str:
    """How a manager's address of a rule set is reached: a team channel's Slack webhook,
    or e-mail."""
    return Channel.SLACK if is_webhook_address(address) else Channel.EMAIL
