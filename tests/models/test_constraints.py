"""The invariants the database itself guarantees, whatever code writes the rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils import timezone

from reps.models import Rep
from routing.models import (
    Assignment,
    LeadEvent,
    RoutingVersion,
    Rule,
    RuleSet,
    WebhookSubscription,
)
from routing.models.leads import AppendOnlyError
from territories.models import AccountDomain
from tests.factories import (
    AccountDomainFactory,
    AssignmentFactory,
    LeadFactory,
    PoolFactory,
    PoolMembershipFactory,
    RepFactory,
    RuleFactory,
    RuleSetFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _violates(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


def test_only_one_rule_set_can_be_active():
    RuleSetFactory(is_active=True)
    RuleSetFactory(is_active=False)
    assert _violates(lambda: RuleSetFactory(is_active=True))


def test_rule_set_requires_exactly_one_fallback_owner():
    rep, pool = RepFactory(), PoolFactory()
    assert _violates(lambda: RuleSetFactory(fallback_rep=None, fallback_pool=None))
    assert _violates(lambda: RuleSetFactory(fallback_rep=rep, fallback_pool=pool))
    assert RuleSetFactory(fallback_rep=None, fallback_pool=pool).fallback == pool


def test_rule_set_escalation_target_is_at_most_one_owner():
    assert _violates(
        lambda: RuleSetFactory(escalate_to_rep=RepFactory(), escalate_to_pool=PoolFactory())
    )
    assert RuleSetFactory(escalate_to_rep=None).escalate_to is None


def test_rule_set_sla_must_be_positive():
    assert _violates(lambda: RuleSetFactory(ack_sla=timedelta(0)))


def test_lead_has_at_most_one_open_assignment():
    lead = LeadFactory()
    first = AssignmentFactory(lead=lead)
    assert _violates(lambda: AssignmentFactory(lead=lead))
    first.ended_at = timezone.now()
    first.end_reason = Assignment.EndReason.EXPIRED
    first.save()
    AssignmentFactory(lead=lead)  # a reassignment adds a row once the first has ended
    assert lead.assignments.count() == 2
    assert lead.assignments.filter(ended_at__isnull=True).count() == 1


def test_account_domain_belongs_to_one_account():
    AccountDomainFactory(domain="acme.com")
    assert _violates(lambda: AccountDomainFactory(domain="acme.com"))


def test_account_domain_is_stored_lower_case():
    domain = AccountDomainFactory(domain="https://www.Acme.com/pricing")
    assert AccountDomain.objects.get(pk=domain.pk).domain == "acme.com"
    # Whatever bypasses the model field, the database refuses an upper-case domain.
    rows = AccountDomain.objects.filter(pk=domain.pk)
    assert _violates(lambda: rows.update(domain=Upper("domain")))


def test_rule_route_must_match_its_kind():
    pool = PoolFactory()
    assert _violates(lambda: RuleFactory(route_to=Rule.RouteTo.POOL, route_rep=None))
    assert _violates(
        lambda: RuleFactory(route_to=Rule.RouteTo.TERRITORY, route_pool=pool, route_rep=None)
    )
    RuleFactory(route_to=Rule.RouteTo.TERRITORY, route_rep=None)


def test_rule_names_are_unique_within_a_rule_set():
    rule = RuleFactory(name="Enterprise")
    assert _violates(lambda: RuleFactory(ruleset=rule.ruleset, name="Enterprise"))
    RuleFactory(name="Enterprise")  # another rule set may reuse the name


def test_territory_needs_exactly_one_owner():
    assert _violates(lambda: TerritoryFactory(owner_rep=None, owner_pool=None))
    assert _violates(lambda: TerritoryFactory(owner_pool=PoolFactory()))


def test_pool_member_appears_once_with_positive_weight():
    membership = PoolMembershipFactory()
    assert _violates(lambda: PoolMembershipFactory(pool=membership.pool, rep=membership.rep))
    assert _violates(lambda: PoolMembershipFactory(weight=0))


def test_agent_cannot_have_a_login():
    user = UserFactory()
    assert _violates(lambda: RepFactory(kind=Rep.Kind.AGENT, user=user))


def test_out_of_office_must_end_after_it_starts():
    now = timezone.now()
    assert _violates(
        lambda: RepFactory(out_of_office_from=now, out_of_office_until=now - timedelta(hours=1))
    )


def test_lead_events_are_append_only():
    lead = LeadFactory()
    event = LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.SUBMITTED, actor="test")
    event.data = {"changed": True}
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_rule_set_version_moves_with_every_rule_change():
    ruleset = RuleSetFactory()
    start = RuleSet.objects.get(pk=ruleset.pk).version
    rule = RuleFactory(ruleset=ruleset)
    rule.name = "Renamed"
    rule.save()
    rule.delete()
    assert RuleSet.objects.get(pk=ruleset.pk).version == start + 3


def test_any_change_to_routing_data_moves_the_routing_version():
    def version() -> int:
        return RoutingVersion.objects.get().version

    start = version()
    rep = RepFactory()
    pool = PoolFactory()
    PoolMembershipFactory(pool=pool, rep=rep)
    assert version() == start + 3
    rep.name = "Renamed"
    rep.save()
    pool.delete()  # the membership goes with it
    assert version() >= start + 5


@pytest.mark.parametrize("url", ["ftp://hooks.example.com/x", "file:///etc/passwd", "gopher://x"])
def test_outgoing_urls_must_be_web_addresses(url):
    rep = RepFactory.build(webhook_url=url, slack_webhook_url=url)
    with pytest.raises(ValidationError) as error:
        rep.full_clean(exclude=["user"])
    assert {"webhook_url", "slack_webhook_url"} <= set(error.value.message_dict)
    with pytest.raises(ValidationError) as error:
        WebhookSubscription(name="CRM", url=url).full_clean()
    assert "url" in error.value.message_dict
