"""Benchmark of the outbox's sending alone: deliveries per second of one worker process
working through a backlog.

    .venv/bin/python bench/bench_delivery.py                # 1,000 webhooks
    .venv/bin/python bench/bench_delivery.py --rows 300 --delay 0.05

What it does (only 127.0.0.1 is contacted; every step has a timeout):

1. Creates the PostgreSQL database `leadrouter_bench_delivery` (`--database`), migrates
   it and sets up one rep whose webhook is a local HTTP server in this process (it
   answers after `--delay` seconds, as a receiver across a network would).
2. Takes `--rows` leads through intake with no worker running, so the outbox holds one
   pending webhook per lead.
3. Sends the backlog the way a worker's sending task does
   (`notifications_send_pending`), in a process of its own with production settings,
   and reports deliveries per second and the time to the last arrival.
4. Drops the database.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_intake import machine, maintenance, production_env, run  # noqa: E402
from tests.receiver import Receiver  # noqa: E402

DB_NAME = "leadrouter_bench_delivery"
REDIS_URL = "redis://127.0.0.1:6379/2"

SET_UP = """
from reps.models import Rep
from routing.models import Notification, Rule, RuleSet
from routing.normalize import normalize_submission
from routing.services import lead_intake
owner = Rep.objects.create(email="owner@example.com", name="Owner", notify_email=False,
                           webhook_url="{webhook}")
ruleset = RuleSet.objects.create(name="Bench", is_active=True, fallback_rep=owner)
Rule.objects.create(ruleset=ruleset, position=1, name="Everyone", conditions={{}},
                    route_to="rep", route_rep=owner)
for n in range({rows}):
    payload = {{"email": f"lead{{n}}@prospect.com"}}
    values, errors = normalize_submission(payload)
    lead_intake(values=values, payload=payload, intake_key=None)
print(Notification.objects.filter(status="pending").count())
"""

SEND = """
import time
from routing.services.delivery import notifications_send_pending
started = time.perf_counter()
sent = notifications_send_pending(seconds=600)
print(sent, time.perf_counter() - started)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.0, help="receiver's answer, s")
    parser.add_argument("--database", default=DB_NAME, help="created and dropped")
    parser.add_argument("--redis", default=REDIS_URL)
    args = parser.parse_args()
    print(f"bench_delivery: {machine()}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-delivery-"))
    env = production_env(args.database, args.redis, VAR_DIR=str(workdir))
    python, manage = sys.executable, str(ROOT / "manage.py")
    with Receiver() as receiver:
        receiver.delay = args.delay
        try:
            maintenance(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
            maintenance(f"CREATE DATABASE {args.database}")
            run([python, manage, "migrate", "--noinput"], env, timeout=300)
            script = SET_UP.format(webhook=receiver.url("/owner"), rows=args.rows)
            pending = int(run([python, manage, "shell", "-c", script], env, 600).split()[-1])
            started = time.time()
            sent, seconds = run([python, manage, "shell", "-c", SEND], env, 900).split()[-2:]
            arrivals = sorted(request.at for request in receiver.to("/owner"))
            print(
                f"\n{pending} pending webhooks, receiver answering after {args.delay:g} s, "
                "one process (notifications_send_pending)"
            )
            print(
                f"  sent {sent} in {float(seconds):.2f} s: {int(sent) / float(seconds):.1f} "
                f"deliveries/s; received {len(arrivals)}, the last "
                f"{arrivals[-1] - started:.2f} s after the process started"
            )
            return 0 if int(sent) == pending == len(arrivals) else 1
        finally:
            maintenance(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")


if __name__ == "__main__":
    threading.excepthook = lambda hook: None  # the receiver's threads at exit
    sys.exit(main())
