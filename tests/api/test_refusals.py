"""Bad bodies, big bodies, compressed bodies, floods: a clear answer and nothing stored."""

from __future__ import annotations

import gzip
import io
import json
import time

import pytest
from rest_framework.test import APIClient

from routing.api.exceptions import BodyTooLarge
from routing.api.parsing import JSONObjectParser
from routing.models import IntakeKey
from tests.api.conftest import LEADS_URL, SIMULATE_URL

pytestmark = pytest.mark.django_db


def post_raw(client, body: bytes | str, content_type="application/json", url=LEADS_URL, **extra):
    return client.post(url, body, content_type=content_type, **extra)


@pytest.mark.parametrize(
    ("body", "field", "expected"),
    [
        ({}, "email", "An e-mail address is required."),
        ({"email": "   "}, "email", "An e-mail address is required."),
        ({"email": None}, "email", "An e-mail address is required."),
        ({"email": "not-an-email"}, "email", "is not an e-mail address"),
        ({"email": "pat@localhost@"}, "email", "e-mail"),
        ({"email": "pat @prospect"}, "email", "not a valid e-mail address"),
        ({"email": "pat@prospect.com", "employee_count": "lots"}, "employee_count", "lots"),
        ({"email": "pat@prospect.com", "country": "Atlantis"}, "country", "Atlantis"),
        ({"email": "pat@prospect.com", "score": "high"}, "score", "not a number"),
        ({"email": "pat@prospect.com", "annual_revenue": -5}, "annual_revenue", "negative"),
        ({"email": "pat@prospect.com", "attributes": [1, 2]}, "attributes", "JSON object"),
        ({"email": "pat@prospect.com", "first_name": {"a": 1}}, "first_name", "text"),
        ({"email": "pat@prospect.com", "phone": "1" * 51}, "phone", "at most 50"),
    ],
)
def test_bad_input_is_400_with_a_message_per_field(api, body, field, expected, nothing_stored):
    response = api.post(LEADS_URL, body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert isinstance(errors[field], list)
    assert expected in errors[field][0]


def test_every_problem_is_reported_at_once(api, nothing_stored):
    body = {"employee_count": "lots", "country": "Atlantis", "attributes": "x"}
    response = api.post(LEADS_URL, body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"email", "employee_count", "country", "attributes"}


def test_unknown_fields_are_400_naming_each_with_a_suggestion(api, nothing_stored):
    body = {"email": "pat@prospect.com", "contry": "US", "favourite_colour": "blue"}
    response = api.post(LEADS_URL, body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"contry", "favourite_colour"}
    assert "Did you mean 'country'?" in errors["contry"][0]
    assert "attributes" in errors["favourite_colour"][0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"email": "pat@prospect.com",}', "not valid JSON: Expecting property name"),
        ("{'email': 'pat@prospect.com'}", "not valid JSON"),
        ('{"email": "pat@prospect.com", "score": NaN}', "NaN is not a JSON number"),
        ('[{"email": "pat@prospect.com"}]', "must be a JSON object of lead fields"),
        ('"pat@prospect.com"', "got a string"),
        ("null", "got null"),
        ('{"email": "p@x.com", "attributes": ' + '{"a": ' * 40 + "1" + "}" * 41, "nested"),
    ],
)
def test_an_unreadable_body_is_400_saying_why(api, raw, expected, nothing_stored):
    response = post_raw(api, raw)
    assert response.status_code == 400
    assert expected in response.json()["detail"]


def test_a_body_that_is_not_utf8_is_400(api, nothing_stored):
    response = post_raw(api, '{"email": "pât@prospect.com"}'.encode("latin-1"))
    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"]


def test_an_oversized_body_is_413_before_it_is_read(api, settings, nothing_stored):
    settings.INTAKE_MAX_BODY_BYTES = 1024
    body = {"email": "pat@prospect.com", "message": "x" * 2000}
    response = api.post(LEADS_URL, body, format="json")
    assert response.status_code == 413
    assert "limit of 1024 bytes" in response.json()["detail"]


def test_the_default_limit_admits_a_long_message_and_refuses_a_huge_one(api, nothing_stored):
    response = api.post(LEADS_URL, {"email": "", "message": "x" * 60_000}, format="json")
    assert response.status_code == 400  # under 64 KiB: read, then refused for the e-mail
    response = api.post(LEADS_URL, {"email": "", "message": "x" * 70_000}, format="json")
    assert response.status_code == 413


def test_django_s_own_body_limit_is_413_too(api, settings, nothing_stored):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = {"email": "pat@prospect.com", "message": "x" * 200}
    response = api.post(LEADS_URL, body, format="json")
    assert response.status_code == 413
    assert "detail" in response.json()


def test_the_parser_checks_the_bytes_when_the_length_was_not_announced(settings):
    settings.INTAKE_MAX_BODY_BYTES = 10
    with pytest.raises(BodyTooLarge):
        JSONObjectParser().parse(io.BytesIO(b'{"email": "pat@prospect.com"}'))


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "GZIP"])
def test_a_compressed_body_is_415(api, encoding, nothing_stored):
    body = gzip.compress(json.dumps({"email": "pat@prospect.com"}).encode())
    response = post_raw(api, body, HTTP_CONTENT_ENCODING=encoding)
    assert response.status_code == 415
    assert "Content-Encoding" in response.json()["detail"]


def test_a_plain_text_body_is_415(api, nothing_stored):
    response = post_raw(api, "email=pat@prospect.com", "text/plain")
    assert response.status_code == 415


def test_too_many_requests_for_a_key_is_429_with_retry_after(api, settings, nothing_stored):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"intake": "2/min"},
    }
    for _ in range(2):
        assert api.post(LEADS_URL, {}, format="json").status_code == 400
    response = api.post(LEADS_URL, {"email": "pat@prospect.com"}, format="json")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "Too many requests for this intake key (limit 2/min)" in response.json()["detail"]
    assert api.post(SIMULATE_URL, {}, format="json").status_code == 429  # one budget per key

    _, other = IntakeKey.objects.create_key(name="Signup flow")
    other_client = APIClient()
    other_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {other}")
    assert other_client.post(LEADS_URL, {}, format="json").status_code == 400


def test_the_count_starts_again_when_the_window_closes(api, settings, nothing_stored):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"intake": "2/sec"},
    }
    for _ in range(2):
        assert api.post(LEADS_URL, {}, format="json").status_code == 400
    refused = api.post(LEADS_URL, {}, format="json")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"

    time.sleep(1.1)  # the window opened by the first request has closed
    assert api.post(LEADS_URL, {}, format="json").status_code == 400
