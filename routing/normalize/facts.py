"""The normalized lead the routing engine evaluates, and the e-mail and website rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any

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


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """The normalized lead the engine evaluates. `attributes` is shared: do not mutate."""

    email: str = ""
    email_domain: str = ""
    is_free_mail: bool = False
    website: str = ""
    website_domain: str = ""
    company: str = ""
    company_key: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    country: str = ""
    state: str = ""
    postal_code: str = ""
    city: str = ""
    industry: str = ""
    product: str = ""
    source: str = ""
    score: float | None = None
    employee_count: int | None = None
    annual_revenue: float | None = None
    message: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def value(self, name: str) -> Any:
        """The lead's value for a condition field: a plain field, 'attributes.<name>'
        (dotted names reach into nested objects), or the derived 'work_email'."""
        return field_reader(name)(self)


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


def _float_or_none(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


def lead_facts(values: Mapping[str, Any]) -> LeadFacts:
    """LeadFacts from Lead field values that are already normalized (a stored lead, or
    the first half of `normalize_submission`'s answer)."""
    get = values.get
    email = get("email") or ""
    domain = get("email_domain") or email.rpartition("@")[2]
    website = get("website") or ""
    company = get("company") or ""
    attributes = get("attributes")
    return LeadFacts(
        email=email,
        email_domain=domain,
        is_free_mail=is_free_mail(domain),
        website=website,
        website_domain=website_domain(website) if website else "",
        company=company,
        company_key=normalize_company_name(company) if company else "",
        first_name=get("first_name") or "",
        last_name=get("last_name") or "",
        phone=get("phone") or "",
        country=get("country") or "",
        state=get("state") or "",
        postal_code=get("postal_code") or "",
        city=get("city") or "",
        industry=get("industry") or "",
        product=get("product") or "",
        source=get("source") or "",
        score=_float_or_none(get("score")),
        employee_count=get("employee_count"),
        annual_revenue=_float_or_none(get("annual_revenue")),
        message=get("message") or "",
        attributes=attributes if isinstance(attributes, Mapping) else {},
    )
