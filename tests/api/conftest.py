from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from reps.models import Pool
from routing.models import (
    Assignment,
    IdempotencyRecord,
    IntakeKey,
    Lead,
    LeadEvent,
    RoutingDecision,
)
from tests.factories import (
    PoolFactory,
    PoolMembershipFactory,
    RepFactory,
    RuleFactory,
    RuleSetFactory,
)

LEADS_URL = "/api/v1/leads/"
SIMULATE_URL = "/api/v1/route/simulate/"

STORED = (Lead, LeadEvent, RoutingDecision, Assignment, IdempotencyRecord)


def stored_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in STORED}


@pytest.fixture
def intake_key(db) -> tuple[IntakeKey, str]:
    return IntakeKey.objects.create_key(name="Website demo form")


@pytest.fixture
def api(intake_key) -> APIClient:
    """A client that sends the intake key with every request."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {intake_key[1]}")
    return client


@pytest.fixture
def anonymous(db) -> APIClient:
    return APIClient()


@pytest.fixture
def nothing_stored(db):
    """Assert, after the test, that no row of the lead's life was written."""
    before = stored_counts()
    yield
    assert stored_counts() == before


@pytest.fixture
def routing(db):
    """A small live set-up: demo requests go to Ana, pricing-page leads rotate through
    a pool of Bo and Cy, everything else falls back to Dee; 15-minute SLA."""
    ana = RepFactory(email="ana@example.com", name="Ana Silva")
    bo = RepFactory(email="bo@example.com", name="Bo Lee")
    cy = RepFactory(email="cy@example.com", name="Cy Young")
    dee = RepFactory(email="dee@example.com", name="Dee Fallback")
    pool = PoolFactory(name="SMB AEs", method=Pool.Method.ROUND_ROBIN)
    PoolMembershipFactory(pool=pool, rep=bo)
    PoolMembershipFactory(pool=pool, rep=cy)
    ruleset = RuleSetFactory(
        name="Inbound", is_active=True, fallback_rep=dee, ack_sla=timedelta(minutes=15)
    )
    demo = RuleFactory(
        ruleset=ruleset,
        name="Demo requests",
        position=1,
        conditions={"source": "demo_request"},
        route_rep=ana,
    )
    pricing = RuleFactory(
        ruleset=ruleset,
        name="Pricing page",
        position=2,
        conditions={"source": "pricing_page"},
        route_to="pool",
        route_rep=None,
        route_pool=pool,
    )
    ruleset.refresh_from_db()
    return {
        "ana": ana,
        "bo": bo,
        "cy": cy,
        "dee": dee,
        "pool": pool,
        "ruleset": ruleset,
        "demo": demo,
        "pricing": pricing,
    }


DEMO_LEAD = {
    "email": "pat@prospect.com",
    "first_name": "Pat",
    "last_name": "Prospect",
    "company": "Prospect Inc",
    "country": "US",
    "source": "demo_request",
    "employee_count": "51-200",
    "attributes": {"utm_source": "ads"},
}
