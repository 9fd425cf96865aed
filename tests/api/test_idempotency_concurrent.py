"""Two twins at once, on two database connections: one lead, one 409, then a replay.

The other tests run inside one rolled-back transaction, where every write is visible to
the test's single connection; this one commits, so it proves the in-flight claim is
committed before processing and seen by a concurrent request.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from routing.api import views
from routing.models import IdempotencyRecord, Lead
from tests.api.conftest import DEMO_LEAD, LEADS_URL

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_twin_arriving_mid_flight_gets_409_and_later_the_replay(intake_key, routing, monkeypatch):
    real_intake = views.lead_intake
    started, twin_answered = threading.Event(), threading.Event()

    def slow_intake(**kwargs):
        started.set()
        assert twin_answered.wait(timeout=10)
        return real_intake(**kwargs)

    monkeypatch.setattr(views, "lead_intake", slow_intake)

    def client() -> APIClient:
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Api-Key {intake_key[1]}")
        return c

    def send(results: list) -> None:
        try:
            results.append(
                client().post(LEADS_URL, DEMO_LEAD, format="json", HTTP_IDEMPOTENCY_KEY="k1")
            )
        finally:
            connection.close()

    first: list = []
    thread = threading.Thread(target=send, args=(first,))
    thread.start()
    try:
        assert started.wait(timeout=10)
        twin = client().post(LEADS_URL, DEMO_LEAD, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    finally:
        twin_answered.set()
        thread.join(timeout=20)

    assert twin.status_code == 409
    assert twin["Retry-After"] == "1"
    [original] = first
    assert original.status_code == 201

    replay = client().post(LEADS_URL, DEMO_LEAD, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == original.json()
    assert Lead.objects.count() == 1
    assert IdempotencyRecord.objects.get().state == IdempotencyRecord.State.DONE
