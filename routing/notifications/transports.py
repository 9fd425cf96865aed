"""Delivering one outbox row on its channel: the message made for it, sent by the
channel's transport. Claiming, retrying and recording are routing.services.delivery's."""

from __future__ import annotations

from routing.models import Notification

from .base import Transport
from .email import EmailTransport
from .messages import message_for
from .slack import SlackTransport
from .webhook import WebhookTransport

TRANSPORTS: dict[str, Transport] = {
    Notification.Channel.SLACK: SlackTransport(),
    Notification.Channel.EMAIL: EmailTransport(),
    Notification.Channel.WEBHOOK: WebhookTransport(),
}


def notification_deliver(notification: Notification) -> int | None:
    """Send the row's message; the receiver's HTTP status (None for e-mail). Raises
    TransportError when it was not delivered."""
    return TRANSPORTS[notification.channel].send(notification, message_for(notification))
