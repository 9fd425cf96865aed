"""The rule set page as a manager uses it: rules one line each, put in order by dragging
(the page posts the new positions), a pool form with its method's settings only, the
way from the admin to the dashboard, coverage and the queue, and history that records
only real changes."""

from __future__ import annotations

import pytest

from reps.models import Pool, Rep
from reps.services import rep_ensure_login
from routing.models import Rule, RuleSet
from routing.routing_file import dump_routing, load_routing
from routing.services.intake import lead_simulate
from tests.admin.helpers import admin_url, errors_of, inline_prefix, page_data
from tests.factories import PoolFactory, PoolMembershipFactory, RepFactory, RuleFactory

pytestmark = pytest.mark.django_db


def _two_rules():
    """Everyone to Ana first, demo requests to Bo second: Bo gets nothing until moved up."""
    ana, bo = RepFactory(name="Ana Silva"), RepFactory(name="Bo Chen")
    everyone = RuleFactory(name="Everyone", conditions={}, route_rep=ana, position=0)
    ruleset = everyone.ruleset
    ruleset.is_active = True
    ruleset.save()
    demos = RuleFactory(
        ruleset=ruleset,
        name="Demo requests",
        route_rep=bo,
        position=1,
        conditions={"source": "demo_request"},
    )
    return ruleset, everyone, demos, bo


def _as_a_browser_posts(data):
    """Textareas come back with "\r\n" line breaks, as HTML forms send them."""
    return {
        key: value.replace("\n", "\r\n") if isinstance(value, str) else value
        for key, value in data.items()
    }


def _rule_opens(response, prefix, row):
    html = response.content.decode()
    start = html.index(f'id="{prefix}-{row}"')
    return (
        html[start : html.index("</summary>", start)].count('<details class="rule-edit" open>') == 1
    )


def test_rules_posted_in_a_new_order_are_stored_and_routing_follows_it(admin_client):
    ruleset, everyone, demos, bo = _two_rules()
    url = admin_url(RuleSet, "change", ruleset.pk)
    page = admin_client.get(url)
    prefix = inline_prefix(page, Rule)
    data = page_data(page)
    # What dragging "Demo requests" above "Everyone" leaves in the hidden order inputs.
    rows = {data[f"{prefix}-{index}-id"]: index for index in range(2)}
    data[f"{prefix}-{rows[demos.pk]}-position"] = "1"
    data[f"{prefix}-{rows[everyone.pk]}-position"] = "2"

    response = admin_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    assert [rule.name for rule in ruleset.rules.order_by("position")] == [
        "Demo requests",
        "Everyone",
    ]
    decided = lead_simulate(values={"email": "pat@acme.com", "source": "demo_request"})
    assert (decided.owner, decided.rule) == (bo, demos)


def test_a_reordered_rule_set_dumps_in_its_new_order_and_loads_back_unchanged(admin_client):
    ruleset, everyone, demos, _ = _two_rules()
    url = admin_url(RuleSet, "change", ruleset.pk)
    page = admin_client.get(url)
    prefix = inline_prefix(page, Rule)
    data = page_data(page)
    rows = {data[f"{prefix}-{index}-id"]: index for index in range(2)}
    data[f"{prefix}-{rows[demos.pk]}-position"] = "1"
    data[f"{prefix}-{rows[everyone.pk]}-position"] = "2"
    assert admin_client.post(url, data).status_code == 302
    history_rows = Rule.history.count()

    text, _ = dump_routing()
    assert text.index("name: Demo requests") < text.index("name: Everyone")
    load_routing(text, source="dump")

    assert [(rule.name, rule.position) for rule in ruleset.rules.order_by("position")] == [
        ("Demo requests", 1),
        ("Everyone", 2),
    ]
    assert Rule.history.count() == history_rows


def test_the_rule_set_page_shows_each_rule_as_one_closed_line_in_plain_words(admin_client):
    ruleset, *_ = _two_rules()
    page = admin_client.get(admin_url(RuleSet, "change", ruleset.pk)).content.decode()

    assert page.count('<details class="rule-edit">') == 2  # both closed
    assert "When source is demo_request → rep Bo Chen" in page
    assert "Otherwise → rep " in page
    assert 'class="_reorder_"' in page  # the order is dragged, not typed


def test_a_rule_with_an_error_opens_so_the_manager_sees_it(admin_client):
    ruleset, _, demos, _ = _two_rules()
    url = admin_url(RuleSet, "change", ruleset.pk)
    page = admin_client.get(url)
    prefix = inline_prefix(page, Rule)
    data = page_data(page)
    row = next(index for index in range(2) if data[f"{prefix}-{index}-id"] == demos.pk)
    data[f"{prefix}-{row}-conditions"] = "sorce: event"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert any("unknown field 'sorce'" in error for error in errors_of(response))
    assert _rule_opens(response, prefix, row)
    assert not _rule_opens(response, prefix, 1 - row)
    demos.refresh_from_db()
    assert demos.conditions == {"source": "demo_request"}


def test_a_new_rule_set_starts_with_one_open_rule_to_fill_in(admin_client):
    page = admin_client.get(admin_url(RuleSet, "add")).content.decode()
    # The blank rule, and the template row "Add another rule" copies.
    assert page.count('<details class="rule-edit" open>') == 2


# ---------------------------------------------------------------------------- pools


