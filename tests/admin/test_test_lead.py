"""'Test a lead' on a rule set in the admin: the decision, nothing stored, no rotation."""

from __future__ import annotations

import pytest

from reps.models import Pool
from routing.models import Assignment, Lead, PoolRotation, Rule, RuleSet
from tests.api.conftest import stored_counts

pytestmark = pytest.mark.django_db


def url(ruleset) -> str:
    return f"/admin/routing/ruleset/{ruleset.pk}/test/"


@pytest.fixture
def draft(team):
    """A draft that sends demo requests to the Closers instead of Ana."""
    ruleset = RuleSet.objects.create(name="Draft", fallback_rep=team.dee)
    Rule.objects.create(
        ruleset=ruleset,
        name="Demo requests to closers",
        conditions={"source": "demo_request"},
        route_to=Rule.RouteTo.POOL,
        route_pool=Pool.objects.get(name="Closers"),
    )
    return ruleset


def test_a_draft_decides_without_storing_anything(admin_client, draft, team):
    before = stored_counts()
    page = admin_client.post(url(draft), {"email": "pat@prospect.com", "source": "demo_request"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Demo requests to closers" in html
    assert "Bo" in html or "Cy" in html
    assert "(a draft: it is not active)" in html
    assert stored_counts() == before
    assert not PoolRotation.objects.filter(pool__name="Closers", cursor__gt=0).exists()


def test_the_active_rule_set_gives_what_intake_would(admin_client, team):
    page = admin_client.post(
        url(team.ruleset), {"email": "pat@prospect.com", "source": "demo_request"}
    )
    assert "Owner:</strong> Ana" in page.content.decode()
    assert not Lead.objects.exists() and not Assignment.objects.exists()


def test_bad_input_is_named(admin_client, team):
    page = admin_client.post(
        url(team.ruleset), {"email": "not an address", "attributes": "[1, 2]", "country": "Xx"}
    )
    html = page.content.decode()
    assert "Attributes are a JSON object" in html
    assert "test-result" not in html


def test_the_change_page_links_to_it(admin_client, team):
    page = admin_client.get(f"/admin/routing/ruleset/{team.ruleset.pk}/change/")
    assert url(team.ruleset) in page.content.decode()


def test_a_draft_with_alternatives_says_which_one_held(admin_client, team):
    ruleset = RuleSet.objects.create(name="Intent draft", fallback_rep=team.dee)
    Rule.objects.create(
        ruleset=ruleset,
        name="Payments intent",
        conditions={
            "any": [{"product": "Payments"}, {"message": {"contains": "payments"}}],
            "not": {"source": "event"},
        },
        route_to=Rule.RouteTo.REP,
        route_rep=team.ana,
    )

    page = admin_client.post(
        url(ruleset), {"email": "pat@prospect.com", "message": "Need payments for 200 stores"}
    )

    html = page.content.decode()
    assert "Owner:</strong> Ana" in html
    assert "message contains payments (alternative 2 of 2)" in html
    assert "not: source is event (the lead has nothing)" in html
