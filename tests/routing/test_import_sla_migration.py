"""Imports stored before imports chose their SLA keep the deadlines they were made with."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from routing.models import LeadImport


def test_an_import_made_before_keeps_each_rules_sla_when_it_runs_again(transactional_db):
    before = [("routing", "0024_manager_slack_addresses_and_escalation_message_index")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old_apps = MigrationExecutor(connection).loader.project_state(before).apps
        OldImport = old_apps.get_model("routing", "LeadImport")
        OldImport.objects.create(name="expo.csv", status="failed")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)

    stored = LeadImport.objects.get(name="expo.csv")
    assert (stored.sla, stored.sla_working_hours) == ("rule", False)
    assert LeadImport.objects.create(name="new.csv").sla == "8h"  # new ones: the setting
