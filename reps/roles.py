"""Roles a login can have besides superuser. The groups themselves, with their
permissions, are made by migrations (routing 0027 for the Sales manager, 0030 adding the
dashboard's)."""

from __future__ import annotations

from django.contrib.auth.models import Group

from .models import User

# Edits routing (rule sets, rules, pools, reps' routing fields, territories, named
# accounts), works leads and reads the dashboard; cannot edit users or intake keys.
SALES_MANAGER = "Sales manager"


def user_make_sales_manager(*, user: User) -> None:
    """Let `user` into the admin and the dashboard as a Sales manager (staff, not superuser)."""
    user.groups.add(Group.objects.get(name=SALES_MANAGER))
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
