"""A bulk reassignment racing a rep's acknowledgment on PostgreSQL, on two connections:
the reassignment waits for the acknowledgment's locks, then leaves that lead with the
rep who has just started working it, and moves the others."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from routing.models import Lead
from routing.services.acknowledge import assignment_acknowledge
from routing.services.reassignment import Moved, leads_reassign
from tests.factories import StaffUserFactory
from tests.team import build_team, submit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


def test_a_lead_acknowledged_while_a_bulk_move_waits_stays_with_its_rep():
    team = build_team()
    manager = StaffUserFactory(email="mia.manager@example.com")
    acknowledged, reassigned = (
        submit(email=f"lead{n}@prospect.com", source="demo_request") for n in range(2)
    )
    seen_at = timezone.now()
    locked, release = threading.Event(), threading.Event()
    results: list[Moved] = []

    def acknowledge() -> None:
        try:
            with transaction.atomic():
                assignment = acknowledged.assignments.get()
                assignment_acknowledge(assignment=assignment, rep=team.ana, via="queue")
                locked.set()
                assert release.wait(timeout=20)
        finally:
            connection.close()

    def reassign() -> None:
        try:
            results.append(
                leads_reassign(
                    lead_ids=[acknowledged.pk, reassigned.pk],
                    target=team.bo,
                    reason="Ana is off sick",
                    by=manager,
                    seen_at=seen_at,
                )
            )
        finally:
            connection.close()

    rep = threading.Thread(target=acknowledge)
    rep.start()
    assert locked.wait(timeout=20)
    move = threading.Thread(target=reassign)
    move.start()
    try:
        deadline = timezone.now() + timedelta(seconds=20)
        while not waiting_on_a_lock():
            assert timezone.now() < deadline, "the reassignment never waited for the lock"
    finally:
        release.set()
        rep.join(timeout=20)
        move.join(timeout=20)

    [moved] = results
    assert [lead.pk for lead in moved.done] == [reassigned.pk]
    assert [(lead.pk, why) for lead, why in moved.left] == [
        (acknowledged.pk, "acknowledged by Ana meanwhile; left with them")
    ]
    acknowledged.refresh_from_db()
    reassigned.refresh_from_db()
    assert (acknowledged.owner, acknowledged.status) == (team.ana, Lead.Status.ACKNOWLEDGED)
    assert reassigned.owner == team.bo
    assert acknowledged.assignments.filter(ended_at__isnull=True).count() == 1
