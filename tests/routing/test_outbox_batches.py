"""The outbox sent in batches: rows claimed many at a time and never twice, messages in
flight together over kept connections, each row's result recorded on its own row.

A receiver on 127.0.0.1 plays every destination; some paths answer slowly or fail."""

from __future__ import annotations

import itertools
import logging
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from routing.models import Notification
from routing.services.delivery import (
    MAX_ATTEMPTS,
    notification_send,
    notifications_claim,
    notifications_send_due,
)
from tests.integration.stack import run_together
from tests.team import submit

_numbers = itertools.count()


def _leads(count: int) -> list:
    """New leads (fresh e-mails) of the team's owner, three outbox rows each."""
    return [
        submit(source="demo_request", email=f"lead{next(_numbers)}@prospect.com")
        for _ in range(count)
    ]


def _slack_rows_to(receiver, paths: list[str]) -> list[Notification]:
    """One lead per path; its Slack row goes to that path of the receiver."""
    rows = []
    for lead, path in zip(_leads(len(paths)), paths, strict=True):
        Notification.objects.filter(lead=lead, channel="slack").update(
            destination=receiver.url(path)
        )
        rows.append(Notification.objects.get(lead=lead, channel="slack"))
    return rows


def _only_slack_pending() -> None:
    Notification.objects.exclude(channel="slack").update(status=Notification.Status.SENT)


@pytest.mark.django_db
def test_two_claims_never_take_the_same_row(team):
    _leads(4)  # 12 rows
    now = timezone.now()

    first = notifications_claim(now=now, limit=5)
    second = notifications_claim(now=now, limit=100)
    third = notifications_claim(now=now, limit=100)

    assert len(first) == 5 and len(second) == 7 and third == []
    assert {row.pk for row in first}.isdisjoint(row.pk for row in second)
    assert {row.claim for row in first} != {row.claim for row in second}
    assert all(row.attempts == 1 for row in first + second)


@pytest.mark.django_db
def test_a_claim_takes_the_oldest_due_rows_and_leaves_retries_that_are_not_due(team):
    _leads(2)
    rows = list(Notification.objects.order_by("pk"))
    later = timezone.now() + timedelta(seconds=30)
    Notification.objects.filter(pk=rows[0].pk).update(next_attempt_at=later)

    claimed = notifications_claim(now=timezone.now(), limit=2)

    assert [row.pk for row in claimed] == [rows[1].pk, rows[2].pk]


@pytest.mark.django_db
def test_a_lapsed_claim_is_sent_by_the_sweep(team, receiver):
    lead = submit(source="demo_request")
    _only_slack_pending()
    # A worker claimed the row and died before sending it.
    [claimed] = notifications_claim(now=timezone.now(), limit=10)

    assert notifications_send_due() == 0  # still held
    assert receiver.to("/slack/ana") == []
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert notifications_send_due() == 1

    row = Notification.objects.get(lead=lead, channel="slack")
    assert row.status == Notification.Status.SENT and row.attempts == 2
    assert row.claim != claimed.claim
    assert len(receiver.to("/slack/ana")) == 1


@pytest.mark.django_db
def test_a_slow_and_a_failing_receiver_do_not_hold_the_others(team, receiver):
    paths = ["/slow", "/failing", *(f"/good/{n}" for n in range(8))]
    rows = _slack_rows_to(receiver, paths)
    _only_slack_pending()
    receiver.delays["/slow"] = 3.0
    receiver.statuses["/failing"] = 503

    assert notifications_send_due() == 9

    good = [request for request in receiver.requests if request.path.startswith("/good/")]
    assert len(good) == 8
    [slow_request] = receiver.to("/slow")  # answered 3 s after it arrived
    assert max(request.at for request in good) < slow_request.at + 2.0
    by_path = {row.destination.rsplit("/", 1)[-1]: row for row in rows}
    recorded = {row.pk: row for row in Notification.objects.filter(pk__in=[row.pk for row in rows])}
    slow = recorded[by_path["slow"].pk]
    failing = recorded[by_path["failing"].pk]
    assert slow.status == Notification.Status.SENT
    assert failing.status == Notification.Status.PENDING and "answered 503" in failing.last_error
    for n in range(8):
        row = recorded[by_path[str(n)].pk]  # /good/n
        assert row.status == Notification.Status.SENT and row.response_status == 200
        # Recorded as it finished, not when the slow receiver answered.
        assert (slow.sent_at - row.sent_at).total_seconds() > 1.0


@pytest.mark.django_db
def test_messages_are_in_flight_together(team, receiver):
    _slack_rows_to(receiver, [f"/hook/{n}" for n in range(8)])
    _only_slack_pending()
    receiver.delay = 0.5

    started = time.monotonic()
    assert notifications_send_due() == 8

    assert time.monotonic() - started < 2.0  # one after another: 4 s


