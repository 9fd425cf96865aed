"""Rule sets in the admin: rules in order, conditions as YAML, durations as 15m, one active."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from routing.models import Rule, RuleSet
from routing.services import ruleset_activate
from tests.admin.helpers import admin_url, errors_of, inline_prefix, page_data, set_inline_rows
from tests.factories import (
    PoolFactory,
    RepFactory,
    RuleFactory,
    RuleSetFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db


def _rule(name, conditions, *, position="", route_to="rep", rep=None, pool=None, **extra):
    return {
        "position": position,
        "name": name,
        "is_enabled": "on",
        "conditions": conditions,
        "route_to": route_to,
        "route_rep": rep.pk if rep else "",
        "route_pool": pool.pk if pool else "",
        "ack_sla": "",
        "escalate_to_rep": "",
        "escalate_to_pool": "",
        **extra,
    }


def _new_ruleset_data(admin_client, rules, **fields):
    page = admin_client.get(admin_url(RuleSet, "add"))
    data = page_data(page)
    data.update(fields)
    return set_inline_rows(data, inline_prefix(page, Rule), rules)


def test_add_view_shows_durations_in_the_short_form(admin_client):
    page = admin_client.get(admin_url(RuleSet, "add"))
    form = page.context["adminform"].form
    assert form["ack_sla"].value() == "15m"
    assert form["duplicate_window"].value() == "90d"
    assert 'value="15m"' in page.content.decode()


def test_rule_set_with_two_rules_is_created_in_order_with_yaml_conditions(admin_client):
    fallback, enterprise = RepFactory(), PoolFactory(name="Enterprise")
    data = _new_ruleset_data(
        admin_client,
        [
            _rule(
                "Enterprise",
                "employee_count: {gte: 500}",
                position="2",
                route_to="pool",
                pool=enterprise,
                ack_sla="5m",
            ),
            _rule(
                "Pricing page",
                "source: pricing_page\nwork_email: true\ncountry: [US, NO]",
                position="1",
                rep=fallback,
            ),
        ],
        name="Inbound",
        fallback_rep=fallback.pk,
        ack_sla="20m",
        duplicate_window="30d",
    )

    response = admin_client.post(admin_url(RuleSet, "add"), data)

    assert response.status_code == 302, errors_of(response)
    ruleset = RuleSet.objects.get(name="Inbound")
    assert ruleset.ack_sla == timedelta(minutes=20)
    assert ruleset.duplicate_window == timedelta(days=30)
    rules = list(ruleset.rules.order_by("position", "id"))
    assert [rule.name for rule in rules] == ["Pricing page", "Enterprise"]
    assert rules[0].conditions == {
        "source": "pricing_page",
        "work_email": True,
        "country": ["US", "NO"],
    }
    assert rules[1].conditions == {"employee_count": {"gte": 500}}
    assert rules[1].route_pool == enterprise
    assert rules[1].ack_sla == timedelta(minutes=5)


def test_a_reminder_before_the_deadline_is_set_as_a_short_duration(admin_client):
    fallback = RepFactory()
    data = _new_ruleset_data(
        admin_client,
        [_rule("All", "", rep=fallback)],
        name="Inbound",
        fallback_rep=fallback.pk,
        ack_sla="15m",
        remind_before="5m",
    )

    response = admin_client.post(admin_url(RuleSet, "add"), data)

    assert response.status_code == 302, errors_of(response)
    assert RuleSet.objects.get(name="Inbound").remind_before == timedelta(minutes=5)


@pytest.mark.parametrize("remind_before", ["15m", "20m"])
def test_a_reminder_not_before_the_deadline_is_refused(admin_client, remind_before):
    fallback = RepFactory()
    data = _new_ruleset_data(
        admin_client,
        [_rule("All", "", rep=fallback)],
        name="Inbound",
        fallback_rep=fallback.pk,
        ack_sla="15m",
        remind_before=remind_before,
    )

    response = admin_client.post(admin_url(RuleSet, "add"), data)

    assert response.status_code == 200
    assert any("shorter than the acknowledgment SLA" in error for error in errors_of(response))
    assert not RuleSet.objects.filter(name="Inbound").exists()


def test_rules_without_a_position_go_after_the_others_in_page_order(admin_client):
    rep = RepFactory()
    data = _new_ruleset_data(
        admin_client,
        [
            _rule("Last", "", rep=rep),
            _rule("First", "", position="7", rep=rep),
            _rule("Later", "", rep=rep),
        ],
        name="Inbound",
        fallback_rep=rep.pk,
    )
    response = admin_client.post(admin_url(RuleSet, "add"), data)
    assert response.status_code == 302, errors_of(response)
    stored = RuleSet.objects.get(name="Inbound").rules.order_by("position", "id")
    assert [(rule.name, rule.position) for rule in stored] == [
        ("First", 7),
        ("Last", 8),
        ("Later", 9),
    ]


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ("employe_count: {gte: 500}", "unknown field 'employe_count'"),
        ("employee_count: {atleast: 500}", "unknown operator 'atleast' on 'employee_count'"),
        ("country: {gte: 5}", "'country' is text and cannot be compared with gte"),
        ("source: [demo_request", "conditions, line 1"),
        ("source: a\nsource: b", "key 'source' appears twice"),
        ("- source", "Write the conditions as  field: value  lines"),
        ("any: []", "any: is empty, so no lead could meet it"),
        ("not: {sorce: event}", "not: unknown field 'sorce'"),
    ],
)
def test_invalid_conditions_rerender_with_the_message_and_store_nothing(
    admin_client, conditions, message
):
    rep = RepFactory()
    data = _new_ruleset_data(
        admin_client, [_rule("Broken", conditions, rep=rep)], name="Inbound", fallback_rep=rep.pk
    )

    response = admin_client.post(admin_url(RuleSet, "add"), data)

    assert response.status_code == 200
    assert any(message in error for error in errors_of(response)), errors_of(response)
    assert message.split("'")[0] in response.content.decode()
    assert not RuleSet.objects.exists()
    assert not Rule.objects.exists()


def test_rule_routing_to_a_rep_needs_the_rep(admin_client):
    rep = RepFactory()
    data = _new_ruleset_data(
        admin_client, [_rule("No rep", "", route_to="rep")], name="Inbound", fallback_rep=rep.pk
    )
    response = admin_client.post(admin_url(RuleSet, "add"), data)
    assert "Choose the rep this rule routes to." in errors_of(response)
    assert not RuleSet.objects.exists()


def test_change_page_shows_conditions_as_yaml_and_rules_in_plain_words(admin_client):
    rule = RuleFactory(
        name="Mid-market",
        conditions={"employee_count": {"gte": 50, "lt": 500}},
        route_to=Rule.RouteTo.TERRITORY,
        route_rep=None,
    )
    page = admin_client.get(admin_url(RuleSet, "change", rule.ruleset.pk))
    content = page.content.decode()
    assert "employee_count: {gte: 50, lt: 500}" in content
    # PostgreSQL may reorder the operators inside the description; both hold.
    assert "When employee_count " in content
    assert "≥ 50" in content
    assert "&lt; 500" in content
    assert "→ the territory owner" in content
    assert "Otherwise →" in content


def test_a_rule_with_alternatives_is_saved_from_yaml_and_read_in_plain_words(admin_client):
    rep = RepFactory()
    conditions = (
        "any:\n  - {product: Payments}\n  - {attributes.interest: payments}\nnot: {source: event}"
    )
    data = _new_ruleset_data(
        admin_client,
        [_rule("Payments intent", conditions, rep=rep)],
        name="Inbound",
        fallback_rep=rep.pk,
    )

    response = admin_client.post(admin_url(RuleSet, "add"), data)

    assert response.status_code == 302, errors_of(response)
    rule = Rule.objects.get(name="Payments intent")
    assert rule.conditions == {
        "any": [{"product": "Payments"}, {"attributes.interest": "payments"}],
        "not": {"source": "event"},
    }
    page = admin_client.get(admin_url(RuleSet, "change", rule.ruleset.pk)).content.decode()
    assert "product is Payments, or attributes.interest is payments" in page
    assert "not: source is event" in page
    assert "  - {attributes.interest: payments}" in page


def test_unchanged_resubmit_keeps_everything(admin_client):
    rule = RuleFactory(conditions={"postal_code": "02134", "country": ["NO"]})
    url = admin_url(RuleSet, "change", rule.ruleset.pk)
    response = admin_client.post(url, page_data(admin_client.get(url)))
    assert response.status_code == 302, errors_of(response)
    rule.refresh_from_db()
    assert rule.conditions == {"postal_code": "02134", "country": ["NO"]}


def test_duration_accepts_django_format_and_rejects_nonsense(admin_client):
    rep = RepFactory()
    url = admin_url(RuleSet, "add")
    ok = _new_ruleset_data(admin_client, [], name="A", fallback_rep=rep.pk, ack_sla="00:10:00")
    assert admin_client.post(url, ok).status_code == 302
    assert RuleSet.objects.get(name="A").ack_sla == timedelta(minutes=10)

    bad = _new_ruleset_data(admin_client, [], name="B", fallback_rep=rep.pk, ack_sla="soon")
    response = admin_client.post(url, bad)
    assert any("is not a duration" in error for error in errors_of(response))
    zero = _new_ruleset_data(admin_client, [], name="C", fallback_rep=rep.pk, ack_sla="0m")
    assert "Give a duration longer than zero, e.g. 15m." in errors_of(admin_client.post(url, zero))


def test_fallback_needs_exactly_one_owner(admin_client):
    rep, pool = RepFactory(), PoolFactory()
    url = admin_url(RuleSet, "add")
    both = _new_ruleset_data(admin_client, [], name="A", fallback_rep=rep.pk, fallback_pool=pool.pk)
    assert "Choose either a rep or a pool for fallback." in errors_of(admin_client.post(url, both))
    neither = _new_ruleset_data(admin_client, [], name="A")
    assert "Choose either a rep or a pool for fallback." in errors_of(
        admin_client.post(url, neither)
    )
    assert not RuleSet.objects.exists()


def test_second_active_rule_set_is_a_form_error(admin_client):
    RuleSetFactory(name="Live", is_active=True)
    rep = RepFactory()
    data = _new_ruleset_data(admin_client, [], name="Draft", fallback_rep=rep.pk, is_active="on")

    response = admin_client.post(admin_url(RuleSet, "add"), data)

    assert response.status_code == 200
    assert any("“Live” is the active rule set" in error for error in errors_of(response))
    assert list(RuleSet.objects.values_list("name", flat=True)) == ["Live"]


def test_activate_action_switches_the_active_rule_set(admin_client, staff_user):
    live = RuleSetFactory(name="Live", is_active=True)
    draft = RuleSetFactory(name="Draft")

    response = admin_client.post(
        admin_url(RuleSet, "changelist"),
        {"action": "activate", "_selected_action": [draft.pk]},
        follow=True,
    )

    live.refresh_from_db()
    draft.refresh_from_db()
    assert (live.is_active, draft.is_active) == (False, True)
    assert "“Draft” now routes new leads; “Live” is no longer active." in response.content.decode()
    assert draft.history.latest().history_user == staff_user
    assert live.history.latest().history_user == staff_user


def test_activate_action_wants_exactly_one_rule_set(admin_client):
    first, second = RuleSetFactory(), RuleSetFactory()
    response = admin_client.post(
        admin_url(RuleSet, "changelist"),
        {"action": "activate", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert "Select exactly one rule set to activate." in response.content.decode()
    assert not RuleSet.objects.filter(is_active=True).exists()


def test_changelist_shows_sla_short_and_rule_count(admin_client):
    ruleset = RuleSetFactory(name="Inbound", ack_sla=timedelta(minutes=15))
    RuleFactory.create_batch(3, ruleset=ruleset)
    content = admin_client.get(admin_url(RuleSet, "changelist")).content.decode()
    assert '<td class="field-ack_sla_short">15m</td>' in content
    assert '<td class="field-rule_count">3</td>' in content


def test_edits_are_in_history_with_the_manager_who_made_them(admin_client, staff_user):
    rule = RuleFactory(name="Enterprise")
    url = admin_url(RuleSet, "change", rule.ruleset.pk)
    data = page_data(admin_client.get(url))
    data["description"] = "Inbound leads"
    data[f"{inline_prefix(admin_client.get(url), Rule)}-0-conditions"] = "source: event"

    assert admin_client.post(url, data).status_code == 302

    ruleset = RuleSet.objects.get(pk=rule.ruleset.pk)
    assert ruleset.history.latest().history_user == staff_user
    rule.refresh_from_db()
    assert rule.conditions == {"source": "event"}
    assert rule.history.latest().history_user == staff_user
    history = admin_client.get(admin_url(RuleSet, "history", ruleset.pk)).content.decode()
    assert "Rule changes" in history
    assert "manager@example.com" in history


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_activations_queue_up_and_leave_exactly_one_active():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    user = StaffUserFactory(email="m@example.com")
    rulesets = [RuleSetFactory(is_active=index == 0) for index in range(5)]
    start = threading.Barrier(len(rulesets))
    failures: list[BaseException] = []

    def activate(ruleset: RuleSet) -> None:
        try:
            start.wait()
            ruleset_activate(ruleset=ruleset, user=user)
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=activate, args=(rs,)) for rs in rulesets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert RuleSet.objects.filter(is_active=True).count() == 1


def test_managers_told_of_escalations_take_emails_and_slack_channels(admin_client):
    rep = RepFactory()
    url = admin_url(RuleSet, "add")
    slack = "https://hooks.slack.com/services/T0A1/B0C2/SalesTeamXyZ"
    ok = _new_ruleset_data(
        admin_client,
        [],
        name="A",
        fallback_rep=rep.pk,
        notify_on_escalation=f"boss@example.com, {slack}",
    )
    assert admin_client.post(url, ok).status_code == 302
    assert RuleSet.objects.get(name="A").notify_on_escalation == ["boss@example.com", slack]

    bad = _new_ruleset_data(
        admin_client, [], name="B", fallback_rep=rep.pk, notify_on_escalation="boss at example"
    )
    errors = errors_of(admin_client.post(url, bad))
    assert any("neither an e-mail address nor a Slack webhook URL" in error for error in errors)
    assert not RuleSet.objects.filter(name="B").exists()
