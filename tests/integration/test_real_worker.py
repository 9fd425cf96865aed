"""The speed-to-lead loop with real processes: gunicorn, a Celery worker with its
scheduler, a Redis of the test's own and PostgreSQL (the PostgreSQL + Redis pass of CI).

The test process plays the outside world only: it posts leads over HTTP, receives
Slack and webhook posts on a local server, and reads the database.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from django.db.models import Count, F

from routing.links import acknowledge_url
from routing.models import Assignment, IntakeKey, LeadEvent, Notification
from tests.integration.stack import REAL_STACK, ROOT, Stack, run_together, wait_until
from tests.team import submit

pytestmark = REAL_STACK


@pytest.fixture
def stack_env():
    return {}


@pytest.fixture
def stack(tmp_path, stack_env, team):
    running = Stack(tmp_path, **stack_env).start()
    yield running
    running.stop()
    for service in (running.web, running.worker):
        if "Traceback" in service.output():
            print(f"--- {service.name} log ---\n{service.output()}")


@pytest.fixture
def key(team):
    return IntakeKey.objects.create_key(name="Website demo form")[1]


def post_lead(stack: Stack, key: str, **payload) -> dict:
    body = {"email": "pat@prospect.com", "first_name": "Pat", "company": "Prospect Inc", **payload}
    response = httpx.post(
        f"{stack.url}/api/v1/leads/",
        json=body,
        headers={"Authorization": f"Api-Key {key}"},
        timeout=15,
    )
    assert response.status_code == 201, response.text
    return response.json()


def shorten_sla(team, seconds: int) -> None:
    team.demo.ack_sla = timedelta(seconds=seconds)
    team.demo.save()


def test_nobody_acknowledges_and_the_lead_moves_on_within_seconds_of_its_deadline(
    stack, team, key, receiver
):
    shorten_sla(team, 3)
    lead_id = post_lead(stack, key, source="demo_request")["id"]
    first = Assignment.objects.get(lead_id=lead_id)

    second = wait_until(
        lambda: Assignment.objects.filter(lead_id=lead_id, reason="escalated").first(),
        timeout=30,
        what="escalation",
    )

    lateness = (second.assigned_at - first.ack_due_at).total_seconds()
    assert 0 <= lateness < 2.0, lateness
    assert second.rep in (team.bo, team.cy)
    receiver.wait_for("/slack/ana", 2)  # the new lead, then "moved on"
    kinds = [request.json["text"].split(":")[0] for request in receiver.to("/slack/ana")]
    assert kinds == ["New lead", "Moved on"]


def test_a_lead_acknowledged_in_time_stays_with_its_owner(stack, team, key, receiver):
    shorten_sla(team, 3)
    lead_id = post_lead(stack, key, source="demo_request")["id"]
    receiver.wait_for("/slack/ana")
    assignment = Assignment.objects.get(lead_id=lead_id)
    link = acknowledge_url(assignment).replace("http://127.0.0.1:8000", stack.url)

    # The link opened in a browser: GET shows the page (and sets the CSRF cookie), the
    # button POSTs the form with the token.
    with httpx.Client(timeout=15) as browser:
        page = browser.get(link)
        token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        pressed = browser.post(link, data={"csrfmiddlewaretoken": token}, headers={"Referer": link})
    assert pressed.status_code == 200, pressed.text

    time.sleep(4.5)  # past the deadline, several sweeps
    assert Assignment.objects.filter(lead_id=lead_id).count() == 1
    assert Assignment.objects.get(lead_id=lead_id).acknowledged_at is not None


def test_with_redis_down_at_intake_the_notification_arrives_once_it_is_back(
    stack, team, key, receiver
):
    stack.redis.stop()
    started = time.monotonic()
    lead_id = post_lead(stack, key, source="demo_request")["id"]
    assert time.monotonic() - started < 8  # the broker being down costs intake little
    time.sleep(1)
    assert receiver.to("/hooks/ana") == []
    assert Notification.objects.filter(lead_id=lead_id, status="pending").count() == 3

    stack.redis.start()

    [delivery] = receiver.wait_for("/hooks/ana", timeout=90)
    assert delivery.json["data"]["lead"]["id"] == lead_id
    wait_until(
        lambda: not Notification.objects.filter(lead_id=lead_id, status="pending").exists(),
        timeout=30,
        what="every notification sent",
    )


@pytest.mark.parametrize(
    "stack_env",
    [{"NOTIFICATION_CLAIM_SECONDS": "4", "HTTP_TIMEOUT_SECONDS": "2", "DELIVERY_THREADS": "3"}],
)
def test_a_killed_worker_loses_nothing_and_repeats_only_what_was_in_flight(
    stack, team, key, receiver
):
    receiver.delay = 0.15  # slow enough to kill the worker mid-run
    leads = [
        post_lead(stack, key, source="demo_request", email=f"lead{n}@prospect.com")["id"]
        for n in range(12)
    ]
    receiver.wait_for("/hooks/ana", 4, timeout=30)
    stack.worker.kill()
    stack.start_worker()

    wait_until(
        lambda: Notification.objects.filter(status="sent").count() == 3 * len(leads),
        timeout=90,
        what="every notification sent",
    )
    ids = Counter(request.headers["webhook-id"] for request in receiver.to("/hooks/ana"))
    assert len(ids) == len(leads)  # every lead's webhook arrived: nothing lost
    repeated = {message for message, times in ids.items() if times > 1}
    # Only a message a killed worker was sending can come again, with the same
    # webhook-id so that the receiver can drop it; there were at most six in flight
    # (two processes, three sending threads each).
    assert len(repeated) <= 6 and all(ids[message] == 2 for message in repeated)
    assert not Notification.objects.exclude(status="sent").exists()


SWEEPER = """
import os, sys, time
import django
django.setup()
from routing.services.escalation import assignments_escalate_overdue
while not os.path.exists(sys.argv[-1]):
    time.sleep(0.005)
