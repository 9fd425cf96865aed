"""Imported lists of leads (an event's badge scans, a trade-show export), routed like API
submissions, a batch of rows at a time.

- `reader`: a file's rows as submissions, bad ones rejected by line (`csv_records` splits
  CSV so that one broken row cannot swallow the rest);
- `batch`: a batch of submissions checked for duplicates and decided by the engine,
  with the rotations read once and kept in step in memory;
- `writer`: the batch's recordings (the same recorder as intake's) written a table at
  a time, with COPY on PostgreSQL;
- `digests`: one message per rep for the leads an import gave them;
- `runs`: an import's life: created, queued, run batch by batch with its progress
  committed, resumed where it stopped.
"""

from .runs import (
    ImportProblem,
    column_mapping,
    lead_import_create,
    lead_import_queue,
    lead_import_queued,
    lead_import_run,
)

__all__ = [
    "ImportProblem",
    "column_mapping",
    "lead_import_create",
    "lead_import_queue",
    "lead_import_queued",
    "lead_import_run",
]
