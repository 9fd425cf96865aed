"""The Sales manager group in tests, as its migration makes it."""

from __future__ import annotations

import importlib

from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from reps.roles import SALES_MANAGER


def ensure_sales_manager_group() -> None:
    """A transactional test's flush empties every table; post_migrate brings permissions
    back but not groups. Put the group back by running its migration's own function."""
    if Group.objects.filter(name=SALES_MANAGER).exists():
        return
    loader = MigrationExecutor(connection).loader
    app_label, name = next(
        key
        for key in loader.disk_migrations
        if key[0] == "routing" and key[1].endswith("_sales_manager_group")
    )
    migration = importlib.import_module(f"routing.migrations.{name}")
    migration.create_group(loader.project_state((app_label, name)).apps, None)
