"""Benchmark of the speed-to-lead loop with a real worker: how fast the owner hears of a
new lead, and how late an unacknowledged lead moves on.

    .venv/bin/python bench/bench_loop.py            # 200 leads for each measure
    .venv/bin/python bench/bench_loop.py --quick    # 60 leads

What it does (only 127.0.0.1 is contacted; every step has a timeout):

1. Creates the PostgreSQL database `leadrouter_bench_loop`, migrates it and sets up a
   small team with `manage.py shell`: a rep whose webhook is a local HTTP server in this
   process, an escalation pool of two reps, and a rule with an SLA of `--sla` seconds.
2. Starts gunicorn (2 sync workers, production settings, DEBUG off) and
   `celery -A config worker --beat` (concurrency 2) on Redis 127.0.0.1:6379 db 2
   (`--database` and `--redis` choose others, to run beside another benchmark).
3. Intake to webhook receipt: posts `--leads` leads at `--rate` per second, each with
   a fresh e-mail, and times from the start of the POST to the arrival of the signed
   webhook (matched by lead id), and the rate webhooks arrived at from the first to
   the last. Target p99 ≤ 2 s.
4. Escalation lateness: nobody acknowledges, so every lead of step 3 expires `--sla`
   seconds after its assignment; for each, the time from `ack_due_at` to the new
   assignment (from the database). Target max ≤ 2 s.
5. Prints both (median, p90, p99, max), stops everything, drops the database.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_intake import (  # noqa: E402 - after the path is set
    GUNICORN,
    HOST,
    PG,
    free_port,
    machine,
    maintenance,
    production_env,
    run,
    stop,
)
from tests.receiver import Receiver  # noqa: E402

DB_NAME = "leadrouter_bench_loop"
REDIS_URL = "redis://127.0.0.1:6379/2"
TARGET_P99_S = 2.0
TARGET_LATENESS_S = 2.0

SET_UP = """
from datetime import timedelta
from reps.models import Pool, PoolMembership, Rep
from routing.models import IntakeKey, Rule, RuleSet
owner = Rep.objects.create(email="owner@example.com", name="Owner", notify_email=False,
                           webhook_url="{webhook}")
pool = Pool.objects.create(name="Escalations")
for n in (1, 2):
    rep = Rep.objects.create(email=f"closer{{n}}@example.com", name=f"Closer {{n}}",
                             notify_email=False)
    PoolMembership.objects.create(pool=pool, rep=rep)
ruleset = RuleSet.objects.create(name="Bench", is_active=True, fallback_rep=owner,
                                 escalate_to_pool=pool, ack_sla=timedelta(seconds={sla}))
Rule.objects.create(ruleset=ruleset, position=1, name="Everyone", conditions={{}},
                    route_to="rep", route_rep=owner)
