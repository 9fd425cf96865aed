"""Routing state that changes with every lead, kept apart from the audited set-up.

Neither table has history: they change on every routed lead, and the decisions and
assignments already record what each change did.
"""

from __future__ import annotations

import uuid

from django.db import models

from reps.models import Pool


class PoolRotation(models.Model):
    """Where a pool's rotation stands. Locked (SELECT ... FOR UPDATE) while a lead is
    routed through the pool, so concurrent intakes take turns and the rotation is exact."""

    pool = models.OneToOneField(
        Pool, primary_key=True, on_delete=models.CASCADE, related_name="rotation"
    )
    cursor = models.BigIntegerField(
        default=0,
        help_text="Membership id of the member who got the last lead; the next lead goes "
        "to the first eligible member after it.",
    )
    weights = models.JSONField(
        default=dict,
        blank=True,
        help_text="Smooth weighted rotation: current weight per membership.",
    )
    performance = models.JSONField(
        default=dict,
        blank=True,
        help_text="Performance pools: each membership's weight and where it came from, "
        "refreshed every few minutes from recorded outcomes.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Rotation of {self.pool_id}"


class RoutingVersion(models.Model):
    """One row whose number goes up whenever routing data changes.

    Every process keeps a compiled snapshot of the routing data and compares its version
    with this row before each decision, so a change made anywhere is seen everywhere at
    once (a stamp, not a timer).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(default=1)
    # A counter can repeat: a transaction that bumped it and read the new data may roll
    # back, and a later change reuses the number for other data. A random stamp per
    # change cannot, so snapshots are cached by stamp.
    stamp = models.UUIDField(default=uuid.uuid4)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="routing_version_single_row")
        ]

    def __str__(self) -> str:
        return f"Routing data version {self.version}"
