"""Territories and named accounts of a routing file."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from territories.models import NamedAccount, Territory, validate_country_codes
from territories.names import is_domain, normalize_domain
from territories.postal import PostalMatcherError, parse_postal_matcher

from .errors import Problems
from .fields import Item, check_name, natural_name, show
from .spec import AccountSpec, TerritorySpec

TERRITORY_KEYS = ("name", "priority", "match", "owner")
MATCH_KEYS = ("country", "state", "postal_code", "industry", "employee_count")
ACCOUNT_KEYS = ("name", "domains", "owner", "tier")


def parse_territory(problems: Problems, data: Any, index: int) -> TerritorySpec | None:
    name = natural_name(data)
    territory = Item(
        problems, f"territory '{name}'" if name else f"territory #{index}", data, TERRITORY_KEYS
    )
    check_name(territory, name, Territory)
    match = territory.mapping("match", MATCH_KEYS)
    countries = match.text_list("country", upper=True)
    if countries:
        match.checked("country", list(countries), validate_country_codes)
    postal_codes = match.text_list("postal_code", upper=True)
    for matcher in postal_codes:
        try:
            parse_postal_matcher(matcher)
        except PostalMatcherError as error:
            territory.error(f"match.postal_code: {error}")
    band = match.mapping("employee_count", ("min", "max"))
    low, high = band.integer("min"), band.integer("max")
    if low is not None and high is not None and high < low:
        territory.error(f"match.employee_count.max ({high}) is below min ({low})")
    owner = territory.owner("owner", example="{pool: West AEs} or {rep: ana@example.com}")
    if owner is None and not territory.has("owner"):
        territory.error("has no owner; add owner: {pool: ...} or {rep: ...}")
    spec = TerritorySpec(
        name=name,
        owner=owner,
        priority=territory.integer("priority", default=100) or 0,
        countries=countries,
        states=match.text_list("state", upper=True),
        postal_codes=postal_codes,
        industries=match.text_list("industry"),
        employee_count_min=low,
        employee_count_max=high,
    )
    if not (
        spec.countries
        or spec.states
        or spec.postal_codes
        or spec.industries
        or low is not None
        or high is not None
    ):
        territory.error(
            "has no matchers; add match: with country, state, postal_code, "
            "industry or employee_count"
        )
    return spec if name else None


def parse_account(problems: Problems, data: Any, index: int) -> AccountSpec | None:
    name = natural_name(data)
    account = Item(
        problems, f"account '{name}'" if name else f"account #{index}", data, ACCOUNT_KEYS
    )
    check_name(account, name, NamedAccount)
    owner = account.get("owner")
    owner_email = owner.strip().lower() if isinstance(owner, str) else ""
    if owner is None:
        account.error("has no owner; add owner: <the owning rep's e-mail>")
    elif not owner_email:
        account.error(f"owner must be the owning rep's e-mail, not {show(owner)}")
    else:
        try:
            validate_email(owner_email)
        except ValidationError:
            account.error(f"owner '{owner_email}' is not an e-mail address")
    domains: list[str] = []
    for raw in account.text_list("domains"):
        domain = normalize_domain(raw)
        if not is_domain(domain):
            account.error(f"domain '{raw}' is not a domain name like acme.com")
        elif domain in domains:
            account.error(f"domain '{domain}' is listed twice")
        else:
            domains.append(domain)
    spec = AccountSpec(
        name=name,
        owner_email=owner_email,
        tier=account.text("tier", max_length=NamedAccount._meta.get_field("tier").max_length),
        domains=tuple(domains),
    )
    return spec if name else None
