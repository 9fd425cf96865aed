"""Territory and named-account matching: pure indexes, no database."""

from __future__ import annotations

import random
from itertools import product

import pytest
from rapidfuzz import fuzz

from reps.owners import Owner
from territories.matching import (
    AccountIndex,
    AccountRecord,
    TerritoryIndex,
    TerritoryRecord,
    range_prefixes,
)
from territories.names import normalize_company_name

OWNER = Owner("rep", 1, "Cy")


def territory(
    territory_id: int,
    name: str | None = None,
    *,
    priority: int = 100,
    countries: tuple[str, ...] = (),
    states: tuple[str, ...] = (),
    postal: tuple[str, ...] = (),
    industries: tuple[str, ...] = (),
    employees: tuple[int | None, int | None] = (None, None),
) -> TerritoryRecord:
    return TerritoryRecord(
        id=territory_id,
        name=name or f"Territory {territory_id}",
        priority=priority,
        countries=countries,
        states=states,
        postal_codes=postal,
        industries=industries,
        employee_count_min=employees[0],
        employee_count_max=employees[1],
        owner=Owner("pool", territory_id, f"Pool {territory_id}"),
    )


def winner(records: list[TerritoryRecord], **lead) -> str | None:
    found, _ = TerritoryIndex.build(records).match(**lead)
    return found.name if found else None


# ---------------------------------------------------------------- territory matchers


def test_country_territory_matches_leads_in_that_country_only():
    records = [territory(1, "US", countries=("US",))]
    assert winner(records, country="US") == "US"
    assert winner(records, country="us") == "US"
    assert winner(records, country="DE") is None


def test_a_lead_without_a_country_does_not_match_a_territory_with_countries():
    records = [territory(1, "US", countries=("US",)), territory(2, "US West", states=("CA",))]
    assert winner(records, country="", state="NY") is None
    assert winner(records, country="", postal_code="10001") is None


def test_states_are_compared_upper_case_and_need_the_country_when_it_has_one():
    records = [territory(1, "West", countries=("US",), states=("CA", "or", "WA"))]
    assert winner(records, country="US", state="ca") == "West"
    assert winner(records, country="US", state="OR") == "West"
    assert winner(records, country="US", state="NY") is None
    assert winner(records, country="MX", state="CA") is None
    assert winner(records, country="US") is None


def test_a_state_territory_without_countries_matches_that_state_in_any_country():
    records = [territory(1, "Any CA", states=("CA",))]
    assert winner(records, country="US", state="CA") == "Any CA"
    assert winner(records, state="CA") == "Any CA"


@pytest.mark.parametrize(
    ("matcher", "code", "matches"),
    [
        ("112", "11201", True),
        ("112", "11301", False),
        ("1001", "10012", True),
        ("100-104", "10012", True),
        ("100-104", "10499", True),
        ("100-104", "10500", False),
        ("100-104", "09999", False),
        ("100-104", "10", False),  # shorter than the matcher
        ("10000-19999", "15000", True),
        ("10000-19999", "20000", False),
        ("SW1", "SW1A1AA", True),
        ("K1A-K2B", "K1Z0B1", True),
        ("K1A-K2B", "K2C0B1", False),
    ],
)
def test_postal_prefixes_and_ranges(matcher, code, matches):
    records = [territory(1, "Postal", postal=(matcher,))]
    assert (winner(records, postal_code=code) == "Postal") is matches


def test_postal_codes_are_forgiven_case_spaces_and_dashes():
    records = [territory(1, "London", countries=("GB",), postal=("SW1",))]
    assert winner(records, country="GB", postal_code="sw1a 1aa") == "London"


def test_a_lead_without_a_postal_code_does_not_match_a_postal_territory():
    assert winner([territory(1, postal=("100",))], country="US") is None


def test_industries_are_compared_case_insensitively():
    records = [territory(1, "Software", industries=("Software", "SaaS"))]
    assert winner(records, industry="software") == "Software"
    assert winner(records, industry=" SAAS ") == "Software"
    assert winner(records, industry="Retail") is None
    assert winner(records, industry="") is None


@pytest.mark.parametrize(
    ("band", "count", "matches"),
    [
        ((50, 500), 50, True),
        ((50, 500), 500, True),
        ((50, 500), 49, False),
        ((50, 500), 501, False),
        ((50, 500), None, False),
        ((1000, None), 5000, True),
        ((1000, None), 999, False),
        ((None, 10), 0, True),
        ((None, 10), 11, False),
    ],
)
def test_employee_band_is_inclusive_and_needs_a_count(band, count, matches):
    records = [territory(1, "Band", employees=band)]
    assert (winner(records, employee_count=count) == "Band") is matches


