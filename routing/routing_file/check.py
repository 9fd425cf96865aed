"""Checks of a parsed routing file that need the database: do its references exist?"""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.functions import Lower

from reps.models import Pool, Rep
from territories.models import AccountDomain

from .errors import Problems
from .spec import RoutingSpec


def check_against_database(spec: RoutingSpec, problems: Problems) -> None:
    """Report references to reps and pools that are neither in the file nor stored,
    and account domains that a stored account outside the file already holds."""
    rep_emails = {rep.email for rep in spec.reps}
    pool_names = {pool.name for pool in spec.pools}
    refs = spec.references()
    wanted_reps = {ref.key for _, _, ref in refs if ref.kind == "rep"} - rep_emails
    wanted_pools = {ref.key for _, _, ref in refs if ref.kind == "pool"} - pool_names
    rep_emails |= set(
        reps_by_email(wanted_reps).annotate(key=Lower("email")).values_list("key", flat=True)
    )
    pool_names |= set(Pool.objects.filter(name__in=wanted_pools).values_list("name", flat=True))
    for where, what, ref in refs:
        known = rep_emails if ref.kind == "rep" else pool_names
        if ref.key not in known:
            problems.add(
                where,
                f"{what} '{ref.key}' is not a {ref.kind} (not in this file nor in the database)",
            )

    file_accounts = {account.name for account in spec.accounts}
    wanted_domains = {
        domain: account.name for account in spec.accounts for domain in account.domains
    }
    held = (
        AccountDomain.objects.filter(domain__in=wanted_domains)
        .exclude(account__name__in=file_accounts)
        .values_list("domain", "account__name")
    )
    for domain, holder in held:
        problems.add(
            f"account '{wanted_domains[domain]}'",
            f"domain '{domain}' belongs to account '{holder}' in the database; "
            f"remove it there, or list account '{holder}' in this file without it",
        )


def reps_by_email(emails: set[str]) -> QuerySet[Rep]:
    """Reps with these lower-case e-mails, however the stored ones are capitalised
    (the admin lower-cases them, code that skips Rep.clean may not)."""
    return Rep.objects.alias(email_key=Lower("email")).filter(email_key__in=emails)
