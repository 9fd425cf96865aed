"""The statements run for every lead: prepared and planned once per connection on
PostgreSQL, logged with their values, plain statements elsewhere or when turned off;
several at once in one round trip, writes kept for the end of a block."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from routing.db.pipeline import numbered
from routing.db.statements import (
    any_of,
    array_param,
    prepares,
    reads_as_one,
    run_together,
    statement_cursor,
    write,
    writes_together,
)
from routing.models import Lead, LeadEvent
from routing.services.duplicates import open_duplicate_ids, open_duplicate_probe
from routing.snapshot import ROUTING_VERSION
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)

# An event row for a lead and a kind, written as a routed lead's rows are.
EVENT_INSERT = (
    "INSERT INTO routing_leadevent (lead_id, kind, at, actor, data) "
    "VALUES (%s, %s, now(), '', '{}')"
)


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [" ".join(statement.split()) for (statement,) in cursor.fetchall()]


def test_a_statement_runs_and_answers_on_any_database():
    column, params = any_of("n", [1, 2, 3])
    with statement_cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) AS found FROM (SELECT 1 AS n UNION ALL SELECT 4) t WHERE {column}",
            params,
        )
        assert [column[0] for column in cursor.description] == ["found"]
        assert cursor.fetchone()[0] == 1
        assert cursor.fetchone() is None
        lead = LeadFactory(email="ana@acme.com")
        cursor.execute("UPDATE routing_lead SET company = %s WHERE id = %s", ["Acme", lead.pk])
        assert cursor.description is None
        assert cursor.rowcount == 1


@postgresql_only
def test_an_array_parameter_reaches_postgresql_as_the_values_it_was_made_of():
    at = datetime(2026, 11, 29, 5, 0, tzinfo=UTC)
    text = ["plain", 'with "quotes", a comma', "back\\slash", "{braces}", "NULL", ""]
    with statement_cursor() as cursor:
        cursor.execute(
            "SELECT %s::bigint[], %s::boolean[], %s::timestamptz[], %s::text[]",
            [
                array_param([1, -2, 3_000_000_000]),
                array_param([True, False, None]),
                array_param([at]),
                array_param(text),
            ],
        )
        assert cursor.fetchone() == ([1, -2, 3_000_000_000], [True, False, None], [at], text)
        cursor.execute("SELECT 5::bigint = ANY(%s), 7::bigint = ANY(%s)", [array_param([5])] * 2)
        assert cursor.fetchone() == (True, False)


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
@pytest.mark.parametrize("with_other_reads", [False, True], ids=["alone", "read as one"])
def test_the_duplicate_probe_is_planned_on_the_email_index(with_other_reads):
    """Planned once per connection without the values (a generic plan): the one
    e-mail's probe must look the e-mail up, not scan every open lead by status, alone
    or read as one with intake's other reads. The plan is made again here on
    statistics the test sets (another test's ANALYZE of a table of three leads would
    rightly plan a scan of it)."""
    now = timezone.now()
    LeadFactory.create_batch(300, status="new")
    lead = LeadFactory(email="ana@acme.com", status="new")
    window = timedelta(days=90)
    probe = open_duplicate_probe(["ana@acme.com"], window=window, now=now)
    if with_other_reads:
        reads = reads_as_one([ROUTING_VERSION, probe])
        (prepared,) = [sql for sql, _ in reads.statements]
        _, found = reads.answers(run_together(reads.statements))
        assert found == [("ana@acme.com", lead.pk)]
    else:
        prepared = probe[0]
        assert open_duplicate_ids(["ana@acme.com"], window=window, now=now) == {
            "ana@acme.com": lead.pk
        }
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE routing_lead")
        cursor.execute("DISCARD PLANS")  # the prepared probe is planned at its next use
        cursor.execute(
            "SELECT name FROM pg_prepared_statements WHERE statement = %s",
            [numbered(prepared).decode()],
        )
        (statement_name,) = cursor.fetchone()
        cursor.execute(f"EXPLAIN EXECUTE {statement_name}('ana@acme.com', now())")
        plan = "\n".join(row for (row,) in cursor.fetchall())
    assert "lead_email_recent_idx" in plan, plan


def test_reads_as_one_answer_each_read_in_order_whatever_its_columns():
    lead = LeadFactory(email="ana@acme.com", attributes={"utm": {"campaign": "q4"}})
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    reads = reads_as_one(
        [
            ("SELECT id, email FROM routing_lead WHERE email = %s", ["ana@acme.com"]),
            None,
            ("SELECT 1, 2 AS n, 3 AS n", []),  # unnamed and repeated column names
            ("SELECT id FROM routing_lead WHERE email = %s", ["nobody@acme.com"]),
            (f"SELECT id FROM routing_lead WHERE id = %s{lock}", [lead.pk]),
            ("SELECT attributes FROM routing_lead WHERE id = %s ORDER BY id", [lead.pk]),
        ]
    )
    # The locking read stays a statement of its own, after the others read as one.
    merged = len([statement for statement in reads.statements if statement]) == 2

    answers = reads.answers(run_together(reads.statements))

    assert merged == (connection.vendor == "postgresql")
    *answers, [(attributes,)] = answers
    assert answers == [[(lead.pk, "ana@acme.com")], None, [(1, 2, 3)], [], [(lead.pk,)]]
    if not merged:  # SQLite's raw rows give JSON as its text
        attributes = json.loads(attributes)
    assert attributes == {"utm": {"campaign": "q4"}}


def test_statements_run_together_answer_each_in_order_and_none_stands_for_one_not_needed():
    lead = LeadFactory(email="ana@acme.com")

    answers = run_together(
        [
            ("SELECT %s + 1", [41]),
            None,
            ("UPDATE routing_lead SET company = %s WHERE id = %s", ["Acme", lead.pk]),
            ("SELECT company FROM routing_lead WHERE id = %s", [lead.pk]),
        ]
    )

    assert answers == [[(42,)], None, [], [("Acme",)]]


def test_a_failing_statement_among_others_raises_djangos_error_and_undoes_them():
    lead = LeadFactory(email="ana@acme.com", company="Before")
    with pytest.raises(IntegrityError), transaction.atomic():
        run_together(
            [
                ("UPDATE routing_lead SET company = %s WHERE id = %s", ["After", lead.pk]),
                (
                    "INSERT INTO routing_lead_queue_pools (lead_id, pool_id) VALUES (%s, %s)",
                    [lead.pk, None],
                ),
            ]
        )
    lead.refresh_from_db()
    assert lead.company == "Before"


def test_writes_kept_for_the_end_of_the_block_are_sent_before_any_other_statement():
    lead = LeadFactory(email="ana@acme.com")
    with writes_together():
        write("UPDATE routing_lead SET company = %s WHERE id = %s", ["Acme", lead.pk])
        # A read of Django's in between sees the write: it is sent first.
        assert Lead.objects.get(pk=lead.pk).company == "Acme"
        write("UPDATE routing_lead SET company = %s WHERE id = %s", ["Acme 2", lead.pk])
    assert Lead.objects.get(pk=lead.pk).company == "Acme 2"


@postgresql_only
def test_writes_to_different_tables_kept_together_go_as_one_statement():
    lead = Lead.objects.create(email="ana@acme.com")
    with CaptureQueriesContext(connection) as queries, writes_together():
        write("UPDATE routing_lead SET company = %s WHERE id = %s", ["Acme", lead.pk])
        write(EVENT_INSERT, [lead.pk, "submitted"])

    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["WITH"]
    assert Lead.objects.get(pk=lead.pk).company == "Acme"
    assert LeadEvent.objects.filter(lead=lead, kind="submitted").exists()


@postgresql_only
def test_a_select_kept_for_its_effect_at_commit_goes_after_the_writes_as_their_statement():
    lead = Lead.objects.create(email="ana@acme.com")
    with CaptureQueriesContext(connection) as queries, writes_together():
        write(EVENT_INSERT, [lead.pk, "submitted"])
        write("SELECT pg_notify(%s, '')", ["leadrouter_test"])
        write(EVENT_INSERT, [lead.pk, "routed"])

    (statement,) = [query["sql"] for query in queries.captured_queries]
    assert statement.startswith("WITH w0 AS (INSERT")
    assert statement.endswith("SELECT pg_notify('leadrouter_test', '')")
    assert LeadEvent.objects.filter(lead=lead).count() == 2


@postgresql_only
def test_inserts_kept_together_go_as_one_statement_and_other_writes_keep_their_place():
    first = Lead.objects.create(email="ana@acme.com")
    with CaptureQueriesContext(connection) as queries, writes_together():
        write(EVENT_INSERT, [first.pk, "submitted"])
        write(EVENT_INSERT, [first.pk, "routed"])
        write("UPDATE routing_leadevent SET kind = %s WHERE lead_id = %s", ["noted", first.pk])
        write(EVENT_INSERT, [first.pk, "acknowledged"])

    verbs = [query["sql"].split()[0] for query in queries.captured_queries]
    assert verbs == ["WITH", "UPDATE", "INSERT"]
    kinds = sorted(LeadEvent.objects.filter(lead=first).values_list("kind", flat=True))
    assert kinds == ["acknowledged", "noted", "noted"]


@postgresql_only
def test_writes_of_a_block_that_fails_are_never_sent():
    lead = LeadFactory(email="ana@acme.com", company="Before")
    with pytest.raises(RuntimeError), writes_together():
        write("UPDATE routing_lead SET company = %s WHERE id = %s", ["After", lead.pk])
        raise RuntimeError("routing failed")

    lead.refresh_from_db()
    assert lead.company == "Before"


def _company_seen_from_another_connection(lead_id: int) -> str | None:
    """What a second connection (another process, as it were) reads of the lead."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT company FROM routing_lead WHERE id = %s", [lead_id])
            row = cursor.fetchone()
            return row[0] if row else None
    finally:
        other.close()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_writes_that_end_the_outermost_transaction_go_with_its_commit():
    lead = Lead.objects.create(email="ana@acme.com", company="Before")
    committed: list[str | None] = []
    with transaction.atomic():
        transaction.on_commit(
            lambda: committed.append(_company_seen_from_another_connection(lead.pk))
        )
        with writes_together(then_commit=True):
            write("UPDATE routing_lead SET company = %s WHERE id = %s", ["After", lead.pk])
        # Committed with the writes: another connection sees them before Django's
        # own commit at the end of the block, which then finds nothing to do.
        assert _company_seen_from_another_connection(lead.pk) == "After"
        assert committed == []  # on-commit callbacks still wait for the block's end
    assert committed == ["After"]


