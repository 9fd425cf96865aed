"""Kept HTTP connections: one httpx client per receiving host, per process.

Opening a client costs a TLS context and every request on a fresh client a new
connection (and handshake); a burst of messages to the same Slack or webhook host
reuses the connections its client keeps. outgoing.addresses connects to the checked
address and names the real host in the Host header and TLS, so a connection is kept
per address inside a client; a client per host name means a connection verified for
one name is never reused for another name on the same address.

Clients are made in the process that uses them: a process forked from one that had
clients (Celery's prefork pool) starts with none of its own and leaves the parent's
alone (their sockets are the parent's too).
"""

from __future__ import annotations

import os
import ssl
import threading
from collections import OrderedDict

import httpx

# Hosts kept at once; the least recently used client beyond them is dropped (its idle
# connections close when it is collected; a request it is sending finishes first).
MAX_HOSTS = 64

_lock = threading.Lock()
_clients: OrderedDict[tuple[str, str, int | None], httpx.Client] = OrderedDict()
_owner_pid = os.getpid()
_tls: ssl.SSLContext | None = None  # the process's one TLS context, shared by its clients


def client_for(url: httpx.URL) -> httpx.Client:
    """This process's client for the host of `url` (as written, before resolution). No
    redirects and no proxy from the environment: see outgoing.addresses.post."""
    global _owner_pid, _tls
    key = (url.scheme, url.host, url.port)
    with _lock:
        if _owner_pid != os.getpid():
            _clients.clear()
            _tls = None
            _owner_pid = os.getpid()
        client = _clients.get(key)
        if client is not None:
            _clients.move_to_end(key)
            return client
        if _tls is None:
            _tls = httpx.create_ssl_context()
        client = httpx.Client(verify=_tls, follow_redirects=False, trust_env=False)
        _clients[key] = client
        if len(_clients) > MAX_HOSTS:
            _clients.popitem(last=False)
        return client
