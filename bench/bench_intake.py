"""Benchmark of intake under load: POST /api/v1/leads/ against a bare insert, same stack.

    .venv/bin/python bench/bench_intake.py           # 2 and 4 workers x 8 and 16 clients
    .venv/bin/python bench/bench_intake.py --quick   # 2 workers, 8 clients, 600 requests

What it does, start to end (only 127.0.0.1 is contacted; every step has a timeout):

1. Drops and creates the PostgreSQL database `leadrouter_bench` (psycopg, through the
   `postgres` maintenance database), runs `manage.py migrate` and
   `manage.py load_routing demo/routing.yaml` against it and creates an intake key.
2. For each worker count, starts gunicorn (sync workers, config/gunicorn.py) on a free
   port with config.settings.production plus bench/bare (settings and a URLconf that add
   `POST /bench/bare/`: the same intake-key authentication, a minimal serializer and
   one INSERT), DEBUG off, Redis as the cache (the throttle's counts), and the intake
   rate limit raised so that nothing is throttled.
3. For each number of concurrent connections: empties the lead tables, warms both
   endpoints up (every worker builds its routing snapshot), then runs the two endpoints
   in alternating segments (bare, intake, bare, intake) until each has had `--requests`
   requests, every one a distinct lead (unique e-mail; free signups, pricing page with a
   work e-mail, enterprise sizes, the demo's named-account domains, US ZIPs and states,
   EU demo requests). The client is one thread per connection with its own
   http.client connection (`--client wrk` uses wrk with a generated Lua script instead).
4. Prints requests/s, latency median / p90 / p99 in ms, non-2xx answers and transport
   errors per endpoint, the CPU each request cost the gunicorn workers, the PostgreSQL
   backends and the client (all share the machine), the ratio intake / bare (target
   ≥ 0.5: "intake close to the cost of a bare insert on the same stack"), and checks
   that intake never fell back after a routing error (it answers 201 then too). Then
   stops gunicorn and drops the database (`--keep-db` keeps it for profiling).

gunicorn's sync workers close the connection after each response (they are meant to sit
behind a buffering proxy), so clients reconnect for every request; that costs both
endpoints the same. Exit status 1 if any request failed.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import http.client
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)  # the project's .venv/bin/python, as the usage line says
GUNICORN = PYTHON.parent / "gunicorn"
HOST = "127.0.0.1"
DB_NAME = "leadrouter_bench"
PG = {"host": HOST, "port": 5432, "user": "postgres"}
REDIS_URL = "redis://127.0.0.1:6379/1"
BARE_PATH = "/bench/bare/"
INTAKE_PATH = "/api/v1/leads/"
TARGET_RATIO = 0.5

# From demo/routing.yaml: named accounts, and places its territories cover.
ACCOUNT_DOMAINS = (
    "acme.com",
    "acme.io",
    "globex.com",
    "initech.com",
    "starkindustries.com",
    "umbrella-group.com",
    "wayne-enterprises.com",
)
FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com")
US_PLACES = (  # (state, ZIP)
    ("NY", "10012"),
    ("NY", "11201"),
    ("NJ", "07102"),
    ("PA", "19103"),
    ("CA", "94107"),
    ("WA", "98101"),
    ("TX", "73301"),
    ("IL", "60601"),
    ("MA", "02110"),
    ("CO", "80202"),
)
EU_COUNTRIES = ("DE", "FR", "GB", "NL", "SE", "ES", "Italy", "Germany")
SHAPES = (
    ("free signup", 0.20),
    ("pricing page", 0.20),
    ("enterprise", 0.10),
    ("named account", 0.15),
    ("mid-market US", 0.20),
    ("EU demo request", 0.10),
    ("contact form", 0.05),
)


# ------------------------------------------------------------------------------- leads


class Leads:
    """Distinct lead bodies: a unique e-mail each, shapes mixed like the demo's traffic."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.run = uuid.uuid4().hex[:6]
        self.count = 0

    def body(self) -> dict[str, Any]:
        rng = self.rng
        self.count += 1
        tag = f"{self.run}.{self.count}"
        names, weights = zip(*SHAPES, strict=True)
        shape = rng.choices(names, weights)[0]
        word = rng.choice(("north", "blue", "bright", "cedar", "vector", "lumen", "apex"))
        work = f"{word}{rng.choice(('labs', 'works', 'data', 'retail'))}{rng.randrange(999)}.com"
        body: dict[str, Any] = {
            "email": f"lead.{tag}@{work}",
            "first_name": rng.choice(("Pat", "Ana", "Li", "Sam", "Jo")),
            "last_name": "Bench",
            "company": f"{word.title()} Company {rng.randrange(999)}",
        }
        if shape == "free signup":
            body.update(email=f"signup.{tag}@{rng.choice(FREE_MAIL)}", source="free_signup")
            body.pop("company")
        elif shape == "pricing page":
            state, zip_code = rng.choice(US_PLACES)
            body.update(source="pricing_page", employee_count=rng.choice((12, "11-50", 80)))
            body.update(country="US", state=state, postal_code=zip_code)
        elif shape == "enterprise":
            body.update(
                source="demo_request",
                employee_count=rng.choice((1500, "1,000+", "5k+")),
                country=rng.choice(("US", "GB", "DE")),
            )
        elif shape == "named account":
            body.update(
                email=f"buyer.{tag}@{rng.choice(ACCOUNT_DOMAINS)}",
                source=rng.choice(("demo_request", "contact_form")),
                employee_count=rng.choice((None, 2000, 300)),
            )
        elif shape == "mid-market US":
            state, zip_code = rng.choice(US_PLACES)
            body.update(
                source=rng.choice(("demo_request", "contact_form", "pricing_page")),
                employee_count=rng.choice((150, "101-250", 600, "500-999")),
                country="US",
                state=state,
                postal_code=zip_code,
                industry=rng.choice(("Software", "Retail", "Logistics")),
            )
        elif shape == "EU demo request":
            body.update(
                source="demo_request",
                country=rng.choice(EU_COUNTRIES),
                employee_count=rng.choice((40, 250, 800)),
                attributes={"utm": {"campaign": "q4-emea"}, "language": "de"},
            )
        else:
            body.update(source="contact_form", message="Please call me back.", country="CA")
        return {key: value for key, value in body.items() if value is not None}

    def batch(self, count: int) -> list[bytes]:
        return [json.dumps(self.body(), separators=(",", ":")).encode() for _ in range(count)]


