"""A Slack incoming webhook: a Block Kit message with an Acknowledge button.

The button is a link: Slack opens the signed acknowledgment page, whose button
acknowledges (no Slack app or interactivity endpoint needed).
"""

from __future__ import annotations

import json
from typing import Any

from routing.models import Notification

from .base import post
from .message import MessageItem
from .messages import DIGEST, Message


class SlackTransport:
    def send(self, notification: Notification, message: Message) -> int | None:
        body = json.dumps(slack_blocks(message), ensure_ascii=False).encode()
        return post(notification.destination, content=body, headers={})


def slack_blocks(message: Message) -> dict[str, Any]:
    facts = [f"*{label}*\n{value}" for label, value in message.facts if value]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _escaped_within(message.headline, 150)},
        },
    ]
    if facts:
        blocks.append(
            {
                "type": "section",
                "fields": [{"type": "mrkdwn", "text": _escape(text)} for text in facts[:10]],
            }
        )
    if message.handoff_note:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _handoff_text(message.handoff_note)},
            }
        )
    if message.note:  # what happened to the lead, for those who no longer have it
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": _escaped_within(message.note, SECTION_TEXT_LIMIT),
                },
            }
        )
    if message.why:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _escape(message.why)}})
    if message.deadline_text:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": _escape(message.deadline_text)}],
            }
        )
    blocks += [_item_block(item) for item in message.items]
    if message.kind == DIGEST or message.items:  # many leads: the way to all of them
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": message.link_text},
                        "url": message.lead_url,
                    }
                ],
            }
        )
    if message.ack_url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "style": "primary",
                        "text": {"type": "plain_text", "text": "Acknowledge"},
                        "url": message.ack_url,
                    }
                ],
            }
        )
    return {"text": _escape(message.summary), "blocks": blocks}


def _item_block(item: MessageItem) -> dict[str, Any]:
    """One lead of a message about many: its line, linked, and its acknowledge link."""
    links = [
        f"<{url}|{label}>"
        for url, label in ((item.url, "Open"), (item.ack_url, "Acknowledge"))
        if url
    ]
    text = _escaped_within(item.text, SECTION_TEXT_LIMIT - 400)
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": " · ".join([text, *links])},
    }


HANDOFF_HEADING = "*Note from the AI agent*\n"
SECTION_TEXT_LIMIT = 3000  # Slack refuses a section whose text is longer


def _handoff_text(note: str) -> str:
    return HANDOFF_HEADING + _escaped_within(note, SECTION_TEXT_LIMIT - len(HANDOFF_HEADING))


def _escaped_within(text: str, limit: int) -> str:
    """Escaped, cut to `limit` characters without cutting an entity in half."""
    while len(escaped := _escape(text)) > limit:
        text = text[: len(text) - (len(escaped) - limit)]
    return escaped


def _escape(text: str) -> str:
    # Slack treats these three as control characters in every text it shows (mrkdwn,
    # plain text and the notification text): "<!channel>" or "<https://x|Click>" in a
    # lead's name would ping a channel or forge a link.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
