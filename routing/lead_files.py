"""A CSV of leads read as submissions: an import's file, or one replayed through a draft.

A header row names the columns; `mapping` renames those named otherwise ("E-mail" ->
"email"), and columns that are no submission field are kept in the lead's attributes.
The file is streamed (memory stays flat whatever its size), as UTF-8, and a line that
is not (a list saved by a spreadsheet in its Windows code page) as Windows-1252 rather
than refused.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from typing import IO, Any

from routing.normalize import SUBMISSION_FIELDS


def header_columns(line: str) -> list[str]:
    """The column names of a header row."""
    return [column.strip() for column in next(csv.reader([line]), [])]


def header_problem(columns: list[str], mapping: Mapping[str, str]) -> str:
    """What is wrong with the file's columns for this mapping ('' if nothing)."""
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
    """The rows of a CSV of leads, as (line, submission body), in file order."""

    def __init__(self, source: IO[bytes], mapping: Mapping[str, str]) -> None:
        self._source = source
        self.bytes_read = 0  # for a progress bar
        self._mapping = mapping
        self._reader = csv.DictReader(self._lines())
        self.columns = [column.strip() for column in self._reader.fieldnames or []]
        self.attribute_columns = [
            column
            for column in self.columns
            if mapping.get(column, column) not in SUBMISSION_FIELDS
        ]

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        extra = frozenset(self.attribute_columns)
        for row in self._reader:
            yield self._reader.line_num, self._submission(row, extra)

    def _lines(self) -> Iterator[str]:
        first = True
        for raw in self._source:
            self.bytes_read += len(raw)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                line = raw.decode("cp1252", errors="replace")
            if first:
                line, first = line.removeprefix("\ufeff"), False
            yield line

    def _submission(self, row: Mapping[str | None, Any], extra: frozenset[str]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        attributes: dict[str, Any] = {}
        for column, value in row.items():
            if column is None or value is None or not str(value).strip():
                continue  # surplus cells of a ragged row, or empty ones
            column = column.strip()
            if column in extra:
                attributes[column] = value.strip()
            else:
                body[self._mapping.get(column, column)] = value.strip()
        if attributes:
            body["attributes"] = attributes
        return body
