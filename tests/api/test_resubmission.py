"""A form posted again and again: one lead, every submission on its timeline, and the
owner told of the return once per cooldown, not once per post. Real HTTP."""

from __future__ import annotations

import httpx
import pytest

from routing.models import IntakeKey, Lead, LeadEvent, Notification
from tests.api.conftest import DEMO_LEAD, LEADS_URL


@pytest.fixture
def key(transactional_db) -> str:
    return IntakeKey.objects.create_key(name="Website form")[1]


def test_fifty_posts_of_one_email_make_one_lead_and_one_return_message(live_server, routing, key):
    with httpx.Client(headers={"Authorization": f"Api-Key {key}"}) as client:
        answers = [
            client.post(f"{live_server.url}{LEADS_URL}", json={**DEMO_LEAD, "message": f"#{n}"})
            for n in range(50)
        ]

    assert [answer.status_code for answer in answers] == [201] + [200] * 49
    lead = Lead.objects.get()
    assert lead.events.filter(kind=LeadEvent.Kind.RESUBMITTED).count() == 49
    returned = Notification.objects.filter(lead=lead, kind="lead.returned")
    assert [(row.channel, row.destination) for row in returned] == [("email", "ana@example.com")]
