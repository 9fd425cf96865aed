"""A manager sends an invite from a rep's page; the rep follows the e-mailed link in a real
browser (Debian's chromium), chooses a password and lands in their queue: on a desktop and
on a 390 px phone."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from reps.services import rep_ensure_login
from tests.factories import RepFactory, StaffUserFactory
from tests.integration.test_browser import PHONE, browser  # noqa: F401 - the fixture
from tests.team import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_rep_follows_the_invite_sets_a_password_and_sees_the_queue(
    browser,  # noqa: F811 - the fixture imported above
    live_server,
    viewport,
):
    StaffUserFactory(email="manager@example.com", password=PASSWORD)
    rep = RepFactory(name="Ana Silva", email="ana@example.com")
    rep_ensure_login(rep=rep)
    mail.outbox.clear()

    manager = browser.new_context(viewport=DESKTOP).new_page()
    change = f"/admin/reps/rep/{rep.pk}/change/"
    manager.goto(f"{live_server.url}/admin/login/?next={change}")
    manager.fill("#id_username", "manager@example.com")
    manager.fill("#id_password", PASSWORD)
    manager.click("input[type=submit]")
    manager.wait_for_url(f"{live_server.url}{change}")
    manager.click("#send-invite")
    manager.click("input[value='Send the invite']")
    manager.wait_for_selector("text=Invite sent to ana@example.com")

    [invite] = mail.outbox
    path = urlsplit(re.search(r"https?://\S+/invite/\S+/", invite.body)[0]).path
    page = browser.new_context(viewport=viewport).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}{path}")
    assert page.locator("h1").inner_text() == "Choose your password"
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.fill("#id_new_password1", "Tide-pool-harbour-42")
    page.fill("#id_new_password2", "Tide-pool-harbour-42")
    page.click("button[type=submit]")

    page.wait_for_url(f"{live_server.url}/queue/")
    assert page.locator("h1").inner_text() == "My leads"
    assert page.get_by_text("Your password is set").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert errors == []
    rep.user.refresh_from_db()
    assert rep.user.check_password("Tide-pool-harbour-42")
