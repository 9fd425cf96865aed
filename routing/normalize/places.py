"""Places as ISO knows them: country codes, state codes, postal codes.

pycountry is slow to search, so names are folded into one table on first use and every
answer is cached.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import pycountry

from territories.postal import normalize_postal_code as compact_postal_code

# What people type that ISO does not call a country; keys are folded like _fold does.
COUNTRY_ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "america": "US",
    "united states": "US",
    "south korea": "KR",
    "russia": "RU",
    "czech republic": "CZ",
    "holland": "NL",
    "turkey": "TR",
    "ivory coast": "CI",
    "uae": "AE",
    "emirates": "AE",
    "brunei": "BN",
    "cape verde": "CV",
    "swaziland": "SZ",
    "burma": "MM",
    "vatican": "VA",
    "vatican city": "VA",
    "macedonia": "MK",
    "macau": "MO",
    "dr congo": "CD",
    "drc": "CD",
    "democratic republic of the congo": "CD",
    "republic of the congo": "CG",
}
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def _fold(text: str) -> str:
    """'Côte d'Ivoire' -> 'cote d ivoire', 'U.S.A.' -> 'usa', 'The Bahamas' -> 'bahamas'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    folded = _NOT_ALNUM.sub(" ", plain.replace(".", "")).strip()
    return folded.removeprefix("the ")


@cache
def _country_names() -> dict[str, str]:
    """Folded names, official and common names, and aliases -> alpha-2. Built once."""
    table: dict[str, str] = {}
    before_comma: dict[str, set[str]] = {}
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            name = getattr(country, attribute, None)
            if not name:
                continue
            table.setdefault(_fold(name), country.alpha_2)
            if "," in name:  # "Korea, Republic of", "Bolivia, Plurinational State of"
                before_comma.setdefault(_fold(name.split(",")[0]), set()).add(country.alpha_2)
    for short, codes in before_comma.items():
        if len(codes) == 1:  # not "Korea" (north or south?), not "Virgin Islands"
            table.setdefault(short, codes.pop())
    table.update(COUNTRY_ALIASES)
    return table


@lru_cache(maxsize=4096)
def _country_code(text: str) -> str | None:
    key = _fold(text)
    code = key.replace(" ", "").upper()  # "U.S.A." -> "USA"
    if len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None:
        return code
    if len(code) == 3:
        country = pycountry.countries.get(alpha_3=code) or pycountry.countries.get(numeric=code)
        if country is not None:
            return country.alpha_2
    return _country_names().get(key)


def normalize_country(value: str | None) -> str:
    """'us', 'USA', 'United States of America', 'U.K.' -> ISO alpha-2; '' for blank.

    Exact names only (ISO name, official and common name, the part before a comma when
    it is unambiguous, a few aliases): pycountry's fuzzy search also matches regions
    ("Kosovo" -> RS, "California" -> US), which is worse than asking again.
    """
    text = (value or "").strip()
    if not text:
        return ""
    code = _country_code(text)
    if code is None:
        raise ValueError(
            f"'{text}' is not a country we know; send an ISO code like US or DE, "
            "or the English name."
        )
    return code


# ----------------------------------------------------------------------------- state

_SUBDIVISION_CODE = re.compile(r"^([A-Z]{2})-([A-Z0-9]{1,3})$")
_INNER_CODE = re.compile(r"\b[A-Z]{2}-[A-Z0-9]{1,3}\b")


@lru_cache(maxsize=300)
def _subdivisions(country: str) -> tuple[frozenset[str], dict[str, str]]:
    """A country's subdivision codes (after the dash) and folded names -> code."""
    found = pycountry.subdivisions.get(country_code=country) or []
    codes = frozenset(sub.code.partition("-")[2] for sub in found)
    names: dict[str, str] = {}
    # Top-level subdivisions first: Spain's "La Rioja" is a community and a province.
    for sub in sorted(found, key=lambda sub: sub.parent_code is not None):
        code = sub.code.partition("-")[2]
        # "Wales [Cymru GB-CYM]": the name and its alternative both count.
        main, _, other = sub.name.partition("[")
        for name in (main, _INNER_CODE.sub("", other.rstrip("]"))):
            if name.strip():
                names.setdefault(_fold(name), code)
    return codes, names


@lru_cache(maxsize=8192)
def _state_code(country: str, text: str) -> str:
    upper = " ".join(text.upper().split())
    full = _SUBDIVISION_CODE.match(upper)
    if full:  # "US-CA": the ISO code, when it is one (and of the lead's country)
        prefix, code = full.groups()
        if (not country or prefix == country) and code in _subdivisions(prefix)[0]:
            return code
    if not country:
        return upper
    codes, names = _subdivisions(country)
    if upper in codes:
        return upper
    return names.get(_fold(text), upper)


# Countries whose forms offer the ISO 3166-2 list as it is: a state not on it is a typo
# or a made-up place, refused like an unknown country. Elsewhere regions are free text in
# several languages (Bavaria, Bayern) and every value is kept.
STRICT_STATE_COUNTRIES = frozenset({"US", "CA", "AU"})
# What people type that ISO 3166-2 does not name, folded like _fold does.
STATE_ALIASES = {"US": {"washington dc": "DC", "washington d c": "DC"}}


def checked_state(country: str, value: str | None) -> str:
    """normalize_state, refusing (ValueError) a state that a country of
    STRICT_STATE_COUNTRIES does not have."""
    state = normalize_state(country, value)
    if not state or country not in STRICT_STATE_COUNTRIES:
        return state
    state = STATE_ALIASES.get(country, {}).get(_fold(state), state)
    if state not in _subdivisions(country)[0]:
        name = pycountry.countries.get(alpha_2=country).name
        raise ValueError(
            f"'{(value or '').strip()}' is not a state of {name}; send its code (like "
            f"{min(_subdivisions(country)[0])}) or its name."
        )
    return state


def normalize_state(country: str, value: str | None) -> str:
    """'California', 'california', 'CA', 'US-CA' (country US) -> 'CA'.

    ISO 3166-2 names and codes become the code after the dash; anything else is kept,
    upper-cased: regions are free text in many forms, so this never fails.
    """
    text = (value or "").strip()
    if not text:
        return ""
    return _state_code((country or "").strip().upper(), text)


# ----------------------------------------------------------------------- postal code

# ZIP codes: the United States and the places its postal service serves.
ZIP_COUNTRIES = frozenset({"US", "PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW"})
_ZIP_PLUS_4 = re.compile(r"^\d{5}(\d{4})?$")
_DASHED_ZIP_PLUS_4 = re.compile(r"^\d{5}-\d{4}$")


# The lowest ZIP is 00501: three digits are the least a ZIP that lost its zeros keeps.
_ZIP_WITHOUT_LEADING_ZEROS = re.compile(r"^\d{3,4}$")


def normalize_postal_code(country: str, value: str | None) -> str:
    """Upper case without spaces or dashes; a US ZIP+4 '10001-1234' -> '10001'; a ZIP
    that lost its leading zeros (a form's number field, a spreadsheet) '7030' -> '07030'.

    Without a country, only the unmistakable 'NNNNN-NNNN' is read as ZIP+4.
    """
    text = (value or "").strip()
    code = compact_postal_code(text)
    country = (country or "").strip().upper()
    if len(code) == 9 and (
        (country in ZIP_COUNTRIES and _ZIP_PLUS_4.match(code))
        or (not country and _DASHED_ZIP_PLUS_4.match(text))
    ):
        return code[:5]
    if country in ZIP_COUNTRIES and _ZIP_WITHOUT_LEADING_ZEROS.match(code):
        return code.zfill(5)
    return code
