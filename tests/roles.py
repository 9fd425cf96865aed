"""The Sales manager group in tests, as its migration makes it."""

from __future__ import annotations

import importlib

from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from reps.roles import SALES_MANAGER

# The migrations that make the group and grant it permissions, and their functions.
GROUP_MIGRATIONS = (("_sales_manager_group", "create_group"), ("_dashboard_permission", "grant"))


def ensure_sales_manager_group() -> None:
    """A transactional test's flush empties every table; post_migrate brings permissions
    back but not groups. Put the group back by running its migrations' own functions."""
    if Group.objects.filter(name=SALES_MANAGER).exists():
        return
    loader = MigrationExecutor(connection).loader
    for suffix, function in GROUP_MIGRATIONS:
        app_label, name = next(
            key for key in loader.disk_migrations if key[0] == "routing" and key[1].endswith(suffix)
        )
        migration = importlib.import_module(f"routing.migrations.{name}")
        getattr(migration, function)(loader.project_state((app_label, name)).apps, None)
