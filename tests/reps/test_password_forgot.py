"""“Forgot your password?” on the queue's sign-in page: a rep with a password gets a link
that sets a new one and opens the queue; the page says the same for an unknown address."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from reps.services import rep_ensure_login
from tests.factories import RepFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Lantern-quarry-ridge-17"


def _link_path(mail) -> str:
    link = re.search(r"https?://\S+/invite/\S+/", mail.body)[0]
    return urlsplit(link).path


def test_the_sign_in_page_offers_a_new_password():
    page = Client().get("/queue/login/")
    assert 'href="/password-reset/"' in page.content.decode()


def test_a_rep_who_forgot_the_password_chooses_a_new_one_and_lands_in_the_queue(
    mailoutbox, settings
):
    settings.LEADROUTER = {**settings.LEADROUTER, "SITE_URL": "https://leads.example.com"}
    rep = RepFactory(email="ana@example.com")
    rep_ensure_login(rep=rep)
    rep.user.set_password("Old-password-that-is-long-1")
    rep.user.save()
    client = Client()

    response = client.post("/password-reset/", {"email": "ana@example.com"})

    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    [mail] = mailoutbox
    assert mail.to == ["ana@example.com"]
    assert "https://leads.example.com/invite/" in mail.body  # the configured address
    path = _link_path(mail)
    form_page = client.get(path, follow=True)
    set_page = form_page.redirect_chain[-1][0]
    response = client.post(set_page, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/queue/"
    rep.user.refresh_from_db()
    assert rep.user.check_password(NEW_PASSWORD)


def test_an_unknown_address_or_a_login_without_a_password_gets_the_same_answer_and_no_mail(
    mailoutbox,
):
    rep = RepFactory(email="new@example.com")
    rep_ensure_login(rep=rep)  # never chose a password: a manager's invite is the way in

    for email in ("nobody@example.com", "new@example.com"):
        response = Client().post("/password-reset/", {"email": email}, follow=True)
        assert "Check your e-mail" in response.content.decode()
    assert mailoutbox == []
