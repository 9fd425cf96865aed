"""Export 10,000 then 100,000 leads as CSV on PostgreSQL: time, rows per second, queries,
peak memory.

    .venv/bin/python bench/bench_export.py            # 10,000 then 100,000 leads
    .venv/bin/python bench/bench_export.py --rows 2000,50000

For each size it creates the database `leadrouter_bench_export` afresh (migrated), stores
that many routed leads (every lead field filled, an owner, a rule, a pool, a first
assignment with a deadline, half of them acknowledged) with bulk inserts, then, in a
separate process with production settings, streams the response the admin's and the
dashboard's "Download CSV" return (`routing.exports.lead_export_response`) to the end and
reports its wall time, rows per second, the queries it sent and its peak resident memory
above what the process held before the export. The memory should not grow with the rows.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_intake import PYTHON, machine, maintenance, production_env, run

DB_NAME = "leadrouter_bench_export"
REDIS_URL = "redis://127.0.0.1:6379/3"
BATCH = 5000
WIDTHS = (8, 8, 8, 7, 7, 11)


def seed(rows: int) -> None:
    """Store `rows` routed leads, each with its first assignment."""
    import django

    django.setup()
    from datetime import timedelta

    from django.utils import timezone

    from routing.models import Assignment, Lead
    from tests.factories import PoolFactory, RepFactory, RuleFactory

    reps = [RepFactory(name=f"Rep {n}", email=f"rep{n}@example.com") for n in range(20)]
    pools = [PoolFactory(name=f"Pool {n}") for n in range(4)]
    rules = [RuleFactory(name=f"Rule {n}", route_rep=reps[n]) for n in range(4)]
    start = timezone.now() - timedelta(days=20)
    for first in range(0, rows, BATCH):
        leads = [
            Lead(
                email=f"lead{n}@company{n % 997}.com",
                email_domain=f"company{n % 997}.com",
                first_name="Pat",
                last_name=f"Prospect {n}",
                phone="+1 555 0100",  # neutralised in every row
                company=f"Company {n % 997}",
                website=f"https://company{n % 997}.com",
                employee_count=n % 5000,
                annual_revenue=n * 100,
                country="US",
                state="TX",
                postal_code="78701",
                city="Austin",
                industry="Logistics",
                product="Payments",
                source="demo_request",
                score=n % 100,
                message="Please call me about pricing for our team.\nThanks",
                utm_source="google",
                utm_medium="cpc",
                utm_campaign="spring",
                attributes={"plan": "pro", "seats": n % 50},
                payload={"email": f"lead{n}@company{n % 997}.com"},
                status=Lead.Status.ACKNOWLEDGED if n % 2 else Lead.Status.ASSIGNED,
                owner=reps[n % 20],
                ruleset=rules[n % 4].ruleset,
                rule=rules[n % 4],
                pool=pools[n % 4],
                created_at=start + timedelta(seconds=n),
                acknowledged_at=start + timedelta(seconds=n + 60) if n % 2 else None,
            )
            for n in range(first, min(first + BATCH, rows))
        ]
        Lead.objects.bulk_create(leads)
        Assignment.objects.bulk_create(
            Assignment(
                lead=lead,
                rep=lead.owner,
                assigned_at=lead.created_at,
                ack_due_at=lead.created_at + timedelta(minutes=15),
                acknowledged_at=lead.acknowledged_at,
            )
            for lead in leads
        )


def export() -> None:
    """Stream the export of every lead to the end; print what it took as JSON."""
    import django

    django.setup()
    from django.db import connection

    from routing.exports import export_filename, lead_export_response
    from routing.models import Lead

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = rows = 0
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        response = lead_export_response(
            Lead.objects.order_by("created_at", "id"), filename=export_filename("bench")
        )
        for piece in response.streaming_content:
            size += len(piece)
            rows += piece.count(b"\r\n")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "lines": rows,
                "seconds": seconds,
                "bytes": size,
                "queries": queries,
                "before_mib": before / 1024,
                "growth_mib": (peak - before) / 1024,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="10000,100000", help="sizes, comma-separated")
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--export", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.seed is not None:
        seed(options.seed)
        return 0
    if options.export:
        export()
        return 0

    env = production_env(DB_NAME, REDIS_URL)
    print(machine())
    print(
        f"{'leads':>8} {'seconds':>8} {'rows/s':>8} {'MiB':>7} {'queries':>7} {'memory +MiB':>11}"
    )
    try:
        for rows in (int(size) for size in options.rows.split(",")):
            maintenance(f"DROP DATABASE IF EXISTS {DB_NAME}")
            maintenance(f"CREATE DATABASE {DB_NAME}")
            run([str(PYTHON), "manage.py", "migrate", "-v0"], env, timeout=300)
            run([str(PYTHON), __file__, "--seed", str(rows)], env, timeout=900)
            result = json.loads(run([str(PYTHON), __file__, "--export"], env, timeout=900))
            assert result["lines"] == rows + 1, result  # the header and one line per lead
            print(
                f"{rows:>8,} {result['seconds']:>8.2f} {rows / result['seconds']:>8,.0f} "
                f"{result['bytes'] / 2**20:>7.1f} {result['queries']:>7} "
                f"{result['growth_mib']:>11.1f}"
            )
    finally:
        maintenance(f"DROP DATABASE IF EXISTS {DB_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
