"""Lead-to-territory and lead-to-account matching: indexes built once per routing
snapshot, queried per lead in microseconds, whatever the number of territories or
accounts. Pure: no database, no Django models.
"""

from __future__ import annotations

from .account_index import AccountIndex, AccountMatch, AccountRecord
from .free_mail import FREE_MAIL_DOMAINS, domain_and_parents, is_free_mail
from .territory_index import TerritoryIndex, TerritoryMatch, TerritoryRecord, range_prefixes

__all__ = [
    "FREE_MAIL_DOMAINS",
    "AccountIndex",
    "AccountMatch",
    "AccountRecord",
    "TerritoryIndex",
    "TerritoryMatch",
    "TerritoryRecord",
    "domain_and_parents",
    "is_free_mail",
    "range_prefixes",
]
