"""A worker's ear for committed outbox rows, on PostgreSQL.

A transaction that writes outbox rows says NOTIFY on OUTBOX_CHANNEL (see
routing.notifications.outbox); PostgreSQL delivers it once the transaction commits,
never if it rolls back. Every Celery worker listens on a connection of its own, in a
thread of its main process, and queues a sending task for what it hears
(`outbox_nudge`: one waits in the queue at a time, whichever worker queues it). A burst
of commits heard together makes one nudge.

If the connection is lost, the listener connects again and nudges once (rows committed
meanwhile were heard by nobody); until then the periodic sweep sends what is due.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections

from .outbox import OUTBOX_CHANNEL, outbox_nudge, wakes_by_notify

logger = logging.getLogger(__name__)

RECONNECT_SECONDS = 1.0
# How often the listener looks up from waiting to see whether it should stop.
STOP_CHECK_SECONDS = 1.0


def outbox_listen(stop: threading.Event, *, wake: Callable[[], None] = outbox_nudge) -> None:
    """Listen until `stop` is set, calling `wake` for each burst of notifications and
    once on every (re)connection."""
    database = connections[DEFAULT_DB_ALIAS]  # this thread's own connection
    while not stop.is_set():
        try:
            database.ensure_connection()
            connection = database.connection
            connection.autocommit = True
            connection.execute(f"LISTEN {OUTBOX_CHANNEL}")  # a constant name
            _wake(wake)
            while not stop.is_set():
                if any(True for _ in connection.notifies(timeout=STOP_CHECK_SECONDS, stop_after=1)):
                    for _ in connection.notifies(timeout=0):  # the rest of the burst
                        pass
                    _wake(wake)
        except Exception as error:
            logger.warning("Outbox listener lost its connection (%s); connecting again", error)
            stop.wait(RECONNECT_SECONDS)
        finally:
            database.close()


def _wake(wake: Callable[[], None]) -> None:
    try:
        wake()
    except Exception:  # a broker that is down: the sweep sends what is due
        logger.exception("Outbox listener could not queue a sending task")


_stop = threading.Event()


def outbox_listener_start() -> threading.Thread | None:
    """Start listening in a background thread of this process, where committed rows
    wake workers by NOTIFY (PostgreSQL, real workers); None elsewhere."""
    if not wakes_by_notify():
        return None
    _stop.clear()
    thread = threading.Thread(
        target=outbox_listen, args=(_stop,), name="outbox-listener", daemon=True
    )
    thread.start()
    return thread


def outbox_listener_stop() -> None:
    _stop.set()
