"""Importing a list of leads (an event's badge scans, a trade-show export): each row
checked, stored and routed like an API submission; bad rows reported by line, good ones
imported anyway. The file is streamed, so memory stays flat whatever its size.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from routing.normalize import SUBMISSION_FIELDS, normalize_submission

from .intake import lead_intake

MAX_REPORTED = 1000  # rejected rows listed one by one; beyond that, only counted


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    joined: int = 0  # the e-mail of an open lead: the row joined it (no second lead)
    rejected: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, what is wrong)
    attribute_columns: tuple[str, ...] = ()  # columns kept under attributes


def leads_import(
    *,
    lines: Iterable[str],
    name: str,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
    progress: Callable[[ImportReport], None] | None = None,
    every: int = 500,
) -> ImportReport:
    """Import CSV text (a header row, then one lead per row). `mapping` renames columns
    to submission fields ("E-mail" -> "email"); columns that are no field are kept in the
    lead's attributes. With `dry_run`, rows are checked and nothing is stored."""
    mapping = {column.strip(): target for column, target in (mapping or {}).items()}
    reader = csv.DictReader(lines)
    report = ImportReport()
    columns = [column.strip() for column in reader.fieldnames or []]
    report.attribute_columns = tuple(
        column for column in columns if mapping.get(column, column) not in SUBMISSION_FIELDS
    )
    for row in reader:
        report.rows += 1
        body = _submission(row, mapping, report.attribute_columns)
        values, errors = normalize_submission(body)
        if errors:
            report.rejected += 1
            if len(report.problems) < MAX_REPORTED:
                why = "; ".join(f"{column}: {message}" for column, message in errors.items())
                report.problems.append((reader.line_num, why))
        elif not dry_run:
            result = lead_intake(
                values=values, payload=body, intake_key=None, actor=f"import {name}"
            )
            report.imported += result.created
            report.joined += not result.created
        if progress is not None and report.rows % every == 0:
            progress(report)
    return report


def _submission(
    row: Mapping[str | None, Any], mapping: Mapping[str, str], extra: tuple[str, ...]
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for column, value in row.items():
        if column is None or value is None or not str(value).strip():
            continue  # surplus cells of a ragged row, or empty ones
        column = column.strip()
        if column in extra:
            attributes[column] = value.strip()
        else:
            body[mapping.get(column, column)] = value.strip()
    if attributes:
        body["attributes"] = attributes
    return body
