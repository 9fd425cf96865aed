"""The statements run for every lead: prepared by psycopg on PostgreSQL once a
connection has run them often enough, never when turned off; answered in order; a
failure is Django's error and undoes the transaction's writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from routing.db.statements import any_of, array_param, prepares, run_statements, write
from routing.models import Lead
from routing.services.duplicates import open_duplicate_ids, open_duplicate_probe
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)
prepared_only = pytest.mark.skipif(
    connection.settings_dict["OPTIONS"].get("prepare_threshold") is None,
    reason="prepared statements are PostgreSQL's, and turned on",
)


def prepared_statements() -> dict[str, str]:
    """Statement text -> its prepared name, on this connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, name FROM pg_prepared_statements")
        return {" ".join(statement.split()): name for statement, name in cursor.fetchall()}


def often_enough(statement: tuple[str, list]) -> list:
    """Run `statement` as many times as the connection waits for before preparing it."""
    threshold = connection.settings_dict["OPTIONS"].get("prepare_threshold") or 0
    answers = []
    for _ in range(threshold + 1):
        answers = run_statements([statement])
    return answers


def test_statements_answer_each_in_order_and_none_stands_for_one_not_needed():
    lead = LeadFactory(email="ana@acme.com")
    column, params = any_of("n", [1, 2, 3])

    answers = run_statements(
        [
            (f"SELECT COUNT(*) FROM (SELECT 1 AS n UNION ALL SELECT 4) t WHERE {column}", params),
            None,
            ("UPDATE routing_lead SET company = %s WHERE id = %s", ["Acme", lead.pk]),
            ("SELECT company FROM routing_lead WHERE id = %s", [lead.pk]),
        ]
    )

    assert answers == [[(1,)], None, [], [("Acme",)]]


def test_a_failing_statement_raises_djangos_error_and_undoes_the_transactions_writes():
    lead = LeadFactory(email="ana@acme.com", company="Before")
    with pytest.raises(IntegrityError), transaction.atomic():
        write("UPDATE routing_lead SET company = %s WHERE id = %s", ["After", lead.pk])
        run_statements(
            [
                (
                    "INSERT INTO routing_lead_queue_pools (lead_id, pool_id) VALUES (%s, %s)",
                    [lead.pk, None],
                ),
            ]
        )
    lead.refresh_from_db()
    assert lead.company == "Before"


def test_statements_sent_together_stop_at_a_failure_that_undoes_them_all():
    """On PostgreSQL they go in one pipeline: the ones after a failure do not run, and
    the transaction is undone whole, as if they had been sent one by one."""
    lead = LeadFactory(email="ana@acme.com", company="Before")
    with pytest.raises(IntegrityError), transaction.atomic():
        run_statements(
            [
                ("UPDATE routing_lead SET company = %s WHERE id = %s", ["After", lead.pk]),
                (
                    "INSERT INTO routing_lead_queue_pools (lead_id, pool_id) VALUES (%s, %s)",
                    [lead.pk, None],
                ),
                ("UPDATE routing_lead SET company = %s WHERE id = %s", ["Later", lead.pk]),
            ]
        )
    select = ("SELECT company FROM routing_lead WHERE id = %s", [lead.pk])
    assert run_statements([select, select]) == [[("Before",)], [("Before",)]]


@postgresql_only
def test_an_array_parameter_reaches_postgresql_as_the_values_it_was_made_of():
    at = datetime(2026, 11, 29, 5, 0, tzinfo=UTC)
    text = ["plain", 'with "quotes", a comma', "back\\slash", "{braces}", "NULL", ""]
    answers = run_statements(
        [
            (
                "SELECT %s::bigint[], %s::boolean[], %s::timestamptz[], %s::text[]",
                [
                    array_param([1, -2, 3_000_000_000]),
                    array_param([True, False, None]),
                    array_param([at]),
                    array_param(text),
                ],
            ),
            ("SELECT 5::bigint = ANY(%s), 7::bigint = ANY(%s)", [array_param([5])] * 2),
        ]
    )
    assert answers == [
        [([1, -2, 3_000_000_000], [True, False, None], [at], text)],
        [(True, False)],
    ]


@prepared_only
def test_on_postgresql_a_statement_run_often_enough_is_prepared_once():
    assert prepares()
    assert often_enough(("SELECT %s::int + 41 AS answer", [1])) == [[(42,)]]
    assert run_statements([("SELECT %s::int + 41 AS answer", [2])]) == [[(43,)]]

    assert "SELECT $1::int + 41 AS answer" in prepared_statements()


@postgresql_only
def test_turned_off_nothing_is_prepared():
    options = connection.settings_dict["OPTIONS"]
    threshold = options.pop("prepare_threshold", None)
    try:
        assert not prepares()
        for _ in range(7):
            assert run_statements([("SELECT %s::int + 6 AS unprepared", [1])]) == [[(7,)]]
        assert not [sql for sql in prepared_statements() if "unprepared" in sql]
    finally:
        if threshold is not None:
            options["prepare_threshold"] = threshold


@prepared_only
@pytest.mark.django_db(transaction=True)
def test_statements_whose_prepared_form_was_dropped_are_prepared_again():
    statement = ("SELECT %s::int + 1 AS next", [1])
    with transaction.atomic():
        often_enough(statement)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler's reset or an operator might

    with transaction.atomic():
        assert often_enough(statement) == [[(2,)]]
    assert "SELECT $1::int + 1 AS next" in prepared_statements()


@prepared_only
def test_the_duplicate_probe_is_planned_on_the_email_index():
    """Planned once per connection without the values (a generic plan): the one
    e-mail's probe must look the e-mail up, not scan every open lead by status. The plan
    is made again here on statistics the test sets (another test's ANALYZE of a table
    of three leads would rightly plan a scan of it)."""
    now = timezone.now()
    LeadFactory.create_batch(300, status="new")
    lead = LeadFactory(email="ana@acme.com", status="new")
    window = timedelta(days=90)
    probe = open_duplicate_probe(["ana@acme.com"], window=window, now=now)
    for _ in range(10):
        assert open_duplicate_ids(["ana@acme.com"], window=window, now=now) == {
            "ana@acme.com": lead.pk
        }
    (statement_name,) = [
        name
        for sql, name in prepared_statements().items()
        if sql == " ".join(probe[0].replace("%s", "$1", 1).replace("%s", "$2", 1).split())
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE routing_lead")
        cursor.execute("DISCARD PLANS")  # the prepared probe is planned at its next use
        cursor.execute(f"EXPLAIN EXECUTE {statement_name}('ana@acme.com', now())")
        plan = "\n".join(row for (row,) in cursor.fetchall())
    assert "lead_email_recent_idx" in plan, plan


def test_a_statement_may_carry_more_than_a_socket_buffer_holds():
    big = "x" * 3_000_000
    answers = run_statements([("SELECT length(%s)", [big]), ("SELECT upper(%s)", ["end"])])
    assert answers == [[(3_000_000,)], [("END",)]]


def test_a_write_is_seen_by_the_orm_at_once():
    lead = LeadFactory(email="ana@acme.com")
    write("UPDATE routing_lead SET company = %s WHERE id = %s", ["Acme", lead.pk])
    assert Lead.objects.get(pk=lead.pk).company == "Acme"
