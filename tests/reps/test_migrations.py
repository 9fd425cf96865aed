"""Migrations that change what stored routing data means keep its meaning."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from reps.models import Rep


def test_an_open_limit_set_before_the_split_keeps_counting_unacknowledged_leads(
    transactional_db,
):
    before = [("reps", "0009_failed_sign_in")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old_apps = MigrationExecutor(connection).loader.project_state(before).apps
        OldRep = old_apps.get_model("reps", "Rep")
        OldRep.objects.create(email="ana@example.com", name="Ana", max_open=3, max_per_day=10)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)

    ana = Rep.objects.get(email="ana@example.com")
    assert (ana.max_unacknowledged, ana.max_open, ana.max_per_day) == (3, None, 10)
