"""Django's Redis cache backend, keeping its clients, with a counter per time window.

Django's RedisCacheClient builds a new `redis.Redis` for every call; building one (its
table of response callbacks) cost ~0.1 ms, a third of what the intake throttle spent per
request. A client is thread-safe and only wraps the connection pool Django keeps anyway,
so one per pool is kept here.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._scripts: dict[int, Any] = {}  # the counter's script, per client

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def count(self, key: str, timeout: int) -> tuple[int, float]:
        client = self.get_client(key, write=True)
        script = self._scripts.get(id(client))
        if script is None:
            script = self._scripts[id(client)] = client.register_script(_COUNT)
        count, milliseconds_left = script(keys=[key], args=[timeout])
        return count, max(milliseconds_left, 0) / 1000


# Add one to the counter, give a new one (or one left without an expiry) its window, and
# answer the count and the milliseconds left. One command: a pipeline of SET NX, INCR
# and PTTL cost the web process ~80 µs a request here, this ~50 (redis-py's Script sends
# EVALSHA, and the script itself only when Redis does not have it yet).
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
