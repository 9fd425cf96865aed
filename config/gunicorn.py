"""gunicorn settings for the web process: `gunicorn config.wsgi -c config/gunicorn.py`.

Command-line options (--bind, --workers, ...) override what is set here.

Python's cyclic garbage collector runs a full collection every few tens of thousands of
allocations, and a full collection walks every object in the process. A web worker holds
a few hundred thousand long-lived ones: Django and the project's modules, the routing
snapshot and, when a pool routes by distance, the US ZIP-code table (~43,000 entries).
They live as long as the worker, so walking them finds nothing but costs every request
(docs/decisions/0007). Each worker therefore builds its snapshot
once it has loaded the application, collects, and freezes what is alive then: frozen
objects are never walked. Rebuilt snapshots are frozen the same way
(routing.snapshot.freeze_rebuilt_snapshots). Objects made per request are collected as
before.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

logger = logging.getLogger("gunicorn.error")


def post_worker_init(worker: Any) -> None:  # gunicorn's Worker
    """In each worker, with the application loaded, before the first request."""
    from django.db import connections

    from routing.snapshot import current_snapshot, freeze_rebuilt_snapshots

    try:
        current_snapshot()  # loads the ZIP table too, if a pool routes by distance
    except Exception:
        # The database may not be reachable yet; the first lead builds the snapshot, and
        # freezes it, instead. A worker must not fail to start for this.
        logger.warning("Routing snapshot not built at worker start", exc_info=True)
    finally:
        connections.close_all()  # opened in this hook; requests open their own
    gc.collect()
    gc.freeze()
    freeze_rebuilt_snapshots()
