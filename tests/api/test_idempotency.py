"""Idempotency-Key: a retry is answered with the first response, never a second lead."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from routing.api.idempotency import request_fingerprint
from routing.models import IdempotencyRecord, IntakeKey, Lead
from routing.services.idempotency import idempotency_records_purge
from tests.api.conftest import DEMO_LEAD, LEADS_URL, stored_counts

pytestmark = pytest.mark.django_db


def post(client, body=DEMO_LEAD, key="order-1"):
    return client.post(LEADS_URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_replay_returns_the_first_answer_and_makes_no_second_lead(api, routing):
    first = post(api)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first

    replay = post(api)

    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert Lead.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert record.state == IdempotencyRecord.State.DONE
    assert record.response_status == 201


def test_the_same_body_written_differently_is_the_same_request(api, routing):
    first = post(api)
    rewritten = json.dumps(dict(reversed(list(DEMO_LEAD.items()))), indent=4)
    replay = api.post(
        LEADS_URL, rewritten, content_type="application/json", HTTP_IDEMPOTENCY_KEY="order-1"
    )
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()


def test_the_same_key_with_another_body_is_422(api, routing):
    post(api)
    before = stored_counts()

    response = post(api, {**DEMO_LEAD, "company": "Other Inc"})

    assert response.status_code == 422
    assert "already used for a different request" in response.json()["detail"]
    assert stored_counts() == before


def test_while_the_first_is_in_flight_a_twin_gets_409(api, intake_key, routing):
    IdempotencyRecord.objects.create(intake_key=intake_key[0], key="order-1", request_hash="x")
    before = stored_counts()

    response = post(api)

    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    assert "still being processed" in response.json()["detail"]
    assert stored_counts() == before


def test_keys_are_scoped_per_intake_key(api, routing):
    _, other = IntakeKey.objects.create_key(name="Signup flow")
    other_client = APIClient()
    other_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {other}")

    first = post(api, DEMO_LEAD, key="same")
    second = post(other_client, {**DEMO_LEAD, "email": "sam@prospect.com"}, key="same")

    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in second
    assert Lead.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 2


def test_a_record_older_than_24_hours_is_replaced(api, intake_key, routing):
    with time_machine.travel(timezone.now() - timedelta(hours=25)):
        IdempotencyRecord.objects.create(
            intake_key=intake_key[0],
            key="order-1",
            request_hash="old",
            state=IdempotencyRecord.State.DONE,
            response_status=201,
            response_body={"id": 999},
        )

    response = post(api)

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    record = IdempotencyRecord.objects.get()
    assert record.response_body == response.json()
    assert record.created_at > timezone.now() - timedelta(minutes=1)


def test_an_abandoned_in_flight_record_does_not_block_retries_forever(api, intake_key, routing):
    with time_machine.travel(timezone.now() - timedelta(minutes=6)):
        IdempotencyRecord.objects.create(intake_key=intake_key[0], key="order-1", request_hash="x")
    assert post(api).status_code == 201


def test_a_failure_releases_the_key_so_a_retry_proceeds(api, routing, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("routing.api.views.lead_intake", broken)
    with pytest.raises(RuntimeError):
        post(api)
    assert not IdempotencyRecord.objects.exists()

    monkeypatch.undo()
    assert post(api).status_code == 201


def test_bad_input_with_a_key_stores_no_record(api, nothing_stored):
    response = post(api, {"email": "nope"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("key", "expected"),
    [("x" * 256, "256 characters long; the limit is 255"), ("", "empty"), ("ключ", "ASCII")],
)
def test_an_unusable_idempotency_key_is_400(api, key, expected, nothing_stored):
    response = post(api, key=key)
    assert response.status_code == 400
    assert expected in response.json()["detail"]


def test_a_255_character_key_is_fine(api, routing):
    assert post(api, key="k" * 255).status_code == 201


def test_the_fingerprint_covers_method_path_and_body():
    base = request_fingerprint(method="POST", path="/a/", body={"x": 1, "y": 2})
    assert base == request_fingerprint(method="POST", path="/a/", body={"y": 2, "x": 1})
    assert base != request_fingerprint(method="POST", path="/b/", body={"x": 1, "y": 2})
    assert base != request_fingerprint(method="PUT", path="/a/", body={"x": 1, "y": 2})
    assert base != request_fingerprint(method="POST", path="/a/", body={"x": 1, "y": 3})


def test_purge_deletes_only_records_past_the_age_given(intake_key):
    with time_machine.travel(timezone.now() - timedelta(hours=30)):
        IdempotencyRecord.objects.create(intake_key=intake_key[0], key="old", request_hash="x")
    IdempotencyRecord.objects.create(intake_key=intake_key[0], key="new", request_hash="x")

    assert idempotency_records_purge(older_than=timedelta(hours=24)) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_purge_refuses_to_break_the_24_hour_promise():
    with pytest.raises(ValueError, match="at least 1 day"):
        idempotency_records_purge(older_than=timedelta(hours=1))
