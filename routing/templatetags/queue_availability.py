"""The queue's availability panel reads its own state, so that the queue's page needs
nothing but an include to show it."""

from __future__ import annotations

from typing import Any

from django import template

from routing.queue.availability import availability_context

register = template.Library()


@register.simple_tag(takes_context=True)
def rep_availability_panel(context: template.Context) -> dict[str, Any]:
    """The panel's state for the page's rep; a page that posted the away form passes the
    bound form back (with its errors) as `away_form`."""
    return availability_context(context["rep"], context.get("away_form"))
