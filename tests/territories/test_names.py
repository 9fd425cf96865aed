from __future__ import annotations

import pytest

from territories.names import is_domain, normalize_company_name, normalize_domain
from territories.postal import PostalMatcherError, normalize_postal_code, parse_postal_matcher


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("ACME, Inc.", "acme"),
        ("Acme Corp", "acme"),
        ("Müller GmbH & Co. KG", "muller"),
        ("The Co-Operative Bank plc", "the co operative bank"),
        ("Inc", "inc"),
    ],
)
def test_company_names_lose_case_punctuation_and_legal_forms(name, normalized):
    assert normalize_company_name(name) == normalized


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("https://www.Acme.com/pricing", "acme.com"),
        ("acme.com", "acme.com"),
        ("ana@Sales.Acme.com", "sales.acme.com"),
        ("", ""),
    ],
)
def test_domains_are_reduced_to_their_host(value, domain):
    assert normalize_domain(value) == domain


def test_domain_shape():
    assert is_domain("eu.acme.co.uk")
    assert not is_domain("acme")
    assert not is_domain("acme..com")


def test_postal_matchers_are_prefixes_or_same_length_ranges():
    assert parse_postal_matcher("112") == ("112", "112")
    assert parse_postal_matcher("100-104") == ("100", "104")
    assert normalize_postal_code("sw1a 1aa") == "SW1A1AA"
    for bad in ("10-104", "104-100", "1?2"):
        with pytest.raises(PostalMatcherError):
            parse_postal_matcher(bad)
