"""What real forms send: sources written as words, ZIP codes as numbers, campaign
fields, and plain HTML form bodies (form-encoded, multipart) with the key in a field
and a thank-you page to go to."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from routing.models import IntakeKey, Lead
from territories.geo import us_zip_point
from tests.admin.helpers import admin_url, page_data
from tests.api.conftest import LEADS_URL, SIMULATE_URL, stored_counts
from tests.factories import RuleFactory

pytestmark = pytest.mark.django_db

SITE = "https://www.prospect-forms.com"
THANKS = "https://www.prospect-forms.com/thanks"
FORM = "application/x-www-form-urlencoded"


def lead_of(response) -> Lead:
    return Lead.objects.get(pk=response.json()["id"])


# ------------------------------------------------------------------------ sources


@pytest.mark.parametrize(
    "source", ["Pricing Page", "pricing-page", " PRICING  page ", "Pricing_Page"]
)
def test_a_source_written_as_words_goes_where_the_rule_sends_its_snake_case(api, routing, source):
    response = api.post(LEADS_URL, {"email": "pat@prospect.com", "source": source}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["rule"]["name"] == "Pricing page"
    assert lead_of(response).source == "pricing_page"


def test_a_rule_written_as_words_matches_the_stored_snake_case(api, routing):
    routing["pricing"].conditions = {"source": "Pricing Page"}  # saved before keywords were kept so
    routing["pricing"].save()

    response = api.post(
        LEADS_URL, {"email": "pat@prospect.com", "source": "pricing_page"}, format="json"
    )
    assert response.json()["rule"]["name"] == "Pricing page"


def test_the_rule_form_keeps_a_source_in_its_compared_form(admin_client, routing):
    rule = routing["pricing"]
    data = page_data(admin_client.get(admin_url(rule.ruleset, "change", rule.ruleset.pk)))
    field = next(name for name, value in data.items() if value and "pricing_page" in str(value))
    data[field] = "source: Pricing Page"

    response = admin_client.post(admin_url(rule.ruleset, "change", rule.ruleset.pk), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    rule.refresh_from_db()
    assert rule.conditions == {"source": "pricing_page"}


# --------------------------------------------------------------------- ZIP codes


@pytest.mark.parametrize(
    ("body", "stored"),
    [
        ({"postal_code": 7030, "country": "US"}, "07030"),
        ({"postal_code": "7030", "country": "US"}, "07030"),
        ({"postal_code": 7030}, "07030"),  # a number without a country: a form's ZIP field
        ({"postal_code": 501, "country": "US"}, "00501"),
        ({"postal_code": "7030"}, "7030"),  # digits as text, no country: as written
        ({"postal_code": "7030", "country": "DK"}, "7030"),
    ],
)
def test_a_us_zip_that_lost_its_leading_zero_is_padded(api, routing, body, stored):
    response = api.post(LEADS_URL, {"email": "pat@prospect.com", **body}, format="json")

    assert response.status_code == 201, response.json()
    assert lead_of(response).postal_code == stored


def test_a_zip_sent_as_a_number_has_a_location(api, routing):
    response = api.post(
        LEADS_URL, {"email": "pat@prospect.com", "postal_code": 7030}, format="json"
    )
    assert us_zip_point(lead_of(response).postal_code) is not None  # Hoboken, NJ


# ----------------------------------------------------------------- campaign fields

CAMPAIGN = {
    "utm_source": "google",
    "utm_medium": "cpc",
    "utm_campaign": "spring-launch",
    "utm_term": "lead routing",
    "utm_content": "hero-button",
    "gclid": "EAIaIQobChMI-abc123",
}


def test_campaign_fields_are_accepted_stored_and_answered(api, routing):
    response = api.post(LEADS_URL, {"email": "pat@prospect.com", **CAMPAIGN}, format="json")

    assert response.status_code == 201, response.json()
    lead = lead_of(response)
    assert {name: getattr(lead, name) for name in CAMPAIGN} == CAMPAIGN
    assert lead.attributes == {}
    detail = api.get(f"{LEADS_URL}{lead.pk}/").json()
    assert {name: detail[name] for name in CAMPAIGN} == CAMPAIGN


def test_a_rule_routes_on_a_campaign_field(api, routing):
    RuleFactory(
        ruleset=routing["ruleset"],
        name="Paid search",
        position=0,
        conditions={"utm_medium": "cpc", "gclid": {"exists": True}},
        route_rep=routing["cy"],
    )
    paid = api.post(LEADS_URL, {"email": "pat@prospect.com", **CAMPAIGN}, format="json")
    organic = api.post(
        SIMULATE_URL, {"email": "kim@prospect.com", "utm_medium": "organic"}, format="json"
    )

    assert paid.json()["rule"]["name"] == "Paid search"
    assert paid.json()["owner"]["email"] == "cy@example.com"
    assert organic.status_code == 200 and organic.json()["rule"] is None


def test_a_campaign_field_too_long_is_a_400_naming_it(api, routing, nothing_stored):
    response = api.post(
        LEADS_URL, {"email": "pat@prospect.com", "utm_campaign": "x" * 256}, format="json"
    )
    assert response.status_code == 400
    assert "utm_campaign" in response.json()


# --------------------------------------------------------------------- HTML forms


@pytest.fixture
def public_key(db) -> tuple[IntakeKey, str]:
    return IntakeKey.objects.create_key(
        name="Pricing form", kind=IntakeKey.Kind.PUBLIC, allowed_origins=[SITE]
    )


def test_a_form_encoded_body_is_taken_like_json(api, routing):
    response = api.post(
        LEADS_URL,
        "email=pat%40prospect.com&source=Pricing+Page&employee_count=51-200&company=&utm_source=ads",
        content_type=FORM,
    )

    assert response.status_code == 201, response.json()
    assert response.json()["rule"]["name"] == "Pricing page"
    lead = lead_of(response)
    assert (lead.email, lead.employee_count, lead.utm_source) == ("pat@prospect.com", 51, "ads")
    assert lead.company == ""  # an input left empty is a field not sent


def test_a_multipart_body_is_taken_like_json(api, routing):
    response = api.post(
        LEADS_URL,
        {"email": "pat@prospect.com", "source": "demo_request", "attributes.plan": "Pro"},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    lead = lead_of(response)
    assert lead.owner == routing["ana"] and lead.attributes == {"plan": "Pro"}


def test_a_simulation_takes_a_form_body_too(api, routing):
    response = api.post(
        SIMULATE_URL, "email=pat%40prospect.com&source=demo_request", content_type=FORM
    )
    assert response.status_code == 200
    assert response.json()["owner"]["email"] == "ana@example.com"


def test_a_plain_html_form_posts_with_its_public_key_as_a_field(routing, public_key):
    _, raw = public_key
    browser = APIClient()

    response = browser.post(
        LEADS_URL,
        {"key": raw, "email": "pat@prospect.com", "source": "demo_request"},
        format="multipart",
        HTTP_ORIGIN=SITE,
    )

    assert response.status_code == 201, response.json()
    lead = Lead.objects.get()
    assert response.json() == {"id": lead.pk, "status": "received", "duplicate": False}
    assert lead.intake_key == public_key[0] and lead.owner == routing["ana"]
    assert "key" not in lead.payload


def test_a_form_post_is_sent_on_to_the_keys_thank_you_page(routing, public_key):
    intake_key, raw = public_key
    intake_key.thank_you_url = THANKS
    intake_key.save()
    browser = APIClient()

    response = browser.post(
        LEADS_URL, f"key={raw}&email=pat%40prospect.com", content_type=FORM, HTTP_ORIGIN=SITE
    )

    assert response.status_code == 303
    assert response["Location"] == THANKS
    assert Lead.objects.get().email == "pat@prospect.com"


def test_a_json_post_with_a_thank_you_key_keeps_its_json_answer(routing, public_key):
    intake_key, raw = public_key
    intake_key.thank_you_url = THANKS
    intake_key.save()
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")

    response = script.post(LEADS_URL, {"email": "pat@prospect.com"}, format="json")

    assert response.status_code == 201 and response.json()["status"] == "received"


def test_an_invalid_form_post_is_a_clear_400_and_stores_nothing(routing, public_key):
    intake_key, raw = public_key
    intake_key.thank_you_url = THANKS
    intake_key.save()
    before = stored_counts()

    response = APIClient().post(
        LEADS_URL, f"key={raw}&email=not-an-address&employee_count=lots", content_type=FORM
    )

    assert response.status_code == 400
    assert set(response.json()) == {"email", "employee_count"}
    assert stored_counts() == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("email=pat%40prospect.com&email=kim%40prospect.com", "'email' 2 times"),
        ("email=pat%40prospect.com&colour=red", "colour"),
        ("email=pat%40prospect.com&attributes=x&attributes.plan=Pro", "attributes.<name>"),
    ],
)
def test_a_form_that_cannot_be_read_as_a_lead_is_a_400(api, routing, body, message):
    before = stored_counts()
    response = api.post(LEADS_URL, body, content_type=FORM)
    assert response.status_code == 400
    assert message in str(response.json())
    assert stored_counts() == before


def test_a_form_with_a_file_is_a_400(api, routing):
    response = api.post(
        LEADS_URL,
        {"email": "pat@prospect.com", "cv": SimpleUploadedFile("cv.txt", b"hello")},
        format="multipart",
    )
    assert response.status_code == 400 and "Files are not accepted" in response.json()["detail"]
    assert not Lead.objects.exists()


def test_a_server_key_in_a_form_field_is_refused(routing):
    _, raw = IntakeKey.objects.create_key(name="CRM sync")
    response = APIClient().post(LEADS_URL, f"key={raw}&email=pat%40prospect.com", content_type=FORM)

    assert response.status_code == 401
    assert "server key" in response.json()["detail"]
    assert not Lead.objects.exists()


def test_a_form_without_any_key_is_told_where_a_key_goes(routing):
    response = APIClient().post(LEADS_URL, "email=pat%40prospect.com", content_type=FORM)
    assert response.status_code == 401 and "'key' field" in response.json()["detail"]


def test_a_public_key_field_from_a_site_it_does_not_list_is_refused(routing, public_key):
    _, raw = public_key
    response = APIClient().post(
        LEADS_URL,
        f"key={raw}&email=pat%40prospect.com",
        content_type=FORM,
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403
    assert not Lead.objects.exists()


# ------------------------------------------------------------- thank-you URLs


def test_the_command_makes_a_public_key_with_a_thank_you_page():
    call_command(
        "create_intake_key", "Pricing form", "--public", "--origin", SITE,
        "--thank-you", THANKS, stdout=StringIO(),
    )  # fmt: skip
    assert IntakeKey.objects.get().thank_you_url == THANKS


@pytest.mark.parametrize(
    ("url", "production", "message"),
    [
        ("not a page", False, "is not a web page address"),
        ("javascript:alert(1)", False, "is not a web page address"),
        ("http://www.prospect-forms.com/thanks", True, "https"),
    ],
)
def test_the_command_refuses_a_thank_you_url_that_is_no_web_page(
    settings, url, production, message
):
    settings.SECURE_SSL_REDIRECT = production
    with pytest.raises(CommandError, match=f"--thank-you: .*{message}"):
        call_command("create_intake_key", "Form", "--thank-you", url, stdout=StringIO())
    assert not IntakeKey.objects.exists()


def test_plain_http_thank_you_pages_are_fine_outside_production(settings):
    settings.SECURE_SSL_REDIRECT = False
    call_command(
        "create_intake_key",
        "Form",
        "--thank-you",
        "http://127.0.0.1:8080/thanks",
        stdout=StringIO(),
    )
    assert IntakeKey.objects.get().thank_you_url == "http://127.0.0.1:8080/thanks"


def test_the_admin_sets_and_checks_a_keys_thank_you_url(admin_client, settings):
    settings.SECURE_SSL_REDIRECT = True
    add = admin_url(IntakeKey, "add")
    data = page_data(admin_client.get(add, secure=True))
    data.update(name="Pricing form", thank_you_url="http://www.prospect-forms.com/thanks")

    refused = admin_client.post(add, data, secure=True)
    assert refused.status_code == 200 and "is not a web page address" in refused.content.decode()
    assert not IntakeKey.objects.exists()

    data["thank_you_url"] = THANKS
    assert admin_client.post(add, data, secure=True).status_code == 302
    assert IntakeKey.objects.get().thank_you_url == THANKS
