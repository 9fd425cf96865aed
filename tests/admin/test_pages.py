"""Every admin page of our models opens for a manager, with real objects on it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.apps import apps
from django.contrib import admin
from django.db.models import Model

from reps.models import FailedSignIn, Rep
from routing.models import (
    Assignment,
    IdempotencyRecord,
    LeadEvent,
    LeadImport,
    Notification,
    PoolRotation,
    RoutingDecision,
    WebhookSubscription,
)
from tests.admin.helpers import admin_url
from tests.factories import (
    AccountDomainFactory,
    PoolFactory,
    PoolMembershipFactory,
    RepFactory,
    RuleFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

OUR_APPS = {"reps", "territories", "routing"}


def _make(label: str, request: pytest.FixtureRequest) -> Model:
    builders: dict[str, Callable[[], Model]] = {
        "reps.user": lambda: UserFactory(),
        "reps.rep": lambda: RepFactory(),
        "reps.pool": lambda: PoolMembershipFactory().pool,
        "reps.failedsignin": lambda: FailedSignIn.objects.create(
            username="ana@example.com",
            ip_address="203.0.113.10",
            user_agent="Mozilla/5.0",
            http_accept="text/html",
            path_info="/queue/login/",
            get_data="",
            post_data="username=ana@example.com",
            failures_since_start=5,
        ),
        "territories.territory": lambda: TerritoryFactory(),
        "territories.namedaccount": lambda: AccountDomainFactory().account,
        "routing.ruleset": lambda: RuleFactory().ruleset,
        "routing.lead": lambda: request.getfixturevalue("routed_lead"),
        "routing.routingdecision": lambda: RoutingDecision.objects.get(
            lead=request.getfixturevalue("routed_lead")
        ),
        "routing.assignment": lambda: Assignment.objects.get(
            lead=request.getfixturevalue("routed_lead")
        ),
        "routing.leadevent": lambda: LeadEvent.objects.get(
            lead=request.getfixturevalue("routed_lead")
        ),
        "routing.intakekey": lambda: request.getfixturevalue("intake_key"),
        "routing.poolrotation": lambda: PoolRotation.objects.create(pool=PoolFactory()),
        "routing.webhooksubscription": lambda: WebhookSubscription.objects.create(
            name="CRM", url="https://crm.example.com/hooks/leads"
        ),
        "routing.notification": lambda: Notification.objects.create(
            key="assignment 1 lead.assigned email",
            channel=Notification.Channel.EMAIL,
            kind="lead.assigned",
            lead=request.getfixturevalue("routed_lead"),
            destination="ana@example.com",
        ),
        "routing.leadimport": lambda: LeadImport.objects.create(
            name="expo.csv", rows=3, imported=2, rejected=1, problems=[[3, "email: missing"]]
        ),
        "routing.idempotencyrecord": lambda: IdempotencyRecord.objects.create(
            intake_key=request.getfixturevalue("intake_key"), key="k-1", request_hash="0" * 64
        ),
    }
    return builders[label]()


REGISTERED = sorted(
    model._meta.label_lower for model in admin.site._registry if model._meta.app_label in OUR_APPS
)


def test_every_model_of_our_apps_has_an_admin():
    ours = {
        model._meta.label_lower
        for app in OUR_APPS
        for model in apps.get_app_config(app).get_models()
        if not model._meta.label_lower.startswith(tuple(f"{app}.historical" for app in OUR_APPS))
    }
    # Edited inline on their parent's page instead: rules, pool members, account domains.
    inline_only = {"routing.rule", "reps.poolmembership", "territories.accountdomain"}
    internal = {"routing.routingversion"}  # one row, a number: nothing for a person to see
    assert ours - inline_only - internal == set(REGISTERED)


@pytest.mark.parametrize("label", REGISTERED)
def test_admin_pages_open(label, admin_client, request):
    obj = _make(label, request)
    model = type(obj)
    model_admin = admin.site._registry[model]

    changelist = admin_client.get(admin_url(model, "changelist"))
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count >= 1

    searched = admin_client.get(admin_url(model, "changelist"), {"q": "example"})
    assert searched.status_code == 200

    if model_admin.has_add_permission(changelist.wsgi_request):
        assert admin_client.get(admin_url(model, "add")).status_code == 200
    else:
        assert admin_client.get(admin_url(model, "add")).status_code == 403

    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200
    assert admin_client.get(admin_url(model, "history", obj.pk)).status_code == 200


@pytest.mark.parametrize("label", [label for label in REGISTERED if label != "reps.user"])
def test_changelist_filters_open(label, admin_client, request):
    obj = _make(label, request)
    page = admin_client.get(admin_url(type(obj), "changelist"))
    for spec in page.context["cl"].filter_specs:
        for choice in spec.choices(page.context["cl"]):
            response = admin_client.get(admin_url(type(obj), "changelist") + choice["query_string"])
            assert response.status_code == 200, choice


def test_history_version_page_opens(admin_client):
    rep = RepFactory()
    record = rep.history.latest()
    url = admin_url(Rep, "simple_history", rep.pk, record.pk)
    assert admin_client.get(url).status_code == 200
