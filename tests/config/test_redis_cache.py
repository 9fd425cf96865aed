"""config/redis_cache.py: the intake rate's counter, one Redis command per request."""

from __future__ import annotations

import os

import pytest
from django.core.cache import caches

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="the counter is Redis's (REDIS_URL)"
)


@pytest.fixture
def cache():
    cache = caches["default"]
    yield cache
    cache.delete_many(["counted", "left-open"])


def test_a_counter_counts_within_the_window_its_first_count_opened(cache):
    first, left = cache.count("counted", 60)
    second, still_left = cache.count("counted", 60)

    assert (first, second) == (1, 2)
    assert 59 < left <= 60
    assert still_left <= left  # the second count did not open a new window


def test_a_counter_left_without_an_expiry_gets_its_window(cache):
    client = cache._cache.get_client(write=True)
    client.set(cache.make_and_validate_key("left-open"), 5)  # no expiry, as a crash could leave

    count, left = cache.count("left-open", 60)

    assert count == 6
    assert 59 < left <= 60
    assert 59_000 < client.pttl(cache.make_and_validate_key("left-open")) <= 60_000
