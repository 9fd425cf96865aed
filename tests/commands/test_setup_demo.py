"""The run command's set-up step: demo routing and a demo admin on an empty database."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.http import HttpRequest

from reps.models import Rep, User
from routing.models import IntakeKey, RuleSet

pytestmark = pytest.mark.django_db


def _setup_demo(tmp_path) -> str:
    out = StringIO()
    call_command(
        "setup_demo",
        password_file=str(tmp_path / "password"),
        key_file=str(tmp_path / "key"),
        agent_key_file=str(tmp_path / "agent-key"),
        stdout=out,
    )
    return out.getvalue()


def _printed_password(output: str) -> str:
    return re.search(r"Password:\s+(\S+)", output)[1]


def test_setup_on_an_empty_database_loads_the_demo_and_prints_a_working_login(tmp_path):
    output = _setup_demo(tmp_path)

    admin = User.objects.get(email="admin@example.com")
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password(_printed_password(output))
    assert RuleSet.objects.get(is_active=True).name == "SaaS inbound"
    assert Rep.objects.filter(kind=Rep.Kind.AGENT).exists()


def test_setup_again_keeps_the_password_and_changes_no_routing_data(tmp_path):
    first = _printed_password(_setup_demo(tmp_path))
    history_before = Rep.history.count() + RuleSet.history.count()

    second = _printed_password(_setup_demo(tmp_path))

    assert second == first
    assert Rep.history.count() + RuleSet.history.count() == history_before


def test_demo_routing_changes_are_attributed_to_the_demo_admin(tmp_path):
    _setup_demo(tmp_path)
    admin = User.objects.get(email="admin@example.com")
    assert set(RuleSet.history.values_list("history_user", flat=True)) == {admin.pk}


def test_a_forgotten_password_file_gets_a_new_password_that_works(tmp_path):
    _setup_demo(tmp_path)
    (tmp_path / "password").unlink()
    password = _printed_password(_setup_demo(tmp_path))
    assert User.objects.get(email="admin@example.com").check_password(password)


def test_setup_prints_a_demo_intake_key_that_works_and_keeps_it(tmp_path):
    first = re.search(r"Demo intake key: (\S+)", _setup_demo(tmp_path))[1]
    second = re.search(r"Demo intake key: (\S+)", _setup_demo(tmp_path))[1]
    assert first == second
    assert IntakeKey.objects.is_valid(first)
    assert IntakeKey.objects.filter(rep__isnull=True).count() == 1


def test_the_demo_agent_gets_a_key_of_its_own_kept_between_runs(tmp_path):
    _setup_demo(tmp_path)
    key = (tmp_path / "agent-key").read_text()
    _setup_demo(tmp_path)

    assert (tmp_path / "agent-key").read_text() == key
    agent_key = IntakeKey.objects.get(rep__isnull=False)
    assert agent_key.rep.email == "sdr-bot@example.com"
    assert IntakeKey.objects.is_valid(key)


def test_the_demo_agents_webhook_follows_the_port_served_on(tmp_path, settings):
    settings.LEADROUTER = {**settings.LEADROUTER, "SITE_URL": "http://127.0.0.1:8101"}
    output = _setup_demo(tmp_path)
    agent = Rep.objects.get(email="sdr-bot@example.com")
    assert agent.webhook_url == "http://127.0.0.1:8101/demo/agent/leads/"
    assert "answers at http://127.0.0.1:8101/demo/agent/leads/" in output
    history = Rep.history.count()

    _setup_demo(tmp_path)
    assert Rep.history.count() == history  # the same port again: nothing changes

    settings.LEADROUTER = {**settings.LEADROUTER, "SITE_URL": "http://127.0.0.1:8000"}
    _setup_demo(tmp_path)
    agent.refresh_from_db()
    assert agent.webhook_url == "http://127.0.0.1:8000/demo/agent/leads/"


def test_the_demo_rep_can_sign_in_to_the_queue_with_the_demo_password(tmp_path, client):
    output = _setup_demo(tmp_path)
    assert "Demo rep:   nate.brooks@example.com" in output
    assert client.login(
        request=HttpRequest(),
        username="nate.brooks@example.com",
        password=_printed_password(output),
    )
    assert client.get("/queue/").status_code == 200
