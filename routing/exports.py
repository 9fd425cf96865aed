"""Leads as CSV, for a CRM or a spreadsheet: the rows of any queryset of leads, streamed.

One query however many leads: what each row needs beyond the lead (its owner, rule and
pool, its first assignment's times) is joined or annotated, never fetched per row, and
the rows are read in chunks (`.iterator`) and written in batches, so memory stays flat
whether the export holds ten leads or a hundred thousand.

Text that a lead source sent may begin with `=`, `+`, `-` or `@`, which a spreadsheet
runs as a formula (`=HYPERLINK(...)`, `=cmd|...`): such cells, and those beginning with
a tab or a carriage return, are written with a leading single quote, as OWASP advises.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import StreamingHttpResponse
from django.utils import timezone

from routing.lead_fields import LEAD_FIELDS, Kind
from routing.models import Assignment, Lead

CHUNK_SIZE = 2000  # rows read from the database at a time
BATCH_ROWS = 500  # rows written into one piece of the response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# (header, value of the row read by `lead_export_rows`) after the lead fields.
_ROUTING_COLUMNS = (
    "Owner",
    "Owner e-mail",
    "Rule",
    "Pool",
    "Submitted",
    "First routed",
    "Acknowledged",
    "SLA met",
    "Escalations",
    "Status",
    "Outcome note",
)
HEADER = (*(field.label for field in LEAD_FIELDS), *_ROUTING_COLUMNS)

_STATUS_LABELS = dict(Lead.Status.choices)


def neutralised(text: str) -> str:
    """`text` as a spreadsheet shows it rather than runs it."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def lead_export_queryset(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """`leads` (filtered and ordered as the caller likes) with what a row needs, as dicts."""
    first = Assignment.objects.filter(lead=OuterRef("pk")).order_by("assigned_at", "id")
    return leads.annotate(
        first_assigned_at=Subquery(first.values("assigned_at")[:1]),
        first_ack_due_at=Subquery(first.values("ack_due_at")[:1]),
        first_acknowledged_at=Subquery(first.values("acknowledged_at")[:1]),
    ).values(
        *(field.name for field in LEAD_FIELDS),
        "owner__name",
        "owner__email",
        "ruleset_id",
        "rule__name",
        "pool__name",
        "created_at",
        "first_assigned_at",
        "first_ack_due_at",
        "first_acknowledged_at",
        "acknowledged_at",
        "escalation_count",
        "status",
        "outcome_note",
    )


def lead_export_rows(leads: QuerySet[Lead], *, now: datetime | None = None) -> Iterator[list[Any]]:
    """The header, then one row per lead of `leads`, every text cell neutralised."""
    now = now or timezone.now()
    yield list(HEADER)
    for lead in lead_export_queryset(leads).iterator(chunk_size=CHUNK_SIZE):
        yield [_cell(value) for value in _row(lead, now)]


def _row(lead: dict[str, Any], now: datetime) -> list[Any]:
    fields = [_field_value(lead[field.name], field.kind) for field in LEAD_FIELDS]
    return [
        *fields,
        lead["owner__name"] or "",
        lead["owner__email"] or "",
        _rule(lead),
        lead["pool__name"] or "",
        _moment(lead["created_at"]),
        _moment(lead["first_assigned_at"]),
        _moment(lead["acknowledged_at"]),
        _sla_met(lead, now),
        lead["escalation_count"],
        _STATUS_LABELS.get(lead["status"], lead["status"]),
        lead["outcome_note"],
    ]


def _field_value(value: Any, kind: Kind) -> Any:
    if kind is Kind.ATTRIBUTES:
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    return "" if value is None else value


def _rule(lead: dict[str, Any]) -> str:
    # As the dashboard names it: a routed lead without a rule went to the fallback.
    if lead["rule__name"]:
        return lead["rule__name"]
    return "(fallback)" if lead["ruleset_id"] else ""


def _sla_met(lead: dict[str, Any], now: datetime) -> str:
    """Was the first assignment acknowledged by its deadline, as the dashboard counts it:
    blank without a deadline, and while the deadline is still ahead and not yet met."""
    due, acknowledged = lead["first_ack_due_at"], lead["first_acknowledged_at"]
    if due is None:
        return ""
    if acknowledged is not None:
        return "yes" if acknowledged <= due else "no"
    return "no" if due <= now else ""


def _moment(value: datetime | None) -> str:
    # ISO 8601 with its offset, in the server's time zone: unambiguous for a CRM.
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def _cell(value: Any) -> Any:
    # Numbers are ours to write (a negative score is not a formula); text may be anyone's.
    return neutralised(value) if isinstance(value, str) else value


def csv_pieces(rows: Iterable[list[Any]]) -> Iterator[str]:
    """`rows` as CSV text, a batch of rows per piece."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % BATCH_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def lead_export_response(leads: QuerySet[Lead], *, filename: str) -> StreamingHttpResponse:
    """A download of `leads` as CSV, streamed while the rows are read."""
    response = StreamingHttpResponse(
        csv_pieces(lead_export_rows(leads)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_filename(label: str, *, now: datetime | None = None) -> str:
    stamp = timezone.localtime(now or timezone.now()).strftime("%Y%m%d-%H%M")
    return f"leads-{label}-{stamp}.csv"
