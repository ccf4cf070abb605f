"""A gate's replay cache (spec 9.6): which presentations it has accepted, until they expire.

An entry is keyed by the presentation's identity (issuer, ``cti``, time step), never by its bytes,
which are not unique (a device may sign again with another nonce). It lives until the last second at
which the window of spec 9.6 could still accept that presentation; after that the window refuses it
anyway. The cache is bounded: when it is full of live entries it refuses to record, and the verifier
refuses the presentation (``REPLAY_CACHE_FULL``), because a presentation it cannot record could be
used again.

``MemoryReplayCache`` serves one process. ``SqliteReplayCache`` keeps the entries in an SQLite file
(standard library ``sqlite3``) that every gate process on one machine opens; one transaction checks
and records, so two processes cannot both accept one presentation. ``RedisReplayCache``
(``credential.gate.replay_redis``, the optional ``servers`` extra) keeps them in a Redis server that the
gates of a whole control point share. ``open_replay_cache`` (``credential.gate.replay_open``) opens
any of them from a path or URL.

Expiry is bounded per check (spec 9.6): entries of one time step all expire in the same second, and
a check that deleted every one of them would make one traveller wait for all of them. A check here
deletes at most ``EXPIRE_PER_CHECK`` expired entries, soonest first, and one more when the cache is
full, so that a full cache of expired entries never refuses. An entry not yet deleted but no longer
live counts as absent. Each check records at most one entry and deletes up to that many, so the
deleting keeps pace with the recording.
"""

from __future__ import annotations

import enum
import heapq
import itertools
import os
import sqlite3
import threading
from pathlib import Path

from ..base.errors import StoreError
from ..base.sqlite import open_shared, rollback

DEFAULT_CAPACITY = 100_000
MAX_CAPACITY = 10_000_000
EXPIRE_PER_CHECK = 32  # expired entries one check deletes at most (bench/backends.py: a check's p99 at 1M entries)
# Gates that share a cache (spec 9.6) may use any presentation skew up to this, and their clocks may
# differ by up to this: an entry is recorded until the window closes with the largest skew, and a
# caller deletes only entries whose expiry is this long before its own now (``purge_before``).
MAX_PRESENTATION_SKEW = 60


def purge_before(now: int) -> int:
    """The latest expiry a caller whose clock reads ``now`` may delete: what it calls now, less the
    clock difference gates sharing a cache may have, so that no gate still inside its window loses
    an entry to a gate whose clock is ahead (spec 9.6)."""
    return now - MAX_PRESENTATION_SKEW


class Outcome(enum.Enum):
    RECORDED = "recorded"  # first use: accepted and now remembered
    SEEN = "seen"  # a live entry exists: a replay
    FULL = "full"  # no room for another live entry: refuse (fail closed)


class ReplayCacheError(StoreError):
    """The cache's storage failed, could not be reached or did not answer in time (a broken or locked
    database, a server down): the gate cannot tell a replay, so the presentation is not accepted
    (``REPLAY_CACHE_UNAVAILABLE``), and the operator, not the traveller, has a problem to fix."""


def check_capacity(capacity: object) -> int:
    """A cache's capacity as given, checked (every backend takes the same range)."""
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        raise TypeError("capacity is a whole number of entries")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise ValueError(f"capacity {capacity} is outside 1..{MAX_CAPACITY}")
    return capacity


class ReplayCache:
    """What the verifier asks of a replay cache (step 21b): check and record in one operation."""

    capacity: int

    def check_and_record(self, key: str, now: int, expires: int) -> Outcome:
        """Record ``key`` until ``expires`` (epoch seconds, exclusive) unless a live entry has it."""
        raise NotImplementedError

    def peek(self, key: str, now: int) -> Outcome:
        """What ``check_and_record`` would answer now, recording nothing (an inspector looks, a gate
        records): SEEN, FULL, or RECORDED for "would be recorded"."""
        raise NotImplementedError


class MemoryReplayCache(ReplayCache):
    """Entries in this process's memory: for a gate that runs as one process."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = check_capacity(capacity)
        self._entries: dict[str, int] = {}
        # A heap of (expires, order, key), the next to expire on top. The order number breaks ties, so
        # the heap never compares keys: the entries of one time step all share one expiry.
        self._expiry: list[tuple[int, int, str]] = []
        self._order = itertools.count()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Entries held, including expired ones not yet deleted."""
        return len(self._entries)

    def _drop_one(self, limit: int) -> bool:
        """Delete the entry that expires soonest if its expiry is at most ``limit`` (``purge_before``);
        False if it is later (or there is none)."""
        if not self._expiry or self._expiry[0][0] > limit:
            return False
        ended, _, old = heapq.heappop(self._expiry)
        if self._entries.get(old) == ended:
            del self._entries[old]
        return True

    def check_and_record(self, key: str, now: int, expires: int) -> Outcome:
        with self._lock:
            outcome = self._look(key, now)
            if outcome is Outcome.RECORDED:
                self._entries[key] = expires  # new, or in place of its own expired entry
                heapq.heappush(self._expiry, (expires, next(self._order), key))
            return outcome

    def peek(self, key: str, now: int) -> Outcome:
        with self._lock:
            return self._look(key, now)

    def _look(self, key: str, now: int) -> Outcome:
        # Expired entries may go at any time (spec 9.6), so looking deletes its bounded share too; an
        # entry counts until purge_before(now), the allowance for gates whose clocks differ.
        limit = purge_before(now)
        for _ in range(EXPIRE_PER_CHECK):
            if not self._drop_one(limit):
                break
        held = self._entries.get(key)
        if held is not None and held > limit:
            return Outcome.SEEN
        while held is None and len(self._entries) >= self.capacity:
            # Room from the soonest entry if it has expired (a heap item left by an entry recorded
            # anew frees none, and is gone after one pass); if it is live, all are: full.
            if not self._drop_one(limit):
                return Outcome.FULL
        return Outcome.RECORDED


