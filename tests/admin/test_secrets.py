"""Webhook signing secrets in the admin: masked on every page, shown in full once (when
made or rotated), rotated by a button or an action, each rotation in history."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils.html import escape

from reps.models import Rep
from routing.models import WebhookSubscription
from tests.admin.helpers import admin_url, errors_of, page_data
from tests.factories import RepFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_reps_secret_is_masked_on_its_pages(admin_client):
    rep = RepFactory(name="Ana", webhook_url="https://93.184.215.14/hooks")

    pages = [
        admin_url(Rep, "change", rep.pk),
        admin_url(Rep, "changelist"),
        admin_url(Rep, "history", rep.pk),
        admin_url(Rep, "simple_history", rep.pk, rep.history.latest().pk),
    ]
    for url in pages:
        assert rep.webhook_secret not in _page(admin_client, url), url
    assert f"whsec_…{rep.webhook_secret[-4:]}" in _page(admin_client, pages[0])


def test_a_viewer_sees_the_mask_and_no_rotate_button(admin_client):
    rep = RepFactory(name="Ana")
    viewer = StaffUserFactory(is_superuser=False)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_rep"))
    client = Client()
    client.force_login(viewer)

    page = _page(client, admin_url(Rep, "change", rep.pk))

    assert rep.webhook_secret not in page
    assert f"whsec_…{rep.webhook_secret[-4:]}" in page
    assert 'id="rotate-secret"' not in page
    rotate = admin_url(Rep, "rotate_secret", rep.pk)
    assert client.get(rotate).status_code == 403
    assert client.post(rotate).status_code == 403
    assert Rep.objects.get().webhook_secret == rep.webhook_secret


def test_a_new_reps_secret_is_shown_once(admin_client):
    data = page_data(admin_client.get(admin_url(Rep, "add")))
    data.update(name="Bot", email="bot@example.com", kind="agent", notify_email="")
    data["webhook_url"] = "https://93.184.215.14/leads"

    response = admin_client.post(admin_url(Rep, "add"), data, follow=True)

    assert response.status_code == 200, errors_of(response)
    rep = Rep.objects.get()
    assert rep.webhook_secret in response.content.decode()
    assert rep.webhook_secret not in _page(admin_client, admin_url(Rep, "change", rep.pk))


def test_rotating_asks_first_then_shows_the_new_secret_once_and_records_it(
    admin_client, staff_user
):
    rep = RepFactory(name="Ana")
    old = rep.webhook_secret
    change = admin_url(Rep, "change", rep.pk)
    rotate = admin_url(Rep, "rotate_secret", rep.pk)
    assert f'href="{rotate}"' in _page(admin_client, change)

    confirmation = _page(admin_client, rotate)
    assert "the current one stops at once" in confirmation
    assert Rep.objects.get().webhook_secret == old  # asking changes nothing

    response = admin_client.post(rotate, follow=True)

    rep.refresh_from_db()
    assert rep.webhook_secret != old and rep.webhook_secret.startswith("whsec_")
    assert rep.webhook_secret_rotated_at is not None
    assert response.redirect_chain == [(change, 302)]
    message = f"New webhook secret of “{rep}”: {rep.webhook_secret}"
    assert escape(message) in response.content.decode()
    assert rep.webhook_secret not in _page(admin_client, change)
    latest = rep.history.latest()
    assert (latest.history_change_reason, latest.history_user) == ("Secret rotated", staff_user)
    assert "Secret rotated" in _page(admin_client, admin_url(Rep, "history", rep.pk))


def test_the_rotate_action_rotates_each_selected_rep(admin_client):
    ana, bo, cy = (RepFactory(name=name) for name in ("Ana", "Bo", "Cy"))
    old = {rep.pk: rep.webhook_secret for rep in (ana, bo, cy)}

    response = admin_client.post(
        admin_url(Rep, "changelist"),
        {"action": "rotate_secrets", "_selected_action": [ana.pk, bo.pk]},
        follow=True,
    )

    page = response.content.decode()
    for rep in (ana, bo):
        rep.refresh_from_db()
        assert rep.webhook_secret != old[rep.pk]
        assert rep.webhook_secret in page
        assert rep.history.latest().history_change_reason == "Secret rotated"
    cy.refresh_from_db()
    assert cy.webhook_secret == old[cy.pk]


def test_a_subscriptions_secret_is_shown_once_masked_after_and_rotated(admin_client):
    data = page_data(admin_client.get(admin_url(WebhookSubscription, "add")))
    data.update(name="CRM", url="https://93.184.215.14/events")

    created = admin_client.post(admin_url(WebhookSubscription, "add"), data, follow=True)

    crm = WebhookSubscription.objects.get()
    assert crm.secret in created.content.decode()
    change = admin_url(WebhookSubscription, "change", crm.pk)
    page = _page(admin_client, change)
    assert crm.secret not in page and f"whsec_…{crm.secret[-4:]}" in page

    old = crm.secret
    rotated = admin_client.post(
        admin_url(WebhookSubscription, "rotate_secret", crm.pk), follow=True
    )

    crm.refresh_from_db()
    assert crm.secret != old and crm.secret in rotated.content.decode()
    assert crm.secret_rotated_at is not None
    assert crm.history.latest().history_change_reason == "Secret rotated"
    assert crm.secret not in _page(admin_client, change)
