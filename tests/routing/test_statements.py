"""The statements run for every lead: prepared and planned once per connection on
PostgreSQL, logged with their values, plain statements elsewhere or when turned off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from routing.services.duplicates import open_duplicate_ids
from routing.statements import any_of, prepares, statement_cursor
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [" ".join(statement.split()) for (statement,) in cursor.fetchall()]


def test_a_statement_runs_and_answers_on_any_database():
    column, params = any_of("n", [1, 2, 3])
    with statement_cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 AS n UNION ALL SELECT 4) t WHERE {column}", params
        )
        assert cursor.fetchone()[0] == 1


@postgresql_only
def test_on_postgresql_the_statement_is_prepared_once_and_used_again():
    assert prepares()
    for _ in range(3):
        with statement_cursor() as cursor:
            cursor.execute("SELECT %s::int + 41 AS answer", [1])
            assert cursor.fetchone()[0] == 42

    assert prepared_statements().count("SELECT $1::int + 41 AS answer") == 1


@postgresql_only
def test_a_prepared_statement_is_logged_with_its_values():
    with CaptureQueriesContext(connection) as queries, statement_cursor() as cursor:
        cursor.execute("SELECT %s::text AS greeting", ["hello"])

    assert queries.captured_queries[-1]["sql"] == "SELECT 'hello'::text AS greeting"


@postgresql_only
def test_turned_off_nothing_is_prepared():
    options = connection.settings_dict["OPTIONS"]
    threshold = options.pop("prepare_threshold")
    try:
        assert not prepares()
        with statement_cursor() as cursor:
            cursor.execute("SELECT %s::int + 6 AS unprepared", [1])
            assert cursor.fetchone()[0] == 7
        assert "SELECT $1::int + 6 AS unprepared" not in prepared_statements()
    finally:
        options["prepare_threshold"] = threshold


@postgresql_only
def test_the_duplicate_probe_is_planned_on_the_email_index_whatever_the_statistics():
    """Planned once without the values, on tables never analyzed: the one e-mail's
    probe must still look the e-mail up, not scan every open lead by status."""
    now = timezone.now()
    LeadFactory.create_batch(3, status="new")
    lead = LeadFactory(email="ana@acme.com", status="new")
    assert open_duplicate_ids(["ana@acme.com"], window=timedelta(days=90), now=now) == {
        "ana@acme.com": lead.pk
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%SELECT email, id FROM routing_lead%"],
        )
        (statement_name,) = cursor.fetchone()
        cursor.execute(f"EXPLAIN EXECUTE {statement_name}('ana@acme.com', now())")
        plan = "\n".join(row for (row,) in cursor.fetchall())
    assert "lead_email_recent_idx" in plan, plan
