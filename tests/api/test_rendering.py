"""The API's answers, written by orjson, are the bytes DRF's renderer writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy
from rest_framework import renderers

from routing.api.rendering import JSONRenderer

from .conftest import DEMO_LEAD, LEADS_URL

ODD_BUT_PLAIN = {
    "text": 'zoë ☃ "quoted" back\\slash\nline \u2028 and \u2029',
    "numbers": [0, -7, 2**63 - 1, 0.125, 12345.678, 1e16],
    "flags": [True, False, None],
    "at": datetime(2026, 11, 29, 9, 30, 15, 123456, tzinfo=UTC),
    "day": datetime(2026, 11, 29, tzinfo=UTC).date(),
    "amount": Decimal("1234.50"),
    "lazy": gettext_lazy("This field is required."),
    "nested": {"list": [{}, [], ("a", 1)]},
}


def drf(data, accepted_media_type=None):
    return renderers.JSONRenderer().render(data, accepted_media_type)


def test_the_bytes_are_drfs_for_plain_data_dates_decimals_and_lazy_text():
    assert JSONRenderer().render(ODD_BUT_PLAIN) == drf(ODD_BUT_PLAIN)
    assert b"\\u2028" in JSONRenderer().render(ODD_BUT_PLAIN)  # kept out of raw JSON


def test_a_tiny_float_may_be_written_with_a_shorter_exponent_for_the_same_number():
    tiny = {"score": 1e-7}
    assert JSONRenderer().render(tiny) == b'{"score":1e-7}'  # DRF: 1e-07
    assert json.loads(JSONRenderer().render(tiny)) == json.loads(drf(tiny)) == tiny


def test_what_orjson_refuses_and_asked_for_indentation_go_to_drf():
    big = {"count": 2**70, 3: "a number as a key"}
    assert JSONRenderer().render(big) == drf(big)

    indented = "application/json; indent=2"
    assert JSONRenderer().render(ODD_BUT_PLAIN, indented) == drf(ODD_BUT_PLAIN, indented)
    assert b'\n  "text"' in JSONRenderer().render(ODD_BUT_PLAIN, indented)


def test_an_intake_answer_is_what_drfs_renderer_would_have_sent(api, routing):
    response = api.post(LEADS_URL, DEMO_LEAD, format="json")

    assert response.status_code == 201
    assert response.content == drf(response.data)
    assert json.loads(response.content)["decision"]["steps"]
