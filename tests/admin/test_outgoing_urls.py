"""Outgoing URLs typed in the admin: refused with the reason when the server must not
post there, nothing saved; a name that does not resolve yet is saved with a warning."""

from __future__ import annotations

import pytest

from reps.models import Rep
from routing.models import WebhookSubscription
from tests.admin.helpers import admin_url, errors_of, page_data
from tests.factories import RepFactory

pytestmark = pytest.mark.django_db

REFUSED = [
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata address"),
    ("http://10.0.0.5/hooks", "10.0.0.5 is a private address"),
    ("http://127.0.0.1:6379/", "127.0.0.1 is a loopback address"),
    ("http://localhost:5432/", "localhost resolves to"),
    ("http://[::1]/", "::1 is a loopback address"),
    ("https://user:secret@hooks.example.com/x", "user name or password"),
]


@pytest.fixture(autouse=True)
def production_policy(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []


def _add_rep(admin_client, **fields):
    data = page_data(admin_client.get(admin_url(Rep, "add")))
    data.update(name="Ana", email="ana@example.com", **fields)
    return admin_client.post(admin_url(Rep, "add"), data, follow=True)


@pytest.mark.parametrize(("url", "reason"), REFUSED)
@pytest.mark.parametrize("field", ["slack_webhook_url", "webhook_url"])
def test_a_rep_with_a_refused_url_is_not_saved(admin_client, field, url, reason):
    response = _add_rep(admin_client, **{field: url})

    assert any(reason in error for error in errors_of(response)), errors_of(response)
    assert not Rep.objects.exists()


def test_changing_a_reps_url_to_a_refused_one_changes_nothing(admin_client):
    rep = RepFactory(webhook_url="https://93.184.215.14/hooks")
    url = admin_url(Rep, "change", rep.pk)
    data = page_data(admin_client.get(url))
    data["webhook_url"] = "http://169.254.169.254/latest/meta-data/iam/"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert any("cloud metadata address" in error for error in errors_of(response))
    rep.refresh_from_db()
    assert rep.webhook_url == "https://93.184.215.14/hooks"
    assert rep.history.count() == 1


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_a_subscription_with_a_refused_url_is_not_saved(admin_client, url, reason):
    data = page_data(admin_client.get(admin_url(WebhookSubscription, "add")))
    data.update(name="CRM", url=url)

    response = admin_client.post(admin_url(WebhookSubscription, "add"), data)

    assert any(reason in error for error in errors_of(response)), errors_of(response)
    assert not WebhookSubscription.objects.exists()


def test_a_host_that_does_not_resolve_yet_is_saved_with_a_warning(admin_client):
    response = _add_rep(admin_client, webhook_url="https://leads.not-yet-registered.invalid/in")

    assert response.status_code == 200, errors_of(response)
    rep = Rep.objects.get()
    assert rep.webhook_url == "https://leads.not-yet-registered.invalid/in"
    assert (
        "The host leads.not-yet-registered.invalid does not resolve now"
        in response.content.decode()
    )
