"""The demo's AI agent under `python3 dev.py run`: the tour's agent -> hand-off -> person.

The real command on a port of its own, a real worker delivering the agent's webhook to
the development server, the agent answering and handing leads off through the API.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from tests.integration import test_run_command

# `python3 dev.py run` in its own runtime folder, killed after the test.
run_command = test_run_command.run_command

WORK_SIGNUP = {
    "email": "pat@northwind-logistics.com",
    "company": "Northwind Logistics",
    "employee_count": "201-500",
    "source": "free_signup",
}
PERSONAL_SIGNUP = {"email": "sam.tinkers@gmail.com", "source": "free_signup"}


def _eventually(run, predicate, what: str, timeout: float = 60):
    """What `predicate` returns once it is truthy; on timeout, the run's output so far."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}\n{run.output()[-6000:]}")


def _lead(run, key: str, lead_id: int) -> dict:
    response = httpx.get(
        f"{run.url}/api/v1/leads/{lead_id}/",
        headers={"Authorization": f"Api-Key {key}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def _post(run, key: str, body: dict) -> int:
    response = httpx.post(
        f"{run.url}/api/v1/leads/",
        json=body,
        headers={"Authorization": f"Api-Key {key}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    assert response.json()["owner"]["email"] == "sdr-bot@example.com"
    return response.json()["id"]


def _notifications(run) -> dict[str, int]:
    with sqlite3.connect(run.var_dir / "leadrouter.sqlite3") as database:
        rows = database.execute(
            "SELECT status, count(*) FROM routing_notification GROUP BY status"
        ).fetchall()
    return dict(rows)


def test_the_demo_agent_takes_signups_and_hands_company_ones_to_people(run_command):
    run = run_command(DEMO_AGENT_HANDOFF_SECONDS="1")
    run.wait_until_serving()
    key = (run.var_dir / "demo-intake-key").read_text().strip()
    assert f"answers at {run.url}/demo/agent/leads/" in run.output()

    work = _post(run, key, WORK_SIGNUP)
    personal = _post(run, key, PERSONAL_SIGNUP)

    handed_off = _eventually(
        run,
        lambda: (lead := _lead(run, key, work))["owner"]["kind"] == "human" and lead,
        f"the hand-off of lead {work}",
    )
    agent_turn, person_turn = handed_off["assignments"]
    assert agent_turn["rep"]["email"] == "sdr-bot@example.com"
    assert agent_turn["acknowledged_at"] is not None  # the webhook's 204, before the hand-off
    assert agent_turn["end_reason"] == "handed_off"
    assert person_turn["rep"]["kind"] == "human" and person_turn["ended_at"] is None
    assert "work address at northwind-logistics.com" in handed_off["handoff_note"]

    kept = _lead(run, key, personal)
    assert kept["owner"]["email"] == "sdr-bot@example.com"
    assert kept["acknowledged_at"] is not None
    assert kept["handoff_note"] == ""

    # Every message delivered, the agent's webhooks and the person's e-mail alike.
    _eventually(run, lambda: set(_notifications(run)) == {"sent"}, "every message sent")
    assert "Note from the AI agent:" in run.output()  # the person's e-mail, printed


def test_the_demo_agent_refuses_deliveries_not_signed_with_its_secret(run_command):
    run = run_command(DEMO_AGENT_HANDOFF_SECONDS="1")
    run.wait_until_serving()
    key = (run.var_dir / "demo-intake-key").read_text().strip()
    personal = _post(run, key, PERSONAL_SIGNUP)
    _eventually(run, lambda: _lead(run, key, personal)["acknowledged_at"], "the agent's answer")

    # A forged "this lead is from a company" delivery would have the agent hand it off.
    forged = json.dumps(
        {
            "type": "lead.assigned",
            "timestamp": "2026-01-01T00:00:00+00:00",
            "data": {"lead": {"id": personal, "email": "boss@acme.com"}},
        }
    )
    wrong_secret = Webhook("whsec_" + "A" * 43 + "=")
    now = int(time.time())
    signed_wrongly = {
        "webhook-id": "msg_forged",
        "webhook-timestamp": str(now),
        "webhook-signature": wrong_secret.sign(
            "msg_forged", datetime.fromtimestamp(now, tz=UTC), forged
        ),
    }
    agent = f"{run.url}/demo/agent/leads/"
    assert httpx.post(agent, content=forged, headers=signed_wrongly).status_code == 401
    assert httpx.post(agent, content=forged).status_code == 401
    assert httpx.get(agent).status_code == 405

    time.sleep(3)  # well past the hand-off delay: nothing was queued
    lead = _lead(run, key, personal)
    assert lead["owner"]["email"] == "sdr-bot@example.com"
    assert len(lead["assignments"]) == 1


def test_the_idle_worker_says_nothing_and_one_line_per_batch_it_sends(run_command):
    run = run_command()
    run.wait_until_serving()
    time.sleep(2)
    idle_from = len(run.output())
    time.sleep(4)  # four escalation and reminder sweeps, and an outbox sweep

    assert run.output()[idle_from:] == ""

    key = (run.var_dir / "demo-intake-key").read_text().strip()
    _post(run, key, PERSONAL_SIGNUP)
    _eventually(run, lambda: "Outbox: 1 of 1 sent" in run.output()[idle_from:], "the send")
    time.sleep(2)
    worker_lines = [line for line in run.output()[idle_from:].splitlines() if " INFO " in line]
    said = [line.partition(" INFO ")[2] for line in worker_lines]
    assert len(said) == 1 and said[0].startswith(
        "routing.services.delivery Outbox: 1 of 1 sent in "
    )
