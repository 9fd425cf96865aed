"""Django's Redis cache backend, keeping its clients, with a counter per time window.

Django's RedisCacheClient builds a new `redis.Redis` for every call, and building one (its
table of response callbacks) costs more than the throttle's own work. A client is
thread-safe and only wraps the connection pool Django keeps anyway, so one per pool is
kept here.

The counter (the intake rate, once per request) goes through a client that keeps one of
the pool's connections to itself: taking a connection from the pool and giving it back
checks it each time (a system call that reads nothing). Django keeps a cache, and so
these clients, per thread; one made before a fork is not used after it.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._counters: dict[tuple[int, int], Any] = {}  # (process, pool): counter script

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def count(self, key: str, timeout: int) -> tuple[int, float]:
        pool = self._get_connection_pool(True)
        kept = (os.getpid(), id(pool))
        script = self._counters.get(kept)
        if script is None:  # connects now: a Redis that is down raises here, and next time
            client = self._client(connection_pool=pool, single_connection_client=True)
            script = self._counters[kept] = client.register_script(_COUNT)
        count, milliseconds_left = script(keys=[key], args=[timeout])
        return count, max(milliseconds_left, 0) / 1000


# Add one to the counter, give a new one (or one left without an expiry) its window, and
# answer the count and the milliseconds left. One command instead of a pipeline of SET NX,
# INCR and PTTL (redis-py's Script sends EVALSHA, and the script itself only when Redis
# does not have it yet).
_COUNT = """
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
    left = ARGV[1] * 1000
end
return {count, left}
"""


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count(self, key: str, timeout: int) -> tuple[int, float]:
        """Add one to the counter `key`, created at 0 to expire `timeout` seconds later;
        returns the count and the seconds it has left. One round trip."""
        return self._cache.count(self.make_and_validate_key(key), timeout)
