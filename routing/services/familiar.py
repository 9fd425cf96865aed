"""The rep a new lead already knows, when the active rule set asks for one: the owner
of the person's last lead (`sticky_owner`) or of their company's newest open lead
(`same_company_owner`). Read here, as plain data; the engine tries them first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection

from routing.db.statements import Statement
from routing.engine import CompiledRuleSet, Familiar, RoutingData
from routing.models import Lead
from routing.normalize import LeadFacts

from .state import StateRead, rep_loads


def familiar_query(
    facts: LeadFacts, *, ruleset: CompiledRuleSet, now: datetime
) -> Statement | None:
    """One row: the owner of this e-mail's newest lead created within the duplicate
    window, and the owner of the newest open lead of this company e-mail domain (NULL
    where the option is off or nothing matches). None: neither option applies.

    Each is the first entry of an index (lead_email_recent_idx, lead_domain_recent_idx)
    read newest first; hand-written to go with intake's first statements."""
    table = Lead._meta.db_table  # formatted in: the model's own table name
    columns, params = [], []
    if ruleset.sticky_owner and facts.email:
        since = connection.ops.adapt_datetimefield_value(now - ruleset.duplicate_window)
        columns.append(
            f"(SELECT owner_id FROM {table} WHERE email = %s AND created_at >= %s "
            "AND owner_id IS NOT NULL ORDER BY created_at DESC LIMIT 1)"
        )
        params += [facts.email, since]
    else:
        columns.append("NULL")
    if ruleset.same_company_owner and facts.email_domain and not facts.is_free_mail:
        # An unclaimed lead's owner is the last rep who let it expire: nobody works it.
        worked = [status for status in Lead.OPEN_STATUSES if status != Lead.Status.UNCLAIMED]
        statuses = ", ".join(f"'{status}'" for status in worked)  # the model's own
        columns.append(
            f"(SELECT owner_id FROM {table} WHERE email_domain = %s "
            f"AND status IN ({statuses}) AND owner_id IS NOT NULL "
            "ORDER BY created_at DESC LIMIT 1)"
        )
        params.append(facts.email_domain)
    else:
        columns.append("NULL")
    if not params:
        return None
    return f"SELECT {', '.join(columns)}", params


def familiar_of(
    rows: list[tuple[Any, ...]] | None, *, lead: Lead, data: RoutingData
) -> Familiar | None:
    """`familiar_query`'s answer as the rep to try first: a returning person's last
    owner before a colleague's."""
    if not rows:
        return None
    returning, colleague = rows[0]
    person = lead.first_name or lead.email
    if returning is not None:
        name = _rep_name(returning, data)
        why = f"returning customer: {person}'s last lead was {name}'s"
        return Familiar(int(returning), "returning", why)
    if colleague is not None:
        name = _rep_name(colleague, data)
        why = f"same company as an open lead of {name}'s ({lead.email_domain})"
        return Familiar(int(colleague), "same_company", why)
    return None


def _rep_name(rep_id: int, data: RoutingData) -> str:
    rep = data.reps.get(int(rep_id))
    return rep.name if rep else f"rep #{rep_id}"


def with_familiar(
    state: StateRead,
    familiar: Familiar | None,
    *,
    read_rep_ids: frozenset[int],
    data: RoutingData,
    now: datetime,
) -> StateRead:
    """`state` with the familiar rep, and their load when the plan's reads did not
    count it (they are not among its candidates): one more statement, only then."""
    if familiar is None:
        return state
    loads = state.loads
    if familiar.rep_id not in read_rep_ids:
        loads = {**loads, **rep_loads([familiar.rep_id], pool_ids=(), data=data, now=now)}
    return StateRead(loads, state.rotations, familiar)
