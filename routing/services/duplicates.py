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
from routing.statements import statement_cursor


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


def open_duplicate_ids(
    emails: Iterable[str], *, window: timedelta, now: datetime
) -> dict[str, int]:
    """E-mail -> id of its newest open lead created inside the window, for those of
    these e-mails that have one.

    Asked for every submission and nearly always answered "none": a hand-written probe
    (lead_email_recent_idx) gives ids only. Compiling the ORM query (with its owner) cost
    more than the rest of the duplicate handling together."""
    emails = sorted(set(emails))
    if not window or not emails:
        return {}
    statuses = ", ".join(f"'{status}'" for status in Lead.OPEN_STATUSES)  # the model's own
    since = connection.ops.adapt_datetimefield_value(now - window)
    if len(emails) == 1:
        # Intake's probe, prepared: planned once, so it names the one index it can use
        # (with a list, a plan made without knowing it scanned every open lead).
        addresses, cursor_for = "email = %s", statement_cursor
    else:
        addresses, cursor_for = f"email IN ({', '.join(['%s'] * len(emails))})", connection.cursor
    sql = f"""
        SELECT email, id FROM {Lead._meta.db_table}
        WHERE {addresses} AND status IN ({statuses}) AND created_at >= %s
        ORDER BY created_at, id
    """  # formatted in: placeholders, the model's own table name and statuses
    with cursor_for() as cursor:
        cursor.execute(sql, [*emails, since])
        return dict(cursor.fetchall())  # the newest of each e-mail comes last, so is kept


def open_duplicate(email: str, *, window: timedelta, now: datetime) -> Lead | None:
    """The newest open lead of this e-mail created inside the window, with its owner;
    loaded only when there is one."""
    lead_id = open_duplicate_ids([email], window=window, now=now).get(email)
    return None if lead_id is None else Lead.objects.select_related("owner").get(pk=lead_id)


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
    with statement_cursor() as cursor:
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
