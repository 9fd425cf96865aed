"""Micro-benchmark of territory and account matching: build time and lookup times.

    .venv/bin/python bench/bench_matching.py

Prints the build time and the median / 99th percentile microseconds per lookup for 10,
1,000 and 10,000 territories and 100 and 100,000 named accounts. Lookups should cost the
same at every size: the indexes look up buckets, they never scan.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reps.owners import Owner
from territories.matching import (
    AccountIndex,
    AccountRecord,
    TerritoryIndex,
    TerritoryRecord,
)
from territories.names import normalize_company_name

COUNTRIES = ["US", "CA", "GB", "DE", "FR", "NL", "AU", "JP", "BR", "IN"]
INDUSTRIES = [f"Industry {number}" for number in range(30)]
BANDS = [(None, None), (1, 50), (51, 500), (501, None)]
WORDS = (
    "acme apex nova orbit quant vertex summit beacon harbor pioneer atlas zenith cobalt "
    "falcon maple cedar river stone bright clear swift blue north south east west lumen "
    "pixel quantum fusion vector signal matrix prism echo delta omega sigma terra aero"
).split()
SUFFIXES = ["Inc.", "Corp", "LLC", "GmbH", "Ltd", "Systems", "Solutions", "Group", ""]


def states(count: int) -> list[str]:
    """More territories cut the map finer: the pool of regions grows with them."""
    return [f"R{number}" for number in range(max(10, count // 10))]


def territories(count: int, rng: random.Random) -> list[TerritoryRecord]:
    """A realistic book: half postal (ZIP prefixes and ranges), a third states or
    regions, the rest country-wide by industry and employee band, a few band-only."""
    regions = states(count)
    records = []
    for number in range(count):
        country, industries, band = rng.choice(COUNTRIES), (), (None, None)
        postal: tuple[str, ...] = ()
        region: tuple[str, ...] = ()
        kind = rng.random()
        if kind < 0.25:
            low = rng.randrange(0, 99_990)
            postal = (f"{low:05d}-{low + rng.randrange(0, 10):05d}",)
        elif kind < 0.5:
            postal = (f"{rng.randrange(0, 1000):03d}",)
        elif kind < 0.8:
            region = (rng.choice(regions),)
        elif kind < 0.98:
            industries, band = (rng.choice(INDUSTRIES),), rng.choice(BANDS)
        else:
            country, band = "", rng.choice(BANDS[1:])
        records.append(
            TerritoryRecord(
                id=number,
                name=f"Territory {number:05d}",
                priority=rng.choice([10, 50, 100]),
                countries=(country,) if country else (),
                states=region,
                postal_codes=postal,
                industries=industries,
                employee_count_min=band[0],
                employee_count_max=band[1],
                owner=Owner("rep", number % 50, f"Rep {number % 50}"),
            )
        )
    return records


def accounts(count: int, rng: random.Random) -> list[AccountRecord]:
    records = []
    for number in range(count):
        words = rng.sample(WORDS, 2)
        name = f"{words[0].title()} {words[1].title()} {number} {rng.choice(SUFFIXES)}".strip()
        records.append(
            AccountRecord(
                id=number,
                name=name,
                normalized_name=normalize_company_name(name),  # as NamedAccount.save stores it
                domains=(f"{words[0]}{words[1]}{number}.com",),
                owner_rep_id=number % 50,
                owner_name=f"Rep {number % 50}",
                tier="enterprise",
            )
        )
    return records


def settle() -> None:
    """Like a long-running worker holding its snapshot: collected once, then frozen out
    of the garbage collector's way, so a collection of the 100,000 records built just
    before does not land inside a timed lookup."""
    gc.collect()
    gc.freeze()


def timed(lookups: list[Callable[[], object]]) -> tuple[float, float]:
    samples = []
    for lookup in lookups:
        started = time.perf_counter_ns()
        lookup()
        samples.append((time.perf_counter_ns() - started) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def bench_territories(count: int, rng: random.Random, lookups: int = 20_000) -> None:
    records = territories(count, rng)
    regions = states(count)
    started = time.perf_counter()
    index = TerritoryIndex.build(records)
    built = time.perf_counter() - started
    settle()
    leads = [
        {
            "country": rng.choice(COUNTRIES),
            "state": rng.choice(regions),
            "postal_code": f"{rng.randrange(0, 100_000):05d}",
            "industry": rng.choice(INDUSTRIES),
            "employee_count": rng.choice([None, 10, 120, 5000]),
        }
        for _ in range(lookups)
    ]
    examined = [index.match(**lead)[1] for lead in leads]
    median, p99 = timed([lambda lead=lead: index.match(**lead) for lead in leads])
    print(
        f"territories {count:>7,}: build {built * 1000:8.1f} ms   "
        f"match median {median:6.2f} µs  p99 {p99:6.2f} µs   "
        f"candidates examined median {statistics.median(examined):.0f} max {max(examined)}"
    )


def bench_accounts(count: int, rng: random.Random, lookups: int = 20_000) -> None:
    records = accounts(count, rng)
    started = time.perf_counter()
    index = AccountIndex.build(records)
    built = time.perf_counter() - started
    settle()
    picks = [rng.choice(records) for _ in range(lookups)]
    cases = {
        "e-mail domain": [
            {"email_domain": f"eu.{pick.domains[0]}", "is_free_mail": False} for pick in picks
        ],
        "website domain": [
            {"email_domain": "gmail.com", "is_free_mail": True, "website_domain": pick.domains[0]}
            for pick in picks
        ],
        "company name": [
            {"email_domain": "gmail.com", "is_free_mail": True, "company": pick.name.upper()}
            for pick in picks
        ],
        # A typo in the first word: found through the rest of the name.
        "similar name": [
            {"email_domain": "gmail.com", "is_free_mail": True, "company": pick.name[1:]}
            for pick in picks
        ],
        "no match": [
            {"email_domain": "gmail.com", "is_free_mail": True, "company": "Nobody Knows Them"}
            for _ in picks
        ],
    }
    print(f"accounts {count:>10,}: build {built * 1000:8.1f} ms")
    for label, calls in cases.items():
        median, p99 = timed([lambda call=call: index.match(**call) for call in calls])
        print(f"    {label:<15} match median {median:7.2f} µs  p99 {p99:7.2f} µs")


def main() -> None:
    rng = random.Random(7)
    for count in (10, 1_000, 10_000):
        bench_territories(count, rng)
    for count in (100, 100_000):
        bench_accounts(count, rng)


if __name__ == "__main__":
    main()