# What the database holds at the end: leads of each endpoint, and whether intake ever
# fell back after a routing error (it answers 201 then too, so the status cannot tell).
CREATE_KEY = """
from routing.models import IntakeKey
_, key = IntakeKey.objects.create_key(name="bench")
print(key)
"""
STORED_CHECK = """
import json
from collections import Counter
from routing.models import Lead, RoutingDecision
statuses = Counter(Lead.objects.values_list("status", flat=True))
decisions = RoutingDecision.objects
print(json.dumps({
    "bare": statuses.pop("new", 0),
    "intake": sum(statuses.values()),
    "statuses": dict(statuses),
    "by_rule": dict(Counter(decisions.values_list("rule_name", flat=True))),
    "routing_errors": decisions.filter(kind=RoutingDecision.Kind.FALLBACK_ON_ERROR).count(),
}))
"""


# ----------------------------------------------------------------------------- results


@dataclass
class Result:
    endpoint: str
    requests: int
    seconds: float
    latencies_ms: list[float]  # per request (python client), or empty (wrk)
    percentiles_ms: tuple[float, float, float]  # median, p90, p99
    non_2xx: int
    transport_errors: int
    cpu_ms: dict[str, float] = dataclasses.field(default_factory=dict)  # per request
    failed: list[str] = dataclasses.field(default_factory=list)  # first non-2xx answers

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def merge(endpoint: str, parts: list[Result]) -> Result:
    """Segments of one endpoint as one run. Percentiles of wrk segments (which report
    percentiles, not samples) are averaged, weighted by requests."""
    requests = sum(part.requests for part in parts)
    seconds = sum(part.seconds for part in parts)
    samples = [ms for part in parts for ms in part.latencies_ms]
    if samples and len(samples) == requests:
        percentiles = percentiles_of(samples)
    else:
        percentiles = tuple(
            sum(part.percentiles_ms[i] * part.requests for part in parts) / max(requests, 1)
            for i in range(3)
        )
    return Result(
        endpoint,
        requests,
        seconds,
        samples,
        percentiles,  # type: ignore[arg-type]
        sum(part.non_2xx for part in parts),
        sum(part.transport_errors for part in parts),
        {
            name: sum(part.cpu_ms[name] * part.requests for part in parts) / max(requests, 1)
            for name in parts[0].cpu_ms
        },
        [answer for part in parts for answer in part.failed][:3],
    )


