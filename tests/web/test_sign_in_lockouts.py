"""Wrong passwords lock a sign-in for a while, per account and client address, on the
queue and on the admin; a manager can unlock it. Real HTTP against the running app, the
clients behind one trusted proxy that names each one's address in X-Forwarded-For."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import time_machine
from django.utils import timezone

from reps.models import FailedSignIn
from tests.factories import StaffUserFactory
from tests.signin import sign_in
from tests.team import PASSWORD

LIMIT = 5  # LOGIN_FAILURE_LIMIT's default
HOME = "203.0.113.10"  # the rep's address
ELSEWHERE = "198.51.100.20"


@pytest.fixture(autouse=True)
def _behind_one_proxy(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


@pytest.fixture
def browser(live_server):
    """A browser at an address; each call a new one (its own cookies)."""
    opened: list[httpx.Client] = []

    def open_at(address: str) -> httpx.Client:
        # The proxy appends the address it saw to what the client sent.
        headers = {"X-Forwarded-For": f"10.9.9.9, {address}"}
        opened.append(httpx.Client(base_url=live_server.url, headers=headers, timeout=30))
        return opened[-1]

    yield open_at
    for client in opened:
        client.close()


@pytest.fixture
def team(transactional_db, receiver):
    from tests.team import build_team

    return build_team(receiver)


def fail_until_locked(client: httpx.Client, login_path: str, email: str) -> httpx.Response:
    for attempt in range(1, LIMIT):
        answer = sign_in(client, login_path, email, "not-the-password")
        assert answer.status_code == 200, f"attempt {attempt}"
        assert "did not match" in answer.text or "Please enter the correct" in answer.text
    return sign_in(client, login_path, email, "not-the-password")


def test_five_wrong_passwords_lock_the_queue_even_for_the_right_one(team, browser):
    rep = browser(HOME)

    locked = fail_until_locked(rep, "/queue/login/", team.ana.email)

    assert locked.status_code == 429
    assert "Too many wrong passwords for ana@example.com" in locked.text
    assert "signing in is locked for 15\xa0minutes." in locked.text
    assert int(locked.headers["Retry-After"]) == 15 * 60
    right = sign_in(rep, "/queue/login/", team.ana.email, PASSWORD)
    assert right.status_code == 429
    assert rep.get("/queue/").status_code == 302  # still signed out


def test_the_lock_holds_for_the_account_and_address_only(team, browser):
    assert fail_until_locked(browser(HOME), "/queue/login/", team.ana.email).status_code == 429
    assert sign_in(browser(HOME), "/queue/login/", team.ana.email, PASSWORD).status_code == 429

    # The rep elsewhere, and a colleague at the same address, sign in as usual.
    assert sign_in(browser(ELSEWHERE), "/queue/login/", team.ana.email, PASSWORD).status_code == 302
    assert sign_in(browser(HOME), "/queue/login/", team.bo.email, PASSWORD).status_code == 302
    # The address is the client's, not the proxy's: the same account from the proxy's
    # next client is not locked either.
    assert (
        sign_in(browser("192.0.2.30"), "/queue/login/", team.ana.email, PASSWORD).status_code == 302
    )


def test_a_forwarded_entry_that_is_no_address_counts_as_the_proxys_address(team, browser):
    locked = fail_until_locked(browser("unknown"), "/queue/login/", team.ana.email)
    assert locked.status_code == 429
    assert FailedSignIn.objects.get().ip_address == "127.0.0.1"


def test_the_case_of_the_e_mail_does_not_make_another_account(team, browser):
    rep = browser(HOME)
    for _ in range(LIMIT - 1):
        sign_in(rep, "/queue/login/", "Ana@Example.com", "not-the-password")
    locked = sign_in(rep, "/queue/login/", "ana@example.com", "not-the-password")
    assert locked.status_code == 429


def test_a_right_password_clears_the_count(team, browser):
    rep = browser(HOME)
    for _ in range(LIMIT - 1):
        sign_in(rep, "/queue/login/", team.ana.email, "not-the-password")
    assert sign_in(rep, "/queue/login/", team.ana.email, PASSWORD).status_code == 302

    # Counting starts again: the lock comes after five more, not after the next one.
    assert fail_until_locked(browser(HOME), "/queue/login/", team.ana.email).status_code == 429


def test_the_lock_lifts_by_itself_after_the_lockout_time(team, browser, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=2)
    fail_until_locked(browser(HOME), "/queue/login/", team.ana.email)

    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        still = sign_in(browser(HOME), "/queue/login/", team.ana.email, PASSWORD)
        assert still.status_code == 429
        assert "locked for 1\xa0minute." in still.text
    with time_machine.travel(timezone.now() + timedelta(minutes=2, seconds=5)):
        assert sign_in(browser(HOME), "/queue/login/", team.ana.email, PASSWORD).status_code == 302


def test_the_admin_login_locks_too_with_its_own_page(team, browser):
    StaffUserFactory(email="manager@example.com")
    manager = browser(HOME)

    locked = fail_until_locked(manager, "/admin/login/", "manager@example.com")

    assert locked.status_code == 429
    assert "Lead Router" in locked.text  # the admin's header, not the queue's page
    assert "Too many wrong passwords for manager@example.com" in locked.text
    assert sign_in(manager, "/admin/login/", "manager@example.com", PASSWORD).status_code == 429
    assert (
        sign_in(browser(ELSEWHERE), "/admin/login/", "manager@example.com", PASSWORD).status_code
        == 302
    )


def test_a_manager_unlocks_a_rep_in_the_admin(team, browser):
    StaffUserFactory(email="manager@example.com")
    fail_until_locked(browser(HOME), "/queue/login/", team.ana.email)
    manager = browser(ELSEWHERE)
    assert sign_in(manager, "/admin/login/", "manager@example.com", PASSWORD).status_code == 302

    listing = manager.get("/admin/reps/failedsignin/")
    assert listing.status_code == 200
    assert "ana@example.com" in listing.text and HOME in listing.text
    assert "locked until" in listing.text
    row = listing.text.split('name="_selected_action" value="')[1].split('"')[0]
    token = manager.cookies["csrftoken"]
    unlocked = manager.post(
        "/admin/reps/failedsignin/",
        data={"action": "unlock", "_selected_action": row, "csrfmiddlewaretoken": token},
        follow_redirects=True,
    )
    assert unlocked.status_code == 200
    assert f"Unlocked 1: ana@example.com from {HOME}." in unlocked.text

    assert sign_in(browser(HOME), "/queue/login/", team.ana.email, PASSWORD).status_code == 302


def test_the_api_never_checks_a_password_sent_in_a_header(team, live_server):
    wrong = httpx.get(f"{live_server.url}/api/schema/", auth=(team.ana.email, "not-the-password"))
    assert wrong.status_code == 200  # the schema is public; the header is not read
    assert not FailedSignIn.objects.exists()
