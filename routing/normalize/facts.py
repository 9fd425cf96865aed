"""The normalized lead the routing engine evaluates, and the e-mail and website rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field, fields, make_dataclass
from operator import attrgetter
from typing import Any

from routing.lead_fields import LEAD_FIELDS, Kind, LeadField
from territories.matching.free_mail import is_free_mail
from territories.names import is_domain, normalize_company_name, normalize_domain


def normalize_email(value: str) -> tuple[str, str]:
    """' Ana@Acme.COM ' -> ('ana@acme.com', 'acme.com')."""
    email = (value or "").strip().lower()
    local, at, domain = email.rpartition("@")
    domain = domain.rstrip(".")
    if not (at and local and domain):
        raise ValueError(f"'{value}' is not an e-mail address like ana@example.com.")
    return email, domain


def website_domain(value: str) -> str:
    """'https://www.Acme.com/pricing' -> 'acme.com'; '' when it holds no domain name."""
    domain = normalize_domain(value)
    return domain if is_domain(domain) else ""


def _lead_value(self: LeadFacts, name: str) -> Any:
    """The lead's value for a condition field: a plain field, 'attributes.<name>'
    (dotted names reach into nested objects), or the derived 'work_email'."""
    return field_reader(name)(self)


def _fact_type(lead_field: LeadField) -> Any:
    if lead_field.kind is Kind.ATTRIBUTES:
        return (Mapping[str, Any], field(default_factory=dict))
    if lead_field.kind is Kind.EMPLOYEE_COUNT:
        return (int | None, None)
    return (float | None, None) if lead_field.is_number else (str, "")


_FACT_FIELDS = tuple(
    lead_field
    for lead_field in LEAD_FIELDS
    if lead_field.testable or lead_field.kind is Kind.ATTRIBUTES
)
# The stored lead fields `lead_facts` reads: what to load of a lead to decide on it.
FACT_FIELD_NAMES = tuple(lead_field.name for lead_field in _FACT_FIELDS)
# The normalized lead the engine evaluates: every field rules can test, the attributes
# (shared: do not mutate) and what the engine derives from them. Built from the lead
# field registry, so a new lead field reaches the engine without an edit here.
LeadFacts = make_dataclass(
    "LeadFacts",
    [
        ("is_free_mail", bool, False),
        ("website_domain", str, ""),
        ("company_key", str, ""),
        *((lead_field.name, *_fact_type(lead_field)) for lead_field in _FACT_FIELDS),
    ],
    namespace={"value": _lead_value},
    frozen=True,
    slots=True,
)
LeadFacts.__module__ = __name__  # where pickle and reprs find it


ATTRIBUTE_PREFIX = "attributes."
_PLAIN_FIELDS = frozenset(f.name for f in fields(LeadFacts))


def field_reader(name: str) -> Callable[[LeadFacts], Any]:
    """`LeadFacts.value(name)` as a function of the lead, with the kind of field worked
    out once: the engine compiles one per condition and reads every lead through it."""
    if name in _PLAIN_FIELDS:
        return attrgetter(name)
    if name.startswith(ATTRIBUTE_PREFIX):
        path = name[len(ATTRIBUTE_PREFIX) :]
        return lambda lead: _attribute(lead.attributes, path)
    if name == "work_email":
        return _has_work_email
    return lambda lead: _not_a_field(name)  # fails when read, as value() always did


def _has_work_email(lead: LeadFacts) -> bool:
    return bool(lead.email_domain) and not lead.is_free_mail


def _not_a_field(name: str) -> Any:
    raise ValueError(
        f"'{name}' is not a lead field"
        + (" (the engine decides named_account)" if name == "named_account" else "")
    )


def _attribute(attributes: Mapping[str, Any], path: str) -> Any:
    """'utm.campaign' -> attributes['utm']['campaign']; a key that itself holds the dots
    ('utm.campaign' sent flat) wins. None when any step is missing."""
    if path in attributes:
        return attributes[path]
    current: Any = attributes
    for part in path.split("."):
        if isinstance(current, Mapping):
            if part not in current:
                return None
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _float_or_none(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


def _names(*kinds: Kind, text: bool = False) -> tuple[str, ...]:
    return tuple(f.name for f in _FACT_FIELDS if f.kind in kinds or (text and f.is_text))


# Read by kind; the name lists are worked out once, as lead_facts runs for every lead.
_TEXT_FACTS = _names(text=True)
_COUNT_FACTS = _names(Kind.EMPLOYEE_COUNT)
_FLOAT_FACTS = _names(Kind.MONEY, Kind.SCORE)
_MAPPING_FACTS = _names(Kind.ATTRIBUTES)


def lead_facts(values: Mapping[str, Any]) -> LeadFacts:
    """LeadFacts from Lead field values that are already normalized (a stored lead, or
    the first half of `normalize_submission`'s answer)."""
    get = values.get
    facts = {name: get(name) or "" for name in _TEXT_FACTS}
    facts.update((name, get(name)) for name in _COUNT_FACTS)
    facts.update((name, _float_or_none(get(name))) for name in _FLOAT_FACTS)
    facts.update((name, _mapping(get(name))) for name in _MAPPING_FACTS)
    email_domain = facts["email_domain"] or facts["email"].rpartition("@")[2]
    website = facts["website"]
    company = facts["company"]
    facts["email_domain"] = email_domain
    return LeadFacts(
        **facts,
        is_free_mail=is_free_mail(email_domain),
        website_domain=website_domain(website) if website else "",
        company_key=normalize_company_name(company) if company else "",
    )
