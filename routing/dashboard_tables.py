"""The dashboard's tables, each shown on the page and downloadable as CSV from the same
rows: a cell knows how it reads on the page and what a spreadsheet should get (seconds
as a number, a share as a percentage, a link as its text)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from routing.exports import csv_pieces, neutralised
from routing.metrics import lead_metrics
from routing.rep_metrics import (
    BREACHING_SHOWN,
    DUE_SOON,
    METHOD_LABELS,
    RepFigures,
    leads_breaching,
    pools_next,
    rep_figures,
)


@dataclass(frozen=True)
class Column:
    title: str
    unit: str = ""  # the CSV header says it: "Speed to lead, median (seconds)"
    number: bool = False  # right-aligned on the page
    nowrap: bool = False  # kept on one line (numbers always are)

    @property
    def csv_title(self) -> str:
        return f"{self.title} ({self.unit})" if self.unit else self.title


@dataclass(frozen=True)
class Cell:
    text: str  # on the page
    value: Any  # in the CSV
    url: str = ""
    muted: str = ""  # a second, quieter line on the page


def plain(value: Any) -> Cell:
    return Cell("" if value is None else str(value), value)


def seconds(value: float | None) -> Cell:
    return Cell(duration_words(value) if value is not None else "—", value)


def share(part: int, whole: int) -> Cell:
    if not whole:
        return Cell("—", None)
    percent = round(100 * part / whole, 1)
    return Cell(f"{percent:g}%", percent, muted=f"{part} of {whole}")


def duration_words(total: float) -> str:
    """42 s, 4 min 10 s, 2 h 5 min, 3 d 4 h: the two largest units."""
    whole = round(abs(total))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    shown = [f"{amount} {unit}" for amount, unit in parts if amount][:2]
    return " ".join(shown) or "0 s"


def lateness_words(late_seconds: float) -> str:
    """ "25 min late", "due in 4 min": to the minute, which is what a manager acts on
    (seconds only under a minute)."""
    rounded = late_seconds if abs(late_seconds) < 60 else round(late_seconds / 60) * 60
    words = duration_words(rounded)
    return f"{words} late" if late_seconds >= 0 else f"due in {words}"


@dataclass(frozen=True)
class Table:
    name: str  # in the CSV's address: /dashboard/<name>.csv
    title: str
    columns: tuple[Column, ...]
    rows: list[list[Cell]]
    empty: str  # what the page says when there are no rows
    note: str = ""

    def lines(self) -> list[list[tuple[Cell, Column]]]:
        """The rows with each cell's column, for the page."""
        return [list(zip(row, self.columns, strict=True)) for row in self.rows]

    def csv_rows(self) -> Iterator[list[Any]]:
        yield [column.csv_title for column in self.columns]
        for row in self.rows:
            # Names come from people (reps, pools, leads): quoted like the lead export.
            yield [
                neutralised(cell.value) if isinstance(cell.value, str) else cell.value
                for cell in row
            ]

    def csv_pieces(self) -> Iterator[str]:
        return csv_pieces(self.csv_rows())


def reps_table(reps: list[RepFigures]) -> Table:
    rows = [
        [
            Cell(figures.rep, figures.rep, muted="AI agent" if figures.is_agent else ""),
            plain(figures.received),
            replace(
                seconds(figures.speed_median_seconds),
                muted=f"of {figures.acknowledged} acknowledged" if figures.acknowledged else "",
            ),
            seconds(figures.speed_p90_seconds),
            share(figures.acknowledged_in_time, figures.sla_counted),
            plain(figures.escalated),
            plain(figures.open_now),
            share(figures.converted, figures.with_outcome),
        ]
        for figures in reps
    ]
    return Table(
        name="reps",
        title="Each rep",
        columns=(
            Column("Rep"),
            Column("Leads received", number=True),
            Column("Speed to lead, median", unit="seconds", number=True),
            Column("Speed to lead, 90th percentile", unit="seconds", number=True),
            Column("Acknowledged within SLA", unit="%", number=True),
            Column("Escalated away", number=True),
            Column("Open now", number=True),
            Column("Conversion", unit="%", number=True),
        ),
        rows=rows,
        empty="No rep was given a lead in this period, and nobody holds one now.",
        note="Leads given to each rep in the period (routed, escalated to them, handed off, "
        "claimed or reassigned). Speed to lead runs from their assignment to their "
        "acknowledgment; escalated away: leads they did not acknowledge in time; open now: "
        "whatever the period; conversion: converted of the leads that reached an outcome "
        "while theirs.",
    )


