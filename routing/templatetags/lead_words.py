"""Lead values in words for templates: `{{ lead.source|keyword_words }}` is "Demo request"."""

from __future__ import annotations

from django import template

from routing.lead_fields import keyword_in_words

register = template.Library()


@register.filter
def keyword_words(value: str) -> str:
    return keyword_in_words(value) if value else ""
