"""Semantic matching, reported apart from the engine: what it costs the routing service
to compare a lead's message with the expertise of a best-match pool's members.

    .venv/bin/python bench/bench_semantic.py     # needs the extra: LEADROUTER_EXTRAS=semantic

Loads the model once (timed), embeds 20 expertise descriptions once (timed), then for
300 lead messages of 8-40 words times `similarities()` against a pool of 10 members:
median, p90, p99 in milliseconds. No database.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routing import semantic

TOPICS = (
    "payments and card processing for online stores",
    "clinic software with patient records and scheduling",
    "warehouse management, shipping and logistics",
    "CRM integration with Salesforce for sales teams",
    "data analytics dashboards and reporting",
    "HR, payroll and onboarding for growing companies",
    "cybersecurity, compliance audits and SOC 2",
    "marketing automation and email campaigns",
    "point of sale for restaurants and cafes",
    "construction project management and field crews",
)
FILLER = "we are looking for a partner who can help our team of about forty people soon".split()


def main() -> int:
    if not semantic.available():
        sys.exit(
            "semantic matching is not installed: LEADROUTER_EXTRAS=semantic python3 dev.py test"
        )
    rng = random.Random(5)
    started = time.perf_counter()
    semantic.expertise_vectors({0: "warm-up"})
    loaded = time.perf_counter() - started
    texts = {rep: f"Expert in {TOPICS[rep % len(TOPICS)]}, {rep} years." for rep in range(1, 21)}
    started = time.perf_counter()
    vectors = semantic.expertise_vectors(texts)
    embedded = time.perf_counter() - started
    members = list(range(1, 11))
    samples = []
    for _ in range(300):
        words = rng.sample(FILLER, rng.randrange(4, 12)) + TOPICS[rng.randrange(10)].split()
        rng.shuffle(words)
        message = " ".join(words * rng.randrange(1, 3))
        started = time.perf_counter()
        semantic.similarities(message, vectors, members)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    print(f"model load {loaded:.1f} s (once per process); 20 expertise texts embedded in "
          f"{embedded * 1000:.0f} ms (once per text)")  # fmt: skip
    print(
        f"message vs 10 members: median {statistics.median(samples):.1f} ms, "
        f"p90 {samples[int(0.9 * 299)]:.1f} ms, p99 {samples[int(0.99 * 299)]:.1f} ms "
        f"(300 messages)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
