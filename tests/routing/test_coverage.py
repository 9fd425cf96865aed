"""Rule coverage: leads each rule took, rules nothing matched, why leads fell to the
fallback, and rules an earlier rule shadows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from routing.coverage import implies, ruleset_coverage
from routing.models import Rule
from tests.team import submit

pytestmark = pytest.mark.django_db


def coverage(ruleset):
    now = timezone.now()
    return ruleset_coverage(ruleset, start=now - timedelta(days=1), end=now + timedelta(days=1))


@pytest.fixture
def events_rule(team):
    return Rule.objects.create(
        ruleset=team.ruleset,
        position=3,
        name="Events",
        conditions={"source": "event"},
        route_to=Rule.RouteTo.REP,
        route_rep=team.bo,
    )


def test_counts_per_rule_fallback_and_never_matched(team, events_rule):
    for n in range(3):
        submit(email=f"demo{n}@prospect.com", source="demo_request")
    submit(email="dev@gmail.com", source="free_signup")
    submit(email="who@prospect.com", source="contact_form")

    result = coverage(team.ruleset)

    taken = {entry.rule.name: (entry.took, entry.matched) for entry in result.rules}
    assert taken == {"Demo requests": (3, 3), "Free signups": (1, 1), "Events": (0, 0)}
    assert result.decisions == 5 and result.fallback == 1
    assert [rule.name for rule in result.never_matched] == ["Events"]
    assert ("Demo requests", "needs source is demo_request", 1) in result.fallback_reasons
    assert ("Events", "needs source is event", 1) in result.fallback_reasons


def test_a_rule_behind_a_broader_one_is_shadowed(team):
    narrower = Rule.objects.create(
        ruleset=team.ruleset,
        position=5,
        name="US demo requests",
        conditions={"source": "demo_request", "country": "US"},
        route_to=Rule.RouteTo.REP,
        route_rep=team.cy,
    )
    entry = next(e for e in coverage(team.ruleset).rules if e.rule == narrower)
    assert entry.shadowed_by == team.demo


@pytest.mark.parametrize(
    ("later", "earlier", "shadowed"),
    [
        ({"source": "event", "country": "US"}, {"source": "event"}, True),
        ({"country": "US"}, {"country": ["US", "CA"]}, True),
        ({"country": ["US", "MX"]}, {"country": ["US", "CA"]}, False),
        ({"employee_count": {"gte": 1000}}, {"employee_count": {"gte": 500}}, True),
        ({"employee_count": {"gte": 100, "lt": 500}}, {"employee_count": {"lt": 1000}}, True),
        ({"employee_count": {"gte": 100}}, {"employee_count": {"gt": 100}}, False),
        ({"source": "event"}, {}, True),  # a catch-all above catches everything
        ({}, {"source": "event"}, False),
        ({"message": {"contains": "demo"}}, {"message": {"contains": "dem"}}, False),  # undecided
    ],
)
def test_shadowing_is_reported_only_when_the_conditions_prove_it(later, earlier, shadowed):
    assert implies(later, earlier) is shadowed


PAYMENTS = {"any": [{"product": "Payments"}, {"attributes.interest": "payments"}]}


@pytest.mark.parametrize(
    ("later", "earlier", "shadowed"),
    [
        # An `any` above: shadowed when one of its alternatives takes every lead below.
        ({"product": "Payments", "country": "US"}, PAYMENTS, True),
        ({"product": "Billing"}, PAYMENTS, False),
        ({"message": {"contains": "payments"}}, PAYMENTS, False),  # undecided: not claimed
        # An `any` below: shadowed when every one of its alternatives is.
        (
            {"any": [{"source": "event"}, {"source": "webinar"}]},
            {"source": ["event", "webinar"]},
            True,
        ),
        ({"any": [{"source": "event"}, {"source": "demo_request"}]}, {"source": "event"}, False),
        ({"source": "event", **PAYMENTS}, PAYMENTS, True),
        ({"any": [{"product": "Payments"}, {"attributes.interest": "Payments"}]}, PAYMENTS, True),
        # A `not` above: shadowed only when no lead below can meet its inside.
        ({"source": "demo_request"}, {"not": {"source": "event"}}, True),
        ({"employee_count": {"gte": 500}}, {"not": {"employee_count": {"lt": 100}}}, True),
        ({"employee_count": {"gte": 500}}, {"not": {"employee_count": {"lt": 600}}}, False),
        ({"work_email": True}, {"not": {"work_email": False}}, True),
        ({"country": "US"}, {"not": {"source": "event"}}, False),
        ({}, {"not": {"source": "event"}}, False),
        # Spellings another reading could join are never taken as different.
        ({"source": "pricing_page"}, {"not": {"source": "Pricing Page"}}, False),
        (
            {"source": "demo_request"},
            {"not": {"any": [{"source": "event"}, {"source": "webinar"}]}},
            True,
        ),
        # A `not` below and above: the one below excludes at least what the one above does.
        ({"not": {"source": ["event", "webinar"]}}, {"not": {"source": "event"}}, True),
        ({"not": {"source": "event"}}, {"not": {"source": ["event", "webinar"]}}, False),
        ({"not": {"source": "event"}}, {}, True),
    ],
)
def test_shadowing_through_any_and_not_is_claimed_only_when_proved(later, earlier, shadowed):
    assert implies(later, earlier) is shadowed


def test_a_rule_is_reported_shadowed_by_an_earlier_one_with_alternatives(team):
    team.demo.conditions = {"any": [{"source": "demo_request"}, {"source": "pricing_page"}]}
    team.demo.save()
    pricing = Rule.objects.create(
        ruleset=team.ruleset,
        position=5,
        name="Pricing page from the US",
        conditions={"source": "pricing_page", "country": "US"},
        route_to=Rule.RouteTo.REP,
        route_rep=team.cy,
    )
    not_events = Rule.objects.create(
        ruleset=team.ruleset,
        position=6,
        name="Anything but events",
        conditions={"not": {"source": "event"}},
        route_to=Rule.RouteTo.REP,
        route_rep=team.cy,
    )
    shadows = {entry.rule: entry.shadowed_by for entry in coverage(team.ruleset).rules}
    assert shadows[pricing] == team.demo
    assert shadows[not_events] is None


def test_the_admin_page_shows_it(admin_client, team, events_rule):
    submit(source="demo_request")
    page = admin_client.get(f"/admin/routing/ruleset/{team.ruleset.pk}/coverage/?days=7")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Events" in html and "No lead reaching it matched" in html
    assert "1 lead routed by this rule set" in html
    assert (
        "Coverage"
        in admin_client.get(f"/admin/routing/ruleset/{team.ruleset.pk}/change/").content.decode()
    )
