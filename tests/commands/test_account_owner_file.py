"""`ignore_capacity` in the routing file: what a file says is how leads are routed, and
a dump writes it back."""

from __future__ import annotations

import pytest

from routing.models import Rule
from tests.team import submit

from .conftest import dump

pytestmark = pytest.mark.django_db

FILE = """
reps:
  - {email: ana@example.com, name: Ana, capacity: {max_open: 1}}
  - {email: dee@example.com, name: Dee}
accounts:
  - {name: Acme Corp, domains: [acme.com], owner: ana@example.com}
rulesets:
  - name: Inbound
    active: true
    fallback: {rep: dee@example.com}
    rules:
      - name: Named accounts
        when: {named_account: true}
        route: {account_owner: true}
        ignore_capacity: KEEP
"""


def owners_of_two_acme_leads() -> list[str]:
    leads = [submit(email=f"{name}@acme.com", company="Acme Corp") for name in ("pat", "sam")]
    return [lead.owner.name for lead in leads]


def test_a_file_that_keeps_owners_at_capacity_gives_the_owner_every_account_lead(
    load, routing_file
):
    load(routing_file(FILE.replace("KEEP", "true")))

    assert owners_of_two_acme_leads() == ["Ana", "Ana"]  # the second beyond max_open 1
    assert "        ignore_capacity: true\n" in dump()


def test_a_file_that_does_not_sends_the_account_elsewhere_at_capacity(load, routing_file):
    load(routing_file(FILE.replace("KEEP", "false")))

    assert owners_of_two_acme_leads() == ["Ana", "Dee"]
    assert Rule.objects.get(name="Named accounts").ignore_capacity is False
    assert "ignore_capacity" not in dump()  # false is the default, left out
