"""Leads put straight into a rep's queue, without routing: many of them, fast, with the
names, ages and deadlines a test needs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from reps.models import Pool, Rep
from routing.models import Lead
from tests.factories import AssignmentFactory, LeadFactory


def owned_lead(
    rep: Rep,
    *,
    created_at: datetime | None = None,
    due_in: timedelta | None = timedelta(minutes=15),
    acknowledged: bool = False,
    **fields: Any,
) -> Lead:
    """A lead `rep` owns with its open assignment; `due_in` from `created_at` (None: no
    deadline); acknowledged or not."""
    created_at = created_at or timezone.now()
    status = Lead.Status.ACKNOWLEDGED if acknowledged else Lead.Status.ASSIGNED
    fields.setdefault("status", status)
    lead = LeadFactory(owner=rep, created_at=created_at, **fields)
    AssignmentFactory(
        lead=lead,
        rep=rep,
        assigned_at=created_at,
        ack_due_at=created_at + due_in if due_in is not None else None,
        acknowledged_at=created_at if acknowledged else None,
    )
    if acknowledged:
        Lead.objects.filter(pk=lead.pk).update(acknowledged_at=created_at)
    return lead


def unclaimed_lead(pool: Pool, *, created_at: datetime | None = None, **fields: Any) -> Lead:
    """A lead nobody took, waiting in `pool`'s shared queue."""
    lead = LeadFactory(
        status=Lead.Status.UNCLAIMED, created_at=created_at or timezone.now(), **fields
    )
    lead.queue_pools.add(pool)
    return lead
