"""Intake and routing services on the database: what gets stored, and what never is."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from reps.models import Pool, Rep
from routing.models import Assignment, Lead, LeadEvent, PoolRotation, RoutingDecision
from routing.normalize import normalize_submission
from routing.services import lead_intake, lead_simulate
from tests.factories import (
    AssignmentFactory,
    PoolMembershipFactory,
    RepFactory,
    RuleFactory,
    RuleSetFactory,
)

pytestmark = pytest.mark.django_db


def submit(**payload):
    payload.setdefault("email", "pat@prospect.com")
    values, errors = normalize_submission(payload)
    assert not errors, errors
    return lead_intake(values=values, payload=payload, intake_key=None)


@pytest.fixture
def smb_pool():
    pool = Pool.objects.create(name="SMB AEs")
    for name in ("Ana", "Bo", "Cy"):
        PoolMembershipFactory(pool=pool, rep=RepFactory(name=name))
    return pool


@pytest.fixture
def inbound(smb_pool):
    fallback = RepFactory(name="Fallback")
    ruleset = RuleSetFactory(
        name="Inbound", is_active=True, fallback_rep=fallback, ack_sla=timedelta(minutes=15)
    )
    RuleFactory(
        ruleset=ruleset,
        name="Demo requests",
        conditions={"source": "demo_request"},
        route_to="pool",
        route_pool=smb_pool,
        route_rep=None,
    )
    return ruleset


def test_intake_stores_the_lead_routes_it_and_logs_both(inbound):
    result = submit(email=" Pat@Prospect.com ", source="demo_request", first_name="Pat")

    lead = Lead.objects.get()
    assert result.created and result.lead == lead
    assert lead.email == "pat@prospect.com" and lead.email_domain == "prospect.com"
    assert lead.payload["email"] == " Pat@Prospect.com "  # as received
    assert lead.status == Lead.Status.ASSIGNED and lead.owner.name == "Ana"
    assert lead.rule.name == "Demo requests"
    assignment = lead.assignments.get()
    assert assignment.ack_due_at - assignment.assigned_at == timedelta(minutes=15)
    assert list(lead.events.values_list("kind", flat=True)) == ["submitted", "routed"]
    decision = result.routed.decision
    inbound.refresh_from_db()
    assert decision.ruleset_version == inbound.version
    assert decision.rule_name == "Demo requests"
    assert decision.steps[-1]["step"] == "assigned"
    assert decision.elapsed_us > 0


def test_rotation_is_stored_so_the_next_lead_goes_to_the_next_rep(inbound, smb_pool):
    owners = [
        submit(email=f"lead{n}@prospect.com", source="demo_request").lead.owner.name
        for n in range(4)
    ]
    assert owners == ["Ana", "Bo", "Cy", "Ana"]
    assert PoolRotation.objects.get(pool=smb_pool).cursor == smb_pool.memberships.first().pk


def test_the_same_email_inside_the_window_joins_the_open_lead(inbound):
    first = submit(email="pat@prospect.com", source="demo_request")
    again = submit(email="  PAT@prospect.com", source="pricing_page", message="Still keen")

    assert again.created is False and again.lead == first.lead
    assert Lead.objects.count() == 1 and Assignment.objects.count() == 1
    resubmitted = LeadEvent.objects.get(kind=LeadEvent.Kind.RESUBMITTED)
    assert resubmitted.data["payload"]["message"] == "Still keen"
    assert again.routed.decision == first.routed.decision


def test_the_same_email_after_the_window_is_a_new_lead(inbound):
    submit(email="pat@prospect.com", source="demo_request")
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        later = submit(email="pat@prospect.com", source="demo_request")
    assert later.created and Lead.objects.count() == 2


def test_a_closed_lead_does_not_absorb_a_new_submission(inbound):
    first = submit(email="pat@prospect.com", source="demo_request")
    Lead.objects.filter(pk=first.lead.pk).update(status=Lead.Status.DISQUALIFIED)
    assert submit(email="pat@prospect.com", source="demo_request").created


def test_a_failing_route_gives_the_lead_to_the_fallback_with_the_error(inbound, smb_pool):
    # Data the engine cannot compile: a time zone that does not exist.
    Rep.objects.filter(name="Bo").update(timezone="Mars/Olympus_Mons")

    result = submit(email="pat@prospect.com", source="demo_request")

    lead = Lead.objects.get()
    assert lead.owner.name == "Fallback" and lead.status == Lead.Status.ASSIGNED
    decision = result.routed.decision
    assert decision.kind == RoutingDecision.Kind.FALLBACK_ON_ERROR
    assert "Mars/Olympus_Mons" in decision.error
    assert decision.steps[0]["step"] == "error"


def test_without_an_active_rule_set_the_lead_is_kept_and_the_reason_recorded():
    result = submit(email="pat@prospect.com")
    lead = Lead.objects.get()
    assert lead.status == Lead.Status.NEW and lead.owner is None
    assert "No rule set is active" in result.routed.decision.error


def test_simulation_stores_nothing_and_does_not_move_the_rotation(inbound, smb_pool):
    submit(email="first@prospect.com", source="demo_request")  # Ana; Bo is next
    counts = (
        Lead.objects.count(),
        Assignment.objects.count(),
        RoutingDecision.objects.count(),
        LeadEvent.objects.count(),
    )
    cursor = PoolRotation.objects.get(pool=smb_pool).cursor

    for _ in range(3):
        simulation = lead_simulate(
            values=normalize_submission({"email": "x@prospect.com", "source": "demo_request"})[0]
        )
        assert simulation.owner.name == "Bo"

    assert (
        Lead.objects.count(),
        Assignment.objects.count(),
        RoutingDecision.objects.count(),
        LeadEvent.objects.count(),
    ) == counts
    assert PoolRotation.objects.get(pool=smb_pool).cursor == cursor
    assert simulation.decision["ruleset"]["name"] == "Inbound"


def test_simulation_names_the_open_lead_a_submission_would_join(inbound):
    first = submit(email="pat@prospect.com", source="demo_request")
    simulation = lead_simulate(values=normalize_submission({"email": "PAT@prospect.com"})[0])
    assert simulation.duplicate_of == first.lead


def test_a_rule_change_is_seen_by_the_next_decision(inbound):
    assert submit(email="a@prospect.com", source="demo_request").lead.rule.name == "Demo requests"
    rule = inbound.rules.get()
    rule.conditions = {"source": "event"}
    rule.save()
    assert submit(email="b@prospect.com", source="demo_request").lead.owner.name == "Fallback"


def test_capacity_counts_open_unacknowledged_assignments_in_the_database(inbound, smb_pool):
    ana = Rep.objects.get(name="Ana")
    ana.max_unacknowledged = 1
    ana.save()
    AssignmentFactory(rep=ana)  # one open, unacknowledged lead already
    decision = submit(email="pat@prospect.com", source="demo_request").routed.decision
    assert decision.owner.name == "Bo"
    skip = next(step for step in decision.steps if step["step"] == "skip")
    assert skip["rep"] == "Ana" and skip["reason"] == "at capacity: 1 of 1 unacknowledged leads"


def test_least_loaded_reads_open_leads_from_the_database(inbound, smb_pool):
    smb_pool.method = Pool.Method.LEAST_LOADED
    smb_pool.save()
    for name in ("Ana", "Cy"):
        AssignmentFactory(rep=Rep.objects.get(name=name))
    assert submit(email="pat@prospect.com", source="demo_request").lead.owner.name == "Bo"


def test_least_loaded_gives_a_tie_to_whoever_waited_longest_and_keeps_no_rotation(
    inbound, smb_pool
):
    smb_pool.method = Pool.Method.LEAST_LOADED
    smb_pool.save()
    owners = [
        submit(email=f"lead{n}@prospect.com", source="demo_request").lead.owner.name
        for n in range(6)
    ]
    # Nobody had a lead: member order; then the one who waited longest, turn by turn.
    assert owners == ["Ana", "Bo", "Cy", "Ana", "Bo", "Cy"]
    assert not PoolRotation.objects.filter(pool=smb_pool).exists()


@pytest.mark.django_db(transaction=True)
def test_a_least_loaded_pools_leads_do_not_wait_for_its_rotation_row(inbound, smb_pool):
    """Its row is neither read with a lock nor written: another transaction holding it
    (a rotation row of a pool that keeps one stays locked to its lead's commit) holds
    nobody up."""
    from django.db import DEFAULT_DB_ALIAS, connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    smb_pool.method = Pool.Method.LEAST_LOADED
    smb_pool.save()
    PoolRotation.objects.create(pool=smb_pool)
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM routing_poolrotation WHERE pool_id = %s FOR UPDATE", [smb_pool.pk]
            )
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # waiting would fail, not hang
        result = submit(email="pat@prospect.com", source="demo_request")
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    assert result.lead.owner.name == "Ana"
    assert not result.routed.decision.error


@pytest.mark.django_db(transaction=True)
def test_a_stale_snapshot_is_rebuilt_with_no_rotation_row_locked(inbound, smb_pool, monkeypatch):
    """Intake reads (and locks) a lead's rotation rows with its first statements, planned
    on the snapshot the process has. When the routing data changed since, the locks are
    let go before the new snapshot is built: a rebuild takes a while, and every lead
    through those pools would wait for it. The lead is then routed on the new data."""
    from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections

    from routing import snapshot as snapshots

    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    submit(email="first@prospect.com", source="demo_request")  # the snapshot, the rotation row
    Rep.objects.filter(name="Ana").update(is_active=False)
    Rep.objects.get(name="Bo").save()  # a change of routing data: a new version
    build, locked_while_building = snapshots.build_snapshot, []

    def build_and_try_the_row(*args):
        other = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute(
                    "SELECT 1 FROM routing_poolrotation WHERE pool_id = %s FOR UPDATE NOWAIT",
                    [smb_pool.pk],
                )
            locked_while_building.append(False)
        except OperationalError:
            locked_while_building.append(True)
        finally:
            other.close()
        return build(*args)

    monkeypatch.setattr(snapshots, "build_snapshot", build_and_try_the_row)
    result = submit(email="pat@prospect.com", source="demo_request")

    assert locked_while_building == [False]
    assert result.lead.owner.name != "Ana"  # decided on the new data
    assert not result.routed.decision.error
    assert Lead.objects.filter(email="pat@prospect.com").count() == 1


def test_a_new_lead_is_stored_once_with_its_decision_submitted_first_on_its_timeline(
    inbound, smb_pool
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = submit(email="pat@prospect.com", source="demo_request")

    lead = Lead.objects.get()
    assert lead.status == Lead.Status.ASSIGNED and lead.owner_id == result.routed.owner.id
    lead_writes = [q["sql"] for q in queries if 'routing_lead"' in q["sql"].split("(")[0]]
    assert not [sql for sql in lead_writes if sql.startswith("UPDATE")]
    kinds = list(lead.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds[:2] == [LeadEvent.Kind.SUBMITTED, LeadEvent.Kind.ROUTED]


def test_a_lead_whose_routing_fails_after_storing_it_is_stored_again_for_the_fallback(
    inbound, smb_pool, monkeypatch
):
    from routing.services import recording_writer as recording

    insert, failed = recording.rows_insert, []

    def fails_once_written(rows, then=()):
        insert(rows, then=then)
        if not failed:
            failed.append(True)
            raise RuntimeError("the outbox is full")

    monkeypatch.setattr(recording, "rows_insert", fails_once_written)

    result = submit(email="pat@prospect.com", source="demo_request")

    lead = Lead.objects.get()  # one lead: the routed one went with the first transaction
    assert result.lead.pk == lead.pk
    assert lead.owner.name == "Fallback" and lead.status == Lead.Status.ASSIGNED
    assert result.routed.decision.kind == RoutingDecision.Kind.FALLBACK_ON_ERROR
    assert "the outbox is full" in result.routed.decision.error
    assert RoutingDecision.objects.count() == Assignment.objects.count() == 1
    kinds = list(lead.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds[:2] == [LeadEvent.Kind.SUBMITTED, LeadEvent.Kind.ROUTED]


def test_a_lead_whose_rules_fail_to_plan_is_stored_for_the_fallback(inbound, smb_pool, monkeypatch):
    """Intake plans the lead's reads before storing it (to send them with its first
    statements): a plan that fails there must not lose the lead either."""
    from routing import engine

    def broken_plan(*args, **kwargs):
        raise RuntimeError("a rule that cannot be evaluated")

    submit(email="first@prospect.com", source="demo_request")  # the snapshot is built
    monkeypatch.setattr(engine, "plan", broken_plan)

    result = submit(email="pat@prospect.com", source="demo_request")

    lead = Lead.objects.get(email="pat@prospect.com")
    assert result.lead.pk == lead.pk
    assert lead.owner.name == "Fallback"
    assert result.routed.decision.kind == RoutingDecision.Kind.FALLBACK_ON_ERROR
    assert "cannot be evaluated" in result.routed.decision.error


def test_a_database_error_while_routing_still_leaves_the_lead_with_the_fallback(
    inbound, smb_pool, monkeypatch
):
    """On PostgreSQL a failed statement spoils the rest of its transaction: the lead
    must be stored by a fresh one, not by the one that failed."""
    from django.db import connection

    from routing.services import recording_writer as recording

    insert, failed = recording.rows_insert, []

    def broken_once(rows, then=()):
        if failed:
            return insert(rows, then=then)
        failed.append(True)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO no_such_table VALUES (1)")

    monkeypatch.setattr(recording, "rows_insert", broken_once)

    result = submit(email="pat@prospect.com", source="demo_request")

    lead = Lead.objects.get()
    assert result.lead.pk == lead.pk
    assert lead.owner.name == "Fallback"
    assert result.routed.decision.kind == RoutingDecision.Kind.FALLBACK_ON_ERROR
    assert "no_such_table" in result.routed.decision.error
