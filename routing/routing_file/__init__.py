"""Routing as code: the routing file format, read (`load_routing`) and written (`dump_routing`).

parse*.py turn YAML into checked frozen specs without touching the database, check.py
resolves references against it, load.py writes in one transaction, dump.py writes back.
"""

from __future__ import annotations

from .dump import dump_routing
from .errors import RoutingFileError
from .load import load_routing
from .writer import Summary

__all__ = ["RoutingFileError", "Summary", "dump_routing", "load_routing"]