print(IntakeKey.objects.create_key(name="bench")[1])
"""


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    return (
        f"median {statistics.median(ordered):6.3f} s  p90 {p90:6.3f}  p99 {p99:6.3f}  "
        f"max {ordered[-1]:6.3f}  (n={len(ordered)})"
    )


def lateness_of_expiries(db_name: str) -> list[float]:
    """For each expired assignment, how long after its deadline the sweep expired it (and,
    in the same transaction, gave the lead to its next owner)."""
    import psycopg

    with psycopg.connect(dbname=db_name, connect_timeout=10, **PG) as conn:
        rows = conn.execute(
            """
            SELECT EXTRACT(EPOCH FROM (ended_at - ack_due_at))
            FROM routing_assignment
            WHERE end_reason = 'expired'
            """
        ).fetchall()
    return [float(value) for (value,) in rows]


def expired_leads(db_name: str) -> set[int]:
    import psycopg

    with psycopg.connect(dbname=db_name, connect_timeout=10, **PG) as conn:
        rows = conn.execute(
            "SELECT DISTINCT lead_id FROM routing_assignment WHERE end_reason = 'expired'"
        ).fetchall()
    return {lead for (lead,) in rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="60 leads")
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--rate", type=float, default=5.0, help="leads per second")
    parser.add_argument("--sla", type=int, default=5, help="acknowledgment SLA, seconds")
    parser.add_argument("--database", default=DB_NAME, help="created and dropped")
    parser.add_argument("--redis", default=REDIS_URL, help="the broker's Redis URL")
    args = parser.parse_args()
    db_name = args.database
    if args.quick:
        args.leads = 60
    print(f"bench_loop: {machine()}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-loop-"))
    env = production_env(db_name, args.redis, VAR_DIR=str(workdir))
    python, manage = sys.executable, str(ROOT / "manage.py")
    processes: list[subprocess.Popen] = []
    with Receiver() as receiver:
        try:
            maintenance(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
            maintenance(f"CREATE DATABASE {db_name}")
            run([python, manage, "migrate", "--noinput"], env, timeout=300)
            script = SET_UP.format(webhook=receiver.url("/owner"), sla=args.sla)
            key = run([python, manage, "shell", "-c", script], env, 60).strip().splitlines()[-1]
            port = free_port()
            log = (workdir / "processes.log").open("w")
            processes.append(
                subprocess.Popen(
                    [str(GUNICORN), "config.wsgi:application", "--config", "config/gunicorn.py",
                     "--bind", f"{HOST}:{port}",
                     "--workers", "2", "--log-level", "warning"],
                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                )
            )  # fmt: skip
            processes.append(
                subprocess.Popen(
                    [python, "-m", "celery", "-A", "config", "worker", "--beat",
                     "--loglevel", "WARNING", "--concurrency", "2",
                     "--schedule", str(workdir / "beat-schedule")],
                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                )
            )  # fmt: skip
            time.sleep(6)  # both up, worker connected, beat ticking
            url = f"http://{HOST}:{port}/api/v1/leads/"
            headers = {"Authorization": f"Api-Key {key}"}
            posted: dict[int, float] = {}
            with httpx.Client(timeout=15) as client:
                client.post(url, json={"email": "warm@prospect.com"}, headers=headers)
                started = time.time()
                for n in range(args.leads):
                    time.sleep(max(0.0, started + n / args.rate - time.time()))
                    sent = time.time()
                    response = client.post(
                        url, json={"email": f"lead{n}@prospect.com"}, headers=headers
                    )
                    response.raise_for_status()
                    posted[response.json()["id"]] = sent

            def assigned() -> dict[int, float]:
                return {
                    r.json["data"]["lead"]["id"]: r.at
                    for r in receiver.to("/owner")
                    if r.json["type"] == "lead.assigned"
                }

            deadline = time.time() + 60
            while len(assigned()) < args.leads + 1 and time.time() < deadline:
                time.sleep(0.1)
            arrivals = assigned()
            latency = [arrivals[lead] - at for lead, at in posted.items()]
            time.sleep(args.sla + 4)  # the last leads expire and escalate
            lateness = lateness_of_expiries(db_name)
            print(
                f"\n{args.leads} leads at {args.rate:g}/s, SLA {args.sla} s, 2 gunicorn workers, "
                "Celery worker (concurrency 2) with beat, escalation sweep every 1 s"
            )
            print(f"  intake → webhook received   {percentiles(latency)}")
            burst = sorted(arrivals[lead] for lead in posted)
            print(
                f"  webhooks received           {len(burst) / (burst[-1] - burst[0]):.1f}/s "
                f"from the first to the last (leads posted at {args.rate:g}/s)"
            )
            print(f"  escalation after deadline   {percentiles(lateness)}")
            p99 = sorted(latency)[int(0.99 * (len(latency) - 1))]
            late = max(lateness)
            missing = len(set(posted) - expired_leads(db_name))
            print(
                f"  target p99 ≤ {TARGET_P99_S} s: {'met' if p99 <= TARGET_P99_S else 'MISSED'}; "
                f"target max lateness ≤ {TARGET_LATENESS_S} s: "
                f"{'met' if late <= TARGET_LATENESS_S else 'MISSED'}; "
                f"leads not escalated: {missing}"
            )
            return 0 if p99 <= TARGET_P99_S and late <= TARGET_LATENESS_S and not missing else 1
        finally:
            for process in processes:
                stop(process)
            maintenance(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")


if __name__ == "__main__":
    threading.excepthook = lambda hook: None  # the receiver's threads at exit
    sys.exit(main())
