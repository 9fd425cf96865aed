"""A raw API submission checked field by field into values for the Lead model."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from routing.lead_fields import (
    COUNTRY_DEPENDENT_KINDS,
    LEAD_FIELDS,
    NUMERIC_TEXT_KINDS,
    SUBMITTED_FIELDS,
    Kind,
    LeadField,
    field_of_kind,
)

from .employees import parse_employee_count
from .facts import normalize_email
from .keywords import normalize_keyword
from .places import checked_state, normalize_country, normalize_postal_code
from .text import text_problem, unstorable_problem

# The Lead model's max_length per text field (tests check they agree); None: unlimited.
TEXT_LIMITS: dict[str, int | None] = {
    field.name: field.max_length
    for field in SUBMITTED_FIELDS
    if field.is_text and field.kind not in (Kind.EMAIL, Kind.COUNTRY)
}
# Every field a submission may carry (the intake API's body, an import's columns).
SUBMISSION_FIELDS = tuple(field.name for field in SUBMITTED_FIELDS)
MAX_REVENUE = Decimal(10) ** 16  # DecimalField(max_digits=18, decimal_places=2)
_JSON_TYPES = {
    dict: "an object",
    list: "a list",
    bool: "true or false",
    str: "text",
    int: "a number",
    float: "a number",
}


def _text(value: Any, *, multiline: bool = False, numbers: bool = False) -> str:
    """Text as sent, without surrounding spaces. Control characters are refused (line
    breaks too, unless `multiline`); a number is taken as its digits only where a form
    may well send one (`numbers`: a postal code 10001, a phone number)."""
    if value is None:
        return ""
    if isinstance(value, str):
        problem = text_problem(value, multiline=multiline)
        if problem:
            raise ValueError(problem)
        return value.strip()
    if numbers and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"Send text, not {_JSON_TYPES.get(type(value), type(value).__name__)}.")


def _limit(text: str, limit: int | None) -> str:
    if limit is not None and len(text) > limit:
        raise ValueError(f"Use at most {limit} characters (this has {len(text)}).")
    return text


def _bounded_text(value: Any, limit: int | None, **kinds: bool) -> str:
    """`_text` within `limit` characters, counted as sent (spaces included), as the
    API's schema states it."""
    if isinstance(value, str):
        _limit(value, limit)
    return _limit(_text(value, **kinds), limit)


# Numbers sent as text ("1,200", "51-200") are short and one line.
NUMBER_TEXT_LIMIT = 100


def _number_text(value: Any) -> Any:
    """A number field's value as sent, its text checked like a text field's."""
    if isinstance(value, str):
        _bounded_text(value, NUMBER_TEXT_LIMIT)
    return value


def _decimal(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    problem = ValueError(f"'{value}' is not a number; send digits like 1500000 or 87.5.")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise problem
    try:
        number = Decimal(value.strip().replace(",", "") if isinstance(value, str) else repr(value))
    except InvalidOperation:
        raise problem from None
    if not number.is_finite():
        raise problem
    return number


def _score(value: Any) -> float | None:
    number = _decimal(value)
    if number is None:
        return None
    score = float(number)
    if not math.isfinite(score):  # "1e400" is a finite decimal and an infinite float
        raise ValueError(f"'{value}' is too large for a score.")
    return score


def _revenue(value: Any) -> Decimal | None:
    number = _decimal(value)
    if number is None:
        return None
    if number < 0:
        raise ValueError(f"'{value}': annual revenue can't be negative.")
    if number >= MAX_REVENUE:
        raise ValueError(f"'{value}' is too large for annual revenue.")
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _attributes(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        kind = _JSON_TYPES.get(type(value), type(value).__name__)
        raise ValueError(f'Send a JSON object like {{"utm_source": "ads"}}, not {kind}.')
    for name in value:  # names are shown as labels: one line each
        problem = text_problem(name)
        if problem:
            raise ValueError(f"The name {name!r}: {problem}")
    problem = unstorable_problem(value)
    if problem:
        raise ValueError(problem)
    return dict(value)


def _postal_code(value: Any, country: str, limit: int | None) -> str:
    text = _bounded_text(value, limit, numbers=True)
    # A postal code sent as a JSON number without a country is a US ZIP from a form's
    # number field (the location lookup reads a code without a country as a ZIP too);
    # digits sent as text without a country stay as written.
    sent_as_number = isinstance(value, int) and not isinstance(value, bool)
    return normalize_postal_code(country or ("US" if sent_as_number else ""), text)


EMAIL = field_of_kind(Kind.EMAIL)
EMAIL_DOMAIN = field_of_kind(Kind.EMAIL_DOMAIN)
COUNTRY = field_of_kind(Kind.COUNTRY)

Reader = Callable[[Any, str], Any]  # (value as sent, the lead's country) -> Lead value


def _reader(field: LeadField) -> Reader:
    """How a field of this kind is read; ValueError says what is wrong with a value."""
    kind, limit = field.kind, field.max_length
    if kind is Kind.EMAIL:
        return lambda value, country: _email(value, limit)
    if kind is Kind.COUNTRY:
        return lambda value, country: normalize_country(_text(value))
    if kind is Kind.STATE:
        return lambda value, country: checked_state(country, _bounded_text(value, limit))
    if kind is Kind.POSTAL_CODE:
        return lambda value, country: _postal_code(value, country, limit)
    if kind is Kind.EMPLOYEE_COUNT:
        return lambda value, country: parse_employee_count(_number_text(value))
    if kind is Kind.MONEY:
        return lambda value, country: _revenue(_number_text(value))
    if kind is Kind.SCORE:
        return lambda value, country: _score(_number_text(value))
    if kind is Kind.ATTRIBUTES:
        return lambda value, country: _attributes(value)
    options = {"multiline": kind is Kind.MULTILINE_TEXT, "numbers": kind in NUMERIC_TEXT_KINDS}
    if kind is Kind.KEYWORD:
        return lambda value, country: normalize_keyword(_bounded_text(value, limit, **options))
    return lambda value, country: _bounded_text(value, limit, **options)


# The country first: a state or postal code is read in its light (ZIP+4, ISO 3166-2).
_READERS = tuple(
    (field.name, field.empty, _reader(field))
    for field in sorted(SUBMITTED_FIELDS, key=lambda field: field.kind in COUNTRY_DEPENDENT_KINDS)
)
_LEAD_FIELD_NAMES = tuple(field.name for field in LEAD_FIELDS)


def normalize_submission(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A raw API submission -> (Lead field values, {field: message} for what is wrong).

    The values are ready for `Lead(**values)` once there are no errors (the API stores
    the raw payload itself). Missing text is '', missing numbers None.
    """
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    country = ""
    for name, empty, read in _READERS:
        try:
            values[name] = read(data.get(name), country)
        except ValueError as error:
            problems[name] = str(error)
            values[name] = empty
        if name == COUNTRY.name:
            country = values[name]
    address = values[EMAIL.name]
    values[EMAIL_DOMAIN.name] = normalize_email(address)[1] if address else ""
    in_order = {name: values[name] for name in _LEAD_FIELD_NAMES}
    return in_order, {name: problems[name] for name in in_order if name in problems}


def _email(value: Any, limit: int | None) -> str:
    text = _text(value)
    if not text:
        raise ValueError("An e-mail address is required.")
    address, domain = normalize_email(text)
    _limit(address, limit)
    _limit(domain, EMAIL_DOMAIN.max_length)
    return address
