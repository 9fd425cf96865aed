"""Leads as CSV rows: every lead field, the routing columns, formulas neutralised, and one
query however many leads."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from routing.exports import HEADER, csv_pieces, lead_export_rows, neutralised
from routing.lead_fields import LEAD_FIELDS
from routing.models import Lead
from tests.factories import AssignmentFactory, LeadFactory, PoolFactory, RepFactory, RuleFactory

pytestmark = pytest.mark.django_db

SUBMITTED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def exported(leads=None, *, now: datetime | None = None) -> list[dict[str, str]]:
    """The CSV as a spreadsheet would read it, one dict per row keyed by header."""
    queryset = leads if leads is not None else Lead.objects.order_by("id")
    text = "".join(csv_pieces(lead_export_rows(queryset, now=now)))
    return list(csv.DictReader(io.StringIO(text)))


def routed_lead(*, rule=None, pool=None, due_in=timedelta(minutes=15), acked_after=None, **fields):
    rule = rule or RuleFactory(name="Enterprise")
    rep = rule.route_rep
    lead = LeadFactory(
        created_at=SUBMITTED,
        owner=rep,
        ruleset=rule.ruleset,
        rule=rule,
        pool=pool,
        status=Lead.Status.ASSIGNED,
        **fields,
    )
    acknowledged = SUBMITTED + acked_after if acked_after is not None else None
    AssignmentFactory(
        lead=lead,
        rep=rep,
        assigned_at=SUBMITTED + timedelta(seconds=1),
        ack_due_at=SUBMITTED + due_in if due_in is not None else None,
        acknowledged_at=acknowledged,
    )
    if acknowledged:
        lead.acknowledged_at = acknowledged
        lead.status = Lead.Status.ACKNOWLEDGED
        lead.save()
    return lead


def test_the_header_has_every_lead_field_of_the_registry_then_the_routing_columns():
    labels = [field.label for field in LEAD_FIELDS]
    assert list(HEADER[: len(labels)]) == labels
    assert list(HEADER[len(labels) :]) == [
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
    ]


def test_a_row_carries_the_lead_its_owner_rule_pool_times_sla_and_outcome():
    rule = RuleFactory(name="Enterprise", route_rep=RepFactory(name="Ana Ruiz", email="ana@x.com"))
    lead = routed_lead(
        rule=rule,
        pool=PoolFactory(name="Enterprise AEs"),
        acked_after=timedelta(minutes=5),
        company="Northwind",
        employee_count=250,
        annual_revenue=Decimal("1500000.00"),
        score=-3.5,
        attributes={"plan": "pro"},
        escalation_count=2,
        outcome_note="Booked a call",
    )
    (row,) = exported()
    assert row["E-mail"] == lead.email
    assert row["Company"] == "Northwind"
    assert row["Employees"] == "250"
    assert row["Annual revenue"] == "1500000.00"
    assert row["Score"] == "-3.5"  # a number, not text to neutralise
    assert row["Attributes"] == '{"plan": "pro"}'
    assert row["Owner"] == "Ana Ruiz" and row["Owner e-mail"] == "ana@x.com"
    assert row["Rule"] == "Enterprise" and row["Pool"] == "Enterprise AEs"
    assert row["Submitted"] == "2026-11-02T09:00:00+00:00"
    assert row["First routed"] == "2026-11-02T09:00:01+00:00"
    assert row["Acknowledged"] == "2026-11-02T09:05:00+00:00"
    assert row["SLA met"] == "yes"
    assert row["Escalations"] == "2"
    assert row["Status"] == "Acknowledged"
    assert row["Outcome note"] == "Booked a call"


def test_sla_met_is_no_when_late_or_overdue_and_blank_without_a_deadline_or_before_it():
    late = routed_lead(acked_after=timedelta(minutes=20), email="late@x.com")
    overdue = routed_lead(email="overdue@x.com")
    no_deadline = routed_lead(due_in=None, email="none@x.com")
    LeadFactory(email="unrouted@x.com", created_at=SUBMITTED)
    after_deadline = SUBMITTED + timedelta(hours=1)
    sla = {row["E-mail"]: row["SLA met"] for row in exported(now=after_deadline)}
    assert sla == {
        late.email: "no",
        overdue.email: "no",
        no_deadline.email: "",
        "unrouted@x.com": "",
    }
    before_deadline = SUBMITTED + timedelta(minutes=1)
    assert {row["E-mail"]: row["SLA met"] for row in exported(now=before_deadline)}[
        overdue.email
    ] == ""


def test_a_lead_the_fallback_took_says_so_and_an_unrouted_lead_has_no_rule():
    fallback = routed_lead(email="fallback@x.com")
    fallback.rule = None
    fallback.save()
    LeadFactory(email="new@x.com")
    rules = {row["E-mail"]: row["Rule"] for row in exported()}
    assert rules == {"fallback@x.com": "(fallback)", "new@x.com": ""}


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://evil")', "+1 555 0100", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"],
)
def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_quoted(text):
    LeadFactory(company=text, first_name=text, message=text, attributes={})
    (row,) = exported()
    assert row["Company"] == row["First name"] == row["Message"] == "'" + text


def test_harmless_text_is_left_as_it_is():
    assert neutralised("Acme = best") == "Acme = best"
    assert neutralised("") == ""


def test_the_export_reads_the_leads_in_one_query_however_many_there_are():
    def queries_for_all_rows() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            rows = len(list(lead_export_rows(Lead.objects.order_by("id"))))
        return rows, len(queries)

    pool = PoolFactory()
    for _ in range(3):
        routed_lead(pool=pool, acked_after=timedelta(minutes=1))
    assert queries_for_all_rows() == (4, 1)
    for _ in range(40):
        routed_lead(pool=pool, acked_after=timedelta(minutes=1))
    assert queries_for_all_rows() == (44, 1)
