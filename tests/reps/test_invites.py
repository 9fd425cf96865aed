"""Invites: a manager sends reps a link to choose their password; the link signs them in
to their queue, and works once and for PASSWORD_RESET_TIMEOUT only."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client

from reps.models import Rep
from reps.roles import user_make_sales_manager
from reps.services import rep_ensure_login
from tests.admin.helpers import admin_url
from tests.factories import AgentFactory, RepFactory, UserFactory
from tests.roles import ensure_sales_manager_group

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Tide-pool-harbour-42"


def _rep_with_login(**fields) -> Rep:
    rep = RepFactory(**fields)
    rep_ensure_login(rep=rep)
    return rep


def _invite_path(mail) -> str:
    link = re.search(r"https?://\S+/invite/\S+/", mail.body)[0]
    return urlsplit(link).path


def _send_invites(admin_client, *reps: Rep):
    return admin_client.post(
        admin_url(Rep, "changelist"),
        {"action": "send_invites", "_selected_action": [rep.pk for rep in reps]},
        follow=True,
    )


def _set_password(client: Client, invite_path: str, password: str = NEW_PASSWORD):
    form_page = client.get(invite_path, follow=True)
    return client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else invite_path,
        {"new_password1": password, "new_password2": password},
    )


def test_an_invite_link_sets_the_password_and_opens_the_reps_queue(admin_client, mailoutbox):
    rep = _rep_with_login(name="Ana Silva", email="ana@example.com")
    _send_invites(admin_client, rep)

    [mail] = mailoutbox
    assert mail.to == ["ana@example.com"]
    assert "choose a password" in mail.subject
    assert "works for 3 days" in mail.body
    path = _invite_path(mail)
    assert path in mail.alternatives[0][0]  # the HTML part has the same link

    rep_client = Client()
    page = rep_client.get(path, follow=True)
    assert "Choose your password" in page.content.decode()
    assert "ana@example.com" in page.content.decode()
    response = _set_password(rep_client, path)

    assert response.status_code == 302 and response["Location"] == "/queue/"
    queue = rep_client.get("/queue/")
    assert queue.status_code == 200 and "My leads" in queue.content.decode()
    rep.user.refresh_from_db()
    assert rep.user.check_password(NEW_PASSWORD)


def test_a_used_invite_link_is_refused_and_changes_nothing(admin_client, mailoutbox):
    rep = _rep_with_login()
    _send_invites(admin_client, rep)
    path = _invite_path(mailoutbox[0])
    _set_password(Client(), path)

    stranger = Client()
    page = stranger.get(path, follow=True)
    assert "This link no longer works" in page.content.decode()
    _set_password(stranger, path, "Someone-else-9876")
    rep.user.refresh_from_db()
    assert rep.user.check_password(NEW_PASSWORD)
    assert stranger.get("/queue/").status_code == 302  # not signed in


def test_an_invite_link_expires_after_the_configured_time(admin_client, mailoutbox):
    assert settings.PASSWORD_RESET_TIMEOUT == 3 * 24 * 3600
    rep = _rep_with_login()
    _send_invites(admin_client, rep)
    path = _invite_path(mailoutbox[0])

    with time_machine.travel(timedelta(days=3, minutes=1)):
        client = Client()
        assert "This link no longer works" in client.get(path, follow=True).content.decode()
        _set_password(client, path)
    rep.user.refresh_from_db()
    assert not rep.user.has_usable_password()


def test_agents_and_reps_without_a_login_are_skipped_with_the_reason(admin_client, mailoutbox):
    person = _rep_with_login(name="Bo Lee", email="bo@example.com")
    agent = AgentFactory(name="Nurture bot")
    loginless = RepFactory(name="Cy Park", email="cy@example.com")  # no login linked

    response = _send_invites(admin_client, person, agent, loginless)

    assert [mail.to for mail in mailoutbox] == [["bo@example.com"]]
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert any("Nurture bot is an AI agent" in message for message in shown)
    assert any("Cy Park has no login" in message for message in shown)
    assert any("Invite sent to bo@example.com" in message for message in shown)


def test_the_button_on_a_reps_page_sends_one_invite(admin_client, mailoutbox):
    rep = _rep_with_login(name="Dee Ray", email="dee@example.com")
    page = admin_client.get(admin_url(Rep, "change", rep.pk)).content.decode()
    invite_url = admin_url(Rep, "invite", rep.pk)
    assert f'href="{invite_url}"' in page

    confirm = admin_client.get(invite_url).content.decode()
    assert "dee@example.com" in confirm and "works for 3 days" in confirm
    assert mailoutbox == []
    response = admin_client.post(invite_url)

    assert response.status_code == 302
    assert [mail.to for mail in mailoutbox] == [["dee@example.com"]]


def test_an_agents_page_has_no_invite_button(admin_client):
    agent = AgentFactory()
    page = admin_client.get(admin_url(Rep, "change", agent.pk)).content.decode()
    assert 'id="send-invite"' not in page


def test_only_someone_who_may_edit_users_invites_an_admin_login(client, mailoutbox):
    ensure_sales_manager_group()
    manager = UserFactory(email="sales.manager@example.com")
    user_make_sales_manager(user=manager)
    colleague = _rep_with_login(email="lead.manager@example.com")
    colleague.user.is_staff = True
    colleague.user.save()
    client.force_login(manager)

    response = _send_invites(client, colleague)

    assert mailoutbox == []
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert any("can sign in to the admin" in message for message in shown)
