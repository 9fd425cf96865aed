"""dump_routing: the routing data as a file that load_routing reads back unchanged."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from reps.models import Pool, PoolMembership, Rep, User
from routing.models import Rule, RuleSet
from territories.models import AccountDomain, NamedAccount, Territory
from tests.factories import (
    AccountDomainFactory,
    AgentFactory,
    PoolFactory,
    PoolMembershipFactory,
    RepFactory,
    RuleFactory,
    RuleSetFactory,
    TerritoryFactory,
)

from .conftest import DEMO_FILE, REPO, dump, stored_state

pytestmark = pytest.mark.django_db

FULL_FILE = REPO / "tests" / "commands" / "full_routing.yaml"


def _empty_the_database() -> None:
    for model in (
        Rule,
        RuleSet,
        AccountDomain,
        NamedAccount,
        Territory,
        PoolMembership,
        Pool,
        Rep,
        User,
    ):
        model.objects.all().delete()


def test_a_file_in_dump_form_dumps_back_byte_identical(load):
    load(FULL_FILE)
    assert dump() == FULL_FILE.read_text()


def test_dump_load_dump_is_byte_identical_and_the_load_changes_nothing(load, routing_file):
    load(DEMO_FILE)
    first = dump()
    before = stored_state()

    load(routing_file(first))

    assert stored_state() == before
    assert dump() == first


def test_a_dump_loaded_into_an_empty_database_dumps_the_same(load, routing_file):
    load(DEMO_FILE)
    first = dump()
    _empty_the_database()
    assert dump() == "{}\n"

    load(routing_file(first))

    assert dump() == first
    assert RuleSet.objects.get(is_active=True).name == "SaaS inbound"


def test_data_made_outside_files_round_trips_through_a_dump(load, routing_file):
    """Objects built directly (as the admin would) survive dump -> empty -> load -> dump,
    including admin-style rule positions and stored pool-member order."""
    pool = PoolFactory(name="Team", method=Pool.Method.WEIGHTED)
    later, earlier = RepFactory(email="zoe@example.com"), RepFactory(email="abe@example.com")
    PoolMembershipFactory(pool=pool, rep=later, weight=3)
    PoolMembershipFactory(pool=pool, rep=earlier)
    TerritoryFactory(name="T", owner_rep=None, owner_pool=pool, states=["CA"])
    AccountDomainFactory(domain="acme.com", account__name="Acme", account__owner=later)
    AgentFactory(email="bot@example.com")
    ruleset = RuleSetFactory(
        name="Main",
        fallback_rep=None,
        fallback_pool=pool,
        ack_sla=timedelta(seconds=90),
        is_active=True,
    )
    RuleFactory(ruleset=ruleset, name="B", position=20, route_rep=earlier)
    RuleFactory(
        ruleset=ruleset,
        name="A",
        position=10,
        conditions={},
        route_rep=None,
        route_to=Rule.RouteTo.TERRITORY,
    )
    first = dump()
    load(routing_file(first))  # into the same database: reps gain logins, nothing else
    assert dump() == first
    assert list(Rule.objects.values_list("name", "position")) == [("A", 10), ("B", 20)]

    _empty_the_database()
    load(routing_file(first))

    assert dump() == first
    assert "ack_sla: 1m30s" in first
    assert first.index("zoe@example.com, weight: 3") < first.index("- abe@example.com")


def test_keys_at_their_defaults_are_left_out(load, routing_file):
    load(
        routing_file("""
        reps: [{email: a@example.com, name: A, kind: human, active: true, timezone: UTC,
                notify: {email: true}}]
        pools:
          - {name: P, method: round_robin, respect_working_hours: false, members: [a@example.com]}
        rulesets:
          - {name: R, active: false, fallback: {pool: P}, ack_sla: 15m, max_escalations: 2,
             duplicate_window: 90d, rules: [{name: All, when: {}, route: {pool: P}, enabled: true}]}
    """)
    )

    assert dump() == (
        "reps:\n"
        "  - email: a@example.com\n"
        "    name: A\n"
        "pools:\n"
        "  - name: P\n"
        "    members:\n"
        "      - a@example.com\n"
        "rulesets:\n"
        "  - name: R\n"
        "    fallback: {pool: P}\n"
        "    rules:\n"
        "      - name: All\n"
        "        route: {pool: P}\n"
    )


def test_output_option_writes_the_file(load, tmp_path):
    load(DEMO_FILE)
    target = tmp_path / "out.yaml"
    out = StringIO()

    call_command("dump_routing", output=str(target), stdout=out)

    assert target.read_text() == dump()
    assert str(target) in out.getvalue()


def test_a_pool_without_members_is_dumped_with_a_warning(load):
    PoolFactory(name="Empty")
    err = StringIO()

    call_command("dump_routing", stdout=StringIO(), stderr=err)

    assert "pool 'Empty' has no members" in err.getvalue()


ANY_AND_NOT_FILE = """\
reps:
  - email: ana@example.com
    name: Ana
  - email: dee@example.com
    name: Dee
rulesets:
  - name: Inbound
    active: true
    fallback: {rep: dee@example.com}
    rules:
      - name: Payments intent
        when: {any: [{product: Payments}, {attributes.interest: payments}], not: {source: event}}
        route: {rep: ana@example.com}
      - name: Hot and not a partner
        when:
          any:
            - {employee_count: {gte: 50, lt: 500}, source: pricing_page}
            - {message: {contains: talk to sales}}
            - {named_account: true}
          not:
            any:
              - {source: partner_referral}
              - {attributes.partner: {exists: true}}
              - {country: [CU, IR, KP]}
          work_email: true
        route: {rep: ana@example.com}
"""


def test_rules_with_any_and_not_round_trip_through_a_dump(load, routing_file):
    load(routing_file(ANY_AND_NOT_FILE))
    stored = dict(Rule.objects.values_list("name", "conditions"))
    assert stored["Payments intent"] == {
        "any": [{"product": "Payments"}, {"attributes.interest": "payments"}],
        "not": {"source": "event"},
    }
    assert dump() == ANY_AND_NOT_FILE

    _empty_the_database()
    load(routing_file(ANY_AND_NOT_FILE))

    assert dict(Rule.objects.values_list("name", "conditions")) == stored
    assert dump() == ANY_AND_NOT_FILE
