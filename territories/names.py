"""Normalizing company names and domains so that "ACME, Inc." and "acme" meet."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# Legal forms dropped from the end of a company name; compared after punctuation is gone.
LEGAL_SUFFIXES = frozenset(
    """
    inc incorporated corp corporation co company llc llp lp ltd limited plc pllc
    gmbh ag kg ug mbh se sa sas sarl srl spa bv nv oy ab as aps asa kk pty pte
    group holding holdings
    """.split()
)
_NON_WORD = re.compile(r"[^\w]+")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def normalize_company_name(name: str) -> str:
    """Lower-case ASCII words without punctuation and trailing legal forms."""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    words = _NON_WORD.sub(" ", ascii_name.lower().replace("&", " and ")).split()
    stripped = False
    # "GmbH & Co. KG": the "and" joining two legal forms goes with them.
    while len(words) > 1 and (words[-1] in LEGAL_SUFFIXES or (stripped and words[-1] == "and")):
        words.pop()
        stripped = True
    return " ".join(words)


def normalize_domain(value: str) -> str:
    """'https://www.Acme.com/pricing' -> 'acme.com'; '' when there is no host."""
    text = (value or "").strip().lower()
    if "@" in text and "/" not in text:
        text = text.rsplit("@", 1)[1]
    if "://" not in text:
        text = "//" + text
    host = (urlsplit(text).hostname or "").rstrip(".")
    return host.removeprefix("www.")


def is_domain(value: str) -> bool:
    return bool(_DOMAIN.match(value))
