"""A small sales team wired to a local receiver, for the speed-to-lead tests.

Demo requests go to Ana (Slack, webhook and e-mail), free signups to an AI agent whose
hand-off target is the Closers pool (Bo, Cy), which is also the escalation target; Dee
is the fallback. SLA 15 minutes, two escalations, the manager told of each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from reps.models import Pool, Rep
from routing.models import Lead, Rule, RuleSet
from routing.normalize import normalize_submission
from routing.services import lead_intake
from tests.factories import PoolMembershipFactory, RepFactory, UserFactory
from tests.receiver import Receiver

PASSWORD = "pass-word-123"


@dataclass
class Team:
    ana: Rep
    bo: Rep
    cy: Rep
    dee: Rep
    bot: Rep
    closers: Pool
    ruleset: RuleSet
    demo: Rule
    signups: Rule


def build_team(receiver: Receiver | None = None) -> Team:
    def url(path: str) -> str:
        return receiver.url(path) if receiver else ""

    def person(name: str, **channels: Any) -> Rep:
        email = f"{name.lower()}@example.com"
        user = UserFactory(email=email, name=name, password=PASSWORD)
        return RepFactory(email=email, name=name, user=user, **channels)

    ana = person(
        "Ana", slack_webhook_url=url("/slack/ana"), webhook_url=url("/hooks/ana"), notify_email=True
    )
    bo = person("Bo", notify_email=True)
    cy = person("Cy", slack_webhook_url=url("/slack/cy"), notify_email=False)
    dee = person("Dee", notify_email=False)
    bot = RepFactory(
        email="bot@example.com", name="SDR Bot", kind=Rep.Kind.AGENT, webhook_url=url("/agent")
    )
    closers = Pool.objects.create(name="Closers")
    PoolMembershipFactory(pool=closers, rep=bo)
    PoolMembershipFactory(pool=closers, rep=cy)
    ruleset = RuleSet.objects.create(
        name="Inbound",
        is_active=True,
        fallback_rep=dee,
        ack_sla=timedelta(minutes=15),
        escalate_to_pool=closers,
        max_escalations=2,
        notify_on_escalation=["manager@example.com"],
    )
    demo = Rule.objects.create(
        ruleset=ruleset,
        position=1,
        name="Demo requests",
        conditions={"source": "demo_request"},
        route_to=Rule.RouteTo.REP,
        route_rep=ana,
    )
    signups = Rule.objects.create(
        ruleset=ruleset,
        position=2,
        name="Free signups",
        conditions={"source": "free_signup"},
        route_to=Rule.RouteTo.REP,
        route_rep=bot,
        handoff_to_pool=closers,
    )
    return Team(ana, bo, cy, dee, bot, closers, ruleset, demo, signups)


def submit(**payload: Any) -> Lead:
    payload.setdefault("email", "pat@prospect.com")
    payload.setdefault("first_name", "Pat")
    payload.setdefault("company", "Prospect Inc")
    values, errors = normalize_submission(payload)
    assert not errors, errors
    return lead_intake(values=values, payload=payload, intake_key=None).lead
