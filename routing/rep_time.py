"""Times a rep reads are in the rep's own time zone, the zone named beside them."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone


def in_rep_time(rep: Any) -> AbstractContextManager[Any]:
    """Render inside this: Django's current time zone is the rep's, so templates show
    dates in it (`{% get_current_timezone %}` names it)."""
    return timezone.override(ZoneInfo(rep.timezone))