def percentiles_of(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    at = lambda share: ordered[min(len(ordered) - 1, int(len(ordered) * share))]  # noqa: E731
    return statistics.median(ordered), at(0.90), at(0.99)


# ----------------------------------------------------------------------------- clients


def run_python_client(
    port: int, path: str, key: str, bodies: list[bytes], connections: int, deadline: float
) -> Result:
    """`connections` threads, each with its own http.client connection (it reconnects
    by itself when the server closes), taking bodies from a shared list."""
    headers = {"Content-Type": "application/json", "Authorization": f"Api-Key {key}"}
    lock = threading.Lock()
    position = iter(range(len(bodies)))
    latencies: list[float] = []
    statuses: list[int] = []
    failed: list[str] = []
    transport_errors = [0]

    def worker() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            while time.monotonic() < deadline:
                with lock:
                    index = next(position, None)
                if index is None:
                    return
                started = time.perf_counter()
                try:
                    connection.request("POST", path, body=bodies[index], headers=headers)
                    response = connection.getresponse()
                    answer = response.read()
                except (OSError, http.client.HTTPException):
                    with lock:
                        transport_errors[0] += 1
                    connection.close()
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses.append(response.status)
                    if not 200 <= response.status < 300 and len(failed) < 3:
                        failed.append(f"{response.status} {answer[:300]!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic() + 35))
    seconds = time.perf_counter() - started
    non_2xx = sum(1 for status in statuses if not 200 <= status < 300)
    return Result(
        "",
        len(statuses),
        seconds,
        latencies,
        percentiles_of(latencies) if latencies else (0.0, 0.0, 0.0),
        non_2xx,
        transport_errors[0],
        failed=failed,
    )


WRK_SCRIPT = r"""
-- Generated by bench/bench_intake.py: POST one distinct body per request, stop after
-- `share` responses per thread (the script then interrupts wrk, which otherwise waits
-- out its -d duration), count non-2xx answers.
local bodies = dofile(os.getenv("BENCH_BODIES"))
local path = os.getenv("BENCH_PATH")
local key = os.getenv("BENCH_KEY")
local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  share = tonumber(args[1])
  slot = tonumber(args[2])
  sent, got, bad = 0, 0, 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Api-Key " .. key
end

function request()
  -- a slot holds `share` bodies plus one per connection, for the requests still in
  -- flight when the thread has its `share` answers: every request is a distinct lead
  local body = bodies[index * slot + math.min(sent, slot - 1) + 1]
  sent = sent + 1
  return wrk.format("POST", path, nil, body)
end

function response(status, headers, body)
  got = got + 1
  if status < 200 or status > 299 then bad = bad + 1 end
  if got == share then
    io.write("STOPPED\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local total_bad, total_got = 0, 0
  for _, thread in ipairs(threads) do
    total_bad = total_bad + thread:get("bad")
    total_got = total_got + thread:get("got")
  end
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %.1f %.1f %.1f\n",
    summary.requests, summary.duration, total_got, total_bad,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


def lua_string(data: bytes) -> str:
    return "[==[" + data.decode() + "]==]"


def run_wrk(
    port: int,
    path: str,
    key: str,
    leads: Leads,
    count: int,
    connections: int,
    workdir: Path,
    timeout: float,
) -> Result:
    # One wrk thread: when a thread has its answers it stops, but wrk has already opened
    # the next connection (sync workers close each one), and an idle connection holds a
    # sync worker until wrk exits. With one thread wrk is interrupted at once; it is
    # plenty for a few hundred requests per second.
    threads = 1
    share = count // threads
    slot = share + connections  # see request() in WRK_SCRIPT
    bodies = leads.batch(threads * slot)
    bodies_file = workdir / "bodies.lua"
    bodies_file.write_text("return {\n" + ",\n".join(lua_string(b) for b in bodies) + "\n}\n")
    script = workdir / "post.lua"
    script.write_text(WRK_SCRIPT)
    env = {**os.environ, "BENCH_BODIES": str(bodies_file), "BENCH_PATH": path, "BENCH_KEY": key}
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{int(timeout)}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        f"http://{HOST}:{port}{path}",
        "--",
        str(share),
        str(slot),
    ]
    wrk = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stopped = 0
    lines: list[str] = []
    try:
        assert wrk.stdout is not None
        for line in wrk.stdout:  # wrk ends by itself after -d seconds at the latest
            lines.append(line)
            if line.startswith("STOPPED"):
                stopped += 1
                if stopped == threads:
                    wrk.send_signal(signal.SIGINT)  # wrk prints its summary and exits
        wrk.wait(timeout=30)
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait(timeout=10)
    line = next((line for line in lines if line.startswith("BENCH ")), None)
    if line is None:
        stderr = wrk.stderr.read() if wrk.stderr else ""
        raise RuntimeError(f"wrk failed: {''.join(lines)}\n{stderr}")
    _, _requests, duration_us, got, bad, transport, p50, p90, p99 = line.split()
    return Result(
        "",
        int(got),
        int(duration_us) / 1e6,
        [],
        (float(p50) / 1000, float(p90) / 1000, float(p99) / 1000),
        int(bad),
        int(transport),
    )


# -------------------------------------------------------------------------- the stack


def production_env(db_name: str, redis_url: str, **extra: str) -> dict[str, str]:
    """Production settings on this machine's PostgreSQL and Redis, DEBUG off, no TLS."""
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{db_name}",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "bench",
        "DEBUG": "false",
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "REDIS_URL": redis_url,
        "INTAKE_RATE": "1000000/s",  # per second: DRF keeps one timestamp per request in the window
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        # The demo's AI agent and the benchmarks' receivers listen on this machine.
        "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.0/8",
        **extra,
    }


def run(command: list[str], env: dict[str, str], timeout: float) -> str:
    completed = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({completed.returncode}):\n"
            f"{completed.stdout[-2000:]}\n{completed.stderr[-4000:]}"
        )
    return completed.stdout


