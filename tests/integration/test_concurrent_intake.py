"""Exactness under concurrent intake from several processes (PostgreSQL only).

Each worker process is a separate Django process on the test database, submitting
through the same service the API uses; they start together on a signal file.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count

from reps.models import Pool
from routing.models import Assignment, Lead
from tests.factories import PoolMembershipFactory, RepFactory, RuleFactory, RuleSetFactory
from tests.integration.stack import run_together

WORKER = """
import os, sys, time
import django
django.setup()
from routing.normalize import normalize_submission
from routing.services import lead_intake

first, count, email, go = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
while not os.path.exists(go):
    time.sleep(0.005)
for number in range(first, first + count):
    payload = {"email": email or f"lead{number}@prospect{number}.com", "source": "demo_request"}
    values, errors = normalize_submission(payload)
    assert not errors, errors
    lead_intake(values=values, payload=payload, intake_key=None)
"""

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and several writer processes need PostgreSQL")


def _run_workers(tmp_path: Path, processes: int, per_process: int, email: str = "") -> None:
    run_together(
        WORKER,
        [[str(index * per_process), str(per_process), email] for index in range(processes)],
        tmp_path / "go",
    )


def _round_robin_set_up(reps: int) -> Pool:
    members = [RepFactory() for _ in range(reps)]
    pool = Pool.objects.create(name="SMB AEs", method=Pool.Method.ROUND_ROBIN)
    for rep in members:
        PoolMembershipFactory(pool=pool, rep=rep)
    ruleset = RuleSetFactory(is_active=True, fallback_rep=members[0])
    RuleFactory(ruleset=ruleset, conditions={}, route_to="pool", route_pool=pool, route_rep=None)
    return pool


def test_round_robin_is_exact_under_concurrent_intake_from_four_processes(tmp_path):
    pool = _round_robin_set_up(reps=4)

    _run_workers(tmp_path, processes=4, per_process=100)

    assert Lead.objects.count() == 400
    shares = Counter(Assignment.objects.values_list("rep_id", flat=True))
    assert sorted(shares.values()) == [100, 100, 100, 100], shares
    assert set(shares) == set(pool.memberships.values_list("rep_id", flat=True))
    open_per_lead = Assignment.objects.filter(ended_at__isnull=True).values("lead")
    assert not open_per_lead.annotate(n=Count("id")).filter(n__gt=1).exists()


IMPORTER = """
import os, sys, time
import django
django.setup()
from routing.imports import runs

path, go = sys.argv[1], sys.argv[2]
runs.BATCH_ROWS = 25  # many batches, so that intake gets in between them
while not os.path.exists(go):
    time.sleep(0.005)
lead_import = runs.lead_import_create(name="expo.csv")
with open(path, "rb") as source:
    runs.lead_import_run(lead_import=lead_import, source=source)
"""


def test_an_import_and_live_intake_at_once_keep_the_rotation_exact(tmp_path):
    pool = _round_robin_set_up(reps=4)
    listed = tmp_path / "expo.csv"
    listed.write_text(
        "email,source\n"
        + "".join(f"listed{number}@expo{number}.com,event\n" for number in range(200))
    )
    go = tmp_path / "go"
    intake = [[str(index * 100), "100", ""] for index in range(3)]

    with ThreadPoolExecutor() as both:
        posting = both.submit(run_together, WORKER, intake, go)
        importing = both.submit(run_together, IMPORTER, [[str(listed)]], go)
        posting.result(), importing.result()

    assert Lead.objects.count() == 500
    assert Lead.objects.filter(lead_import__isnull=False).count() == 200
    shares = Counter(Assignment.objects.values_list("rep_id", flat=True))
    assert sorted(shares.values()) == [125, 125, 125, 125], shares
    assert set(shares) == set(pool.memberships.values_list("rep_id", flat=True))


def test_concurrent_posts_of_one_email_make_one_lead(tmp_path):
    _round_robin_set_up(reps=2)

    _run_workers(tmp_path, processes=4, per_process=5, email="same@prospect.com")

    lead = Lead.objects.get()
    assert lead.assignments.count() == 1
    assert lead.events.filter(kind="resubmitted").count() == 19
