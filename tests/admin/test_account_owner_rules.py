"""A rule's "owner keeps the account at capacity" in the admin: set on an account-owner
rule, read in plain words; refused, with the way out, on any other route."""

from __future__ import annotations

import pytest

from routing.models import Rule, RuleSet
from tests.admin.helpers import admin_url, errors_of, inline_prefix, page_data, set_inline_rows
from tests.factories import PoolFactory, RepFactory

pytestmark = pytest.mark.django_db


def _post_ruleset(admin_client, rule: dict):
    fallback = RepFactory()
    page = admin_client.get(admin_url(RuleSet, "add"))
    data = page_data(page)
    data.update(name="Inbound", fallback_rep=fallback.pk)
    row = {
        "position": "",
        "name": "Named accounts",
        "is_enabled": "on",
        "conditions": "named_account: true",
        "route_rep": "",
        "route_pool": "",
        "ack_sla": "",
        "escalate_to_rep": "",
        "escalate_to_pool": "",
        "ignore_capacity": "on",
        **rule,
    }
    data = set_inline_rows(data, inline_prefix(page, Rule), [row])
    return admin_client.post(admin_url(RuleSet, "add"), data)


def test_an_account_owner_rule_keeps_owners_at_capacity_and_says_so(admin_client):
    response = _post_ruleset(admin_client, {"route_to": "account_owner"})

    assert response.status_code == 302, errors_of(response)
    rule = Rule.objects.get(name="Named accounts")
    assert rule.ignore_capacity is True
    page = admin_client.get(admin_url(RuleSet, "change", rule.ruleset.pk)).content.decode()
    assert "→ the named account&#x27;s owner, even at capacity" in page
    assert "owner keeps the account at capacity" in page.lower()


def test_a_pool_rule_cannot_ignore_capacity_and_nothing_is_stored(admin_client):
    pool = PoolFactory(name="Inside Sales")

    response = _post_ruleset(admin_client, {"route_to": "pool", "route_pool": pool.pk})

    assert response.status_code == 200
    assert any(
        "Only a rule routing to the account owner can ignore capacity" in error
        for error in errors_of(response)
    ), errors_of(response)
    assert not RuleSet.objects.exists()
    assert not Rule.objects.exists()
