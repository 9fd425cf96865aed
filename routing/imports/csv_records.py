"""The records of a CSV file read one after the other, where one record the csv module
cannot take does not end the reading.

The csv module itself parses every record. Around it, each record's lines are counted
and kept until it ends, which allows three things the module does not do:

- a record is limited in size (`max_bytes` of the file's bytes): a larger one is
  reported, and reading goes on after its last line, so that memory stays flat and a
  runaway cell cannot take the rest of the file;
- a quote that is never closed takes every line after it into one cell; that record is
  reported with the line the quote opened on, instead of being read as one more row;
- a record the module refuses (`csv.Error`) is reported, and reading goes on at the
  next line, as the module itself does.

Where a record ends after a cut (too large) is found by the csv module too, one line at
a time: a line that starts inside a quoted cell reads like the same line after an
opening quote, so that knowing whether a line ends inside a quote takes nothing but
the line (see `_ends_in_quote`).

Lines end at LF, CRLF or a lone CR, as with a file opened with newline="" (which the
csv module expects); each line is read as UTF-8, or, if it is not, as Windows-1252 (a
list saved by a spreadsheet in its Windows code page).
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")
_UNLIMITED = 2**31 - 1  # the largest limit every platform's csv module takes


@dataclass(frozen=True)
class TooLarge:
    """The record has more bytes than allowed. `cell` is the index of its largest cell."""

    size: int
    limit: int
    last_line: int
    cell: int
    cell_size: int


@dataclass(frozen=True)
class QuoteNeverClosed:
    """A quote opened on `opened` is still open at the end of the file (`last_line`)."""

    opened: int
    last_line: int


@dataclass(frozen=True)
class Unreadable:
    """The csv module refused the record; `reason` is its message."""

    reason: str


RecordProblem = TooLarge | QuoteNeverClosed | Unreadable


class Record(NamedTuple):
    line: int  # the record's first line in the file
    cells: list[str]  # none if `problem`
    problem: RecordProblem | None = None


class _RecordTooLarge(Exception):
    """Raised through the csv reader when its record grows past the limit."""


class _Lines:
    """The file's lines as text for the csv reader, with the current record's lines
    kept and counted (`record_start` begins a record)."""

    def __init__(self, source: Iterable[bytes], max_bytes: int) -> None:
        self._raw = _split_lone_cr(source)
        self._max_bytes = max_bytes
        self.line = 0  # lines read so far
        self.bytes_read = 0
        self.exhausted = False
        self.first = 1  # the current record's first line
        self.record: list[str] = []  # the current record's lines
        self.record_bytes = 0

    def record_start(self) -> None:
        self.first = self.line + 1
        self.record.clear()
        self.record_bytes = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        text, size = self.read_on()
        self.record.append(text)
        self.record_bytes += size
        if self.record_bytes > self._max_bytes:
            raise _RecordTooLarge
        return text

    def read_on(self) -> tuple[str, int]:
        """The next line and its size in bytes, outside any record."""
        raw = next(self._raw, None)
        if raw is None:
            self.exhausted = True
            raise StopIteration
        self.line += 1
        self.bytes_read += len(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        if self.line == 1:
            text = text.removeprefix("\ufeff")
        return text, len(raw)


class CsvRecords:
    """The records of a CSV file in order; blank lines are skipped."""

    def __init__(self, source: Iterable[bytes], *, max_bytes: int) -> None:
        # A record within the limit must never meet the module's own limit on a cell
        # (128 Ki characters unless raised), which would end its reading midway. The
        # limit is the process's: it is only ever raised.
        if csv.field_size_limit() < max_bytes:
            csv.field_size_limit(max_bytes)
        self._lines = _Lines(source, max_bytes)
        self._max_bytes = max_bytes

    @property
    def bytes_read(self) -> int:
        return self._lines.bytes_read

    def __iter__(self) -> Iterator[Record]:
        lines = self._lines
        reader = csv.reader(lines)
        while not lines.exhausted:
            lines.record_start()
            try:
                cells = next(reader)
            except StopIteration:
                return
            except _RecordTooLarge:
                yield self._too_large()
                continue
            except csv.Error as error:
                # The module drops the rest of this line and reads on at the next one.
                yield Record(lines.first, [], Unreadable(str(error)))
                continue
            if lines.exhausted:  # the reader asked for a line after the last: in a quote
                yield Record(lines.first, [], _quote_never_closed(lines))
                return
            if cells:
                yield Record(lines.first, cells)

    def _too_large(self) -> Record:
        """The record being read went past the limit: find its last line (reading on
        if it is still inside a quoted cell) and report its size and largest cell."""
        # Its lines are in memory already; reading them into cells takes no more.
        with _module_field_limit(_UNLIMITED):
            return self._too_large_measured()

    def _too_large_measured(self) -> Record:
        lines = self._lines
        kept = list(lines.record)
        size = lines.record_bytes
        cell_sizes = [len(cell.encode()) for cell in _first_record(kept)] or [0]
        walk = _QuoteWalk(lines.first)
        for text in kept:
            walk.step(text)
        while walk.in_quote:
            try:
                text, line_size = lines.read_on()
            except StopIteration:
                return Record(lines.first, [], QuoteNeverClosed(walk.opened, lines.line))
            size += line_size
            # The line's first cell goes on with the open one; others may follow it.
            first, *others = walk.step(text) or [""]
            cell_sizes[-1] += len(first.encode())
            cell_sizes.extend(len(cell.encode()) for cell in others)
        largest = max(range(len(cell_sizes)), key=cell_sizes.__getitem__)
        problem = TooLarge(
            size=size,
            limit=self._max_bytes,
            last_line=lines.line,
            cell=largest,
            cell_size=cell_sizes[largest],
        )
        return Record(lines.first, [], problem)


class _QuoteWalk:
    """Whether a record is inside a quoted cell after each of its lines, and on which
    line the quote still open was opened."""

    def __init__(self, first_line: int) -> None:
        self.line = first_line - 1
        self.in_quote = False
        self.opened = first_line

    def step(self, text: str) -> list[str]:
        """Take the record's next line; returns the cells the line holds (the first
        one the end of the cell that was open, if it was)."""
        self.line += 1
        was_in_quote = self.in_quote
        self.in_quote, cells = _ends_in_quote(text, in_quote=was_in_quote)
        # Still in a quote: opened on this line, unless the old quote never closed
        # (a closed quote and a new one need a delimiter between them: two cells).
        if self.in_quote and (not was_in_quote or len(cells) > 1):
            self.opened = self.line
        return cells


def _ends_in_quote(text: str, *, in_quote: bool) -> tuple[bool, list[str]]:
    """Whether a line that starts inside a quoted cell (`in_quote`) or at the start of a
    record ends inside one, and the cells the csv module reads on it. A line inside a
    quote reads as that line after an opening quote. The reader is given an empty
    line after it: it takes that one only if it is still inside a quote."""
    pending = iter(('"' + text if in_quote else text, ""))
    try:
        cells = next(csv.reader(pending), [])
    except csv.Error:
        return False, []  # the module ends the record at this line
    return next(pending, None) is None, cells


def _first_record(texts: list[str]) -> list[str]:
    """The cells of the record these lines start (the open cell cut where they end)."""
    try:
        return next(csv.reader(texts), [])
    except csv.Error:
        return []


def _quote_never_closed(lines: _Lines) -> QuoteNeverClosed:
    walk = _QuoteWalk(lines.first)
    for text in lines.record:
        walk.step(text)
    return QuoteNeverClosed(opened=walk.opened, last_line=lines.line)


@contextlib.contextmanager
def _module_field_limit(limit: int) -> Iterator[None]:
    """The csv module's limit on a cell's size (the process's) raised for a while."""
    before = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(before)


def _split_lone_cr(source: Iterable[bytes]) -> Iterator[bytes]:
    """The source's lines, a line holding a lone CR (not followed by LF) split after it."""
    for raw in source:
        cr = raw.find(b"\r")
        if cr == -1 or (cr == len(raw) - 2 and raw.endswith(b"\n")):
            yield raw
        else:
            yield from filter(None, _LONE_CR.split(raw))