def maintenance(sql: str) -> None:
    import psycopg

    with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=10, **PG) as conn:
        conn.execute(sql)


def truncate_leads() -> None:
    """Forget every lead (and its decisions, assignments, events) and pool rotation."""
    import psycopg

    with psycopg.connect(dbname=DB_NAME, autocommit=True, connect_timeout=10, **PG) as conn:
        conn.execute(
            "TRUNCATE routing_lead, routing_leadevent, routing_routingdecision, "
            "routing_assignment, routing_poolrotation, routing_idempotencyrecord CASCADE"
        )


def postgres_version() -> str:
    import psycopg

    with psycopg.connect(dbname="postgres", connect_timeout=10, **PG) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until_serving(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", BARE_PATH)
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within a minute")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each of these processes so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two readings. A process started since counts from zero;
    one gone since (a backend whose connection Django recycled) is not counted."""
    return sum(used - before.get(pid, 0.0) for pid, used in after.items())


def children_of(parent: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rpartition(")")[2].split()[1]) == parent:
                pids.append(int(stat.parent.name))
    return pids


def database_backends() -> list[int]:
    """PostgreSQL backends serving the bench database (their title names it)."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if f" {DB_NAME} ".encode() in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
    return pids


def client_cpu() -> float:
    """CPU seconds of this process (the Python client's threads) and of finished
    children (wrk)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def machine() -> str:
    memory = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    return (
        f"{os.cpu_count()} CPUs{memory}, Python {platform.python_version()}, "
        f"PostgreSQL {postgres_version()}, load average {os.getloadavg()[0]:.2f}"
    )


# -------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 workers, 8 clients, 600 requests")
    parser.add_argument("--workers", default="2,4", help="gunicorn worker counts to try")
    parser.add_argument("--connections", default="8,16", help="concurrent client connections")
    parser.add_argument("--requests", type=int, default=3000, help="per endpoint and setting")
    parser.add_argument("--warmup", type=int, default=200, help="per endpoint, per server start")
    parser.add_argument(
        "--segments",
        type=int,
        default=2,
        help="alternating bare/intake segments the requests are split into",
    )
    parser.add_argument(
        "--client",
        choices=("python", "wrk"),
        default="python",
        help="load generator: threads with http.client (default), or wrk if installed",
    )
    parser.add_argument("--keep-db", action="store_true", help="leave the database for profiling")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if args.quick:
        args.workers, args.connections, args.requests, args.warmup = "2", "8", 600, 100
    workers_list = [int(n) for n in args.workers.split(",")]
    connections_list = [int(n) for n in args.connections.split(",")]
    client = args.client
    if not GUNICORN.exists():
        sys.exit(f"{GUNICORN} not found: run this with the project's .venv/bin/python")
    if client == "wrk" and not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install -y wrk), or use --client python")
    began = time.perf_counter()
    print(f"bench_intake: {machine()}; client {client}")

    env = production_env(DB_NAME, REDIS_URL, DJANGO_SETTINGS_MODULE="bench.bare.settings")
    leads = Leads(args.seed)
    settings: list[Setting] = []
    process: subprocess.Popen | None = None
    workdir = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    python, manage = str(PYTHON), str(ROOT / "manage.py")

    def stored() -> dict[str, Any]:
        output = run([python, manage, "shell", "-c", STORED_CHECK], env, 60)
        return json.loads(output.strip().splitlines()[-1])

    try:
        maintenance(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        maintenance(f"CREATE DATABASE {DB_NAME}")
        if os.environ.get("BENCH_PG_LOG"):  # diagnostics: slow statements and lock waits
            maintenance(f"ALTER DATABASE {DB_NAME} SET log_min_duration_statement = 200")
            maintenance(f"ALTER DATABASE {DB_NAME} SET log_lock_waits = on")
        run([python, manage, "migrate", "--noinput"], env, timeout=300)
        run([python, manage, "load_routing", str(ROOT / "demo" / "routing.yaml")], env, 120)
        key = run([python, manage, "shell", "-c", CREATE_KEY], env, 60).strip().splitlines()[-1]
        print(f"  database {DB_NAME}: migrated, demo/routing.yaml loaded, intake key created")

        for workers in workers_list:
            port = free_port()
            log = (workdir / f"gunicorn-{workers}.log").open("w")
            process = subprocess.Popen(
                [
                    str(GUNICORN),
                    "config.wsgi:application",
                    "--config",
                    str(ROOT / "config" / "gunicorn.py"),  # the product's, as in production
                    "--bind",
                    f"{HOST}:{port}",
                    "--workers",
                    str(workers),
                    "--worker-class",
                    "sync",
                    "--timeout",
                    "60",
                    "--chdir",
                    str(ROOT),
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            wait_until_serving(port, process)

            def load(
                path: str, count: int, connections: int, port: int = port, server=process
            ) -> Result:
                workers_pids = children_of(server.pid)
                backends = database_backends()
                bodies = leads.batch(count) if client == "python" else None
                before = (cpu_seconds(workers_pids), cpu_seconds(backends), client_cpu())
                if bodies is None:
                    result = run_wrk(port, path, key, leads, count, connections, workdir, 300)
                else:
                    result = run_python_client(
                        port, path, key, bodies, connections, time.monotonic() + 300
                    )
                backends = sorted(set(backends) | set(database_backends()))
                after = (cpu_seconds(workers_pids), cpu_seconds(backends), client_cpu())
                used = (
                    cpu_used(before[0], after[0]),
                    cpu_used(before[1], after[1]),
                    after[2] - before[2],
                )
                result.cpu_ms = {
                    name: used[i] * 1000 / max(result.requests, 1)
                    for i, name in enumerate(("gunicorn", "postgres", "client"))
                }
                return result

            for connections in connections_list:
                # Every setting starts from the same database: the demo routing, no leads.
                # Intake reads the open and recent assignments of every candidate rep, so
                # its cost grows with the leads stored before: the segments show it.
                truncate_leads()
                for path in (BARE_PATH, INTAKE_PATH):
                    warm = load(path, args.warmup, connections)
                    if warm.non_2xx or warm.transport_errors:
                        raise RuntimeError(
                            f"warm-up of {path} failed: {warm.non_2xx} non-2xx "
                            f"({'; '.join(warm.failed)}), {warm.transport_errors} transport "
                            f"errors; gunicorn's log is kept: {log.name}"
                        )
                per_segment = args.requests // args.segments
                parts = []
                for _ in range(args.segments):
                    bare_part = load(BARE_PATH, per_segment, connections)
                    parts.append((bare_part, load(INTAKE_PATH, per_segment, connections)))
                setting = Setting(
                    workers,
                    connections,
                    merge("bare", [bare for bare, _ in parts]),
                    merge("intake", [intake for _, intake in parts]),
                    parts,
                    stored(),
                )
                settings.append(setting)
                print(
                    f"  {workers} workers, {connections:>2} connections: bare "
                    f"{setting.bare.rate:6.1f}/s, intake {setting.intake.rate:6.1f}/s "
                    f"({setting.ratio:.2f}x)"
                )
            stop(process)
            process = None
            log.close()
        shutil.rmtree(workdir, ignore_errors=True)  # kept when the run failed: the logs
    finally:
        if process is not None:
            stop(process)
        if not args.keep_db:
            with contextlib.suppress(Exception):
                maintenance(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")

    report(settings, args)
    errors = sum(
        result.non_2xx + result.transport_errors
        for setting in settings
        for result in (setting.bare, setting.intake)
    ) + sum(setting.stored["routing_errors"] for setting in settings)
    print(
        f"  load average after: {os.getloadavg()[0]:.2f}; "
        f"total run time {time.perf_counter() - began:.0f} s"
    )
    return 1 if errors else 0


@dataclass
class Setting:
    workers: int
    connections: int
    bare: Result
    intake: Result
    parts: list[tuple[Result, Result]]  # (bare, intake) per segment
    stored: dict[str, Any]  # what the database held at the end

    @property
    def ratio(self) -> float:
        return self.intake.rate / self.bare.rate if self.bare.rate else 0.0


def report(settings: list[Setting], args: argparse.Namespace) -> None:
    print()
    print(
        f"{args.requests:,} requests per endpoint and setting after {args.warmup} warm-up, "
        f"in {args.segments} alternating segments; latency in ms; CPU in ms per request"
    )
    print(
        f"  {'workers':>7} {'conns':>5} {'endpoint':<8} │ {'req/s':>7} {'median':>7} "
        f"{'p90':>7} {'p99':>7} │ {'non-2xx':>7} {'errors':>6} │ {'gunicorn':>8} "
        f"{'postgres':>8} {'client':>6} │ intake/bare"
    )
    print("  " + "─" * 22 + "┼" + "─" * 31 + "┼" + "─" * 16 + "┼" + "─" * 26 + "┼" + "─" * 12)
    for setting in settings:
        for result in (setting.bare, setting.intake):
            median, p90, p99 = result.percentiles_ms
            cpu = result.cpu_ms
            tail = f"{setting.ratio:8.2f}x" if result is setting.intake else ""
            print(
                f"  {setting.workers:>7} {setting.connections:>5} {result.endpoint:<8} │ "
                f"{result.rate:7.1f} {median:7.1f} {p90:7.1f} {p99:7.1f} │ "
                f"{result.non_2xx:>7} {result.transport_errors:>6} │ "
                f"{cpu['gunicorn']:8.2f} {cpu['postgres']:8.2f} {cpu['client']:6.2f} │ {tail}"
            )
    print()
    print("  per segment, req/s (p99 ms), bare → intake:")
    for setting in settings:
        print(
            f"    {setting.workers} workers, {setting.connections:>2} connections: "
            + ", ".join(
                f"{b.rate:.0f} ({b.percentiles_ms[2]:.0f}) → "
                f"{i.rate:.0f} ({i.percentiles_ms[2]:.0f})"
                for b, i in setting.parts
            )
        )
    last = settings[-1].stored
    rules = sorted(last["by_rule"].items(), key=lambda item: -item[1])
    by_rule = ", ".join(f"{name or 'fallback'} {count}" for name, count in rules)
    print(
        f"  stored in the last setting: {last['bare']} bare leads, "
        f"{last['intake']} routed ({by_rule})"
    )
    errors = sum(r.non_2xx + r.transport_errors for s in settings for r in (s.bare, s.intake))
    routing_errors = sum(setting.stored["routing_errors"] for setting in settings)
    for setting in settings:
        for result in (setting.bare, setting.intake):
            for answer in result.failed:
                print(f"  {setting.workers} x {setting.connections} {result.endpoint}: {answer}")
    worst = min(setting.ratio for setting in settings)
    print(
        f"  errors: {errors} non-2xx or transport, {routing_errors} routing errors "
        f"(both must be 0); worst intake/bare {worst:.2f}x "
        f"(target ≥ {TARGET_RATIO}: {'met' if worst >= TARGET_RATIO else 'MISSED'})"
    )


if __name__ == "__main__":
    sys.exit(main())
