"""Importing a list of leads (an event's badge scans, a trade-show export): each row
checked, stored and routed like an API submission; bad rows reported by line, good ones
imported anyway. The file is streamed and taken a batch of rows at a time, so memory
stays flat whatever its size.

Each batch commits with the import's progress (rows read, bytes read, counts), so a
worker that dies midway leaves an import that carries on from the next row when run
again: no row is imported twice, none is skipped.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any, Generic, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from routing import engine
from routing.db.bulk import statistics_refresh
from routing.import_sla import RULE, import_sla_default, import_sla_duration
from routing.models import Assignment, Lead, LeadImport
from routing.normalize import SUBMISSION_FIELDS, normalize_submission

from .batch import BatchResult, Submission, leads_intake_batch
from .digests import import_digests_write
from .reader import LeadFile, rejection

logger = logging.getLogger(__name__)

BATCH_ROWS = 1000  # rows per transaction: rotations are locked for one batch at a time
# After these batches the database's table statistics are refreshed: each time the
# import has grown the tables about tenfold.
STATISTICS_AFTER = frozenset({1, 10, 100, 1000})
MAX_REPORTED = 1000  # rejected rows listed one by one; beyond that, only counted
IMPORT_LOCK_SPACE = 7341  # first key of the advisory lock that one run of an import holds

Progress = Callable[[LeadImport], None]
T = TypeVar("T")


class ImportProblem(ValueError):
    """The file or the mapping cannot be imported at all; the message says why."""


def column_mapping(items: Iterable[str]) -> dict[str, str]:
    """ "COLUMN=FIELD" items (command options, lines of the admin form) as a mapping."""
    mapping = {}
    for item in items:
        if not item.strip():
            continue
        column, sep, target = item.partition("=")
        if not sep or not column.strip() or not target.strip():
            raise ImportProblem(f"'{item.strip()}': write COLUMN=FIELD, e.g. E-mail=email.")
        if target.strip() not in SUBMISSION_FIELDS:
            raise ImportProblem(
                f"'{item.strip()}': {target.strip()} is no lead field; choose from "
                + ", ".join(SUBMISSION_FIELDS)
                + "."
            )
        mapping[column.strip()] = target.strip()
    return mapping


def lead_import_create(
    *,
    name: str,
    mapping: Mapping[str, str] | None = None,
    notify: str = "",
    dry_run: bool = False,
    user: Any = None,
    size: int = 0,
    sla: str | None = None,
    sla_working_hours: bool | None = None,
) -> LeadImport:
    """An import of a file read where it is (the command's), to run in this process.
    `mapping` as `column_mapping` gives it; `notify`: digest or each (default: the
    IMPORT_NOTIFY setting); `sla`: rule, none or a duration, in working hours or not
    (default: the IMPORT_SLA settings; a duration given without `sla_working_hours` is
    on the clock). Raises ValidationError, by field, on a bad value. Uploads are made by
    the admin's form and queued with `lead_import_queue`."""
    default_sla, default_working_hours = import_sla_default()
    if sla_working_hours is None:
        sla_working_hours = default_working_hours if sla is None else False
    lead_import = LeadImport(
        name=name,
        mapping=dict(mapping or {}),
        notify=notify or settings.LEADROUTER["IMPORT_NOTIFY"],
        dry_run=dry_run,
        created_by=user,
        size=size,
        sla=default_sla if sla is None else sla,
        sla_working_hours=sla_working_hours,
    )
    lead_import.full_clean(exclude=["file"])
    lead_import.save()
    return lead_import


def chosen_sla(lead_import: LeadImport) -> engine.ChosenSla | None:
    """The import's SLA as the engine takes it; None: each rule's."""
    if lead_import.sla == RULE:
        return None
    return engine.ChosenSla(
        import_sla_duration(lead_import.sla),
        working_hours=lead_import.sla_working_hours,
        chosen_for=f"the import {lead_import.name}",
    )


# An import is ready to run: routing.tasks queues it for a worker when this is sent (a
# signal, so that services need to know nothing of the task queue).
lead_import_queued = Signal()


def lead_import_queue(*, lead_import: LeadImport) -> None:
    """Have a worker run a stored import (its uploaded file) once this transaction has
    committed; a failed one carries on from where it stopped."""
    LeadImport.objects.filter(pk=lead_import.pk).update(status=LeadImport.Status.QUEUED, error="")
    # robust: a broker that is down must not undo the upload; the import waits, queued.
    transaction.on_commit(
        lambda: lead_import_queued.send(sender=LeadImport, lead_import_id=lead_import.pk),
        robust=True,
    )


def lead_import_run(
    *, lead_import: LeadImport, source: IO[bytes] | None = None, progress: Progress | None = None
) -> LeadImport:
    """Read the file (`source`, else the stored upload) and import its rows. A run that
    was stopped carries on from the first row it had not committed. If the import is
    running elsewhere already, returns it as it is and imports nothing."""
    with _sole_run(lead_import) as sole:
        if not sole:
            logger.warning("Import %s is running in another process", lead_import.pk)
            lead_import.refresh_from_db()
            return lead_import
        if source is None:
            with lead_import.file.open("rb") as stored:
                return _run_logged(lead_import, stored, progress)
        return _run_logged(lead_import, source, progress)


@contextlib.contextmanager
def _sole_run(lead_import: LeadImport) -> Iterator[bool]:
    """True if this process is the only one running the import. A broker redelivers a
    task whose worker it has not heard from in a long time (an hour with Redis) even if
    that worker is still importing; two runs at once would both carry on from the same
    row. On PostgreSQL a session advisory lock (in a key space of its own: two 32-bit
    keys) settles it, and goes with the connection if the process dies. SQLite's single
    writer needs no more."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = [IMPORT_LOCK_SPACE, lead_import.pk]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        sole = cursor.fetchone()[0]
    try:
        yield sole
    finally:
        if sole:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)


def _run_logged(
    lead_import: LeadImport, source: IO[bytes], progress: Progress | None
) -> LeadImport:
    LeadImport.objects.filter(pk=lead_import.pk).update(
        status=LeadImport.Status.RUNNING, started_at=lead_import.started_at or timezone.now()
    )
    lead_import.refresh_from_db()
    try:
        with _fewer_collections():
            _run(lead_import, source, progress)
    except Exception as error:
        if isinstance(error, ImportProblem):
            logger.warning("Import %s refused: %s", lead_import.pk, error)
            why = str(error)
        else:
            logger.exception("Import %s stopped", lead_import.pk)
            why = f"{type(error).__name__}: {error}. Run it again to carry on from there."
        LeadImport.objects.filter(pk=lead_import.pk).update(
            status=LeadImport.Status.FAILED, finished_at=timezone.now(), error=why
        )
        raise
    lead_import.refresh_from_db()
    return lead_import


def _run(lead_import: LeadImport, source: IO[bytes], progress: Progress | None) -> None:
    lead_file = LeadFile(source, lead_import.mapping)
    if lead_file.problem:
        raise ImportProblem(lead_file.problem)
    lead_import.attribute_columns = lead_file.attribute_columns
    batches = _Lookahead(_batches(lead_file, skip=lead_import.rows))
    carried = None
    for number, (batch, tally, bytes_read) in enumerate(batches):
        # The next batch is read while the database writes this one.
        result = _commit(lead_import, batch, tally, bytes_read, progress, carried, batches.fetch)
        carried = result or carried
        if number in STATISTICS_AFTER and not lead_import.dry_run:
            statistics_refresh(Lead, Assignment)
    with transaction.atomic():
        if not lead_import.dry_run and lead_import.notify == LeadImport.Notify.DIGEST:
            import_digests_write(lead_import=lead_import)
        LeadImport.objects.filter(pk=lead_import.pk).update(
            status=LeadImport.Status.DONE, finished_at=timezone.now(), bytes_read=lead_import.size
        )


def _batches(lead_file: LeadFile, *, skip: int) -> Iterator[tuple[list[Submission], _Tally, int]]:
    """The rows after the first `skip` (committed by an earlier run), checked and
    normalized, BATCH_ROWS at a time: (good submissions, counts, bytes read so far)."""
    batch: list[Submission] = []
    tally = _Tally()
    for index, (line, body, problem) in enumerate(lead_file):
        if index < skip:
            continue
        tally.rows += 1
        values, errors = ({}, {}) if problem else normalize_submission(body)
        if problem or errors:
            tally.rejected += 1
            tally.problems.append([line, problem or rejection(errors)])
        else:
            batch.append(Submission(values=values, payload=body, line=line))
        if tally.rows >= BATCH_ROWS:
            yield batch, tally, lead_file.bytes_read
            batch, tally = [], _Tally()
    if tally.rows:
        yield batch, tally, lead_file.bytes_read


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Let the garbage collector run less often while importing. An import makes
    millions of short-lived objects, and by default up to every ~70,000 of them start a
    full collection that walks every object of the process (the ZIP-code table alone is
    ~171,000): a third of an import's time. Its objects are freed by reference
    counting anyway; the old thresholds come back when it ends."""
    thresholds = gc.get_threshold()
    gc.set_threshold(20_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


class _Lookahead(Generic[T]):
    """An iterator that can be told to read its next item early (`fetch`), to do that
    reading at a moment when this process would otherwise wait. A failure to read is
    kept for the moment the item is asked for: it must not undo the batch being
    written while it happened."""

    def __init__(self, items: Iterator[T]) -> None:
        self._items = items
        self._ahead: list[T] = []
        self._failed: Exception | None = None

    def fetch(self) -> None:
        if self._ahead or self._failed is not None:
            return
        try:
            self._ahead.extend(itertools.islice(self._items, 1))
        except Exception as error:
            self._failed = error

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._ahead:
            return self._ahead.pop()
        if self._failed is not None:
            raise self._failed
        return next(self._items)


class _Tally:
    """What one batch adds to the import's counts."""

    def __init__(self) -> None:
        self.rows = self.rejected = 0
        self.problems: list[list[Any]] = []


@transaction.atomic
def _commit(
    lead_import: LeadImport,
    batch: list[Submission],
    tally: _Tally,
    bytes_read: int,
    progress: Progress | None,
    carried: BatchResult | None,
    meanwhile: Callable[[], Any],
) -> BatchResult | None:
    """Import one batch and record the progress in the same transaction."""
    result = None
    if batch and not lead_import.dry_run:
        result = leads_intake_batch(
            submissions=batch,
            actor=f"import {lead_import.name}",
            lead_import_id=lead_import.pk,
            tell_reps_each=lead_import.notify == LeadImport.Notify.EACH,
            sla=chosen_sla(lead_import),
            carried=carried,
            meanwhile=meanwhile,
        )
        lead_import.imported += result.created
        lead_import.joined += result.joined
    else:
        meanwhile()
    lead_import.rows += tally.rows
    lead_import.rejected += tally.rejected
    room = MAX_REPORTED - len(lead_import.problems)
    lead_import.problems = [*lead_import.problems, *tally.problems[: max(room, 0)]]
    lead_import.bytes_read = bytes_read
    lead_import.size = max(lead_import.size, bytes_read)
    lead_import.save(
        update_fields=[
            "rows",
            "imported",
            "joined",
            "rejected",
            "problems",
            "attribute_columns",
            "bytes_read",
            "size",
        ]
    )
    if progress is not None:
        progress(lead_import)
    return result
