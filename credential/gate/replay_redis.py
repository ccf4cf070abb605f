"""A replay cache in a Redis server (spec 9.6): one cache for every gate of a control point.

Lanes on separate machines cannot share an SQLite file; they share a Redis server. Each check is one
Lua script, which Redis runs atomically: the entry exists (a replay), or the database holds
``capacity`` keys (full), or the entry is set with the time it has left to live. Expiry is the
server's job: the entry is set with that time, and Redis deletes it; no check deletes anything.

The entry's time to live is how long it stays live by the recording gate's clock, ``expires -
purge_before(now)`` (spec 9.6), counted by the server's clock from the moment it records the entry:
the gate's verification time and the server's clock need not agree, only run at the same rate. The database named in the URL (``/0`` by default) holds the cache's entries and
nothing else, since the capacity is its number of keys. Redis counts keys that have expired and
that it has not yet reclaimed, so the cache may refuse as full slightly early, never late.

The server must keep what it acknowledged and never evict: with an append-only file (``appendonly
yes``; ``appendfsync always`` keeps every entry through a crash of the server's machine, the default
``everysec`` up to its last second) and ``maxmemory-policy noeviction``. A server that could lose or
evict a live entry would let its replay through, so every new connection checks both, and a server
without them is refused. When memory runs out, Redis refuses the write and the presentation is
refused as ``REPLAY_CACHE_FULL``.

Every network operation is bounded by ``timeout`` (connecting, and each reply), and none is retried:
an error, a timeout or a server that cannot be reached raises ``ReplayCacheError``, which the
verifier reports as ``REPLAY_CACHE_UNAVAILABLE`` (nothing accepted). The next check connects again,
so the gate serves again as soon as the server is back.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..base.urls import redacted
from .replay import DEFAULT_CAPACITY, Outcome, ReplayCache, ReplayCacheError, check_capacity, purge_before

DEFAULT_TIMEOUT = 1.0  # seconds: a lane waits this long at most for the server before refusing
MAX_TIMEOUT = 60.0
KEY_PREFIX = "xc:replay:"
SCHEMES = ("redis", "rediss")  # the URL schemes of a Redis server (rediss: over TLS)

# KEYS[1]: the entry; ARGV[1]: the capacity; ARGV[2]: seconds it lives. 1: seen; 2: full; 0: recorded.
_CHECK_AND_RECORD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
if redis.call('DBSIZE') >= tonumber(ARGV[1]) then return 2 end
redis.call('SET', KEYS[1], '1', 'EX', ARGV[2])
return 0
"""
# The same look, recording nothing (an inspector's peek).
_LOOK = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
if redis.call('DBSIZE') >= tonumber(ARGV[1]) then return 2 end
return 0
"""
_OUTCOMES = {0: Outcome.RECORDED, 1: Outcome.SEEN, 2: Outcome.FULL}

# What every server holding a replay cache must report (INFO), and why it matters.
REQUIRED_SETTINGS = {
    "aof_enabled": ("1", "appendonly yes: an entry must survive a restart of the server while it is live"),
    "maxmemory_policy": ("noeviction", "maxmemory-policy noeviction: a server that evicts keys drops live entries"),
}


def _info(text: bytes | str) -> dict[str, str]:
    lines = text.decode() if isinstance(text, bytes) else text
    return dict(line.split(":", 1) for line in lines.splitlines() if ":" in line and not line.startswith("#"))


class RedisReplayCache(ReplayCache):
    """Entries in the Redis server at ``url`` (``redis://host:port/db``, ``rediss://`` for TLS).

    The server is reached, and its settings checked, when the cache is built, before any credential
    is read: a wrong URL or a server unfit to hold the cache is the operator's ValueError; a server
    that cannot be reached is ReplayCacheError. Safe to share between threads; a process that forks
    opens its own connections.
    """

    def __init__(self, url: str, capacity: int = DEFAULT_CAPACITY, timeout: float = DEFAULT_TIMEOUT) -> None:
        if not isinstance(url, str) or urlsplit(url).scheme not in SCHEMES:
            raise ValueError(f"replay cache {url!r} is not a redis:// or rediss:// URL")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= MAX_TIMEOUT:
            raise ValueError(f"timeout is a number of seconds in (0, {MAX_TIMEOUT:g}]")
        self.capacity = check_capacity(capacity)
        self.timeout = float(timeout)
        self.url = redacted(url)
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError:
            raise ValueError(f"replay cache {self.url}: the redis client is not installed (pip install 'crossing-credential[servers]')") from None
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._oom = redis.exceptions.OutOfMemoryError
        try:
            self._client: Any = redis.Redis.from_url(
                url,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                retry=Retry(NoBackoff(), 0),  # no retries: one bounded attempt, then the gate refuses
                retry_on_timeout=False,
                redis_connect_func=self._on_connect,
            )
        except ValueError as err:
            raise ValueError(f"replay cache {self.url}: {err}") from None
        self._unfit: str | None = None
        self._script = self._client.register_script(_CHECK_AND_RECORD)
        self._look = self._client.register_script(_LOOK)
        try:
            self._client.ping()
        except self._errors as err:
            if self._unfit is not None:  # reached, and unfit (_on_connect): the operator's configuration
                raise ValueError(f"replay cache {self.url}: {self._unfit}") from None
            raise ReplayCacheError(f"replay cache {self.url}: {err}") from None

    def _on_connect(self, connection: Any) -> None:
        """Each new connection: the usual handshake, then the server's settings (REQUIRED_SETTINGS)."""
        import redis

        connection.on_connect()
        self._unfit = None
        info: dict[str, str] = {}
        for section in ("persistence", "memory"):
            connection.send_command("INFO", section)
            info.update(_info(connection.read_response()))
        for name, (wanted, why) in REQUIRED_SETTINGS.items():
            if info.get(name) != wanted:
                self._unfit = f"the server has {name} {info.get(name)!r}, not {wanted!r}; it needs {why}"
                raise redis.ConnectionError(self._unfit)

    def __len__(self) -> int:
        """Keys in the cache's database, including expired ones the server has not yet reclaimed."""
        try:
            return int(self._client.dbsize())
        except self._errors as err:
            raise ReplayCacheError(f"replay cache {self.url}: {err}") from None

    def check_and_record(self, key: str, now: int, expires: int) -> Outcome:
        # Live until purge_before(now) reaches its expiry (spec 9.6: the allowance for gates whose
        # clocks differ), counted by the server from now on; a second is the least Redis keeps.
        lives = max(1, expires - purge_before(now))
        try:
            result = self._script(keys=[KEY_PREFIX + key], args=[self.capacity, lives])
        except self._oom:
            return Outcome.FULL  # the server's memory is full, and it evicts nothing: fail closed
        except self._errors as err:
            raise ReplayCacheError(f"replay cache {self.url}: {err}") from None
        return _OUTCOMES[int(result)]

    def peek(self, key: str, now: int) -> Outcome:
        try:
            result = self._look(keys=[KEY_PREFIX + key], args=[self.capacity])
        except self._errors as err:
            raise ReplayCacheError(f"replay cache {self.url}: {err}") from None
        return _OUTCOMES[int(result)]

    def close(self) -> None:
        self._client.close()
