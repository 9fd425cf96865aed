"""Signed JSON to a rep's, an agent's or a subscriber's URL (Standard Webhooks). A rep's
(or an agent's) message also carries `links`: the signed acknowledge link ("" when there
is nothing to acknowledge) and the lead's page.

Headers `webhook-id` (the same on every retry of one message, so a receiver can drop
repeats), `webhook-timestamp` and `webhook-signature` (HMAC-SHA256 over
"id.timestamp.body" with the endpoint's secret). Receivers verify with any Standard
Webhooks library.
"""

from __future__ import annotations

import json

from django.utils import timezone
from standardwebhooks import Webhook

from routing.models import Notification

from .base import post
from .messages import Message


class WebhookTransport:
    def send(self, notification: Notification, message: Message) -> int | None:
        secret = (
            notification.subscription.secret
            if notification.subscription_id
            else notification.rep.webhook_secret
        )
        # A digest's body is read when it is sent, like its message.
        payload = notification.payload if message.body is None else message.body
        if not notification.subscription_id:
            # A rep's own endpoint (often bridged to SMS or a chat tool) gets the links
            # their Slack and e-mail messages carry.
            payload = {
                **payload,
                "links": {"acknowledge": message.ack_url, "lead": message.lead_url},
            }
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        message_id = f"msg_{notification.pk}"
        now = timezone.now()
        signature = Webhook(secret).sign(message_id, now, body)
        headers = {
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        }
        return post(notification.destination, content=body.encode(), headers=headers)