print(assignments_escalate_overdue())
"""


def test_sweeps_racing_escalate_each_assignment_once(tmp_path, team):
    leads = [submit(source="demo_request", email=f"lead{n}@prospect.com") for n in range(30)]
    Assignment.objects.update(ack_due_at=F("assigned_at"))  # all overdue
    outputs = run_together(SWEEPER, [[] for _ in range(3)], tmp_path / "go")
    counts = [int(out.strip().splitlines()[-1]) for out in outputs]

    assert sum(counts) == len(leads), counts
    per_lead = Assignment.objects.values("lead").annotate(n=Count("id"))
    assert sorted(row["n"] for row in per_lead) == [2] * len(leads)
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.ESCALATED).count() == len(leads)


STORM = """
import os, sys, time
import django
django.setup()
from routing.models import Assignment
from routing.services import escalation
from routing.services.acknowledge import AcknowledgeError, assignment_acknowledge
escalation.BATCH = 40  # several batches each, interleaved between the processes
role = sys.argv[1]
while not os.path.exists(sys.argv[-1]):
    time.sleep(0.005)
if role == "sweep":
    print(escalation.assignments_escalate_overdue())
else:  # Ana acknowledges her leads as fast as she can, racing the sweeps
    honoured = []
    for assignment in Assignment.objects.filter(rep__name="Ana").order_by("-id"):
        try:
            assignment_acknowledge(assignment=assignment, rep=assignment.rep, via="test")
            honoured.append(assignment.pk)
        except AcknowledgeError:
            pass
    print(" ".join(map(str, honoured)) or "-")
"""


def test_sweeps_and_acknowledgments_racing_on_a_storm_each_lead_once(tmp_path, team):
    leads = [submit(source="demo_request", email=f"storm{n}@prospect.com") for n in range(240)]
    Assignment.objects.update(ack_due_at=F("assigned_at"))  # all overdue at once
    outputs = run_together(STORM, [["sweep"], ["sweep"], ["sweep"], ["ack"]], tmp_path / "go")
    escalated = sum(int(out.strip().splitlines()[-1]) for out in outputs[:3])
    honoured = {int(pk) for pk in outputs[3].split() if pk != "-"}

    # Every lead either was acknowledged in time (the acknowledgment won) or escalated
    # exactly once (the sweep won), never both.
    assert escalated + len(honoured) == len(leads), (escalated, len(honoured))
    first = Assignment.objects.filter(rep=team.ana)
    assert set(first.filter(acknowledged_at__isnull=False).values_list("pk", flat=True)) == (
        honoured
    )
    assert not first.filter(acknowledged_at__isnull=False, end_reason="expired").exists()
    assert first.filter(end_reason="expired").count() == escalated
    per_lead = Counter(
        LeadEvent.objects.filter(kind=LeadEvent.Kind.ESCALATED).values_list("lead", flat=True)
    )
    assert len(per_lead) == escalated and set(per_lead.values()) == {1}
    open_per_lead = Counter(
        Assignment.objects.filter(ended_at__isnull=True).values_list("lead", flat=True)
    )
    assert len(open_per_lead) == len(leads) and set(open_per_lead.values()) == {1}


def test_the_owner_is_reminded_once_shortly_before_the_deadline(stack, team, key, receiver):
    shorten_sla(team, 6)
    team.ruleset.remind_before = timedelta(seconds=3)
    team.ruleset.save()
    lead_id = post_lead(stack, key, source="demo_request")["id"]
    assignment = Assignment.objects.get(lead_id=lead_id)

    receiver.wait_for("/slack/ana", 2, timeout=30)  # the new lead, then the reminder

    assignment.refresh_from_db()
    lateness = (assignment.reminded_at - assignment.remind_at).total_seconds()
    assert 0 <= lateness < 2.0, lateness
    assert assignment.reminded_at < assignment.ack_due_at
    left = (assignment.ack_due_at - assignment.reminded_at).total_seconds()
    reminder = receiver.to("/slack/ana")[1].json
    assert reminder["text"].startswith(
        f"{round(left)} seconds left to acknowledge: Pat (Prospect Inc)"
    )
    receiver.wait_for("/slack/ana", 3, timeout=30)  # then "moved on", at the deadline
    time.sleep(2)  # several more sweeps
    texts = [request.json["text"].split(":")[0] for request in receiver.to("/slack/ana")]
    assert texts == ["New lead", f"{round(left)} seconds left to acknowledge", "Moved on"]


REMINDER_SWEEPER = """
import os, sys, time
import django
django.setup()
from routing.services.reminders import assignments_remind_due
while not os.path.exists(sys.argv[-1]):
    time.sleep(0.005)
