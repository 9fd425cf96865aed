"""A submission whose e-mail has an open lead joins it: finding that lead, and making
sure two submissions of one e-mail at once cannot both miss it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection

from routing.models import Lead, RuleSet
from routing.snapshot import Snapshot


def duplicate_window(snapshot: Snapshot | None) -> timedelta:
    """The active rule set's window, from the database if there is no snapshot."""
    if snapshot is not None:
        window = snapshot.active.duplicate_window if snapshot.active else None
    else:
        window = (
            RuleSet.objects.filter(is_active=True)
            .values_list("duplicate_window", flat=True)
            .first()
        )
    return settings.LEADROUTER["DEFAULT_DUPLICATE_WINDOW"] if window is None else window


def open_duplicates(emails: Iterable[str], *, window: timedelta, now: datetime) -> dict[str, Lead]:
    """The newest open lead of each of these e-mails, created inside the window."""
    emails = set(emails)
    if not window or not emails:
        return {}
    leads = (
        Lead.objects.filter(
            email__in=emails, status__in=Lead.OPEN_STATUSES, created_at__gte=now - window
        )
        .select_related("owner")
        .order_by("created_at", "id")
    )
    return {lead.email: lead for lead in leads}  # the newest of each e-mail last, so kept


def open_duplicate(email: str, *, window: timedelta, now: datetime) -> Lead | None:
    """The newest open lead of this e-mail created inside the window, as
    `open_duplicates` finds it, for one submission.

    Asked for every lead and nearly always answered "none": a hand-written probe (one
    index range, lead_email_recent_idx) says whether there is one, and only then is the
    lead loaded. Compiling the ORM query (with its owner) cost more than the rest of the
    duplicate handling together."""
    if not window:
        return None
    statuses = ", ".join(["%s"] * len(Lead.OPEN_STATUSES))
    sql = f"""
        SELECT id FROM {Lead._meta.db_table}
        WHERE email = %s AND status IN ({statuses}) AND created_at >= %s
        ORDER BY created_at DESC, id DESC LIMIT 1
    """  # formatted in: placeholders and the model's own table name, nothing from a request
    since = connection.ops.adapt_datetimefield_value(now - window)
    with connection.cursor() as cursor:
        cursor.execute(sql, [email, *Lead.OPEN_STATUSES, since])
        row = cursor.fetchone()
    if row is None:
        return None
    return Lead.objects.select_related("owner").get(pk=row[0])


def serialize_emails(emails: Iterable[str]) -> None:
    """Two submissions of one e-mail at once must make one lead, not two.

    On PostgreSQL a transaction-scoped advisory lock per e-mail makes the second wait
    until the first has committed its lead, then find it. The locks are taken in key
    order, so two transactions locking several e-mails cannot deadlock; they are taken
    before any rotation row is locked, the order every intake keeps. SQLite's IMMEDIATE
    transactions already admit one writer at a time."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({_lock_key(email) for email in emails})
    if not keys:
        return
    with connection.cursor() as cursor:
        if len(keys) == 1:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", keys)
        else:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(key) FROM unnest(%s::bigint[]) AS key ORDER BY key",
                [keys],
            )


def _lock_key(email: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(email.encode(), digest_size=8).digest(), "big", signed=True
    )
