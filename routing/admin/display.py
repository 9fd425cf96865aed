"""Showing stored JSON to people: payloads, decision steps, event data. Everything escaped."""

from __future__ import annotations

import json
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# Step keys shown first and in words; any other key is shown as "key: value".
_LEADING_KEYS = ("step", "rule", "matched", "reason")
_MATCHED = {
    True: ("var(--message-success-fg)", "✓ matched"),
    False: ("var(--body-quiet-color)", "✗ no match"),
}


def pretty_json(value: Any) -> SafeString:
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return format_html('<pre style="margin: 0; white-space: pre-wrap">{}</pre>', text)


def plain(value: Any) -> str:
    """A JSON value as short text: lists joined, mappings as 'key: value' pairs."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(plain(item) for item in value)
    if isinstance(value, dict):
        if set(value) <= {"id", "name"} and "name" in value:
            return plain(value["name"])
        return "; ".join(f"{key}: {plain(item)}" for key, item in value.items())
    return str(value)


def pairs_html(data: Any) -> SafeString:
    """`data` (a mapping) as 'key: value' pairs on one line."""
    if not isinstance(data, dict):
        return format_html("{}", plain(data))
    if not data:
        return format_html("{}", "—")
    return format_html_join(
        " · ", "<span><em>{}</em>: {}</span>", ((key, plain(value)) for key, value in data.items())
    )


def _skipped_html(skipped: Any) -> SafeString:
    items = skipped if isinstance(skipped, list) else [skipped]
    return format_html(
        "<ul style='margin: 2px 0 2px 1.5em'>{}</ul>",
        format_html_join("", "<li>{}</li>", ((plain(item),) for item in items)),
    )


def step_html(step: Any) -> SafeString:
    """One step of a decision trace: its rule, whether it matched and why, then the rest."""
    if not isinstance(step, dict):
        return format_html("{}", plain(step))
    parts: list[SafeString] = []
    if "step" in step:
        parts.append(format_html("<em>{}</em>", plain(step["step"])))
    if "rule" in step:
        parts.append(format_html("<strong>{}</strong>", plain(step["rule"])))
    if "matched" in step:
        colour, text = _MATCHED[bool(step["matched"])]
        parts.append(format_html('<span style="color: {}">{}</span>', colour, text))
    if step.get("reason") not in (None, ""):
        parts.append(format_html("{}", plain(step["reason"])))
    rest = {
        key: value for key, value in step.items() if key not in _LEADING_KEYS and key != "skipped"
    }
    if rest:
        parts.append(pairs_html(rest))
    html = format_html_join(" — ", "{}", ((part,) for part in parts))
    if step.get("skipped"):
        html = format_html("{}<br>skipped:{}", html, _skipped_html(step["skipped"]))
    return html


def steps_html(steps: Any) -> SafeString:
    """A decision's steps as an ordered list, one line per step."""
    if not steps:
        return mark_safe("—")
    if not isinstance(steps, list):
        return pretty_json(steps)
    return format_html(
        '<ol class="decision-steps" style="margin: 0; padding-left: 1.5em">{}</ol>',
        format_html_join("", "<li>{}</li>", ((step_html(step),) for step in steps)),
    )


def microseconds(value: int | None) -> str:
    if value is None:
        return "—"
    if value >= 1000:
        return f"{value / 1000:.1f} ms"
    return f"{value} µs"
