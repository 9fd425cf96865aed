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

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def count(self, key: str, timeout: int) -> tuple[int, float]:
        client = self.get_client(key, write=True)
        pipeline = client.pipeline(transaction=False)
        pipeline.set(key, 0, ex=timeout, nx=True)
        pipeline.incr(key)
        pipeline.pttl(key)
        _, count, milliseconds_left = pipeline.execute()
        return count, max(milliseconds_left, 0) / 1000


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count(self, key: str, timeout: int) -> tuple[int, float]:
        """Add one to the counter `key`, created at 0 to expire `timeout` seconds later;
        returns the count and the seconds it has left. One round trip."""
        return self._cache.count(self.make_and_validate_key(key), timeout)
