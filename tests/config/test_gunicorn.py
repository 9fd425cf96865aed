"""config/gunicorn.py: each web worker keeps what it loads at start-up out of the
cyclic garbage collector's way."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

from django.db import connections

from routing import snapshot
from tests.factories import RepFactory

ROOT = Path(__file__).resolve().parents[2]


def frozen(thing) -> bool:
    """Out of the collector's reach: the frozen are not among the objects it tracks."""
    return gc.is_tracked(thing) and not any(tracked is thing for tracked in gc.get_objects())


def test_a_worker_builds_its_snapshot_and_freezes_it_and_each_rebuilt_one(db, monkeypatch):
    hooks = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
    # The hook closes the connections it opened; here the test's transaction must stay.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    monkeypatch.setattr(snapshot, "_freeze_rebuilt", False)
    try:
        hooks["post_worker_init"](None)
        built = snapshot._current
        assert built is not None  # before the first request
        assert frozen(built)

        RepFactory()  # routing data changed: the next use rebuilds the snapshot
        rebuilt = snapshot.current_snapshot()
        assert rebuilt is not built
        assert frozen(rebuilt)
    finally:
        gc.unfreeze()
