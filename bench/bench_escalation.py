"""Benchmark of an escalation storm with a real worker: 10,000 assignments due in the same
second, and one lead due inside the storm.

    .venv/bin/python bench/bench_escalation.py                  # 10,000 assignments
    .venv/bin/python bench/bench_escalation.py --leads 2000     # a smaller storm

What it does (only 127.0.0.1 is contacted; every step has a timeout):

1. Creates the PostgreSQL database `leadrouter_bench_escalation`, migrates it and sets up
   a team with `manage.py shell`: an owner rep, an escalation pool of 10 reps in strict
   rotation, a rule set whose one rule gives every lead to the owner.
2. Imports `--leads` leads (`manage.py import_leads`), all owned by the owner, and one
   more, the hot lead.
3. Starts `celery -A config worker --beat` (concurrency 2, production settings, Redis
   127.0.0.1:6379 db 9), then sets every open assignment's deadline to the same second
   T, a few seconds ahead, and the hot lead's to T + `--hot-after` seconds.
4. Waits until none of them is open and unacknowledged, then reads from the database,
   for every expired assignment, how long after its deadline the sweep expired it (and,
   in the same transaction, gave the lead to its next owner).
5. Prints escalations per second, the lateness distribution and the hot lead's
   lateness, stops everything, drops the database.

Targets: every assignment escalated within 10 s of its deadline; the hot lead at most
2 s late.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_intake import PG, machine, maintenance, production_env, run, stop  # noqa: E402
from bench.bench_loop import percentiles  # noqa: E402

DB_NAME = "leadrouter_bench_escalation"
REDIS_URL = "redis://127.0.0.1:6379/9"
TARGET_ALL_S = 10.0
TARGET_HOT_S = 2.0

SET_UP = """
from datetime import timedelta
from reps.models import Pool, PoolMembership, Rep
from routing.models import Rule, RuleSet
owner = Rep.objects.create(email="owner@example.com", name="Owner", notify_email=False)
pool = Pool.objects.create(name="Escalations", method="round_robin")
for n in range(1, 11):
    rep = Rep.objects.create(email=f"closer{n}@example.com", name=f"Closer {n}",
                             notify_email=False)
    PoolMembership.objects.create(pool=pool, rep=rep)
ruleset = RuleSet.objects.create(name="Bench", is_active=True, fallback_rep=owner,
                                 escalate_to_pool=pool, ack_sla=timedelta(minutes=15))
Rule.objects.create(ruleset=ruleset, position=1, name="Everyone", conditions={},
                    route_to="rep", route_rep=owner)
"""


def query(sql: str, params: tuple = ()) -> list[tuple]:
    import psycopg

    with psycopg.connect(dbname=DB_NAME, autocommit=True, connect_timeout=10, **PG) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description is not None else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=10_000, help="assignments in the storm")
    parser.add_argument(
        "--hot-after", type=float, default=3.0, help="the hot lead's deadline, s after T"
    )
    args = parser.parse_args()
    print(f"bench_escalation: {machine()}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-escalation-"))
    env = production_env(DB_NAME, REDIS_URL, VAR_DIR=str(workdir))
    python, manage = sys.executable, str(ROOT / "manage.py")
    worker = None
    try:
        maintenance(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        maintenance(f"CREATE DATABASE {DB_NAME}")
        run([python, manage, "migrate", "--noinput"], env, timeout=300)
        run([python, manage, "shell", "-c", SET_UP], env, timeout=60)
        listing = workdir / "storm.csv"
        with listing.open("w") as out:
            out.write("email,company\n")
            for n in range(args.leads + 1):
                out.write(f"storm{n}@prospect{n % 997}.com,Prospect {n % 997}\n")
        started = time.monotonic()
        run([python, manage, "import_leads", str(listing)], env, timeout=600)
        print(f"  {args.leads + 1} leads imported in {time.monotonic() - started:.1f} s")
        query("SELECT pg_stat_reset()")
        log = (workdir / "worker.log").open("w")
        worker = subprocess.Popen(
            [python, "-m", "celery", "-A", "config", "worker", "--beat",
             "--loglevel", "WARNING", "--concurrency", "2",
             "--schedule", str(workdir / "beat-schedule")],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        time.sleep(6)  # worker connected, beat ticking
        (hot_id,) = query("SELECT MAX(id) FROM routing_assignment WHERE ended_at IS NULL")[0]
        # T: the same second for the whole storm, far enough ahead for the UPDATE.
        query(
            "UPDATE routing_assignment SET ack_due_at = date_trunc('second', now()) "
            "+ interval '3 seconds', remind_at = NULL WHERE ended_at IS NULL"
        )
        query(
            "UPDATE routing_assignment SET ack_due_at = ack_due_at + %s * interval '1 second' "
            "WHERE id = %s",
            (args.hot_after, hot_id),
        )
        (due,) = query("SELECT MAX(ack_due_at) FROM routing_assignment WHERE id = %s", (hot_id,))[0]
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            (waiting,) = query(
                "SELECT COUNT(*) FROM routing_assignment WHERE ended_at IS NULL "
                "AND acknowledged_at IS NULL AND ack_due_at <= %s",
                (due,),
            )[0]
            if not waiting:
                break
            time.sleep(0.5)
        rows = query(
            "SELECT id, EXTRACT(EPOCH FROM (ended_at - ack_due_at)) FROM routing_assignment "
            "WHERE end_reason = 'expired'"
        )
        lateness = {pk: float(late) for pk, late in rows}
        storm = [late for pk, late in lateness.items() if pk != hot_id]
        hot = lateness.get(hot_id)
        (span,) = query(
            "SELECT EXTRACT(EPOCH FROM (MAX(ended_at) - MIN(ack_due_at))) FROM routing_assignment "
            "WHERE end_reason = 'expired' AND id <> %s",
            (hot_id,),
        )[0]
        (escalated,) = query("SELECT COUNT(*) FROM routing_assignment WHERE reason = 'escalated'")[
            0
        ]
        print(
            f"\n{args.leads} assignments due at T, one more at T + {args.hot_after:g} s; "
            "Celery worker (concurrency 2) with beat, escalation sweep every 1 s"
        )
        print(f"  escalated                {len(storm)} of {args.leads} (+ hot lead: "
              f"{'yes' if hot is not None else 'NO'}); new assignments {escalated}")  # fmt: skip
        print(f"  escalations per second   {len(storm) / float(span):.0f} (T to the last one)")
        print(f"  lateness after deadline  {percentiles(storm)}")
        print(f"  hot lead lateness        {hot:.3f} s" if hot is not None else "  hot lead: NO")
        all_met = len(storm) == args.leads and max(storm) <= TARGET_ALL_S
        hot_met = hot is not None and hot <= TARGET_HOT_S
        print(
            f"  target all ≤ {TARGET_ALL_S:g} s late: {'met' if all_met else 'MISSED'}; "
            f"target hot lead ≤ {TARGET_HOT_S:g} s late: {'met' if hot_met else 'MISSED'}"
        )
        return 0 if all_met and hot_met else 1
    finally:
        if worker is not None:
            stop(worker)
        maintenance(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
