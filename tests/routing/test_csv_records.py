"""Reading a CSV record by record agrees with the csv module on every record it reads,
and after a record it reports (too large, a quote never closed) carries on exactly where
the csv module's next record starts."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.imports.csv_records import CsvRecords, QuoteNeverClosed, TooLarge

# Text made of what matters to a CSV reader: delimiters, quotes, every kind of line end,
# and a character of two bytes.
csv_text = st.lists(
    st.sampled_from(["a", "bc", "é", ",", '"', '""', "\n", "\r", "\r\n"]), max_size=60
).map("".join)
UNLIMITED = 1 << 30


def reference(text: str) -> list[tuple[int, int, list[str], int]]:
    """The csv module's records of a file opened with newline="", as (first line, last
    line, cells, bytes), blank lines left out."""
    reader = csv.reader(io.StringIO(text, newline=""))
    lines = io.StringIO(text, newline="").readlines()
    records, last = [], 0
    for cells in reader:
        first, last = last + 1, reader.line_num
        size = sum(len(line.encode()) for line in lines[first - 1 : last])
        if cells:
            records.append((first, last, cells, size))
    return records


def ends_inside_a_quote(text: str) -> bool:
    """Whether the csv module is inside a quoted cell at the end of `text`: a line after
    it is a record of its own only if not."""
    *_, last = csv.reader(io.StringIO(text + "\n\ue000", newline=""))
    return last != ["\ue000"]


def read(text: str, max_bytes: int = UNLIMITED) -> list:
    return list(CsvRecords(io.BytesIO(text.encode()), max_bytes=max_bytes))


@settings(max_examples=600, deadline=None)
@given(csv_text)
def test_without_a_size_limit_every_record_is_the_csv_modules(text):
    expected = reference(text)
    records = read(text)

    assert [record.line for record in records] == [first for first, *_ in expected]
    if expected and ends_inside_a_quote(text):
        *records, never_closed = records
        assert never_closed.problem == QuoteNeverClosed(
            opened=never_closed.problem.opened, last_line=expected[-1][1]
        )
        expected = expected[:-1]
    assert [(record.cells, record.problem) for record in records] == [
        (cells, None) for _, _, cells, _ in expected
    ]


@settings(max_examples=1500, deadline=None)
# Limits from 2 bytes: a blank line (CRLF) is never too large.
@given(csv_text, st.integers(min_value=2, max_value=12))
def test_a_record_too_large_is_reported_and_the_next_one_read_where_it_starts(text, limit):
    expected = {first: (last, cells, size) for first, last, cells, size in reference(text)}
    open_at_end = ends_inside_a_quote(text)

    for record in read(text, limit):
        last, cells, size = expected[record.line]
        is_last = record.line == max(expected)
        if isinstance(record.problem, QuoteNeverClosed):
            assert is_last and open_at_end and record.problem.last_line == last
        elif isinstance(record.problem, TooLarge):
            assert size > limit and not (is_last and open_at_end)
            assert (record.problem.size, record.problem.last_line) == (size, last)
            assert record.problem.cell_size == max(len(cell.encode()) for cell in cells)
        else:
            assert record.problem is None and size <= limit and record.cells == cells


def test_the_line_a_never_closed_quote_opened_on_is_named():
    text = 'email,message\na@x.com,"two\nlines"\nb@x.com,"ok",x,"opens\nc@x.com,C\n'

    *_, record = read(text)

    assert (record.line, record.problem) == (4, QuoteNeverClosed(opened=4, last_line=5))
    *_, record = read(text, max_bytes=20)
    assert (record.line, record.problem) == (4, QuoteNeverClosed(opened=4, last_line=5))
