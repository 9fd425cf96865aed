"""A lead posted to the API and the same row imported from a file are recorded alike:
the lead's fields, its decisions, its assignment, its timeline and the messages queued
for its owner and for subscribed systems, on every branch a decision can take.

The API is reached over real HTTP (the live server); the import runs as the command
does. The two leads differ only in their e-mail address, so that neither joins the
other; everything below is compared with the address, ids and times taken out.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import httpx
import pytest

from reps.models import Rep
from routing import engine
from routing.imports import lead_import_create, lead_import_run
from routing.models import (
    IntakeKey,
    Lead,
    LeadEvent,
    Notification,
    RoutingDecision,
    WebhookSubscription,
)
from tests.api.conftest import LEADS_URL

API_EMAIL, IMPORTED_EMAIL = "api@prospect.com", "imported@prospect.com"
ROW = {"first_name": "Pat", "company": "Prospect Inc", "source": "demo_request"}

# What may differ between the two ways in: where the lead came from (an intake key or
# an import and its line) and who submitted it; ids and times.
ORIGIN_FIELDS = {"id", "created_at", "updated_at", "intake_key", "lead_import", "email"}
TIMES = {"timestamp", "created_at", "assigned_at", "ack_due_at", "acknowledged_at", "at"}


@pytest.fixture
def api_key(team) -> str:
    return IntakeKey.objects.create_key(name="Website form")[1]


@pytest.fixture
def crm(team) -> WebhookSubscription:
    """A subscribed system: every published event is queued for it too."""
    return WebhookSubscription.objects.create(name="CRM", url="https://crm.example.com/hooks")


def post(live_server, key: str, email: str) -> httpx.Response:
    return httpx.post(
        f"{live_server.url}{LEADS_URL}",
        json={"email": email, **ROW},
        headers={"Authorization": f"Api-Key {key}"},
        timeout=30,
    )


def import_row(email: str) -> None:
    text = "email,first_name,company,source\n" + ",".join([email, *ROW.values()]) + "\n"
    data = text.encode()
    # The rules' SLA, as the API's lead has: the two are recorded alike then.
    lead_import = lead_import_create(name="expo.csv", notify="each", size=len(data), sla="rule")
    lead_import_run(lead_import=lead_import, source=io.BytesIO(data))


def recorded(email: str, *, since: dict[str, int] | None = None) -> dict[str, Any]:
    """Everything stored for the lead of `email` (with `since`: only the rows written
    after those ids), with what may differ between the API and an import taken out."""
    since = since or {"event": 0, "message": 0}
    lead = Lead.objects.get(email=email)
    decisions = list(lead.decisions.order_by("id"))
    assignments = list(lead.assignments.order_by("id"))
    # Deliveries (tests send the outbox at commit) are the sender's, not the recorder's.
    events = list(
        lead.events.filter(id__gt=since["event"])
        .exclude(kind=LeadEvent.Kind.NOTIFIED)
        .order_by("at", "id")
    )
    messages = Notification.objects.filter(lead=lead, id__gt=since["message"])
    labels = {
        **{decision.pk: f"decision {n}" for n, decision in enumerate(decisions)},
        **{assignment.pk: f"assignment {n}" for n, assignment in enumerate(assignments)},
    }
    record = {
        "lead": {
            field.name: _value(getattr(lead, field.attname))
            for field in Lead._meta.concrete_fields
            if field.name not in ORIGIN_FIELDS
        },
        "decisions": [
            {
                "kind": decision.kind,
                "ruleset": decision.ruleset_id,
                "ruleset_version": decision.ruleset_version,
                "rule": decision.rule_id,
                "rule_name": decision.rule_name,
                "owner": decision.owner_id,
                "pool": decision.pool_id,
                "steps": decision.steps,
                "error": decision.error,
            }
            for decision in decisions
        ],
        "assignments": [
            {
                "rep": assignment.rep_id,
                "decision": labels.get(assignment.decision_id),
                "reason": assignment.reason,
                "sla": _value(assignment.ack_due_at - assignment.assigned_at)
                if assignment.ack_due_at
                else None,
                "acknowledged": assignment.acknowledged_at is not None,
                "ended": (assignment.ended_at is not None, assignment.end_reason),
            }
            for assignment in assignments
        ],
        "lead queue pools": sorted(lead.queue_pools.values_list("id", flat=True)),
        "lead queue reps": sorted(lead.queue_reps.values_list("id", flat=True)),
        "events": [
            {
                "kind": event.kind,
                "assignment": labels.get(event.assignment_id),
                "data": _event_data(event, labels),
            }
            for event in events
        ],
        "messages": sorted(
            (
                {
                    "key": re.sub(r"\d+", "N", message.key.split(" ", 2)[-1]),
                    "kind": message.kind,
                    "channel": message.channel,
                    "destination": message.destination,
                    "rep": message.rep_id,
                    "subscription": message.subscription_id,
                    "assignment": labels.get(message.assignment_id),
                    "body": _body(message.payload),
                }
                for message in messages
            ),
            key=lambda message: json.dumps(message, sort_keys=True),
        ),
    }
    return json.loads(json.dumps(record, default=str).replace(email, "EMAIL"))


def _value(value: Any) -> Any:
    return str(value) if value is not None else None


def _event_data(event: LeadEvent, labels: dict[int, str]) -> dict[str, Any]:
    data = dict(event.data)
    if event.kind in (LeadEvent.Kind.SUBMITTED, LeadEvent.Kind.RESUBMITTED):
        for origin in ("import", "line", "intake_key"):
            data.pop(origin, None)
    if "decision" in data:
        data["decision"] = labels.get(data["decision"])
    data.pop("ack_due_at", None)
    return data


def _body(body: Any) -> Any:
    """A webhook's JSON without the ids of the lead's own rows and its times (a rep's
    id, in an owner, is the same either way)."""
    if isinstance(body, dict):
        own_row = "status" in body or "reason" in body  # the lead, or its assignment
        return {
            name: "<time>" if name in TIMES and value else _body(value)
            for name, value in body.items()
            if not ((name == "id" and own_row) or name == "decision")
        }
    if isinstance(body, list):
        return [_body(value) for value in body]
    return body


def deactivate(*reps: Rep) -> None:
    for rep in reps:
        rep.is_active = False
        rep.save()


def marks() -> dict[str, int]:
    last_event = LeadEvent.objects.order_by("-id").values_list("id", flat=True).first()
    last_message = Notification.objects.order_by("-id").values_list("id", flat=True).first()
    return {"event": last_event or 0, "message": last_message or 0}


def both_ways(live_server, api_key: str, *, since: dict[str, int] | None = None):
    answer = post(live_server, api_key, API_EMAIL)
    assert answer.status_code in (200, 201), answer.text
    import_row(IMPORTED_EMAIL)
    return recorded(API_EMAIL, since=since), recorded(IMPORTED_EMAIL, since=since)


def test_a_routed_lead_is_recorded_alike_by_the_api_and_an_import(team, crm, live_server, api_key):
    by_api, imported = both_ways(live_server, api_key)

    assert by_api["lead"]["status"] == Lead.Status.ASSIGNED
    assert by_api["lead"]["owner"] == str(team.ana.pk)
    assert [event["kind"] for event in by_api["events"]] == ["submitted", "routed"]
    assert {message["kind"] for message in by_api["messages"]} == {"lead.assigned"}
    assert imported == by_api


def test_a_returning_lead_joins_its_open_lead_alike_by_the_api_and_an_import(
    team, crm, live_server, api_key
):
    post(live_server, api_key, API_EMAIL)
    import_row(IMPORTED_EMAIL)
    since = marks()

    by_api, imported = both_ways(live_server, api_key, since=since)

    assert Lead.objects.count() == 2
    assert [event["kind"] for event in by_api["events"]] == ["resubmitted"]
    assert {message["kind"] for message in by_api["messages"]} == {"lead.returned"}
    assert imported == by_api


def test_a_lead_nobody_can_take_is_unclaimed_alike_by_the_api_and_an_import(
    team, crm, live_server, api_key
):
    deactivate(team.ana, team.dee)

    by_api, imported = both_ways(live_server, api_key)

    assert by_api["lead"]["status"] == Lead.Status.UNCLAIMED
    assert by_api["lead queue pools"] == [team.closers.pk]
    assert [event["kind"] for event in by_api["events"]] == ["submitted", "unclaimed"]
    # The subscribed CRM hears of it; the rule set's managers are told where it waits.
    assert [message["kind"] for message in by_api["messages"]] == [
        "lead.unclaimed",
        "manager.unclaimed",
    ]
    assert imported == by_api


def test_without_an_active_rule_set_a_lead_is_kept_alike_by_the_api_and_an_import(
    team, crm, live_server, api_key
):
    team.ruleset.is_active = False
    team.ruleset.save()

    by_api, imported = both_ways(live_server, api_key)

    assert by_api["lead"]["status"] == Lead.Status.NEW
    assert [decision["error"] for decision in by_api["decisions"]] == [
        "No rule set is active: activate one in the admin (Rule sets → Activate)."
    ]
    assert imported == by_api


def test_a_lead_the_engine_fails_on_goes_to_the_fallback_alike_by_the_api_and_an_import(
    team, crm, live_server, api_key, monkeypatch
):
    def broken_choice(*args: Any, **kwargs: Any) -> engine.Decision:
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(engine, "choose", broken_choice)

    by_api, imported = both_ways(live_server, api_key)

    assert by_api["lead"]["owner"] == str(team.dee.pk)
    assert [decision["kind"] for decision in by_api["decisions"]] == [
        RoutingDecision.Kind.FALLBACK_ON_ERROR
    ]
    assert by_api["decisions"][0]["error"] == "RuntimeError: the engine broke"
    assert imported == by_api


def test_a_lead_the_engine_fails_on_with_nobody_in_the_fallback_is_unclaimed_alike(
    team, crm, live_server, api_key, monkeypatch
):
    def broken_choice(*args: Any, **kwargs: Any) -> engine.Decision:
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(engine, "choose", broken_choice)
    team.ruleset.fallback_rep, team.ruleset.fallback_pool = None, team.closers
    team.ruleset.save()
    deactivate(team.bo, team.cy)

    by_api, imported = both_ways(live_server, api_key)

    assert by_api["lead"]["status"] == Lead.Status.UNCLAIMED
    assert by_api["lead queue pools"] == [team.closers.pk]
    assert imported == by_api
