"""History pages: who changed what, and reverting only where it means what it says."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from reps.models import Rep
from routing.models import RuleSet
from territories.models import Territory
from tests.admin.helpers import admin_url, errors_of, page_data
from tests.factories import RepFactory, RuleFactory, StaffUserFactory, TerritoryFactory

pytestmark = pytest.mark.django_db


def test_an_admin_edit_is_recorded_with_the_staff_user(admin_client, staff_user):
    territory = TerritoryFactory(name="West")
    url = admin_url(Territory, "change", territory.pk)
    data = page_data(admin_client.get(url))
    data["priority"] = "10"

    response = admin_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    latest = territory.history.latest()
    assert (latest.history_type, latest.history_user, latest.priority) == ("~", staff_user, 10)
    page = admin_client.get(admin_url(Territory, "history", territory.pk)).content.decode()
    assert "manager@example.com" in page
    assert "priority" in page.lower()


def test_a_rep_can_be_reverted_to_an_earlier_version(admin_client, staff_user):
    rep = RepFactory(name="Ana", max_open=5)
    first = rep.history.latest()
    rep.max_open = 50
    rep.save()

    url = admin_url(Rep, "simple_history", rep.pk, first.pk)
    response = admin_client.post(url, page_data(admin_client.get(url)))

    assert response.status_code == 302, errors_of(response)
    rep.refresh_from_db()
    assert rep.max_open == 5
    assert rep.history.latest().history_user == staff_user


def test_rule_sets_cannot_be_reverted_because_their_rules_would_not_follow(admin_client):
    ruleset = RuleFactory().ruleset
    record = ruleset.history.latest()
    history = admin_client.get(admin_url(RuleSet, "history", ruleset.pk)).content.decode()
    assert "to revert to a previous version" not in history
    url = admin_url(RuleSet, "simple_history", ruleset.pk, record.pk)
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"name": "Reverted"}).status_code == 403


def test_viewing_history_does_not_allow_reverting(admin_client):
    rep = RepFactory(name="Ana")
    viewer = StaffUserFactory(is_superuser=False)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_rep"))
    client = Client()
    client.force_login(viewer)
    url = admin_url(Rep, "simple_history", rep.pk, rep.history.latest().pk)
    data = page_data(admin_client.get(url))
    data["name"] = "Changed by a viewer"

    assert client.get(url).status_code == 200
    assert client.post(url, data).status_code == 403
    rep.refresh_from_db()
    assert rep.name == "Ana"


def test_saving_without_any_active_rule_set_warns(admin_client):
    ruleset = RuleFactory().ruleset
    url = admin_url(RuleSet, "change", ruleset.pk)
    response = admin_client.post(url, page_data(admin_client.get(url)), follow=True)
    assert "No rule set is active" in response.content.decode()
