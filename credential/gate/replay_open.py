"""One way to open a gate's replay cache (spec 9.6) from what an operator writes: a path or a URL.

The library and every command-line option that takes a replay cache open it here, so that a URL
means the same everywhere.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from .replay import DEFAULT_CAPACITY, ReplayCache, SqliteReplayCache
from .replay_redis import DEFAULT_TIMEOUT, SCHEMES, RedisReplayCache

SQLITE_TIMEOUT = 5.0  # seconds a process waits for another one's transaction on the shared file


def open_replay_cache(target: str | os.PathLike[str], capacity: int = DEFAULT_CAPACITY, timeout: float | None = None) -> ReplayCache:
    """The replay cache at ``target``: a ``redis://`` or ``rediss://`` URL, a Redis server
    (``RedisReplayCache``); anything else, an SQLite file path (``SqliteReplayCache``).

    ``timeout``: seconds one operation may wait (SQLite: for another process's transaction; Redis: to
    connect, and for each reply); None for the backend's default. ValueError for a target that cannot
    be opened or is unfit to hold the cache, ReplayCacheError for a server that cannot be reached:
    both before any credential is read."""
    if isinstance(target, str) and urlsplit(target).scheme in SCHEMES:
        return RedisReplayCache(target, capacity, DEFAULT_TIMEOUT if timeout is None else timeout)
    if isinstance(target, str) and "://" in target:
        raise ValueError(f"replay cache {target.split('://')[0]}:// is not a kind this program opens: a file path, or redis:// or rediss://")
    return SqliteReplayCache(target, capacity, SQLITE_TIMEOUT if timeout is None else timeout)
