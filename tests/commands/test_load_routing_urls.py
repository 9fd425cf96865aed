"""Outgoing URLs in a routing file: one the server must not post to stops the whole load."""

from __future__ import annotations

import pytest
from django.core.management import CommandError

from .conftest import stored_state

pytestmark = pytest.mark.django_db

FILE = """
reps:
  - {{email: ana@example.com, name: Ana, notify: {{slack_webhook: "https://93.184.215.14/slack"}}}}
  - {{email: bot@example.com, name: Bot, kind: agent, notify: {{webhook: "{url}"}}}}
pools:
  - {{name: Inside Sales, members: [ana@example.com]}}
rulesets:
  - {{name: Inbound, active: true, fallback: {{pool: Inside Sales}}}}
"""


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("http://10.0.0.7:8080/leads", "10.0.0.7 is a private address"),
        ("http://localhost:6379/", "localhost resolves to"),
        ("https://bot:pw@93.184.215.14/leads", "user name or password"),
    ],
)
def test_a_refused_url_writes_nothing_and_says_why(load, routing_file, settings, url, reason):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    before = stored_state()

    with pytest.raises(CommandError) as error:
        load(routing_file(FILE.format(url=url)))

    message = str(error.value)
    assert "1 problem, nothing was changed" in message
    assert f"rep 'bot@example.com': notify.webhook '{url}' is refused: " in message
    assert reason in message
    assert stored_state() == before


def test_a_host_that_does_not_resolve_yet_is_loaded_with_a_note(load, routing_file):
    printed = load(routing_file(FILE.format(url="https://agent.not-yet.invalid/leads")))

    assert "rep 'bot@example.com': The host agent.not-yet.invalid does not resolve now" in printed