def test_the_pool_form_tells_the_page_which_settings_each_method_reads(admin_client):
    pool = PoolFactory(name="West")
    PoolMembershipFactory(pool=pool)
    page = admin_client.get(admin_url(Pool, "change", pool.pk))
    attribute = page.context["adminform"].form.fields["method"].widget.attrs
    assert attribute["data-method-settings"] == (
        '{"max_distance_km": ["nearest"], "no_match": ["best_match"], '
        '"performance_window_days": ["performance"], "weight": ["weighted"]}'
    )


@pytest.mark.parametrize(
    ("method", "kept"),
    [
        ("round_robin", (None, "rotation", 30)),
        ("nearest", (150, "rotation", 30)),
        ("best_match", (None, "fall_through", 30)),
        ("performance", (None, "rotation", 7)),
    ],
)
def test_a_pool_keeps_only_the_settings_its_method_reads(admin_client, method, kept):
    pool = PoolFactory(name="West")
    PoolMembershipFactory(pool=pool)
    url = admin_url(Pool, "change", pool.pk)
    data = page_data(admin_client.get(url))
    data.update(
        method=method,
        max_distance_km="150",
        no_match="fall_through",
        performance_window_days="7",
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    pool.refresh_from_db()
    assert (pool.max_distance_km, pool.no_match, pool.performance_window_days) == kept


def test_a_hidden_setting_of_another_method_cannot_block_saving(admin_client):
    pool = PoolFactory(name="West")
    PoolMembershipFactory(pool=pool)
    url = admin_url(Pool, "change", pool.pk)
    data = page_data(admin_client.get(url))
    data.update(method="round_robin", performance_window_days="0")

    response = admin_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    pool.refresh_from_db()
    assert pool.performance_window_days == 30


def test_a_setting_of_the_chosen_method_is_still_checked(admin_client):
    pool = PoolFactory(name="West")
    PoolMembershipFactory(pool=pool)
    url = admin_url(Pool, "change", pool.pk)
    data = page_data(admin_client.get(url))
    data.update(method="performance", performance_window_days="0")

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert errors_of(response) == ["Ensure this value is greater than or equal to 1."]


# ---------------------------------------------------------------------------- navigation


def test_the_admin_index_and_header_lead_to_the_dashboard_coverage_and_queue(admin_client):
    page = admin_client.get("/admin/").content.decode()
    for href in ("/dashboard/", "/admin/routing/ruleset/active/coverage/", "/queue/"):
        assert page.count(f'href="{href}"') >= 2, href  # the header and the index
    assert page.count('href="/dashboard/"') == 3  # and "View site"


def test_the_coverage_link_opens_the_active_rule_sets_coverage(admin_client):
    ruleset, *_ = _two_rules()
    response = admin_client.get("/admin/routing/ruleset/active/coverage/", follow=True)
    assert response.redirect_chain[-1][0] == f"/admin/routing/ruleset/{ruleset.pk}/coverage/"
    assert "Rule coverage of" in response.content.decode()


def test_the_coverage_link_without_an_active_rule_set_says_so(admin_client):
    RuleFactory()
    response = admin_client.get("/admin/routing/ruleset/active/coverage/", follow=True)
    assert response.redirect_chain[-1][0] == "/admin/routing/ruleset/"
    assert "No rule set is active" in response.content.decode()


# ---------------------------------------------------------------------------- history


def test_saving_a_rule_set_page_untouched_records_no_history(admin_client):
    ruleset, *_ = _two_rules()
    ruleset.description = "Named accounts first.\nThen by size."
    ruleset.save()
    before = (ruleset.history.count(), Rule.history.count(), ruleset.version)
    url = admin_url(RuleSet, "change", ruleset.pk)

    response = admin_client.post(url, _as_a_browser_posts(page_data(admin_client.get(url))))

    assert response.status_code == 302, errors_of(response)
    ruleset.refresh_from_db()
    assert ruleset.description == "Named accounts first.\nThen by size."
    assert (ruleset.history.count(), Rule.history.count(), ruleset.version) == before


def test_a_real_change_is_recorded_once_with_only_what_changed(admin_client):
    ruleset, *_ = _two_rules()
    ruleset.description = "Named accounts first.\nThen by size."
    ruleset.save()
    url = admin_url(RuleSet, "change", ruleset.pk)
    data = _as_a_browser_posts(page_data(admin_client.get(url)))
    data["max_escalations"] = "3"

    response = admin_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    latest = ruleset.history.latest()
    changes = latest.diff_against(latest.prev_record).changes
    assert [(change.field, change.old, change.new) for change in changes] == [
        ("max_escalations", 2, 3)
    ]


@pytest.mark.parametrize("model", [Pool, Rep])
def test_saving_a_pool_or_rep_page_untouched_records_no_history(admin_client, model):
    pool = PoolFactory(name="West", description="Reps on the\nwest coast.")
    member = PoolMembershipFactory(pool=pool)
    rep_ensure_login(rep=member.rep)  # a rep saved without a login gets one: a real change
    obj = pool if model is Pool else member.rep
    before = obj.history.count()
    url = admin_url(model, "change", obj.pk)

    response = admin_client.post(url, _as_a_browser_posts(page_data(admin_client.get(url))))

    assert response.status_code == 302, errors_of(response)
    assert obj.history.count() == before