def next_table(*, now: datetime) -> Table:
    rows = [
        [
            plain(answer.pool),
            plain(answer.method),
            Cell(answer.next_rep or "—", answer.next_rep, muted=answer.why),
            plain("; ".join(answer.passed_over)),
        ]
        for answer in pools_next(now=now)
    ]
    return Table(
        name="next",
        title="Who is next",
        columns=(
            Column("Pool"),
            Column("Method"),
            Column("Next lead goes to"),
            Column("Passed over now"),
        ),
        rows=rows,
        empty="There are no pools.",
        note="As routing would decide the next lead sent to each pool now: its rotation, "
        "or the members' open leads, and who is away, off shift or at capacity.",
    )


def breaching_table(*, now: datetime, limit: int | None = None) -> Table:
    found, total = leads_breaching(now=now, limit=limit)
    rows = [
        [
            Cell(
                lead.lead, lead.lead, url=reverse("admin:routing_lead_change", args=[lead.lead_id])
            ),
            plain(lead.company),
            plain(lead.owner),
            Cell(
                timezone.localtime(lead.due_at).strftime("%d %b %H:%M"),
                timezone.localtime(lead.due_at).isoformat(timespec="seconds"),
            ),
            Cell(lateness_words(lead.late_seconds), round(lead.late_seconds / 60, 1)),
        ]
        for lead in found
    ]
    soon = duration_words(DUE_SOON.total_seconds())
    shown = (
        f"The {len(found)} most overdue of {total}; the CSV has them all. "
        if total > len(found)
        else ""
    )
    return Table(
        name="breaching",
        title="Breaching their SLA now",
        columns=(
            Column("Lead"),
            Column("Company"),
            Column("Owner"),
            Column("Due", nowrap=True),
            Column("Late", unit="minutes, negative: not yet due", number=True),
        ),
        rows=rows,
        empty=f"No lead is past its deadline or due within {soon}.",
        note=shown + "Leads not yet acknowledged by their owner whose deadline has passed "
        f"or comes within {soon}, the most overdue first.",
    )


def conversion_table(name: str, title: str, rows: list[dict[str, Any]]) -> Table:
    return Table(
        name=name,
        title=title,
        columns=(
            Column(title.removeprefix("Conversion by ").capitalize()),
            Column("Leads", number=True),
            Column("Converted", number=True),
            Column("Conversion", unit="%", number=True),
        ),
        rows=[
            [
                plain(row["name"]),
                plain(row["leads"]),
                plain(row["converted"]),
                share(row["converted"], row["leads"]),
            ]
            for row in rows
        ],
        empty="No leads in this period.",
    )


def _turns(available: int | None, turns: int | None) -> Cell:
    """Of the pool's turns in the period, how many the member could take (rotations)."""
    return Cell("" if available is None else f"{available} of {turns}", available)


def fairness_table(pools: list[dict[str, Any]]) -> Table:
    return Table(
        name="fairness",
        title="Fairness",
        columns=(
            Column("Pool"),
            Column("Method"),
            Column("Rep"),
            Column("Leads", number=True),
            Column("Expected", number=True),
            Column("Could take", unit="turns", number=True),
        ),
        rows=[
            [
                plain(pool["pool"]),
                plain(METHOD_LABELS.get(pool["method"], pool["method"])),
                plain(member["rep"]),
                plain(member["leads"]),
                plain(member["expected"]),
                _turns(member["available_turns"], pool["turns"]),
            ]
            for pool in pools
            for member in pool["members"]
        ],
        empty="No pool routed a lead in this period.",
    )


FIGURE_TABLES: dict[str, Callable[[dict[str, Any]], Table]] = {
    "rules": lambda figures: conversion_table(
        "rules", "Conversion by rule", figures["conversion_by_rule"]
    ),
    "pools": lambda figures: conversion_table(
        "pools", "Conversion by pool", figures["conversion_by_pool"]
    ),
    "paths": lambda figures: conversion_table(
        "paths", "Conversion by routing path", figures["conversion_by_path"]
    ),
    "fairness": lambda figures: fairness_table(figures["fairness"]),
}
TABLE_NAMES = ("reps", "next", "breaching", *FIGURE_TABLES)


def dashboard_tables(
    *, figures: dict[str, Any], reps: list[RepFigures], now: datetime
) -> dict[str, Table]:
    """Every table of the page, by name, from the period's figures (`lead_metrics`,
    `rep_figures`)."""
    return {
        "reps": reps_table(reps),
        "next": next_table(now=now),
        "breaching": breaching_table(now=now, limit=BREACHING_SHOWN),
        **{name: build(figures) for name, build in FIGURE_TABLES.items()},
    }


def dashboard_table(name: str, *, start: datetime, end: datetime, now: datetime) -> Table:
    """One table, whole (the breaching list unabridged), for its CSV. KeyError: no such
    table."""
    if name == "reps":
        return reps_table(rep_figures(start=start, end=end, now=now))
    if name == "next":
        return next_table(now=now)
    if name == "breaching":
        return breaching_table(now=now)
    return FIGURE_TABLES[name](lead_metrics(start=start, end=end, now=now))
