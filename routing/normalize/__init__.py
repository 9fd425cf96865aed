"""A submitted lead as the routing engine sees it: normalized, typed, and fast to read.

Pure functions, no database. Each raises ValueError naming the value when it cannot be
understood; `normalize_submission` collects those messages per field for the API.
Free text (industry, product, city...) is kept as given: conditions compare text
case-insensitively, so only values that have a standard form (country, state, postal
code, e-mail, domain, numbers) are rewritten.
"""

from __future__ import annotations

from territories.matching.free_mail import is_free_mail

from .employees import parse_employee_count
from .facts import LeadFacts, lead_facts, normalize_email, website_domain
from .places import normalize_country, normalize_postal_code, normalize_state
from .submission import SUBMISSION_FIELDS, normalize_submission

__all__ = [
    "SUBMISSION_FIELDS",
    "LeadFacts",
    "is_free_mail",
    "lead_facts",
    "normalize_country",
    "normalize_email",
    "normalize_postal_code",
    "normalize_state",
    "normalize_submission",
    "parse_employee_count",
    "website_domain",
]
