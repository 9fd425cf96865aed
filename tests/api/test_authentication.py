"""Intake keys: who gets in, what they are told when they don't, and last use."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from routing.models import IntakeKey
from tests.api.conftest import LEADS_URL

pytestmark = pytest.mark.django_db

BODY = {"email": "pat@prospect.com"}


def post_with(authorization: str | None, body=BODY):
    client = APIClient()
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    return client.post(LEADS_URL, body, format="json")


def test_no_key_is_401_saying_how_to_send_one(nothing_stored):
    response = post_with(None)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert "Authorization header: 'Api-Key <key>'" in response.json()["detail"]


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        ("Bearer abc.def", "'Bearer' scheme"),
        ("Api-Key", "no key"),
        ("Api-Key    ", "no key"),
        ("Api-Key nope", "not valid"),
        ("Api-Key abcdefgh.0123456789", "not valid"),
    ],
)
def test_a_malformed_or_unknown_key_is_401(authorization, expected, nothing_stored):
    response = post_with(authorization)
    assert response.status_code == 401
    assert expected in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Api-Key"


def test_the_right_prefix_with_a_wrong_secret_is_401(intake_key, nothing_stored):
    key, _ = intake_key
    response = post_with(f"Api-Key {key.prefix}.not-the-secret")
    assert response.status_code == 401
    assert "not valid" in response.json()["detail"]


def test_a_revoked_key_is_401_naming_it(intake_key, nothing_stored):
    key, raw = intake_key
    key.revoked = True
    key.save()
    response = post_with(f"Api-Key {raw}")
    assert response.status_code == 401
    assert "'Website demo form' was revoked" in response.json()["detail"]


def test_an_expired_key_is_401_saying_when(db, nothing_stored):
    _, raw = IntakeKey.objects.create_key(
        name="Old form", expiry_date=timezone.now() - timedelta(days=1)
    )
    response = post_with(f"Api-Key {raw}")
    assert response.status_code == 401
    assert "'Old form' expired on" in response.json()["detail"]


def test_a_valid_key_gets_past_authentication(intake_key):
    response = post_with(f"Api-Key {intake_key[1]}", body={})
    assert response.status_code == 400  # the body's turn now


def test_the_scheme_is_case_insensitive(intake_key):
    response = post_with(f"api-key {intake_key[1]}", body={})
    assert response.status_code == 400


def _intake_key_updates(queries) -> list[str]:
    table = IntakeKey._meta.db_table
    return [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and table in q["sql"]]


def test_last_use_is_recorded_at_most_once_a_minute(intake_key):
    key, raw = intake_key
    assert key.last_used_at is None
    with time_machine.travel("2026-03-02 10:00:00Z", tick=False):
        post_with(f"Api-Key {raw}", body={})
        key.refresh_from_db()
        assert key.last_used_at == timezone.now()
        first = key.last_used_at

    with (
        time_machine.travel("2026-03-02 10:00:59Z", tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        post_with(f"Api-Key {raw}", body={})
    key.refresh_from_db()
    assert key.last_used_at == first
    assert _intake_key_updates(queries.captured_queries) == []

    with time_machine.travel("2026-03-02 10:01:01Z", tick=False):
        post_with(f"Api-Key {raw}", body={})
        key.refresh_from_db()
        assert key.last_used_at == timezone.now()


def test_a_stale_read_does_not_overwrite_a_fresher_last_use(intake_key):
    """Two processes that both read an old value: only the first one's UPDATE matches."""
    from routing.api.authentication import intake_key_touch

    key, _ = intake_key
    with time_machine.travel("2026-03-02 10:00:00Z", tick=False):
        stale = IntakeKey.objects.get(pk=key.pk)
        other = IntakeKey.objects.get(pk=key.pk)
        intake_key_touch(intake_key=other)
    with time_machine.travel("2026-03-02 10:00:30Z", tick=False):
        intake_key_touch(intake_key=stale)  # thinks a write is due (its copy says never)
    key.refresh_from_db()
    assert key.last_used_at.isoformat() == "2026-03-02T10:00:00+00:00"
