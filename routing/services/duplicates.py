"""A submission whose e-mail has an open lead joins it: finding that lead, and making
sure two submissions of one e-mail at once cannot both miss it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection

from routing.db.statements import Statement, array_param, run_statements
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


def open_duplicate_ids(
    emails: Iterable[str], *, window: timedelta, now: datetime
) -> dict[str, int]:
    """E-mail -> id of its newest open lead created inside the window, for those of
    these e-mails that have one."""
    emails = sorted(set(emails))
    probe = open_duplicate_probe(emails, window=window, now=now)
    if probe is None:
        return {}
    if len(emails) == 1:  # intake's probe: prepared
        (rows,) = run_statements([probe])
        return dict(rows or ())
    with connection.cursor() as cursor:  # a batch's: its text varies with the count
        cursor.execute(*probe)
        return dict(cursor.fetchall())


def open_duplicate_probe(
    emails: Iterable[str], *, window: timedelta, now: datetime
) -> Statement | None:
    """The statement answering `open_duplicate_ids` as rows of (e-mail, id), to be run
    with others; None: nothing to look for.

    Asked for every submission and nearly always answered "none": a hand-written probe
    (lead_email_recent_idx) gives ids only. Compiling the ORM query (with its owner) cost
    more than the rest of the duplicate handling together. The newest of each e-mail
    comes last, so a dict of the rows keeps it."""
    emails = sorted(set(emails))
    if not window or not emails:
        return None
    statuses = ", ".join(f"'{status}'" for status in Lead.OPEN_STATUSES)  # the model's own
    since = connection.ops.adapt_datetimefield_value(now - window)
    # One e-mail (intake's probe, prepared and planned once): `email = %s`, so that the
    # plan names the one index it can use; with a list, a plan made without knowing it
    # scanned every open lead.
    addresses = f"email IN ({', '.join(['%s'] * len(emails))})" if len(emails) > 1 else "email = %s"
    sql = f"""
        SELECT email, id FROM {Lead._meta.db_table}
        WHERE {addresses} AND status IN ({statuses}) AND created_at >= %s
        ORDER BY created_at, id
    """  # formatted in: placeholders, the model's own table name and statuses
    return sql, [*emails, since]


def open_duplicate(email: str, *, window: timedelta, now: datetime) -> Lead | None:
    """The newest open lead of this e-mail created inside the window, with its owner;
    loaded only when there is one."""
    return open_duplicate_in(open_duplicate_ids([email], window=window, now=now), email)


def open_duplicate_in(ids: dict[str, int], email: str) -> Lead | None:
    """The lead of `email` among `open_duplicate_ids`' answer, with its owner."""
    lead_id = ids.get(email)
    return None if lead_id is None else Lead.objects.select_related("owner").get(pk=lead_id)


def serialize_emails(emails: Iterable[str]) -> None:
    """Two submissions of one e-mail at once must make one lead, not two.

    On PostgreSQL a transaction-scoped advisory lock per e-mail makes the second wait
    until the first has committed its lead, then find it. The locks are taken in key
    order, so two transactions locking several e-mails cannot deadlock; they are taken
    before any rotation row is locked, the order every intake keeps. SQLite's IMMEDIATE
    transactions already admit one writer at a time."""
    run_statements([email_lock(emails)])


def email_lock(emails: Iterable[str]) -> Statement | None:
    """The statement of `serialize_emails`, to be run with others; None: no lock needed."""
    if connection.vendor != "postgresql":
        return None
    keys = sorted({_lock_key(email) for email in emails})
    if not keys:
        return None
    if len(keys) == 1:
        return "SELECT pg_advisory_xact_lock(%s)", keys
    return (
        "SELECT pg_advisory_xact_lock(key) FROM unnest(%s::bigint[]) AS key ORDER BY key",
        [array_param(keys)],
    )


def _lock_key(email: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(email.encode(), digest_size=8).digest(), "big", signed=True
    )
