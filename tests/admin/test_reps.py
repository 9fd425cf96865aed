"""Reps, pools and logins in the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reps.models import Pool, PoolMembership, Rep, User
from reps.services import rep_ensure_login
from tests.admin.helpers import admin_url, errors_of, inline_prefix, page_data, set_inline_rows
from tests.factories import AgentFactory, PoolMembershipFactory, RepFactory, UserFactory

pytestmark = pytest.mark.django_db


def _add_rep(admin_client, **fields):
    data = page_data(admin_client.get(admin_url(Rep, "add")))
    data.update(fields)
    return admin_client.post(admin_url(Rep, "add"), data)


def test_a_person_saved_in_the_admin_gets_a_login_without_a_password(admin_client, staff_user):
    response = _add_rep(
        admin_client,
        name="Ana Silva",
        email="Ana@Example.com",
        timezone="America/New_York",
        working_hours="mon-fri 09:00-17:00",
    )

    assert response.status_code == 302, errors_of(response)
    rep = Rep.objects.get(email="ana@example.com")
    assert rep.user is not None
    assert rep.user.email == "ana@example.com"
    assert rep.user.name == "Ana Silva"
    assert not rep.user.has_usable_password()
    assert not rep.user.is_staff
    # One save, one history row, by the manager.
    assert [(row.history_type, row.history_user) for row in rep.history.all()] == [
        ("+", staff_user)
    ]


def test_a_person_is_linked_to_an_existing_login_with_their_email(admin_client):
    user = UserFactory(email="bo@example.com")
    assert _add_rep(admin_client, name="Bo", email="bo@example.com").status_code == 302
    assert Rep.objects.get(email="bo@example.com").user == user


def test_an_agent_never_gets_a_login(admin_client):
    response = _add_rep(
        admin_client,
        name="Nurture agent",
        email="bot@example.com",
        kind="agent",
        webhook_url="https://agent.example.com/leads",
        notify_email="",
    )
    assert response.status_code == 302, errors_of(response)
    assert Rep.objects.get(email="bot@example.com").user is None
    assert not User.objects.filter(email="bot@example.com").exists()


def test_an_agent_needs_a_webhook_and_no_login(admin_client):
    user = UserFactory()
    response = _add_rep(
        admin_client, name="Bot", email="bot@example.com", kind="agent", user=user.pk
    )
    errors = errors_of(response)
    assert "An AI agent receives its leads by webhook; give its URL." in errors
    assert "An AI agent cannot have a login; clear this field." in errors
    assert not Rep.objects.exists()


def test_rep_ensure_login_leaves_another_reps_login_alone():
    other = RepFactory(email="old@example.com", user=UserFactory(email="cy@example.com"))
    rep = RepFactory(email="cy@example.com")
    assert rep_ensure_login(rep=rep) is None
    assert rep.user is None
    assert other.user.email == "cy@example.com"
    assert rep_ensure_login(rep=AgentFactory()) is None


def test_both_capacity_limits_are_set_in_the_rep_form(admin_client):
    response = _add_rep(
        admin_client, name="Ana", email="ana@example.com", max_open="12", max_unacknowledged="3"
    )
    assert response.status_code == 302, errors_of(response)
    ana = Rep.objects.get(email="ana@example.com")
    assert (ana.max_open, ana.max_unacknowledged) == (12, 3)
    listing = admin_client.get(admin_url(Rep, "changelist")).content.decode()
    assert "12 open / 3 unacknowledged" in listing


def test_an_unacknowledged_limit_above_the_open_limit_is_refused(admin_client):
    response = _add_rep(
        admin_client, name="Ana", email="ana@example.com", max_open="3", max_unacknowledged="5"
    )
    assert errors_of(response) == [
        "More than the 3 max open leads, so never reached: unacknowledged leads are open "
        "leads too. Lower it or leave it blank."
    ]
    assert not Rep.objects.filter(email="ana@example.com").exists()


def test_rep_list_shows_capacity_pools_and_channels(admin_client):
    rep = RepFactory(
        name="Ana", max_open=25, max_per_day=10, slack_webhook_url="https://hooks.slack.com/x"
    )
    PoolMembershipFactory(rep=rep, pool__name="West AEs")
    content = admin_client.get(admin_url(Rep, "changelist")).content.decode()
    assert "25 open / 10 a day" in content
    assert "West AEs" in content
    assert "# Slack" in content
    assert "✉ e-mail" in content


def test_pool_with_members_and_weights_is_created(admin_client):
    ana, bo = RepFactory(), RepFactory()
    page = admin_client.get(admin_url(Pool, "add"))
    data = set_inline_rows(
        page_data(page),
        inline_prefix(page, PoolMembership),
        [{"rep": ana.pk, "weight": "1"}, {"rep": bo.pk, "weight": "2"}],
    )
    data.update(name="SMB AEs", method="weighted")

    response = admin_client.post(admin_url(Pool, "add"), data)

    assert response.status_code == 302, errors_of(response)
    pool = Pool.objects.get(name="SMB AEs")
    assert {(m.rep, m.weight) for m in pool.memberships.all()} == {(ana, 1), (bo, 2)}


def test_pool_without_members_is_rejected(admin_client):
    page = admin_client.get(admin_url(Pool, "add"))
    data = page_data(page)
    data.update(name="Empty", method="round_robin")

    response = admin_client.post(admin_url(Pool, "add"), data)

    assert response.status_code == 200
    assert "Add at least one member: a pool without reps cannot take any lead." in errors_of(
        response
    )
    assert not Pool.objects.exists()


def test_removing_the_last_member_is_rejected(admin_client):
    membership = PoolMembershipFactory()
    url = admin_url(Pool, "change", membership.pool.pk)
    page = admin_client.get(url)
    data = page_data(page)
    data[f"{inline_prefix(page, PoolMembership)}-0-DELETE"] = "on"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert PoolMembership.objects.filter(pk=membership.pk).exists()


def test_a_rep_is_in_a_pool_once(admin_client):
    rep = RepFactory()
    page = admin_client.get(admin_url(Pool, "add"))
    data = set_inline_rows(
        page_data(page),
        inline_prefix(page, PoolMembership),
        [{"rep": rep.pk, "weight": "1"}, {"rep": rep.pk, "weight": "3"}],
    )
    data.update(name="Twice", method="round_robin")
    response = admin_client.post(admin_url(Pool, "add"), data)
    assert response.status_code == 200
    assert not Pool.objects.exists()


def test_pool_history_shows_member_changes_and_who_made_them(admin_client, staff_user):
    membership = PoolMembershipFactory()
    url = admin_url(Pool, "change", membership.pool.pk)
    page = admin_client.get(url)
    data = page_data(page)
    data[f"{inline_prefix(page, PoolMembership)}-0-weight"] = "5"

    assert admin_client.post(url, data).status_code == 302

    assert membership.history.latest().history_user == staff_user
    history = admin_client.get(admin_url(Pool, "history", membership.pool.pk)).content.decode()
    assert "Member changes" in history
    assert "manager@example.com" in history


def test_user_add_form_takes_email_and_password_twice(admin_client):
    page = admin_client.get(admin_url(User, "add"))
    data = page_data(page)
    data.update(
        email="New.Manager@Example.com",
        name="New Manager",
        usable_password="true",
        password1="a-long-pass-phrase-42",
        password2="a-long-pass-phrase-42",
    )

    response = admin_client.post(admin_url(User, "add"), data)

    assert response.status_code == 302, errors_of(response)
    user = User.objects.get(email="new.manager@example.com")
    assert user.check_password("a-long-pass-phrase-42")


def test_user_add_form_rejects_mismatched_passwords_and_taken_emails(admin_client):
    UserFactory(email="taken@example.com")
    data = page_data(admin_client.get(admin_url(User, "add")))
    data.update(
        email="Taken@example.com",
        usable_password="true",
        password1="a-long-pass-phrase-42",
        password2="another-pass-phrase-42",
    )
    errors = errors_of(admin_client.post(admin_url(User, "add"), data))
    assert "The two password fields didn’t match." in errors
    assert "User with this Email already exists." in errors


def test_user_change_page_links_to_the_password_form(admin_client):
    user = UserFactory()
    content = admin_client.get(admin_url(User, "change", user.pk)).content.decode()
    assert 'href="../password/"' in content
    assert "Reset password" in content
    # Django's UserAdmin names this URL after auth.User whatever the user model.
    password_url = reverse("admin:auth_user_password_change", args=[user.pk])
    assert admin_client.get(password_url).status_code == 200