def test_every_matcher_a_territory_has_must_hold():
    records = [
        territory(
            1,
            "Metro NY software",
            countries=("US",),
            postal=("100-104",),
            industries=("Software",),
            employees=(50, None),
        )
    ]
    lead = {"country": "US", "postal_code": "10012", "industry": "software", "employee_count": 80}
    assert winner(records, **lead) == "Metro NY software"
    assert winner(records, **{**lead, "country": "CA"}) is None
    assert winner(records, **{**lead, "postal_code": "11201"}) is None
    assert winner(records, **{**lead, "industry": "Retail"}) is None
    assert winner(records, **{**lead, "employee_count": 10}) is None


def test_a_lead_matching_nothing_gets_none_and_the_number_examined():
    index = TerritoryIndex.build([territory(1, countries=("US",), industries=("Retail",))])
    found, examined = index.match(country="US", industry="Software")
    assert found is None
    assert examined == 0  # the US/retail bucket is not even looked at


def test_an_empty_index_matches_nothing():
    assert TerritoryIndex.build([]).match(country="US", postal_code="10001") == (None, 0)


# ------------------------------------------------------------------------ who wins


def test_lowest_priority_wins_over_specificity():
    records = [
        territory(1, "Metro NY", priority=100, countries=("US",), postal=("100",)),
        territory(2, "US strategic", priority=10, countries=("US",)),
    ]
    assert winner(records, country="US", postal_code="10012") == "US strategic"


def test_on_equal_priority_postal_beats_state_beats_country_beats_none():
    postal = territory(1, "D postal", countries=("US",), postal=("100",))
    state = territory(2, "C state", countries=("US",), states=("NY",))
    country = territory(3, "B country", countries=("US",))
    anywhere = territory(4, "A anywhere", industries=("Software",))
    lead = {"country": "US", "state": "NY", "postal_code": "10012", "industry": "Software"}
    assert winner([postal, state, country, anywhere], **lead) == "D postal"
    assert winner([state, country, anywhere], **lead) == "C state"
    assert winner([country, anywhere], **lead) == "B country"
    assert winner([anywhere], **lead) == "A anywhere"


def test_a_longer_postal_prefix_is_more_specific():
    records = [
        territory(1, "A short", postal=("10",)),
        territory(2, "B range", postal=("100-104",)),
        territory(3, "C long", postal=("1001",)),
    ]
    assert winner(records, postal_code="10012") == "C long"
    assert winner(records, postal_code="10212") == "B range"
    assert winner(records, postal_code="10912") == "A short"


def test_equal_priority_and_specificity_go_to_the_first_name():
    records = [
        territory(2, "Beta", countries=("US",)),
        territory(1, "Alpha", countries=("US",)),
    ]
    assert winner(records, country="US") == "Alpha"


def test_match_says_on_what_in_plain_words():
    records = [
        territory(1, "Metro NY", countries=("US",), postal=("100-104", "112")),
        territory(2, "Brooklyn software", postal=("112",), industries=("Software",)),
        territory(3, "Mid", countries=("DE",), employees=(50, 500)),
    ]
    index = TerritoryIndex.build(records)
    found, _ = index.match(country="US", postal_code="10012")
    assert found.matched_on == "postal code 10012 in 100-104, country US"
    assert found.owner == Owner("pool", 1, "Pool 1")
    found, _ = index.match(country="US", postal_code="11201", industry="Software")
    assert found.name == "Brooklyn software"
    assert found.matched_on == "postal code 11201 starts with 112, industry Software"
    found, _ = index.match(country="DE", employee_count=120)
    assert found.matched_on == "country DE, 120 employees in 50-500"


def test_a_territory_with_an_unreadable_matcher_is_left_out_and_reported():
    index = TerritoryIndex.build(
        [territory(1, "Broken", postal=("104-100",)), territory(2, "Fine", countries=("US",))]
    )
    assert len(index) == 1
    assert index.problems == (
        "Territory 'Broken' is left out: Postal range '104-100' runs backwards.",
    )
    assert index.match(postal_code="10200")[0] is None


# -------------------------------------------------------------------- index, not scan


def _lead_territories() -> list[TerritoryRecord]:
    """Ten territories around one lead (US, NY, 10012, software, 120 employees)."""
    return [
        territory(1, "Metro NY", countries=("US",), postal=("100-104",)),
        territory(2, "Manhattan", countries=("US",), postal=("1001",), employees=(500, None)),
        territory(3, "New York", countries=("US",), states=("NY",)),
        territory(4, "US software", countries=("US",), industries=("Software",)),
        territory(5, "US", countries=("US",)),
        territory(6, "Mid-market", employees=(50, 500)),
        territory(7, "Canada", countries=("CA",)),
        territory(8, "Brooklyn", countries=("US",), postal=("112",)),
        territory(9, "California", countries=("US",), states=("CA",)),
        territory(10, "Germany software", countries=("DE",), industries=("Software",)),
    ]