@postgresql_only
def test_writes_inside_an_enclosing_transaction_leave_the_commit_to_it():
    lead = Lead.objects.create(email="ana@acme.com", company="Before")
    with transaction.atomic(), writes_together(then_commit=True):
        write("UPDATE routing_lead SET company = %s WHERE id = %s", ["After", lead.pk])
    # The test's own transaction encloses this one: nothing committed.
    assert _company_seen_from_another_connection(lead.pk) is None
    assert Lead.objects.get(pk=lead.pk).company == "After"


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_statements_that_begin_a_transaction_take_its_begin_in_their_round_trip(tmp_path):
    lead = Lead.objects.create(email="ana@acme.com", company="Before")
    database = connections[DEFAULT_DB_ALIAS]
    database.ensure_connection()
    trace = tmp_path / "protocol.txt"
    with trace.open("w") as out:
        database.connection.pgconn.trace(out.fileno())
        try:
            with pytest.raises(RuntimeError), transaction.atomic():
                answers = run_together(
                    [
                        ("UPDATE routing_lead SET company = %s WHERE id = %s", ["After", lead.pk]),
                        ("SELECT company FROM routing_lead WHERE id = %s", [lead.pk]),
                    ]
                )
                assert answers == [[], [("After",)]]
                # In a transaction: nobody else sees the change until it commits.
                assert _company_seen_from_another_connection(lead.pk) == "Before"
                raise RuntimeError("undo")
        finally:
            database.connection.pgconn.untrace()
    # What the client sent and received, up to the rollback: BEGIN and the statements
    # went together, and the server said it was ready once, at the end of them.
    exchanged = trace.read_text().split('Query\t "ROLLBACK"')[0]
    assert '"BEGIN"' in exchanged
    assert exchanged.count("ReadyForQuery") == 1
    assert Lead.objects.get(pk=lead.pk).company == "Before"


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_prepared_statements_outlive_a_rolled_back_transaction():
    statement = ("SELECT %s::int * 2 AS doubled, '100%%' AS whole", [21])
    with transaction.atomic():
        assert run_together([statement, None]) == [[(42, "100%")], None]
    with pytest.raises(RuntimeError), transaction.atomic():
        run_together([statement])
        raise RuntimeError("undo")

    with transaction.atomic():
        assert run_together([statement]) == [[(42, "100%")]]
    assert prepared_statements().count("SELECT $1::int * 2 AS doubled, '100%' AS whole") == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_statements_whose_prepared_form_was_dropped_are_prepared_again():
    statement = ("SELECT %s::int + 1 AS next", [1])
    with transaction.atomic():
        run_together([statement])
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler's reset or an operator might

    with transaction.atomic():
        assert run_together([statement]) == [[(2,)]]
    assert prepared_statements().count("SELECT $1::int + 1 AS next") == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_past_the_limit_of_prepared_statements_the_least_recently_used_is_let_go(monkeypatch):
    from routing.db import pipeline

    connection.close()  # a new session: nothing prepared yet
    monkeypatch.setattr(pipeline, "MAX_PREPARED", 2)
    first, second, third = (
        ("SELECT %s::int AS first", [1]),
        ("SELECT %s::int AS second", [2]),
        ("SELECT %s::int AS third", [3]),
    )
    with transaction.atomic():
        run_together([first, second])
        run_together([first])  # used again: now the second is the least recently used
        assert run_together([third]) == [[(3,)]]

    assert sorted(prepared_statements()) == [
        "SELECT $1::int AS first",
        "SELECT $1::int AS third",
    ]


def test_statements_together_may_carry_more_than_a_socket_buffer_holds():
    big = "x" * 3_000_000
    answers = run_together([("SELECT length(%s)", [big]), ("SELECT upper(%s)", ["end"])])
    assert answers == [[(3_000_000,)], [("END",)]]
