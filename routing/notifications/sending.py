"""Sending many outbox rows at once. Each row's message is made in the calling thread
(making it reads the database); its request goes out on a thread of this process's
pool, so a slow or dead receiver holds one thread, not everyone else's messages.
Claiming and recording are routing.services.delivery's.

The pool's threads never use the database: a query there would open a connection per
thread behind the caller's back (and outside its transaction), so it fails loudly
instead. Pools are per process: one made before a fork (Celery's prefork pool) has no
threads in the child, which makes its own.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from routing.models import Notification

from .messages import Message, message_for
from .transports import TRANSPORTS

_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None  # (the process it belongs to, pool)


def sending_threads() -> int:
    """Requests this process has in flight at most (`DELIVERY_THREADS`)."""
    return int(settings.LEADROUTER["DELIVERY_THREADS"])


def notification_start(notification: Notification) -> Future[int | None]:
    """Start sending the row's message; the future gives the receiver's HTTP status
    (None for e-mail) or raises TransportError (or the bug that stopped it)."""
    try:
        message = message_for(notification)
    except Exception as error:  # recorded by the caller like any failed send
        failed: Future[int | None] = Future()
        failed.set_exception(error)
        return failed
    return _executor().submit(_send, notification, message)


def _send(notification: Notification, message: Message) -> int | None:
    with connections[DEFAULT_DB_ALIAS].execute_wrapper(_no_queries):
        return TRANSPORTS[notification.channel].send(notification, message)


def _no_queries(*args: object) -> None:
    raise RuntimeError("a sending thread must not query the database; read it beforehand")


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None or _pool[0] != os.getpid():
            executor = ThreadPoolExecutor(
                max_workers=sending_threads(), thread_name_prefix="outbox-send"
            )
            _pool = (os.getpid(), executor)
        return _pool[1]