# The entries, and their number kept beside them in the same transactions, so that the capacity check
# costs one row read however many entries there are (count(*) would scan them all).
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS presented (key TEXT PRIMARY KEY, expires INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS presented_expires ON presented (expires)",
    "CREATE TABLE IF NOT EXISTS presented_count (id INTEGER PRIMARY KEY CHECK (id = 0), entries INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO presented_count VALUES (0, (SELECT count(*) FROM presented))",
)


class SqliteReplayCache(ReplayCache):
    """Entries in an SQLite database file shared by the gate processes of one machine.

    The file is created if needed, and opened when the cache is built, so that a wrong path fails
    then and not at the first traveller. Each process (and each process a fork makes) uses its own
    connection. ``timeout`` is how long a process waits for another one's transaction.
    """

    def __init__(self, path: str | os.PathLike[str], capacity: int = DEFAULT_CAPACITY, timeout: float = 5.0) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path is a file name, not {type(path).__name__}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 60:
            raise ValueError("timeout is a number of seconds in (0, 60]")
        self.path = Path(path)
        self.capacity = check_capacity(capacity)
        self.timeout = float(timeout)
        self._lock = threading.Lock()
        self._pid = -1
        self._connection: sqlite3.Connection | None = None
        try:
            self._connect()
        except sqlite3.Error as err:
            raise ValueError(f"replay cache {self.path}: {err}") from None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            # WAL lets readers and one writer proceed together; a committed entry survives a process
            # that dies afterwards (synchronous NORMAL loses at most the last entries on power loss).
            connection = open_shared(self.path, self.timeout, check_same_thread=False)
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                connection.execute(statement)
            connection.execute("COMMIT")
            self._connection, self._pid = connection, os.getpid()
        return self._connection

    def __len__(self) -> int:
        with self._lock:
            row = self._connect().execute("SELECT entries FROM presented_count").fetchone()
        return int(row[0])

    def check_and_record(self, key: str, now: int, expires: int) -> Outcome:
        with self._lock:
            try:
                db = self._connect()
                # IMMEDIATE takes the write lock first, so the look-up and the insert are one step for
                # every process sharing the file.
                db.execute("BEGIN IMMEDIATE")
                try:
                    outcome = self._check_and_record(db, key, now, expires)
                except BaseException:
                    rollback(db)
                    raise
                db.execute("COMMIT")
                return outcome
            except sqlite3.Error as err:
                raise ReplayCacheError(f"replay cache {self.path}: {err}") from None

    def peek(self, key: str, now: int) -> Outcome:
        with self._lock:
            try:
                db = self._connect()
                if db.execute("SELECT 1 FROM presented WHERE key = ? AND expires > ?", (key, purge_before(now))).fetchone():
                    return Outcome.SEEN
                # The count never exceeds the capacity, so the live entries fill it exactly when it is
                # reached and no entry has expired: one row of the expiry index tells, never a count.
                (entries,) = db.execute("SELECT entries FROM presented_count").fetchone()
                expired = db.execute("SELECT 1 FROM presented WHERE expires <= ? LIMIT 1", (purge_before(now),)).fetchone()
            except sqlite3.Error as err:
                raise ReplayCacheError(f"replay cache {self.path}: {err}") from None
        return Outcome.FULL if entries >= self.capacity and expired is None else Outcome.RECORDED

    def _check_and_record(self, db: sqlite3.Connection, key: str, now: int, expires: int) -> Outcome:
        # Up to EXPIRE_PER_CHECK expired entries, soonest first, by the expiry index; an entry counts
        # until purge_before(now), the allowance for gates whose clocks differ.
        limit = purge_before(now)
        dropped = db.execute(
            "DELETE FROM presented WHERE key IN (SELECT key FROM presented WHERE expires <= ? ORDER BY expires LIMIT ?)",
            (limit, EXPIRE_PER_CHECK),
        ).rowcount
        row = db.execute("SELECT expires FROM presented WHERE key = ?", (key,)).fetchone()
        if row is not None and row[0] > limit:
            outcome = Outcome.SEEN
        elif row is not None:  # its own entry, expired and not yet deleted: recorded anew in its place
            db.execute("UPDATE presented SET expires = ? WHERE key = ?", (expires, key))
            outcome = Outcome.RECORDED
        else:
            (entries,) = db.execute("SELECT entries FROM presented_count").fetchone()
            if entries - dropped >= self.capacity:
                # Full, unless the soonest entry has expired: then it makes the room (the soonest is live: all are).
                dropped += db.execute(
                    "DELETE FROM presented WHERE key IN (SELECT key FROM presented WHERE expires <= ? ORDER BY expires LIMIT 1)", (limit,)
                ).rowcount
            if entries - dropped >= self.capacity:
                outcome = Outcome.FULL
            else:
                db.execute("INSERT INTO presented (key, expires) VALUES (?, ?)", (key, expires))
                dropped -= 1
                outcome = Outcome.RECORDED
        if dropped:
            db.execute("UPDATE presented_count SET entries = entries - ?", (dropped,))
        return outcome
