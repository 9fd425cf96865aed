"""Who made a change: the user that history rows and lead events are attributed to.

simple-history finds the user of a web request by itself (HistoryRequestMiddleware).
Commands, tasks and services that act for someone wrap their work in `acting_as(user)`,
so the admin, the API and a command all leave the same kind of trail.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from simple_history.models import HistoricalRecords

_acting_user: ContextVar[Any] = ContextVar("acting_user", default=None)


@contextmanager
def acting_as(user: Any) -> Iterator[None]:
    token = _acting_user.set(user)
    try:
        yield
    finally:
        _acting_user.reset(token)


def current_user() -> Any:
    """The user acting now: set explicitly, else the signed-in user of the request."""
    user = _acting_user.get()
    if user is not None:
        return user
    request = getattr(HistoricalRecords.context, "request", None)
    request_user = getattr(request, "user", None)
    if request_user is not None and request_user.is_authenticated:
        return request_user
    return None


def _history_user(instance: Any, request: Any = None, **_: Any) -> Any:
    return getattr(instance, "_history_user", None) or current_user()


def audited_history(**options: Any) -> HistoricalRecords:
    """HistoricalRecords that attribute each row to `current_user()`."""
    return HistoricalRecords(get_user=_history_user, **options)
