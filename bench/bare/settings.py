"""Production settings plus the bare endpoint's URLconf (bench/bench_intake.py only)."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.bare.urls"