def _elsewhere(count: int) -> list[TerritoryRecord]:
    """Territories that share no bucket with the lead: other prefixes, states, countries."""
    records = []
    for number in range(count):
        territory_id = 1000 + number
        kind = number % 3
        if kind == 0:
            records.append(
                territory(territory_id, countries=("US",), postal=(f"{200 + number % 700:03d}",))
            )
        elif kind == 1:
            records.append(territory(territory_id, countries=("US",), states=(f"R{number}",)))
        else:
            records.append(territory(territory_id, countries=(f"X{number % 500}",)))
    return records


def test_candidates_examined_do_not_grow_with_the_number_of_territories():
    lead = {
        "country": "US",
        "state": "NY",
        "postal_code": "10012",
        "industry": "Software",
        "employee_count": 120,
    }
    small = TerritoryIndex.build(_lead_territories())
    large = TerritoryIndex.build(_lead_territories() + _elsewhere(9_990))
    assert len(small) == 10
    assert len(large) == 10_000
    small_match, small_examined = small.match(**lead)
    large_match, large_examined = large.match(**lead)
    assert small_match == large_match
    assert small_match.name == "Metro NY"  # Manhattan (longer prefix) needs 500+ people
    assert small_examined == large_examined
    assert small_examined <= 3


def test_a_lead_without_an_employee_count_skips_banded_territories_unseen():
    index = TerritoryIndex.build(
        [territory(number, employees=(number, number + 10)) for number in range(1, 200)]
    )
    assert index.match(country="US") == (None, 0)


ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _codes(length: int) -> list[str]:
    return ["".join(chars) for chars in product(ALPHANUMERIC, repeat=length)]


@pytest.mark.parametrize("length", [1, 2, 3])
def test_range_prefixes_cover_exactly_the_range(length):
    codes = _codes(length)
    rng = random.Random(length)
    for _ in range(60 if length < 3 else 6):  # 46,656 codes of three characters
        low, high = sorted(rng.sample(codes, 2))
        prefixes = range_prefixes(low, high)
        covered = {code for code in codes if code.startswith(tuple(prefixes))}
        assert covered == {code for code in codes if low <= code <= high}, (low, high)
        assert len(prefixes) == len(set(prefixes))


def test_range_prefixes_stay_few_for_wide_ranges():
    assert range_prefixes("100", "104") == ["100", "101", "102", "103", "104"]
    assert range_prefixes("000", "ZZZ") == [""]
    assert len(range_prefixes("00000", "99999")) < 50


# ----------------------------------------------------------------------- accounts


def account(
    account_id: int,
    name: str,
    *domains: str,
    normalized_name: str | None = None,
    tier: str = "strategic",
) -> AccountRecord:
    return AccountRecord(
        id=account_id,
        name=name,
        normalized_name=normalize_company_name(name)
        if normalized_name is None
        else normalized_name,
        domains=domains,
        owner_rep_id=100 + account_id,
        owner_name=f"Owner {account_id}",
        tier=tier,
    )


ACCOUNTS = [
    account(1, "Acme Corp", "acme.com", "acme.io"),
    account(2, "Acme Europe", "eu.acme.com"),
    account(3, "Globex", "globex.com", "gmail.com"),
    account(4, "Initech Widgets", "initech.com"),
]


@pytest.fixture(scope="module")
def accounts() -> AccountIndex:
    return AccountIndex.build(ACCOUNTS)


def test_email_domain_matches_its_account(accounts):
    found = accounts.match(email_domain="acme.io", is_free_mail=False, company="Someone else")
    assert (found.account_id, found.name, found.matched_by) == (1, "Acme Corp", "email domain")
    assert found.detail == "e-mail domain acme.io"
    assert (found.owner_rep_id, found.owner_name, found.tier) == (101, "Owner 1", "strategic")
    assert found.score is None


def test_subdomains_match_the_nearest_listed_domain(accounts):
    found = accounts.match(email_domain="sales.acme.com", is_free_mail=False)
    assert found.name == "Acme Corp"
    assert found.detail == "e-mail domain sales.acme.com is under acme.com"
    found = accounts.match(email_domain="paris.eu.acme.com", is_free_mail=False)
    assert found.name == "Acme Europe"
    assert found.detail == "e-mail domain paris.eu.acme.com is under eu.acme.com"


def test_free_mail_never_matches_by_domain_even_when_listed_on_an_account(accounts):
    assert accounts.match(email_domain="gmail.com", is_free_mail=True) is None
    # Even a caller that forgot the flag: free-mail domains are not in the index.
    assert accounts.match(email_domain="gmail.com", is_free_mail=False) is None
    assert accounts.match(email_domain="x", is_free_mail=True, website_domain="gmail.com") is None
    assert accounts.ignored_domains == ("gmail.com (Globex)",)


