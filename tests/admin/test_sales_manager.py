"""The Sales manager group: edits routing, works leads, reads the dashboard; cannot edit
users or intake keys."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from reps.models import Rep, User
from reps.roles import SALES_MANAGER, user_make_sales_manager
from routing.models import IntakeKey, Lead, RuleSet
from tests.admin.helpers import admin_url, errors_of, page_data
from tests.factories import RepFactory, RuleFactory, UserFactory
from tests.roles import ensure_sales_manager_group

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _group():
    ensure_sales_manager_group()


@pytest.fixture
def manager_client() -> Client:
    manager = UserFactory(email="sam.manager@example.com")
    user_make_sales_manager(user=manager)
    client = Client()
    client.force_login(manager)
    return client


def test_the_group_is_made_by_the_migrations():
    group = Group.objects.get(name=SALES_MANAGER)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"change_ruleset", "change_rule", "change_pool", "change_rep"} <= codenames
    assert {"change_territory", "change_namedaccount", "change_lead", "change_assignment"} <= (
        codenames
    )
    assert not codenames & {"change_user", "view_user", "add_intakekey", "view_intakekey"}


def test_a_sales_manager_edits_a_rule_set(manager_client):
    ruleset = RuleFactory().ruleset
    url = admin_url(RuleSet, "change", ruleset.pk)
    data = page_data(manager_client.get(url))
    data["description"] = "Edited by the sales manager"

    response = manager_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    ruleset.refresh_from_db()
    assert ruleset.description == "Edited by the sales manager"


def test_a_sales_manager_reads_the_dashboard_and_the_leads(manager_client):
    assert manager_client.get("/dashboard/").status_code == 200
    assert manager_client.get("/api/v1/metrics/").status_code == 200
    assert manager_client.get(admin_url(Lead, "changelist")).status_code == 200


def test_a_sales_manager_cannot_open_users_or_intake_keys(manager_client):
    user = UserFactory()
    for url in (
        admin_url(User, "changelist"),
        admin_url(User, "change", user.pk),
        admin_url(User, "add"),
        admin_url(IntakeKey, "changelist"),
        admin_url(IntakeKey, "add"),
    ):
        assert manager_client.get(url).status_code == 403, url
    index = manager_client.get("/admin/").content.decode()
    assert "Intake keys" not in index and admin_url(User, "changelist") not in index


def test_a_sales_manager_edits_a_reps_routing_fields_but_not_their_login(manager_client):
    rep = RepFactory(max_open=3)
    other = UserFactory(email="someone.else@example.com")
    url = admin_url(Rep, "change", rep.pk)
    data = page_data(manager_client.get(url))
    data.update(max_open="5", user=str(other.pk))

    response = manager_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    rep.refresh_from_db()
    assert rep.max_open == 5
    assert rep.user_id != other.pk
