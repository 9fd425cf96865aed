"""Intake keys (shown once, stored hashed) and the read-only lead pages."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from routing.models import Assignment, IntakeKey, Lead, LeadEvent, RoutingDecision
from tests.admin.helpers import admin_url, page_data
from tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_new_intake_key_is_shown_once_and_stored_hashed(admin_client, staff_user):
    data = page_data(admin_client.get(admin_url(IntakeKey, "add")))
    data["name"] = "Website demo form"

    response = admin_client.post(admin_url(IntakeKey, "add"), data, follow=True)

    key = IntakeKey.objects.get(name="Website demo form")
    shown = re.search(r"The API key for Website demo form is: (\S+)\.", response.content.decode())
    assert shown, "the key is shown after creating it"
    raw_key = shown.group(1)
    assert raw_key.startswith(key.prefix + ".")
    assert raw_key not in key.hashed_key
    assert IntakeKey.objects.is_valid(raw_key)
    assert key.created_by == staff_user
    # Once: the next page does not show it again, nor does the key's own page.
    assert raw_key not in admin_client.get(admin_url(IntakeKey, "changelist")).content.decode()
    assert raw_key not in admin_client.get(admin_url(IntakeKey, "change", key.pk)).content.decode()


def test_only_intake_keys_are_offered_not_the_librarys_own_api_keys(admin_client):
    index = admin_client.get("/admin/").content.decode()
    assert "Intake keys" in index
    assert "/admin/rest_framework_api_key/" not in index


def test_lead_page_shows_the_decision_steps_readably(admin_client, routed_lead):
    content = admin_client.get(admin_url(Lead, "change", routed_lead.pk)).content.decode()

    assert '<ol class="decision-steps"' in content
    assert "<strong>Named accounts</strong> — <span" in content
    assert "✗ no match" in content
    assert "no named account" in content
    assert "✓ matched" in content
    assert "rep: bo@example.com; reason: out of office" in content
    assert "<em>picked</em>: ana@example.com" in content
    assert "Enterprise &lt;script&gt;" in content
    assert "Enterprise <script>" not in content
    assert "42 µs" in content
    assert "&quot;employee_count&quot;: 900" in content  # the payload, pretty-printed
    assert "Timeline" in content


def test_lead_page_is_read_only(admin_client, routed_lead):
    url = admin_url(Lead, "change", routed_lead.pk)
    page = admin_client.get(url)
    assert page.context["has_change_permission"] is False
    assert b'name="email"' not in page.content
    admin_client.post(url, {"email": "changed@example.com"})
    routed_lead.refresh_from_db()
    assert routed_lead.email != "changed@example.com"
    assert admin_client.get(admin_url(Lead, "add")).status_code == 403


def test_the_trail_cannot_be_edited_or_deleted_on_its_own(admin_client, routed_lead):
    for model in (RoutingDecision, Assignment, LeadEvent):
        obj = model.objects.get(lead=routed_lead)
        assert admin_client.get(admin_url(model, "delete", obj.pk)).status_code == 403
        assert admin_client.get(admin_url(model, "add")).status_code == 403
        page = admin_client.get(admin_url(model, "change", obj.pk))
        assert page.context["has_change_permission"] is False


def test_a_superuser_can_delete_a_lead_with_its_trail(admin_client, routed_lead):
    url = admin_url(Lead, "delete", routed_lead.pk)
    confirm = admin_client.get(url)
    assert confirm.status_code == 200
    assert not confirm.context["perms_lacking"]

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Lead.objects.exists()
    assert not LeadEvent.objects.exists()


def test_staff_who_are_not_superusers_cannot_delete_leads(routed_lead):
    user = StaffUserFactory(is_superuser=False)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_lead", "delete_lead"]))
    client = Client()
    client.force_login(user)
    assert client.get(admin_url(Lead, "change", routed_lead.pk)).status_code == 200
    assert client.get(admin_url(Lead, "delete", routed_lead.pk)).status_code == 403


def test_lead_list_filters_and_search(admin_client, routed_lead):
    UserFactory()  # noise
    url = admin_url(Lead, "changelist")
    assert admin_client.get(url, {"q": "Acme"}).context["cl"].result_count == 1
    assert admin_client.get(url, {"status__exact": "converted"}).context["cl"].result_count == 0
    assert admin_client.get(url, {"source": "demo_request"}).context["cl"].result_count == 1


def test_the_lead_lists_source_filter_offers_sources_in_words(admin_client, routed_lead):
    url = admin_url(Lead, "changelist")
    page = admin_client.get(url).content.decode()
    assert ">Demo request</a>" in page and ">demo_request</a>" not in page
    assert admin_client.get(url, {"source": "pricing_page"}).context["cl"].result_count == 0
