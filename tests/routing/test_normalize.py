"""Normalizing a submitted lead: pure functions, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from routing.models import Lead
from routing.normalize import (
    LeadFacts,
    is_free_mail,
    lead_facts,
    normalize_country,
    normalize_email,
    normalize_postal_code,
    normalize_state,
    normalize_submission,
    parse_employee_count,
    website_domain,
)
from routing.normalize.submission import EMAIL, TEXT_LIMITS

# ------------------------------------------------------------------- e-mail, domains


def test_email_is_stripped_and_lower_cased_with_its_domain():
    assert normalize_email("  Ana.Silva@Sales.ACME.com ") == (
        "ana.silva@sales.acme.com",
        "sales.acme.com",
    )


@pytest.mark.parametrize("value", ["ana", "ana@", "@acme.com", ""])
def test_email_without_a_domain_is_refused_by_name(value):
    with pytest.raises(ValueError, match=f"^'{value}' is not an e-mail address like"):
        normalize_email(value)


@pytest.mark.parametrize(
    ("domain", "free"),
    [
        ("gmail.com", True),
        ("GMAIL.COM", True),
        ("yahoo.co.uk", True),
        ("mail.yahoo.co.uk", True),  # a subdomain of a provider
        ("mailinator.com", True),  # disposable
        ("guerrillamail.com", True),  # only on the disposable list
        ("inbox.sharklasers.com", True),
        ("acme.com", False),
        ("gmail.acme.com", False),  # the provider's name as a label is not the provider
        ("co.uk", False),
        ("", False),
    ],
)
def test_free_mail_and_disposable_domains(domain, free):
    assert is_free_mail(domain) is free


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("https://www.Acme.com/pricing", "acme.com"),
        ("acme.io", "acme.io"),
        ("http://shop.acme.com:8080", "shop.acme.com"),
        ("not a website", ""),
        ("localhost", ""),
        ("", ""),
    ],
)
def test_website_domain(value, domain):
    assert website_domain(value) == domain


# --------------------------------------------------------------------------- places


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("us", "US"),
        (" DE ", "DE"),
        ("USA", "US"),
        ("deu", "DE"),
        ("840", "US"),
        ("United States", "US"),
        ("united states of america", "US"),
        ("Germany", "DE"),
        ("The Netherlands", "NL"),
        ("Bolivia", "BO"),  # common name
        ("Iran", "IR"),
        ("Palestine", "PS"),  # before the comma of "Palestine, State of"
        ("Türkiye", "TR"),
        ("Côte d'Ivoire", "CI"),
        ("UK", "GB"),
        ("u.k.", "GB"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("Wales", "GB"),
        ("America", "US"),
        ("U.S.", "US"),
        ("U.S.A.", "US"),
        ("South Korea", "KR"),
        ("Russia", "RU"),
        ("Czech Republic", "CZ"),
        ("Holland", "NL"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_country_codes_names_and_aliases(value, code):
    assert normalize_country(value) == code


@pytest.mark.parametrize("value", ["Narnia", "Korea", "Deutschland", "California", "EU"])
def test_unknown_or_ambiguous_country_is_refused_by_name(value):
    with pytest.raises(ValueError) as error:
        normalize_country(value)
    assert str(error.value) == (
        f"'{value}' is not a country we know; send an ISO code like US or DE, or the English name."
    )


@pytest.mark.parametrize(
    ("country", "value", "state"),
    [
        ("US", "California", "CA"),
        ("US", "california", "CA"),
        ("US", "CA", "CA"),
        ("US", "ca", "CA"),
        ("US", "US-CA", "CA"),
        ("US", " new  york ", "NY"),
        ("US", "District of Columbia", "DC"),
        ("CA", "Ontario", "ON"),
        ("DE", "Bayern", "BY"),
        ("DE", "Baden-Württemberg", "BW"),
        ("GB", "Wales", "WLS"),
        ("GB", "Cymru", "WLS"),
        ("ES", "La Rioja", "RI"),  # the community, not the province of the same name
        ("", "US-CA", "CA"),
        ("GB", "Greater London", "GREATER LONDON"),  # unknown: kept, upper-cased
        ("", "California", "CALIFORNIA"),  # no country to read it by
        ("DE", "US-CA", "US-CA"),  # another country's code
        ("US", "", ""),
        ("US", None, ""),
    ],
)
def test_state_names_and_codes(country, value, state):
    assert normalize_state(country, value) == state


@pytest.mark.parametrize(
    ("country", "value", "code"),
    [
        ("US", "10001-1234", "10001"),
        ("US", "10001 1234", "10001"),
        ("US", "100011234", "10001"),
        ("PR", "00901-1234", "00901"),
        ("", "10001-1234", "10001"),
        ("", "100011234", "100011234"),  # without a country, only the dashed form is ZIP+4
        ("US", " 10001 ", "10001"),
        ("GB", "sw1a 1aa", "SW1A1AA"),
        ("CA", "K1A 0B1", "K1A0B1"),
        ("BR", "01310-100", "01310100"),
        ("NL", "1012 AB", "1012AB"),
        ("US", "", ""),
        ("US", None, ""),
    ],
)
def test_postal_codes(country, value, code):
    assert normalize_postal_code(country, value) == code


# ------------------------------------------------------------------------ employees


@pytest.mark.parametrize(
    ("value", "count"),
    [
        (1200, 1200),
        (0, 0),
        (12.0, 12),
        ("1200", 1200),
        ("1,200", 1200),
        (" 1,200 ", 1200),
        ("51-200", 51),
        ("51 - 200", 51),
        ("51–200", 51),
        ("51 to 200", 51),
        ("51-200 employees", 51),
        ("200-51", 51),
        ("1-10", 1),
        ("<10", 1),
        ("under 10", 1),
        ("up to 10", 1),
        ("1000+", 1000),
        ("1,000+", 1000),
        ("10k+", 10000),
        ("10K", 10000),
        ("1.5k", 1500),
        ("10k-50k", 10000),
        ("2m", 2_000_000),
        (">500", 501),
        ("more than 500", 501),
        (">=500", 500),
        ("1,200.50", 1200),
        (None, None),
        ("", None),
        ("  ", None),
    ],
)
def test_employee_counts_and_bands(value, count):
    assert parse_employee_count(value) == count


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-5, "'-5' employees: the number of employees can't be negative."),
        ("-5", "'-5' employees: the number of employees can't be negative."),
        (
            "lots",
            "'lots' is not a number of employees; "
            "send a whole number like 250 or a band like 51-200.",
        ),
        ("1,2", "'1,2' is not a number of employees;"),
        ("1.200", "'1.200' is ambiguous as a number of employees;"),
        (True, "True is not a number of employees;"),
        ([10], "'[10]' is not a number of employees;"),
        (float("nan"), "'nan' is not a whole number of employees;"),
        # A head count is whole; text from a form ("1,200.50") is read leniently instead.
        (12.7, "'12.7' is not a whole number of employees;"),
        (10**12, "'1000000000000' is more employees than any company has."),
    ],
)
def test_unreadable_employee_counts_are_refused_by_name(value, message):
    with pytest.raises(ValueError) as error:
        parse_employee_count(value)
    assert str(error.value).startswith(message)


# ----------------------------------------------------------------------- lead facts


def test_lead_facts_from_stored_lead_values():
    facts = lead_facts(
        {
            "email": "ana@eu.acme.com",
            "email_domain": "eu.acme.com",
            "company": "ACME, Inc.",
            "website": "https://www.acme.com/pricing",
            "country": "US",
            "state": "CA",
            "postal_code": "94105",
            "employee_count": 120,
            "annual_revenue": Decimal("1500000.50"),
            "score": 87,
            "industry": "Software",
            "source": "demo_request",
            "attributes": {"utm": {"campaign": "spring"}},
        }
    )
    assert facts.email_domain == "eu.acme.com"
    assert facts.is_free_mail is False
    assert facts.website_domain == "acme.com"
    assert facts.company_key == "acme"
    assert facts.annual_revenue == 1500000.5
    assert isinstance(facts.annual_revenue, float)
    assert facts.score == 87.0
    assert (facts.first_name, facts.city, facts.message) == ("", "", "")


def test_lead_facts_fill_what_is_missing():
    facts = lead_facts({"email": "pat@gmail.com", "attributes": None, "score": None})
    assert facts.email_domain == "gmail.com"
    assert facts.is_free_mail is True
    assert facts.attributes == {}
    assert (facts.score, facts.employee_count, facts.annual_revenue) == (None, None, None)
    assert facts.website_domain == ""


def test_value_reads_plain_fields():
    facts = LeadFacts(country="US", employee_count=120, source="pricing_page")
    assert facts.value("country") == "US"
    assert facts.value("employee_count") == 120
    assert facts.value("source") == "pricing_page"
    assert facts.value("company") == ""


def test_value_reads_attributes_including_nested_ones():
    facts = LeadFacts(
        attributes={
            "plan": "pro",
            "utm": {"campaign": "spring", "source": {"name": "ads"}},
            "tags": ["vip", "beta"],
            "flat.key": "flat wins",
            "flat": {"key": "nested"},
        }
    )
    assert facts.value("attributes.plan") == "pro"
    assert facts.value("attributes.utm.campaign") == "spring"
    assert facts.value("attributes.utm.source.name") == "ads"
    assert facts.value("attributes.tags.1") == "beta"
    assert facts.value("attributes.flat.key") == "flat wins"
    assert facts.value("attributes.missing") is None
    assert facts.value("attributes.utm.missing.deeper") is None
    assert facts.value("attributes.plan.deeper") is None


@pytest.mark.parametrize(
    ("email_domain", "free", "work"),
    [("acme.com", False, True), ("gmail.com", True, False), ("", False, False)],
)
def test_work_email(email_domain, free, work):
    facts = LeadFacts(email_domain=email_domain, is_free_mail=free)
    assert facts.value("work_email") is work


def test_value_refuses_unknown_fields():
    with pytest.raises(ValueError, match="'colour' is not a lead field"):
        LeadFacts().value("colour")
    with pytest.raises(ValueError, match="the engine decides named_account"):
        LeadFacts().value("named_account")


def test_lead_facts_are_frozen():
    with pytest.raises(AttributeError):
        LeadFacts().country = "US"  # type: ignore[misc]


# ----------------------------------------------------------------------- submission

FULL = {
    "email": " Ana.Silva@Acme.COM ",
    "first_name": " Ana ",
    "last_name": "Silva",
    "phone": 15551234567,
    "company": "ACME, Inc.",
    "website": "https://www.acme.com",
    "employee_count": "51-200",
    "annual_revenue": "1,500,000.555",
    "country": "United States",
    "state": "california",
    "postal_code": "94105-1234",
    "city": "San Francisco",
    "industry": " Software ",
    "product": "Router Pro",
    "source": " Demo_Request ",
    "score": "87.5",
    "message": "Call me.",
    "utm_source": " google ",
    "utm_medium": "cpc",
    "utm_campaign": "Spring Launch",
    "utm_term": "lead routing",
    "utm_content": "hero",
    "gclid": "EAIaIQobChMI",
    "attributes": {"utm": {"campaign": "spring"}},
}


def test_a_full_submission_normalizes_every_field():
    values, errors = normalize_submission(FULL)
    assert errors == {}
    assert values == {
        "email": "ana.silva@acme.com",
        "email_domain": "acme.com",
        "first_name": "Ana",
        "last_name": "Silva",
        "phone": "15551234567",
        "company": "ACME, Inc.",
        "website": "https://www.acme.com",
        "employee_count": 51,
        "annual_revenue": Decimal("1500000.56"),
        "country": "US",
        "state": "CA",
        "postal_code": "94105",
        "city": "San Francisco",
        "industry": "Software",  # stripped, case kept: conditions ignore case
        "product": "Router Pro",
        "source": "demo_request",
        "score": 87.5,
        "message": "Call me.",
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "Spring Launch",  # campaign names are text: case and spaces kept
        "utm_term": "lead routing",
        "utm_content": "hero",
        "gclid": "EAIaIQobChMI",
        "attributes": {"utm": {"campaign": "spring"}},
    }


def test_a_minimal_submission_gets_blanks_and_nones():
    values, errors = normalize_submission({"email": "pat@gmail.com"})
    assert errors == {}
    assert values["email_domain"] == "gmail.com"
    assert values["company"] == values["country"] == values["source"] == ""
    assert values["employee_count"] is values["annual_revenue"] is values["score"] is None
    assert values["attributes"] == {}


def test_submission_values_are_lead_fields_that_pass_the_model_checks():
    values, _ = normalize_submission(FULL)
    lead_fields = {field.name for field in Lead._meta.concrete_fields}
    assert set(values) <= lead_fields
    Lead(**values).clean_fields(exclude=["payload"])
    assert lead_facts(values).company_key == "acme"


def test_text_limits_are_the_models():
    for name, limit in TEXT_LIMITS.items():
        assert Lead._meta.get_field(name).max_length == limit, name
    assert Lead._meta.get_field("email").max_length == EMAIL.max_length


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", None, "An e-mail address is required."),
        ("email", "  ", "An e-mail address is required."),
        ("email", "ana.acme.com", "'ana.acme.com' is not an e-mail address like ana@example.com."),
        ("email", ["ana@acme.com"], "Send text, not a list."),
        ("first_name", "x" * 101, "Use at most 100 characters (this has 101)."),
        ("source", "s" * 51, "Use at most 50 characters (this has 51)."),
        ("company", {"name": "Acme"}, "Send text, not an object."),
        ("city", True, "Send text, not true or false."),
        (
            "country",
            "Narnia",
            "'Narnia' is not a country we know; send an ISO code like US or DE, "
            "or the English name.",
        ),
        ("postal_code", "1" * 21, "Use at most 20 characters (this has 21)."),
        (
            "employee_count",
            "lots",
            "'lots' is not a number of employees; "
            "send a whole number like 250 or a band like 51-200.",
        ),
        ("score", "high", "'high' is not a number; send digits like 1500000 or 87.5."),
        ("score", True, "'True' is not a number; send digits like 1500000 or 87.5."),
        ("score", "NaN", "'NaN' is not a number; send digits like 1500000 or 87.5."),
        ("annual_revenue", "$1M", "'$1M' is not a number; send digits like 1500000 or 87.5."),
        ("annual_revenue", -1, "'-1': annual revenue can't be negative."),
        ("annual_revenue", 1e17, "'1e+17' is too large for annual revenue."),
        ("attributes", [1, 2], 'Send a JSON object like {"utm_source": "ads"}, not a list.'),
        ("attributes", "plan=pro", 'Send a JSON object like {"utm_source": "ads"}, not text.'),
    ],
)
def test_bad_fields_get_a_message_each(field, value, message):
    _, errors = normalize_submission({**FULL, field: value})
    assert errors == {field: message}


def test_every_bad_field_is_reported_at_once():
    _, errors = normalize_submission(
        {"email": "nope", "country": "Narnia", "score": "high", "attributes": []}
    )
    assert set(errors) == {"email", "country", "score", "attributes"}


def test_numbers_sent_for_text_fields_are_taken_as_text():
    values, errors = normalize_submission({"email": "a@b.co", "postal_code": 10001, "phone": 5551})
    assert errors == {}
    assert (values["postal_code"], values["phone"]) == ("10001", "5551")


def test_numbers_for_score_and_revenue():
    values, errors = normalize_submission(
        {"email": "a@b.co", "score": -3, "annual_revenue": 2500000}
    )
    assert errors == {}
    assert values["score"] == -3.0
    assert values["annual_revenue"] == Decimal("2500000.00")