print(assignments_remind_due())
"""


def test_reminder_sweeps_racing_remind_each_owner_once(tmp_path, team):
    team.ruleset.remind_before = timedelta(minutes=5)
    team.ruleset.save()
    leads = [submit(source="demo_request", email=f"lead{n}@prospect.com") for n in range(30)]
    Assignment.objects.update(remind_at=F("assigned_at"))  # all due, none past the deadline
    outputs = run_together(REMINDER_SWEEPER, [[] for _ in range(3)], tmp_path / "go")
    counts = [int(out.strip().splitlines()[-1]) for out in outputs]

    assert sum(counts) == len(leads), counts
    reminders = Notification.objects.filter(kind="lead.reminder")
    assert reminders.count() == 3 * len(leads)  # Ana's three channels, once per lead
    assert not Assignment.objects.filter(reminded_at__isnull=True).exists()


ESCALATION_KINDS_TO_REPS = ("lead.expired", "lead.escalated", "escalation.digest")
MANAGER_KINDS = ("manager.escalated", "manager.unclaimed", "manager.digest")


@pytest.mark.parametrize("stack_env", [{"ESCALATION_DIGEST_SECONDS": "15"}])
def test_a_list_left_alone_escalates_fast_and_quietly_and_a_hot_lead_is_not_kept_waiting(
    stack, team, key, receiver, tmp_path
):
    shorten_sla(team, 3)
    listing = tmp_path / "expo.csv"
    rows = [f"expo{n}@prospect.com,Expo {n},Prospect {n % 50},demo_request" for n in range(1000)]
    listing.write_text("email,first_name,company,source\n" + "\n".join(rows) + "\n")
    importing = subprocess.Popen(
        [sys.executable, "manage.py", "import_leads", str(listing), "--sla", "3s"],
        cwd=ROOT,
        env=stack.worker.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(1.0)  # the list is on its way in
    hot_id = post_lead(stack, key, source="demo_request", email="hot@buyer.com")["id"]
    output, _ = importing.communicate(timeout=120)
    assert importing.returncode == 0, output

    listed = Assignment.objects.filter(lead__lead_import__isnull=False, reason="routed")
    assert listed.count() == 1000
    wait_until(
        lambda: listed.filter(end_reason="expired").count() == 1000,
        timeout=60,
        what="the whole list escalated",
    )
    first = Assignment.objects.get(lead_id=hot_id, reason="routed")
    second = wait_until(
        lambda: Assignment.objects.filter(lead_id=hot_id, reason="escalated").first(),
        timeout=30,
        what="the hot lead's escalation",
    )
    lateness = (second.assigned_at - first.ack_due_at).total_seconds()
    assert 0 <= lateness <= 2.0, lateness

    # The digests go out when their window (15 s here) has closed; then nothing is left.
    wait_until(
        lambda: (
            not Notification.objects.filter(
                kind__in=(*MANAGER_KINDS, *ESCALATION_KINDS_TO_REPS), status="pending"
            ).exists()
        ),
        timeout=90,
        what="every escalation message sent",
    )
    to_managers = Counter(
        Notification.objects.filter(kind__in=MANAGER_KINDS).values_list("destination", flat=True)
    )
    assert to_managers and max(to_managers.values()) <= 2, to_managers
    # Each rep channel heard of the list at most twice (a digest of what it got, of
    # what it lost); the hot lead's own messages went at once, beside them.
    about_the_list = Notification.objects.filter(kind__in=ESCALATION_KINDS_TO_REPS).exclude(
        lead_id=hot_id
    )
    to_reps = Counter(about_the_list.values_list("rep__name", "channel"))
    assert to_reps and max(to_reps.values()) <= 2, to_reps
    hot_owner = second.rep
    assert Notification.objects.filter(lead_id=hot_id, kind="lead.escalated", rep=hot_owner)