def test_free_mail_lead_still_matches_by_company(accounts):
    found = accounts.match(email_domain="gmail.com", is_free_mail=True, company="Globex")
    assert (found.name, found.matched_by) == ("Globex", "company name")


def test_website_domain_matches_when_the_email_does_not(accounts):
    found = accounts.match(
        email_domain="gmail.com", is_free_mail=True, website_domain="shop.globex.com"
    )
    assert (found.name, found.matched_by) == ("Globex", "website domain")
    assert found.detail == "website domain shop.globex.com is under globex.com"


def test_email_domain_comes_before_website_and_name(accounts):
    found = accounts.match(
        email_domain="acme.com", is_free_mail=False, website_domain="globex.com", company="Globex"
    )
    assert found.name == "Acme Corp"


def test_normalized_company_name_matches(accounts):
    found = accounts.match(email_domain="", company="ACME, Inc.")
    assert (found.name, found.matched_by, found.score) == ("Acme Corp", "company name", None)
    assert found.detail == "company name 'ACME, Inc.' matches Acme Corp (both 'acme')"


def test_a_record_without_a_normalized_name_is_normalized_at_build():
    index = AccountIndex.build([account(1, "Hooli, Inc.", normalized_name="")])
    assert index.match(company="HOOLI").name == "Hooli, Inc."


def test_names_that_normalize_alike_go_to_the_first_by_name_whatever_the_order():
    records = [account(1, "Acme Corp", "acme.com"), account(2, "ACME Inc.", "acme.com")]
    for ordered in (records, records[::-1]):
        index = AccountIndex.build(ordered)
        assert index.match(company="acme").name == "ACME Inc."
        assert index.match(email_domain="acme.com").name == "ACME Inc."


def test_similar_company_name_above_the_threshold_matches_with_its_score(accounts):
    found = accounts.match(company="Initech Widgts")
    expected = fuzz.token_sort_ratio("initech widgts", "initech widgets")
    assert expected >= 90
    assert found.name == "Initech Widgets"
    assert found.matched_by == "similar company name"
    assert found.score == pytest.approx(expected, abs=0.05)
    assert found.detail == f"company name 'Initech Widgts' is {found.score:g}% like Initech Widgets"


def test_similar_names_ignore_word_order(accounts):
    assert accounts.match(company="Widgets Initech").score == 100


def test_similar_company_name_below_the_threshold_does_not_match(accounts):
    score = fuzz.token_sort_ratio("initech wodgetz", "initech widgets")
    assert 80 < score < 90
    assert accounts.match(company="Initech Wodgetz") is None
    lenient = AccountIndex.build(ACCOUNTS, fuzzy_threshold=80)
    found = lenient.match(company="Initech Wodgetz")
    assert found.name == "Initech Widgets"
    assert found.score == pytest.approx(score, abs=0.05)


def test_a_short_name_inside_a_longer_one_is_not_similar():
    index = AccountIndex.build([account(1, "Apple")])
    assert index.match(company="Pineapple Express") is None


def test_similar_name_ties_go_to_the_first_by_name():
    index = AccountIndex.build([account(1, "Zeta Robotix"), account(2, "Zeta Robotiq")])
    found = index.match(company="Zeta Robotic")
    assert found.name == "Zeta Robotiq"


def test_common_words_alone_make_no_candidates():
    index = AccountIndex.build([account(1, "Global Solutions Group")])
    assert index.candidates("global solutions international") == []
    assert index.match(company="Global Solutions International") is None


def test_candidate_list_is_capped():
    records = [account(number, f"Zenith {number:03d}") for number in range(300)]
    index = AccountIndex.build(records, max_candidates=100)
    candidates = index.candidates("zenith")
    assert len(candidates) == 100
    assert candidates[0] == "zenith 000"  # the first by name, deterministically


def test_a_rare_word_is_preferred_to_one_shared_by_more_accounts_than_the_cap():
    records = [account(number, f"Zenith {number:03d}") for number in range(300)]
    records.append(account(999, "Rocketry Zenith Works"))
    index = AccountIndex.build(records, max_candidates=100)
    assert index.candidates("zenith rocketry work") == ["rocketry zenith works"]
    found = index.match(company="Zenith Rocketry Work")
    assert (found.name, found.matched_by) == ("Rocketry Zenith Works", "similar company name")


def test_no_company_and_no_domain_matches_nothing(accounts):
    assert accounts.match(email_domain="", website_domain="", company="") is None
    assert accounts.match(email_domain="unknown.org", company="Nobody") is None
