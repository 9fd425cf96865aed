"""Import an event list of 100,000 leads on PostgreSQL: time, rows per second, peak memory.

    .venv/bin/python bench/bench_import.py            # 10,000 then 100,000 rows
    .venv/bin/python bench/bench_import.py --rows 20000,50000

For each size it creates the database `leadrouter_bench_import` afresh (migrated, the demo
routing loaded), writes a CSV of distinct leads shaped like the demo's traffic (the same
generator as bench_intake.py, flattened to columns; 0.5% of rows with a bad e-mail or
employee count, 1% repeating an earlier row's e-mail), then runs
`manage.py import_leads FILE --map ...` with production settings as a separate process and
reports its wall time, rows per second and peak resident memory (its own maxrss), then
checks in the database that every good row became a lead with a decision and an
assignment, and that every pool's rotation was exact (the members' counts differ by at
most one in round-robin pools whose members were all available). Target: 100,000 rows
in ≤ 30 s. Memory should not grow with the file: compare the two sizes.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_intake import (
    PYTHON,
    ROOT,
    Leads,
    machine,
    maintenance,
    production_env,
    run,
)

DB_NAME = "leadrouter_bench_import"
# A Redis database of its own: the import queues notification tasks that no worker
# takes here; they are dropped at the end so that no other benchmark meets them.
REDIS_URL = "redis://127.0.0.1:6379/7"
TARGET_SECONDS = 30.0
COLUMNS = (
    "E-mail",
    "First name",
    "Last name",
    "Company",
    "Employees",
    "Country",
    "State",
    "ZIP",
    "Industry",
    "Source",
    "Message",
    "Campaign",
    "Language",
    "Badge",
)
MAPPING = {
    "E-mail": "email",
    "First name": "first_name",
    "Last name": "last_name",
    "Company": "company",
    "Employees": "employee_count",
    "Country": "country",
    "State": "state",
    "ZIP": "postal_code",
    "Industry": "industry",
    "Source": "source",
    "Message": "message",
}

MEASURED = """
import resource, runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    print("peak-rss-kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""
CHECK = """
import json
from collections import Counter
from django.db.models import Count
from reps.models import Pool
from routing.models import Assignment, Lead, LeadImport, Notification, RoutingDecision
imported = LeadImport.objects.get()
leads = Lead.objects.count()
undecided = Lead.objects.filter(decisions__isnull=True).count()
unowned = Lead.objects.filter(owner__isnull=True).count()
rr_spread = {}
for pool in Pool.objects.filter(method="round_robin"):
    counts = Counter(
        Assignment.objects.filter(decision__pool=pool).values_list("rep_id", flat=True)
    )
    if counts:
        rr_spread[pool.name] = max(counts.values()) - min(counts.values())
print(json.dumps({
    "leads": leads,
    "decisions": RoutingDecision.objects.count(),
    "assignments": Assignment.objects.count(),
    "undecided": undecided,
    "unowned": unowned,
    "fell_back_on_error": RoutingDecision.objects.filter(kind="error").count(),
    "import": [imported.rows, imported.imported, imported.joined, imported.rejected],
    "digests": Notification.objects.filter(kind="import.digest").count(),
    "round_robin_spread": rr_spread,
}))
"""


def write_csv(path: Path, rows: int, seed: int) -> tuple[int, int]:
    """(bad rows, repeated e-mails) written among `rows`."""
    leads = Leads(seed)
    rng = leads.rng
    bad = repeated = 0
    seen: list[str] = []
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for number in range(rows):
            body = leads.body()
            roll = rng.random()
            if roll < 0.005:
                bad += 1
                body["email" if number % 2 else "employee_count"] = "not-valid"
            elif roll < 0.015 and seen:
                repeated += 1
                body["email"] = rng.choice(seen)
            elif len(seen) < 5000:
                seen.append(body["email"])
            attributes = body.get("attributes", {})
            writer.writerow(
                (
                    body["email"],
                    body.get("first_name", ""),
                    body.get("last_name", ""),
                    body.get("company", ""),
                    body.get("employee_count", ""),
                    body.get("country", ""),
                    body.get("state", ""),
                    body.get("postal_code", ""),
                    body.get("industry", ""),
                    body.get("source", ""),
                    body.get("message", ""),
                    attributes.get("utm", {}).get("campaign", ""),
                    attributes.get("language", ""),
                    f"B{number:06d}",
                )
            )
    return bad, repeated


def one_size(rows: int, seed: int, workdir: Path) -> dict[str, object]:
    env = production_env(DB_NAME, REDIS_URL)
    python, manage = str(PYTHON), str(ROOT / "manage.py")
    maintenance(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    maintenance(f"CREATE DATABASE {DB_NAME}")
    run([python, manage, "migrate", "--noinput"], env, timeout=300)
    run([python, manage, "load_routing", str(ROOT / "demo" / "routing.yaml")], env, 120)
    path = workdir / f"event-{rows}.csv"
    bad, repeated = write_csv(path, rows, seed)
    # The import runs in a process of its own that reports its own peak memory.
    command = [python, "-c", MEASURED, manage, "import_leads", str(path)]
    for column, field in MAPPING.items():
        command += ["--map", f"{column}={field}"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise RuntimeError(f"import_leads failed:\n{completed.stdout}\n{completed.stderr[-3000:]}")
    peak_kib = int(completed.stderr.rsplit("peak-rss-kib ", 1)[1].split()[0])
    stored = json.loads(run([python, manage, "shell", "-c", CHECK], env, 120).splitlines()[-1])
    return {
        "rows": rows,
        "bad": bad,
        "repeated": repeated,
        "seconds": seconds,
        "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "peak_mib": peak_kib / 1024,
        "size_mib": path.stat().st_size / 2**20,
        "summary": completed.stdout.splitlines()[0],
        "stored": stored,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", default="10000,100000", help="sizes, comma-separated")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"bench_import: {machine()}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    results = []
    try:
        for rows in (int(size) for size in args.rows.split(",")):
            result = one_size(rows, args.seed, workdir)
            results.append(result)
            stored = result["stored"]
            good = rows - result["bad"]
            print(
                f"\n{rows:,} rows ({result['size_mib']:.1f} MiB; {result['bad']} bad, "
                f"{result['repeated']} repeating an e-mail): {result['seconds']:.1f} s, "
                f"{rows / result['seconds']:,.0f} rows/s, import process CPU "
                f"{result['cpu']:.1f} s, peak memory {result['peak_mib']:.0f} MiB"
            )
            print(f"  {result['summary']}")
            print(
                f"  stored: {stored['leads']:,} leads, {stored['decisions']:,} decisions, "
                f"{stored['assignments']:,} assignments; undecided {stored['undecided']}, "
                f"unowned {stored['unowned']}, fell back on an error "
                f"{stored['fell_back_on_error']}; {stored['digests']} digest messages"
            )
            print(
                f"  round-robin pools, most minus fewest leads per member: "
                f"{stored['round_robin_spread']}"
            )
            expected = good - result["repeated"]
            if stored["leads"] != stored["decisions"] or stored["undecided"]:
                raise SystemExit("FAILED: a lead without its decision")
            if abs(stored["leads"] - expected) > result["repeated"]:
                raise SystemExit(f"FAILED: {stored['leads']} leads stored, ~{expected} expected")
        largest = results[-1]
        verdict = "met" if largest["seconds"] <= TARGET_SECONDS else "MISSED"
        print(
            f"\ntarget: {largest['rows']:,} rows in <= {TARGET_SECONDS:.0f} s: {verdict} "
            f"({largest['seconds']:.1f} s); peak memory "
            + " → ".join(f"{r['peak_mib']:.0f} MiB ({r['rows']:,} rows)" for r in results)
        )
    finally:
        maintenance(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        redis.Redis.from_url(REDIS_URL).flushdb()


if __name__ == "__main__":
    main()
