"""A CSV of leads read as submissions: an import's file, or one replayed through a draft.

A header row names the columns; `mapping` renames those named otherwise ("E-mail" ->
"email"), and columns that are no submission field are kept in the lead's attributes.
The file is streamed (memory stays flat whatever its size), as UTF-8, and a line that
is not (a list saved by a spreadsheet in its Windows code page) as Windows-1252 rather
than refused.

A row is at most INTAKE_MAX_BODY_BYTES, like an API submission. A row too large, one
with a quote that is never closed, or one the csv module cannot read comes with the
reason, and the rows after it are read as usual (routing.imports.csv_records).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any, NamedTuple

from django.conf import settings

from routing.normalize import SUBMISSION_FIELDS
from routing.normalize.text import text_problem

from .csv_records import (
    CsvRecords,
    QuoteNeverClosed,
    Record,
    RecordProblem,
    TooLarge,
    Unreadable,
)


class FileRow(NamedTuple):
    line: int  # its first line in the file
    body: dict[str, Any]  # as a submission's body; empty if `problem`
    problem: str  # why the file's text of this row cannot be read ('' if it can)


def header_problem(columns: Sequence[str], mapping: Mapping[str, str]) -> str:
    """What is wrong with the file's columns for this mapping ('' if nothing)."""
    for number, column in enumerate(columns, start=1):
        # Column names label attributes and are stored: one line of storable text.
        if problem := text_problem(column):
            return f"The header row's column {number}, {column!r}: {problem}"
    if not any(mapping.get(column, column) == "email" for column in columns):
        named = ", ".join(column for column in columns if column) or "none"
        return (
            f"No column gives the e-mail address (columns: {named}). Name one 'email' or "
            "map it, e.g. E-mail=email."
        )
    return ""


def rejection(errors: Mapping[str, str]) -> str:
    """Why a row was left out, from normalize_submission's errors."""
    return "; ".join(f"{column}: {message}" for column, message in errors.items())


class LeadFile:
    """The rows of a CSV of leads, as FileRows, in file order. `problem` says why the
    file cannot be imported at all ('' if it can): its header row."""

    def __init__(self, source: IO[bytes], mapping: Mapping[str, str]) -> None:
        self._records = CsvRecords(source, max_bytes=settings.INTAKE_MAX_BODY_BYTES)
        self._rows = iter(self._records)
        header = next(self._rows, None)
        self.columns = [column.strip() for column in header.cells] if header else []
        self.attribute_columns = [
            column
            for column in self.columns
            if mapping.get(column, column) not in SUBMISSION_FIELDS
        ]
        if header is not None and header.problem is not None:
            self.problem = f"The header row cannot be read. {_described(header, [])}"
        else:
            self.problem = header_problem(self.columns, mapping)
        extra = frozenset(self.attribute_columns)
        # Per cell, in column order: (the name it is stored under, an attribute?).
        self._targets = [(mapping.get(column, column), column in extra) for column in self.columns]

    @property
    def bytes_read(self) -> int:  # for a progress bar
        return self._records.bytes_read

    def __iter__(self) -> Iterator[FileRow]:
        for record in self._rows:
            if record.problem is not None:
                yield FileRow(record.line, {}, _described(record, self.columns))
            else:
                yield FileRow(record.line, self._submission(record.cells), "")

    def _submission(self, cells: list[str]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        attributes: dict[str, Any] = {}
        # Cells past the header's columns (a ragged row) are left out, as are empty ones.
        for (name, is_attribute), value in zip(self._targets, cells, strict=False):
            value = value.strip()
            if not value:
                continue
            if is_attribute:
                attributes[name] = value
            else:
                body[name] = value
        if attributes:
            body["attributes"] = attributes
        return body


def _described(record: Record, columns: Sequence[str]) -> str:
    """Why a record of the file cannot be read, for the person who made the file."""
    problem: RecordProblem | None = record.problem
    if isinstance(problem, TooLarge):
        lines = f" over lines {record.line}–{problem.last_line}"
        spans = problem.last_line > record.line
        if problem.cell < len(columns):
            cell = f"in column {columns[problem.cell]!r}"
        else:
            cell = f"cell {problem.cell + 1}, past the header's columns"
        return (
            f"The row has {problem.size:,} bytes{lines if spans else ''}, more than the "
            f"{problem.limit:,} a lead may have (as through the API); its largest cell, "
            f"{cell}, has {problem.cell_size:,}. Shorten it"
            + (", or close its quote where the cell should end." if spans else ".")
        )
    if isinstance(problem, QuoteNeverClosed):
        where = "here" if problem.opened == record.line else f"on line {problem.opened}"
        swallowed = f"lines {problem.opened}–{problem.last_line}"
        return (
            f"A quote opened {where} is never closed (it swallowed {swallowed}, the rest "
            "of the file), so none of those lines was imported. Close the quote, or double "
            f'it ("") if it is part of the text, and import {swallowed} again.'
        )
    if isinstance(problem, Unreadable):
        return f"The row cannot be read as CSV: {problem.reason}."
    raise AssertionError(f"unknown problem {problem!r}")
