"""Where one intake request spends its time: cProfile over POST /api/v1/leads/ in-process.

    .venv/bin/python bench/profile_intake.py                 # 300 leads stored first
    .venv/bin/python bench/profile_intake.py --preload 3000  # a busier database
    .venv/bin/python bench/profile_intake.py --prepared      # as production runs it

Creates the PostgreSQL database `leadrouter_bench_profile` (migrate, demo/routing.yaml, an
intake key), stores `--preload` leads through intake, then sends `--requests` more through
the whole Django stack (middleware, DRF, intake, response) with Django's test client and
the bench settings (production settings, Redis cache), and prints:

- wall and CPU milliseconds per request, unprofiled, for intake and for the bare endpoint;
- the SQL statements of one intake request, with their database time;
- profiled time by area (ORM, psycopg, DRF, engine...) and the top functions.

Prepared statements are off unless `--prepared`: psycopg runs prepared statements on its
own cursors, which Django does not log, so the SQL list would miss them (the timings
are those of production only with `--prepared`).

Drops the database at the end. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_intake  # noqa: E402  (helpers: database set-up, lead bodies)

DB_NAME = "leadrouter_bench_profile"
AREAS = (  # (part of the file name, area); first match wins
    ("psycopg/connection.py", "waiting for PostgreSQL"),
    ("psycopg", "psycopg (send, adapt, load)"),
    ("django/db/models/sql", "Django ORM: SQL compiler"),
    ("django/db", "Django ORM: models, querysets"),
    ("rest_framework", "DRF"),
    ("copy.py", "DRF (copying fields)"),
    ("redis", "Redis (throttle)"),
    ("django/core/cache", "Redis (throttle)"),
    ("routing/engine", "routing engine"),
    ("territories/", "routing engine"),
    ("routing/normalize", "normalize + validate"),
    ("django/", "Django request, middleware"),
    ("whitenoise", "Django request, middleware"),
    ("simple_history", "Django request, middleware"),
    ("routing/", "routing (services, api)"),
    ("reps/", "routing (services, api)"),
)


def area(filename: str) -> str:
    for part, name in AREAS:
        if part in filename:
            return name
    return "other (stdlib, builtins)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preload", type=int, default=300, help="leads stored before")
    parser.add_argument("--requests", type=int, default=100, help="requests measured")
    parser.add_argument(
        "--prepared", action="store_true", help="prepared statements on (not all SQL listed)"
    )
    args = parser.parse_args()
    env = {
        "DATABASE_URL": f"postgres://postgres@{bench_intake.HOST}:5432/{DB_NAME}",
        "DJANGO_SETTINGS_MODULE": "bench.bare.settings",
        "SECRET_KEY": "bench",
        "DEBUG": "false",
        "ALLOWED_HOSTS": bench_intake.HOST,
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "REDIS_URL": bench_intake.REDIS_URL,
        "INTAKE_RATE": "1000000/s",
        "LOG_LEVEL": "WARNING",
        "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.0/8",  # the demo's AI agent is local
        "DATABASE_PREPARED_STATEMENTS": "true" if args.prepared else "false",
    }
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    python, manage = str(bench_intake.PYTHON), str(ROOT / "manage.py")
    bench_intake.maintenance(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    bench_intake.maintenance(f"CREATE DATABASE {DB_NAME}")
    try:
        bench_intake.run([python, manage, "migrate", "--noinput"], full_env, 300)
        bench_intake.run(
            [python, manage, "load_routing", str(ROOT / "demo" / "routing.yaml")], full_env, 120
        )
        os.environ.update(env)
        profile(args)
    finally:
        from django.db import connections

        connections.close_all()
        bench_intake.maintenance(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def profile(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from routing.models import IntakeKey

    _, key = IntakeKey.objects.create_key(name="profile")
    client = Client(HTTP_HOST=bench_intake.HOST, HTTP_AUTHORIZATION=f"Api-Key {key}")
    leads = bench_intake.Leads(seed=3)

    def post(path: str) -> None:
        body = leads.batch(1)[0]
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code in (200, 201), (response.status_code, response.content)

    started = time.perf_counter()
    for _ in range(args.preload):
        post(bench_intake.INTAKE_PATH)
    print(f"{args.preload} leads stored through intake in {time.perf_counter() - started:.1f} s")
    for _ in range(20):
        post(bench_intake.BARE_PATH)

    print()
    for path in (bench_intake.BARE_PATH, bench_intake.INTAKE_PATH):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.requests):
            post(path)
        wall = (time.perf_counter() - wall) * 1000 / args.requests
        cpu = (time.process_time() - cpu) * 1000 / args.requests
        with CaptureQueriesContext(connection) as queries:
            post(path)
        statements = [q for q in queries.captured_queries if not q["sql"].startswith(("BEGIN",))]
        print(
            f"{path:<16} {wall:6.1f} ms wall, {cpu:6.1f} ms CPU per request (client and "
            f"server in one process, no profiler); {len(statements)} SQL statements"
        )

    print()
    print("SQL of one intake request (database time in ms):")
    for query in statements:
        print(f"  {float(query['time']) * 1000:5.1f}  {query['sql'][:110]}")

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.requests):
        post(bench_intake.INTAKE_PATH)
    profiler.disable()
    stats = pstats.Stats(profiler)
    areas: collections.Counter[str] = collections.Counter()
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        areas[area(filename)] += tottime
    total = sum(areas.values())
    print()
    print(
        f"intake, profiled, by area ({args.requests} requests; the profiler adds its own "
        "overhead, so read the shares):"
    )
    for name, seconds in areas.most_common():
        print(f"  {name:<32} {seconds * 1000 / args.requests:6.2f} ms  {seconds / total:6.1%}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(r"/routing/", 25)
    print()
    print("intake, profiled, the project's functions by cumulative time:")
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("ncalls"))
    print("\n".join(line.replace(str(ROOT) + "/", "") for line in lines[start:] if line.strip()))


if __name__ == "__main__":
    main()
