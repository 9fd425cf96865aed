"""load_routing checks the whole file first: every problem named, nothing written."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError

from routing.models import Rule

from .conftest import stored_state

pytestmark = pytest.mark.django_db

BASE = """
reps:
  - {email: ana@example.com, name: Ana}
  - {email: bo@example.com, name: Bo}
pools:
  - {name: SMB AEs, members: [ana@example.com]}
  - {name: Inside Sales, members: [bo@example.com]}
rulesets:
  - name: Inbound
    active: true
    fallback: {pool: Inside Sales}
    rules:
      - {name: Enterprise, when: {employee_count: {gte: 500}}, route: {pool: SMB AEs}}
"""


@pytest.fixture
def stored(load, routing_file):
    """The database after loading BASE, so that a failed load has something to spoil."""
    load(routing_file(BASE))
    return stored_state()


def _errors_of(load, path) -> str:
    with pytest.raises(CommandError) as error:
        load(path)
    return str(error.value)


CASES = {
    "unknown way to route a returning lead": (
        (
            "    fallback: {pool: Inside Sales}\n",
            "    fallback: {pool: Inside Sales}\n    reroute_returning: always\n",
        ),
        "rule set 'Inbound': reroute_returning is 'always'; use one of never, agent_owned, "
        "higher_rule",
    ),
    "a familiar-owner option that is not a flag": (
        (
            "    fallback: {pool: Inside Sales}\n",
            "    fallback: {pool: Inside Sales}\n    sticky_owner: sometimes\n",
        ),
        "rule set 'Inbound': sticky_owner must be true or false, not 'sometimes'",
    ),
    "unknown pool member": (
        ("members: [ana@example.com]", "members: [ana@example.com, zed@example.com]"),
        "pool 'SMB AEs': member 'zed@example.com' is not a rep "
        "(not in this file nor in the database)",
    ),
    "no fallback": (
        ("    fallback: {pool: Inside Sales}\n", ""),
        "rule set 'Inbound': has no fallback; add fallback: {pool: ...} or {rep: ...}",
    ),
    "unknown operator": (
        ("{gte: 500}", "{greater: 500}"),
        "rule set 'Inbound', rule 'Enterprise': unknown operator 'greater' on "
        "'employee_count'; use one of eq, ne, in",
    ),
    "unknown condition field": (
        ("{employee_count:", "{employees:"),
        "rule set 'Inbound', rule 'Enterprise': unknown field 'employees'",
    ),
    "empty any": (
        ("{gte: 500}}", "{gte: 500}, any: []}"),
        "rule set 'Inbound', rule 'Enterprise': when.any: is empty, so no lead could meet it",
    ),
    "unknown field inside any": (
        ("{gte: 500}}", "{gte: 500}, any: [{product: Payments}, {sorce: event}]}"),
        "rule set 'Inbound', rule 'Enterprise': when.any[2]: unknown field 'sorce'; "
        "did you mean 'source'?",
    ),
    "not with a list": (
        ("{gte: 500}}", "{gte: 500}, not: [{source: event}]}"),
        "rule set 'Inbound', rule 'Enterprise': when.not: takes one mapping of conditions, "
        "not a list",
    ),
    "bad operator nested in not and any": (
        ("{gte: 500}}", "{gte: 500}, not: {any: [{source: event}, {score: {gte: high}}]}}"),
        "rule set 'Inbound', rule 'Enterprise': when.not.any[2]: 'score: {gte: ...}' needs a "
        "number, not 'high'",
    ),
    "bad duration": (
        ("    active: true\n", "    active: true\n    ack_sla: 15 minutes\n"),
        "rule set 'Inbound': ack_sla '15 minutes' is not a duration",
    ),
    "unknown no-match choice": (
        ("{name: SMB AEs, members", "{name: SMB AEs, method: best_match, no_match: shrug, members"),
        "pool 'SMB AEs': no_match 'shrug' is not one of rotation, fall_through",
    ),
    "bad manager address": (
        ("    active: true\n", "    active: true\n    notify_on_escalation: [boss at example]\n"),
        "rule set 'Inbound': notify_on_escalation: 'boss at example' is neither an e-mail "
        "address nor a Slack webhook URL",
    ),
    "manager's Slack webhook on a private address": (
        (
            "    active: true\n",
            "    active: true\n    notify_on_escalation: ['https://10.1.2.3/services/x']\n",
        ),
        "rule set 'Inbound': notify_on_escalation: 10.1.2.3 is a private address",
    ),
    "unknown hand-off pool": (
        ("route: {pool: SMB AEs}}", "route: {pool: SMB AEs}, handoff_to: {pool: Nobody}}"),
        "rule set 'Inbound', rule 'Enterprise': handoff_to 'Nobody' is not a pool",
    ),
    "ignore_capacity on a pool route": (
        ("route: {pool: SMB AEs}}", "route: {pool: SMB AEs}, ignore_capacity: true}"),
        "rule set 'Inbound', rule 'Enterprise': ignore_capacity: true needs route: "
        "{account_owner: true}; only a named account's owner keeps leads at capacity",
    ),
    "ignore_capacity not a flag": (
        ("route: {pool: SMB AEs}}", "route: {pool: SMB AEs}, ignore_capacity: yes please}"),
        "rule set 'Inbound', rule 'Enterprise': ignore_capacity must be true or false, "
        "not 'yes please'",
    ),
    "bad rule duration": (
        ("route: {pool: SMB AEs}}", "route: {pool: SMB AEs}, ack_sla: soon}"),
        "rule set 'Inbound', rule 'Enterprise': ack_sla 'soon' is not a duration",
    ),
    "pool without members": (
        ("{name: SMB AEs, members: [ana@example.com]}", "{name: SMB AEs, members: []}"),
        "pool 'SMB AEs': has no members",
    ),
    "pool members left out": (
        ("{name: SMB AEs, members: [ana@example.com]}", "{name: SMB AEs}"),
        "pool 'SMB AEs': has no members",
    ),
    "misspelt rep key": (
        (
            "{email: ana@example.com, name: Ana}",
            "{email: ana@example.com, name: Ana, capcity: {max_open: 3}}",
        ),
        "rep 'ana@example.com': unknown key 'capcity'; did you mean 'capacity'?",
    ),
    "misspelt nested key": (
        (
            "{email: ana@example.com, name: Ana}",
            "{email: ana@example.com, name: Ana, capacity: {max_opn: 3}}",
        ),
        "rep 'ana@example.com': unknown key 'capacity.max_opn'",
    ),
    "misspelt rule key": (
        ("route: {pool: SMB AEs}}", "route: {pool: SMB AEs}, enabld: false}"),
        "rule set 'Inbound', rule 'Enterprise': unknown key 'enabld'",
    ),
    "unknown top-level key": (
        ("pools:\n", "pool:\n"),
        "unknown top-level key 'pool'; did you mean 'pools'?",
    ),
    "unknown fallback pool": (
        ("fallback: {pool: Inside Sales}", "fallback: {pool: Outside Sales}"),
        "rule set 'Inbound': fallback 'Outside Sales' is not a pool "
        "(not in this file nor in the database)",
    ),
    "unknown route pool": (
        ("route: {pool: SMB AEs}", "route: {pool: Enterprise}"),
        "rule set 'Inbound', rule 'Enterprise': route 'Enterprise' is not a pool",
    ),
    "unknown route rep": (
        ("route: {pool: SMB AEs}", "route: {rep: zed@example.com}"),
        "rule set 'Inbound', rule 'Enterprise': route 'zed@example.com' is not a rep",
    ),
    "unknown escalation rep": (
        ("    active: true\n", "    active: true\n    escalate_to: {rep: zed@example.com}\n"),
        "rule set 'Inbound': escalate_to 'zed@example.com' is not a rep",
    ),
    "reminder not before the deadline": (
        ("    active: true\n", "    active: true\n    ack_sla: 10m\n    remind_before: 10m\n"),
        "rule set 'Inbound': remind_before (10m) must be shorter than the acknowledgment "
        "SLA (10m): the reminder comes before the deadline",
    ),
    "reminder of no time": (
        ("    active: true\n", "    active: true\n    remind_before: 0s\n"),
        "rule set 'Inbound': remind_before '0s' must be longer than zero",
    ),
    "reminder not a duration": (
        ("    active: true\n", "    active: true\n    remind_before: shortly\n"),
        "rule set 'Inbound': remind_before 'shortly' is not a duration",
    ),
    "unknown method": (
        ("{name: SMB AEs,", "{name: SMB AEs, method: random,"),
        "pool 'SMB AEs': unknown method 'random'; use one of round_robin, weighted, least_loaded",
    ),
    "two active rule sets": (
        (
            "rulesets:\n",
            "rulesets:\n  - {name: Other, active: true, fallback: {rep: bo@example.com}}\n",
        ),
        "rule sets 'Other' and 'Inbound' are both active",
    ),
    "YAML syntax error": (
        (
            "  - {name: Inside Sales, members: [bo@example.com]}",
            "  - {name: Inside Sales, members: [bo@example.com}",
        ),
        "line 7, column",
    ),
    "key twice in one mapping": (
        ("{email: bo@example.com, name: Bo}", "{email: bo@example.com, name: Bo, name: Bob}"),
        "key 'name' appears twice",
    ),
    "bad time zone": (
        (
            "{email: ana@example.com, name: Ana}",
            "{email: ana@example.com, name: Ana, timezone: Mars/Olympus}",
        ),
        "rep 'ana@example.com': timezone: 'Mars/Olympus' is not a time zone name",
    ),
    "bad working hours": (
        (
            "{email: ana@example.com, name: Ana}",
            "{email: ana@example.com, name: Ana, working_hours: weekdays 9-5}",
        ),
        "rep 'ana@example.com': working_hours: 'weekdays 9-5' is not understood",
    ),
    "agent without webhook": (
        ("{email: bo@example.com, name: Bo}", "{email: bo@example.com, name: Bo, kind: agent}"),
        "rep 'bo@example.com': an AI agent receives its leads by webhook",
    ),
    "unknown rep kind": (
        ("{email: bo@example.com, name: Bo}", "{email: bo@example.com, name: Bo, kind: robot}"),
        "rep 'bo@example.com': kind must be human or agent, not 'robot'",
    ),
    "rep without a name": (
        ("{email: bo@example.com, name: Bo}", "{email: bo@example.com}"),
        "rep 'bo@example.com': name is required",
    ),
    "rep without an e-mail": (
        ("{email: bo@example.com, name: Bo}", "{name: Bo}"),
        "rep #2: email is required",
    ),
    "rep listed twice": (
        (
            "  - {email: bo@example.com, name: Bo}",
            "  - {email: bo@example.com, name: Bo}\n  - {email: BO@example.com, name: Bob}",
        ),
        "rep 'bo@example.com': is listed twice",
    ),
    "rule listed twice": (
        (
            "route: {pool: SMB AEs}}",
            "route: {pool: SMB AEs}}\n      - {name: Enterprise, route: {territory: true}}",
        ),
        "rule set 'Inbound', rule 'Enterprise': is listed twice",
    ),
    "rule without a route": (
        (", route: {pool: SMB AEs}}", "}"),
        "rule set 'Inbound', rule 'Enterprise': has no route; add route: {pool: ...}",
    ),
    "route to territory must be true": (
        ("route: {pool: SMB AEs}", "route: {territory: yes}"),
        "rule set 'Inbound', rule 'Enterprise': route.territory must be true, not 'yes'",
    ),
    "bad capacity": (
        (
            "{email: ana@example.com, name: Ana}",
            "{email: ana@example.com, name: Ana, capacity: {max_open: -1}}",
        ),
        "rep 'ana@example.com': capacity.max_open must be a whole number",
    ),
    "unacknowledged limit above the open limit": (
        (
            "{email: ana@example.com, name: Ana}",
            "{email: ana@example.com, name: Ana, capacity: {max_open: 5, max_unacknowledged: 8}}",
        ),
        "rep 'ana@example.com': capacity.max_unacknowledged (8) is more than "
        "capacity.max_open (5) and could never be reached",
    ),
    "out of office backwards": (
        (
            "{email: ana@example.com, name: Ana}",
            "{email: ana@example.com, name: Ana, "
            "out_of_office: {from: 2026-12-20, until: 2026-12-01}}",
        ),
        "rep 'ana@example.com': out_of_office.until must be after out_of_office.from",
    ),
    "bad weight": (
        ("members: [ana@example.com]", "members: [{rep: ana@example.com, weight: 0}]"),
        "pool 'SMB AEs': members[1].weight must be a whole number from 1",
    ),
    "bad notify URL": (
        (
            "{email: ana@example.com, name: Ana}",
            "{email: ana@example.com, name: Ana, notify: {slack_webhook: not a url}}",
        ),
        "rep 'ana@example.com': notify.slack_webhook 'not a url' is not a web address",
    ),
    "section not a list": (("pools:\n", "pools: {}\nx:\n"), "unknown top-level key 'x'"),
}

TERRITORY_CASES = {
    "bad country code": (
        "{name: West, match: {country: [XX]}, owner: {pool: SMB AEs}}",
        "territory 'West': match.country: Not ISO 3166-1 alpha-2 country codes: XX",
    ),
    "bad postal matcher": (
        "{name: West, match: {postal_code: [104-100]}, owner: {pool: SMB AEs}}",
        "territory 'West': match.postal_code: Postal range '104-100' runs backwards.",
    ),
    "territory without matchers": (
        "{name: West, owner: {pool: SMB AEs}}",
        "territory 'West': has no matchers",
    ),
    "territory without owner": (
        "{name: West, match: {country: [US]}}",
        "territory 'West': has no owner; add owner: {pool: ...} or {rep: ...}",
    ),
    "territory owned by an unknown pool": (
        "{name: West, match: {country: [US]}, owner: {pool: West AEs}}",
        "territory 'West': owner 'West AEs' is not a pool (not in this file nor in the database)",
    ),
    "territory with two owners": (
        "{name: West, match: {country: [US]}, owner: {pool: SMB AEs, rep: ana@example.com}}",
        "territory 'West': owner must be {pool: West AEs} or {rep: ana@example.com}",
    ),
    "employee band backwards": (
        "{name: West, match: {employee_count: {min: 500, max: 50}}, owner: {pool: SMB AEs}}",
        "territory 'West': match.employee_count.max (50) is below min (500)",
    ),
}

ACCOUNT_CASES = {
    "bad domain": (
        "{name: Acme, domains: [acme], owner: ana@example.com}",
        "account 'Acme': domain 'acme' is not a domain name like acme.com",
    ),
    "unknown owner": (
        "{name: Acme, domains: [acme.com], owner: zed@example.com}",
        "account 'Acme': owner 'zed@example.com' is not a rep",
    ),
    "no owner": ("{name: Acme, domains: [acme.com]}", "account 'Acme': has no owner"),
    "domain under two accounts": (
        "{name: Acme, domains: [acme.com], owner: ana@example.com}\n"
        "  - {name: Acme 2, domains: [www.acme.com], owner: ana@example.com}",
        "account 'Acme 2': domain 'acme.com' is also listed under account 'Acme'",
    ),
}


@pytest.mark.parametrize(("edit", "message"), CASES.values(), ids=CASES.keys())
def test_a_problem_in_the_file_is_named_and_nothing_is_written(
    load, routing_file, stored, edit, message
):
    old, new = edit
    assert old in BASE
    output = _errors_of(load, routing_file(BASE.replace(old, new, 1)))

    assert message in output
    assert "nothing was changed" in output
    assert stored_state() == stored


@pytest.mark.parametrize(
    ("item", "message"),
    [*TERRITORY_CASES.values(), *ACCOUNT_CASES.values()],
    ids=[*TERRITORY_CASES.keys(), *ACCOUNT_CASES.keys()],
)
def test_a_problem_in_a_territory_or_account_is_named_and_nothing_is_written(
    load, routing_file, stored, item, message
):
    section = (
        "territories" if item in [case[0] for case in TERRITORY_CASES.values()] else ("accounts")
    )
    output = _errors_of(load, routing_file(f"{BASE}{section}:\n  - {item}\n"))

    assert message in output
    assert stored_state() == stored


def test_every_problem_is_reported_in_one_run(load, routing_file, stored):
    text = (
        BASE.replace(
            "{email: ana@example.com, name: Ana}", "{email: ana@example.com, name: Ana, capcity: 3}"
        )
        .replace("members: [ana@example.com]", "members: [zed@example.com]")
        .replace("{gte: 500}", "{greater: 500}")
        .replace("    fallback: {pool: Inside Sales}\n", "")
    )

    output = _errors_of(load, routing_file(text))

    assert "4 problems" in output
    for message in (
        "rep 'ana@example.com': unknown key 'capcity'",
        "pool 'SMB AEs': member 'zed@example.com' is not a rep",
        "rule 'Enterprise': unknown operator 'greater'",
        "rule set 'Inbound': has no fallback",
    ):
        assert message in output
    assert stored_state() == stored


def test_an_item_with_problems_is_still_known_to_references(load, routing_file):
    output = _errors_of(
        load,
        routing_file("""
        reps: [{email: ana@example.com, name: Ana, timezone: Nowhere}]
        pools: [{name: P, members: [ana@example.com]}]
    """),
    )

    assert "is not a rep" not in output
    assert "1 problem," in output


def test_a_failure_while_writing_rolls_everything_back(load, routing_file, stored, monkeypatch):
    # The model's own validation is the last check before each save; make the very
    # last object of the file fail it, after everything before it has been written.
    def refuse(rule: Rule) -> None:
        raise ValidationError({"conditions": "refused for the test"})

    monkeypatch.setattr(Rule, "clean", refuse)
    text = (
        BASE.replace("{name: Bo}", "{name: Bob}")
        .replace(
            "{email: bo@example.com, name: Bo}",
            "{email: bo@example.com, name: Bob}\n  - {email: cy@example.com, name: Cy}",
        )
        .replace("{gte: 500}", "{gte: 600}")
    )

    output = _errors_of(load, routing_file(text))

    assert "rule set 'Inbound', rule 'Enterprise': conditions: refused for the test" in output
    assert stored_state() == stored


def test_a_missing_file_is_an_error(load, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        load(tmp_path / "nope.yaml")