@pytest.mark.django_db
def test_messages_to_one_host_go_over_a_kept_connection(team, receiver):
    leads = _leads(4)

    for lead in leads:  # one after another: each finds the connection the last one left
        slack = Notification.objects.get(lead=lead, channel="slack")
        assert notification_send(notification_id=slack.pk) is True

    requests = receiver.to("/slack/ana")
    assert len(requests) == 4
    assert len({request.client_port for request in requests}) == 1


@pytest.mark.django_db
def test_each_rows_failure_is_recorded_with_its_own_retry(team, receiver):
    paths = ["/unavailable", "/gone", "/last-try", "/fine"]
    rows = dict(zip(paths, _slack_rows_to(receiver, paths), strict=True))
    unreachable = _slack_rows_to(receiver, ["/unreachable"])[0]
    _only_slack_pending()
    Notification.objects.filter(pk=unreachable.pk).update(destination="http://127.0.0.1:9/x")
    Notification.objects.filter(pk=rows["/last-try"].pk).update(attempts=MAX_ATTEMPTS - 1)
    Notification.objects.filter(pk=rows["/unavailable"].pk).update(attempts=2)
    receiver.statuses.update({"/unavailable": 503, "/gone": 404, "/last-try": 500})
    before = timezone.now()

    assert notifications_send_due() == 1

    def row(path):
        return Notification.objects.get(pk=rows[path].pk)

    unavailable = row("/unavailable")  # third attempt: back in 90 s
    assert unavailable.status == Notification.Status.PENDING and unavailable.attempts == 3
    assert unavailable.response_status == 503 and "answered 503" in unavailable.last_error
    assert timedelta(seconds=89) < unavailable.next_attempt_at - before < timedelta(seconds=95)
    gone = row("/gone")
    assert gone.status == Notification.Status.FAILED and "answered 404" in gone.last_error
    last = row("/last-try")
    assert last.status == Notification.Status.FAILED and last.attempts == MAX_ATTEMPTS
    unreachable.refresh_from_db()
    assert unreachable.status == Notification.Status.PENDING and unreachable.attempts == 1
    assert "could not reach" in unreachable.last_error
    assert timedelta(seconds=9) < unreachable.next_attempt_at - before < timedelta(seconds=15)
    assert row("/fine").status == Notification.Status.SENT


@pytest.mark.django_db
def test_a_run_logs_one_line_and_an_empty_run_nothing(team, receiver, caplog):
    _slack_rows_to(receiver, ["/a", "/b", "/down"])
    _only_slack_pending()
    receiver.statuses["/down"] = 503
    caplog.set_level(logging.INFO, logger="routing.services.delivery")

    notifications_send_due()
    notifications_send_due()  # nothing left that is due

    [line] = [record for record in caplog.records if record.name == "routing.services.delivery"]
    assert line.levelno == logging.WARNING
    assert line.getMessage().startswith("Outbox: 2 of 3 sent in ")
    assert "1 to retry" in line.getMessage() and "answered 503" in line.getMessage()


CLAIMER = """
import sys, time
import django
django.setup()
from django.utils import timezone
from routing.services.delivery import notifications_claim

go = sys.argv[1]
import os
while not os.path.exists(go):
    time.sleep(0.005)
claimed = []
while rows := notifications_claim(now=timezone.now(), limit=7):
    claimed += [row.pk for row in rows]
print(" ".join(map(str, claimed)))
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_processes_claiming_together_take_every_row_once(team, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and several claiming processes need PostgreSQL")
    _leads(40)  # 120 rows, sent at once by the eager nudge: made due again
    Notification.objects.update(
        status=Notification.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
    )

    outputs = run_together(CLAIMER, [[] for _ in range(4)], tmp_path / "go")

    claimed = [int(pk) for output in outputs for pk in output.split()]
    assert sorted(claimed) == sorted(Notification.objects.values_list("pk", flat=True))
    assert sum(1 for output in outputs if output.split()) >= 2  # they shared the work


@pytest.mark.django_db
def test_messages_about_one_lead_to_one_place_keep_their_order(team, receiver):
    submit(source="demo_request")
    submit(source="demo_request", message="Any news?")  # the same lead comes back
    receiver.delays["/hooks/ana"] = 0.3

    notifications_send_due()

    first, second = receiver.to("/hooks/ana")
    assert [first.json["type"], second.json["type"]] == ["lead.assigned", "lead.returned"]
    assert second.at - first.at >= 0.25  # sent after the first was answered
