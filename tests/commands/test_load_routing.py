"""load_routing: a routing file creates or updates the routing data, idempotently."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError

from reps.models import Pool, PoolMembership, Rep, User
from routing.models import Rule, RuleSet
from territories.models import AccountDomain, NamedAccount, Territory
from tests.factories import (
    AccountDomainFactory,
    PoolFactory,
    PoolMembershipFactory,
    RepFactory,
    RuleSetFactory,
    UserFactory,
)

from .conftest import DEMO_FILE, REPO, history_counts, stored_state

pytestmark = pytest.mark.django_db

FULL_FILE = REPO / "tests" / "commands" / "full_routing.yaml"


def test_the_demo_file_loads_three_rule_sets_with_only_saas_inbound_active(load):
    output = load(DEMO_FILE)

    assert "Loaded" in output
    assert set(RuleSet.objects.values_list("name", flat=True)) == {
        "SaaS inbound",
        "Field services",
        "E-commerce platform",
    }
    assert RuleSet.objects.get(is_active=True).name == "SaaS inbound"
    agent = Rep.objects.get(kind=Rep.Kind.AGENT)
    assert agent.webhook_url == "http://127.0.0.1:8000/demo/agent/leads/"
    assert 12 <= Rep.objects.count() <= 16
    saas = RuleSet.objects.get(name="SaaS inbound")
    assert saas.fallback_pool.name == "Inside Sales"
    assert saas.rules.first().route_to == Rule.RouteTo.ACCOUNT_OWNER
    assert Territory.objects.get(name="EMEA").countries.count("NO") == 1  # Norway, not false
    assert Territory.objects.get(name="North Jersey").postal_codes == ["070-079"]


def test_every_key_of_the_file_lands_on_its_field(load):
    load(FULL_FILE)

    ana = Rep.objects.get(email="ana@example.com")
    assert (ana.name, ana.kind, ana.is_active, ana.timezone) == (
        "Ana Silva",
        Rep.Kind.HUMAN,
        False,
        "America/New_York",
    )
    assert ana.working_hours == "mon-fri 09:00-17:00; sat 10:00-13:00"
    assert ana.out_of_office_from == datetime(2026, 12, 20, tzinfo=UTC)
    assert ana.out_of_office_until == datetime(2027, 1, 2, tzinfo=UTC)
    assert (ana.max_open, ana.max_unacknowledged, ana.max_per_day) == (25, 10, 10)
    assert (ana.postal_code, ana.latitude, ana.longitude) == ("10001", 40.75, -73.99)
    assert (ana.products, ana.industries, ana.languages) == (["CRM"], ["Retail"], ["en", "es"])
    assert ana.notify_email is False
    assert ana.slack_webhook_url == "https://hooks.slack.com/services/T0/B0/xyz"
    bo = Rep.objects.get(email="bo@example.com")
    assert (bo.kind, bo.is_active, bo.timezone, bo.working_hours, bo.max_open) == (
        Rep.Kind.HUMAN,
        True,
        "UTC",
        "",
        None,
    )
    assert bo.notify_email is True
    agent = Rep.objects.get(email="sdr-bot@example.com")
    assert (agent.kind, agent.webhook_url) == (Rep.Kind.AGENT, "https://agent.example.com/leads")

    enterprise = Pool.objects.get(name="Enterprise")
    assert (enterprise.method, enterprise.respect_working_hours, enterprise.description) == (
        Pool.Method.WEIGHTED,
        True,
        "Big deals.",
    )
    assert [(m.rep.email, m.weight) for m in enterprise.memberships.all()] == [
        ("ana@example.com", 1),
        ("bo@example.com", 2),
    ]
    assert Pool.objects.get(name="Inside Sales").method == Pool.Method.LEAST_LOADED

    west = Territory.objects.get(name="West")
    assert west.priority == 10
    assert (west.countries, west.states) == (["US"], ["CA", "OR"])
    assert (west.postal_codes, west.industries) == (["900-961", "97"], ["Retail", "Software"])
    assert (west.employee_count_min, west.employee_count_max) == (50, 499)
    assert (west.owner_pool, west.owner_rep) == (enterprise, None)
    assert Territory.objects.get(name="Metro NY").owner_rep == ana

    acme = NamedAccount.objects.get(name="Acme Corp")
    assert (acme.owner, acme.tier) == (ana, "strategic")
    assert sorted(acme.domains.values_list("domain", flat=True)) == ["acme.com", "acme.io"]
    assert NamedAccount.objects.get(name="Initech").tier == ""

    inbound = RuleSet.objects.get(name="Inbound")
    assert inbound.description == "Where inbound leads go.\nNamed accounts first."
    assert inbound.is_active
    assert inbound.fallback == Pool.objects.get(name="Inside Sales")
    assert inbound.escalate_to == ana
    assert (inbound.ack_sla, inbound.max_escalations, inbound.duplicate_window) == (
        timedelta(minutes=30),
        3,
        timedelta(days=30),
    )
    assert inbound.remind_before == timedelta(minutes=5)
    draft = RuleSet.objects.get(name="Draft")
    assert draft.remind_before is None
    assert not draft.is_active
    assert (draft.ack_sla, draft.duplicate_window) == (timedelta(minutes=90), timedelta(0))
    assert (draft.max_escalations, draft.escalate_to) == (2, None)

    rules = list(inbound.rules.order_by("position"))
    assert [(rule.position, rule.name) for rule in rules] == [
        (0, "Named accounts"),
        (1, "Free signups"),
        (2, "Enterprise"),
        (3, "Mid-market"),
        (4, "Everyone else"),
    ]
    named, free, big, mid, rest = rules
    assert (named.conditions, named.route_to) == ({"named_account": True}, "account_owner")
    assert named.ignore_capacity is True
    assert not any(rule.ignore_capacity for rule in (free, big, mid, rest))
    assert (free.route_to, free.route_rep) == (Rule.RouteTo.REP, agent)
    assert big.conditions == {"country": ["US", "CA"], "employee_count": {"gte": 500}}
    assert (big.route_pool, big.ack_sla) == (enterprise, timedelta(minutes=5))
    assert big.escalate_to_pool.name == "Inside Sales"
    assert (mid.route_to, mid.is_enabled) == (Rule.RouteTo.TERRITORY, False)
    assert (rest.conditions, rest.ack_sla, rest.is_enabled) == ({}, None, True)


@pytest.mark.parametrize("path", [DEMO_FILE, FULL_FILE], ids=["demo", "every key"])
def test_loading_the_same_file_again_writes_no_history_and_keeps_versions(load, path):
    load(path)
    before = stored_state()

    output = load(path)

    assert stored_state() == before
    assert "nothing changed" in output


def test_one_changed_field_saves_only_that_object(load, routing_file):
    load(FULL_FILE)
    before = history_counts()
    version = RuleSet.objects.get(name="Inbound").version
    changed = FULL_FILE.read_text().replace("ack_sla: 5m", "ack_sla: 7m")

    load(routing_file(changed))

    after = history_counts()
    assert after["Rule"] == before["Rule"] + 1
    assert {name: n for name, n in after.items() if name != "Rule"} == {
        name: n for name, n in before.items() if name != "Rule"
    }
    assert Rule.objects.get(name="Enterprise").ack_sla == timedelta(minutes=7)
    assert RuleSet.objects.get(name="Inbound").version == version + 1


def test_an_older_files_max_open_now_limits_all_open_leads(load, routing_file):
    """Files name the limits by their meaning: `max_open` is the open-leads limit, even
    in a file written when it counted unacknowledged leads only (README)."""
    RepFactory(email="ana@example.com", name="Ana", max_unacknowledged=3)

    load(routing_file("reps: [{email: ana@example.com, name: Ana, capacity: {max_open: 3}}]"))

    ana = Rep.objects.get(email="ana@example.com")
    assert (ana.max_open, ana.max_unacknowledged) == (3, None)


def test_human_reps_get_a_login_without_a_usable_password_and_agents_none(load):
    existing = UserFactory(email="bo@example.com")

    output = load(FULL_FILE)

    ana = Rep.objects.get(email="ana@example.com")
    assert ana.user.email == "ana@example.com"
    assert not ana.user.has_usable_password()
    assert Rep.objects.get(email="bo@example.com").user == existing
    assert Rep.objects.get(email="sdr-bot@example.com").user is None
    assert User.objects.filter(email="sdr-bot@example.com").count() == 0
    assert "logins: 1 created" in output


def test_a_rep_that_becomes_an_agent_loses_its_login(load, routing_file):
    load(
        routing_file("""
        reps: [{email: max@example.com, name: Max}]
    """)
    )
    assert Rep.objects.get().user is not None

    load(
        routing_file("""
        reps: [{email: max@example.com, name: Max, kind: agent, notify: {webhook: "https://a.example.com/"}}]
    """)
    )

    assert Rep.objects.get().user is None


def test_history_is_attributed_to_the_user_option_with_a_change_reason(load):
    manager = UserFactory(email="manager@example.com")

    load(FULL_FILE, user="Manager@Example.com")

    for model in (Rep, Pool, PoolMembership, Territory, NamedAccount, AccountDomain, RuleSet, Rule):
        rows = model.history.all()
        assert rows and {row.history_user_id for row in rows} == {manager.pk}, model
        assert {row.history_change_reason for row in rows} == {f"load_routing {FULL_FILE}"[:100]}


def test_an_unknown_user_option_is_an_error_and_writes_nothing(load):
    before = stored_state()
    with pytest.raises(CommandError, match=r"--user 'nobody@example\.com'"):
        load(FULL_FILE, user="nobody@example.com")
    assert stored_state() == before


def test_dry_run_reports_changes_but_writes_nothing(load):
    before = stored_state()

    output = load(FULL_FILE, dry_run=True)

    assert "reps: 3 created" in output and "nothing was written" in output
    assert stored_state() == before


def test_references_may_point_at_reps_and_pools_already_stored(load, routing_file):
    RepFactory(email="stored@example.com")
    PoolFactory(name="Stored pool")

    load(
        routing_file("""
        pools: [{name: New pool, members: [stored@example.com]}]
        rulesets:
          - {name: Inbound, fallback: {pool: Stored pool}, rules: [
              {name: All, route: {rep: stored@example.com}}]}
    """)
    )

    assert Pool.objects.get(name="New pool").members.get().email == "stored@example.com"
    assert RuleSet.objects.get().fallback_pool.name == "Stored pool"


def test_children_not_in_the_file_are_removed_and_top_level_objects_are_kept(load, routing_file):
    load(FULL_FILE)
    other = RuleSetFactory(name="Made in the admin")
    text = (
        FULL_FILE.read_text()
        .replace(
            "      - ana@example.com\n      - {rep: bo@example.com, weight: 2}\n",
            "      - {rep: bo@example.com, weight: 3}\n",
        )
        .replace("domains: [acme.com, acme.io]", "domains: [acme.io, acme.org]")
        .replace(
            "      - name: Free signups\n        when: {source: free_signup}\n"
            "        route: {rep: sdr-bot@example.com}\n",
            "",
        )
        .replace("  - name: Initech\n    owner: bo@example.com\n", "")
    )

    output = load(routing_file(text))

    enterprise = Pool.objects.get(name="Enterprise")
    assert [(m.rep.email, m.weight) for m in enterprise.memberships.all()] == [
        ("bo@example.com", 3)
    ]
    acme = NamedAccount.objects.get(name="Acme Corp")
    assert sorted(acme.domains.values_list("domain", flat=True)) == ["acme.io", "acme.org"]
    inbound = RuleSet.objects.get(name="Inbound")
    assert list(inbound.rules.values_list("name", "position")) == [
        ("Named accounts", 0),
        ("Enterprise", 1),
        ("Mid-market", 2),
        ("Everyone else", 3),
    ]
    assert NamedAccount.objects.filter(name="Initech").exists()
    assert RuleSet.objects.filter(pk=other.pk).exists()
    assert "pool members: 1 updated, 1 removed" in output
    removed = PoolMembership.history.filter(history_type="-").get()
    assert removed.rep.email == "ana@example.com"


def test_rule_order_in_the_file_is_the_rule_order(load, routing_file):
    text = """
        reps: [{email: a@example.com, name: A}]
        rulesets:
          - name: Inbound
            fallback: {rep: a@example.com}
            rules:
              - {name: First, when: {source: x}, route: {rep: a@example.com}}
              - {name: Second, when: {source: y}, route: {rep: a@example.com}}
              - {name: Third, route: {territory: true}}
    """
    load(routing_file(text))
    text = (
        text.replace("- {name: Third", "- {name: Zeroth")
        .replace(
            "- {name: First",
            "- {name: Third, route: {territory: true}}\n              - {name: First",
        )
        .replace("- {name: Zeroth, route: {territory: true}}", "")
    )

    load(routing_file(text))

    assert list(Rule.objects.values_list("name", "position")) == [
        ("Third", 0),
        ("First", 1),
        ("Second", 2),
    ]


def test_making_another_rule_set_active_deactivates_the_active_one(load, routing_file):
    stored_active = RuleSetFactory(name="Old", is_active=True)
    version = stored_active.version

    load(
        routing_file("""
        reps: [{email: a@example.com, name: A}]
        rulesets: [{name: New, active: true, fallback: {rep: a@example.com}}]
    """)
    )

    stored_active.refresh_from_db()
    assert not stored_active.is_active
    assert stored_active.version == version + 1
    assert RuleSet.objects.get(is_active=True).name == "New"
    assert stored_active.history.latest().is_active is False


def test_switching_the_active_rule_set_within_the_file(load, routing_file):
    text = """
        reps: [{email: a@example.com, name: A}]
        rulesets:
          - {name: One, active: true, fallback: {rep: a@example.com}}
          - {name: Two, fallback: {rep: a@example.com}}
    """
    load(routing_file(text))

    load(
        routing_file(
            text.replace("active: true, ", "").replace("{name: Two,", "{name: Two, active: true,")
        )
    )

    assert list(RuleSet.objects.filter(is_active=True).values_list("name", flat=True)) == ["Two"]


def test_an_account_domain_moves_between_accounts_of_the_file(load, routing_file):
    text = """
        reps: [{email: a@example.com, name: A}]
        accounts:
          - {name: Acme, domains: [acme.com, acme.io], owner: a@example.com}
          - {name: Acme Europe, domains: [acme.de], owner: a@example.com}
    """
    load(routing_file(text))

    load(
        routing_file(
            text.replace("[acme.com, acme.io]", "[acme.com]").replace(
                "[acme.de]", "[acme.de, 'https://www.Acme.io/']"
            )
        )
    )

    assert AccountDomain.objects.get(domain="acme.io").account.name == "Acme Europe"
    assert AccountDomain.objects.count() == 3


def test_codes_that_plain_yaml_would_turn_into_booleans_and_numbers_stay_text(load, routing_file):
    load(
        routing_file("""
        reps: [{email: a@example.com, name: A, location: {postal_code: 02134}}]
        territories:
          - name: Nordics
            match: {country: [NO, SE], state: [ON, yes]}
            owner: {rep: a@example.com}
          - {name: Jersey, match: {postal_code: [070, 08000-08999]}, owner: {rep: a@example.com}}
        rulesets:
          - {name: R, fallback: {rep: a@example.com}, rules: [
              {name: Boston, when: {postal_code: [2134, 02135]}, route: {territory: true}}]}
    """)
    )

    assert Rep.objects.get().postal_code == "02134"
    nordics = Territory.objects.get(name="Nordics")
    assert (nordics.countries, nordics.states) == (["NO", "SE"], ["ON", "YES"])
    assert Territory.objects.get(name="Jersey").postal_codes == ["070", "08000-08999"]
    assert Rule.objects.get().conditions == {"postal_code": ["2134", "02135"]}


def test_out_of_office_without_an_offset_is_the_reps_local_time(load, routing_file):
    load(
        routing_file("""
        reps:
          - {email: a@example.com, name: A, timezone: Europe/Berlin,
             out_of_office: {from: 2026-12-20, until: "2027-01-02 09:00"}}
    """)
    )

    rep = Rep.objects.get()
    assert rep.out_of_office_from == datetime(2026, 12, 19, 23, tzinfo=UTC)
    assert rep.out_of_office_until == datetime(2027, 1, 2, 8, tzinfo=UTC)


def test_an_empty_file_changes_nothing(load, routing_file):
    RepFactory()
    before = stored_state()
    assert "nothing changed" in load(routing_file(""))
    assert stored_state() == before


def test_the_stored_pool_members_keep_their_order_when_weights_change(load, routing_file):
    pool = PoolFactory(name="P")
    first, second = RepFactory(email="x@example.com"), RepFactory(email="y@example.com")
    PoolMembershipFactory(pool=pool, rep=first)
    PoolMembershipFactory(pool=pool, rep=second)

    load(
        routing_file("""
        pools: [{name: P, members: [{rep: y@example.com, weight: 5}, x@example.com]}]
    """)
    )

    assert list(pool.memberships.values_list("rep__email", "weight")) == [
        ("x@example.com", 1),
        ("y@example.com", 5),
    ]


def test_a_domain_held_by_an_account_outside_the_file_is_an_error(load, routing_file):
    AccountDomainFactory(domain="acme.com", account__name="Stored Acme")
    before = stored_state()

    with pytest.raises(CommandError) as error:
        load(
            routing_file("""
            reps: [{email: a@example.com, name: A}]
            accounts: [{name: Acme, domains: [acme.com], owner: a@example.com}]
        """)
        )

    assert "account 'Acme': domain 'acme.com' belongs to account 'Stored Acme'" in str(error.value)
    assert stored_state() == before


def test_a_stored_rep_is_found_whatever_the_case_of_its_email(load, routing_file):
    stored = RepFactory(email="Mixed@Example.com", name="Old name")

    load(
        routing_file("""
        reps: [{email: MIXED@example.com, name: New name}]
        pools: [{name: P, members: [mixed@EXAMPLE.com]}]
    """)
    )

    stored.refresh_from_db()
    assert (Rep.objects.count(), stored.email, stored.name) == (1, "mixed@example.com", "New name")
    assert Pool.objects.get().members.get() == stored


def test_a_dash_reads_the_file_from_standard_input(load, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("reps: [{email: a@example.com, name: A}]\n"))

    load("-")

    assert Rep.objects.get().email == "a@example.com"


def test_a_source_and_campaign_fields_in_a_rule_load_in_their_compared_form(load, routing_file):
    RepFactory(email="stored@example.com")

    load(
        routing_file("""
        rulesets:
          - {name: Inbound, fallback: {rep: stored@example.com}, rules: [
              {name: Paid pricing, when: {source: [Pricing Page, Demo-Request],
               utm_medium: cpc}, route: {rep: stored@example.com}}]}
    """)
    )

    rule = RuleSet.objects.get().rules.get()
    assert rule.conditions == {"source": ["pricing_page", "demo_request"], "utm_medium": "cpc"}
