"""Shared-state backends: the replay cache (memory, SQLite, Redis) and the status authority (SQLite,
PostgreSQL), each against a server this script starts on a loopback port (tests/servers.py) and stops.

    python bench/backends.py              # print the tables
    python bench/backends.py --publish    # also write bench/backends.md and the README's block

Measured:
- a replay check (``check_and_record`` of a new presentation) with N = 1, 2, 4, 8 gate processes
  sharing one cache: checks a second over all processes, and p50 / p99 of one check;
- one check's p50 / p99 with 1 million live entries in the cache;
- the mass expiry the bound is for: 10 thousand to 1 million entries of one time step expire in the
  same second; the first check after, and the p99 of the checks that follow, against the baseline
  of deleting them all at once (the cost one traveller paid before the bound), in the same process;
- the status authority: an allocation (one transaction, committed to disk) with N = 1, 2, 4 issuing
  processes, SQLite against PostgreSQL (fsync on).
The memory cache belongs to one process, so it has a row for N = 1 only.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import queue
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from credential.gate.replay import EXPIRE_PER_CHECK, MAX_PRESENTATION_SKEW, MemoryReplayCache, Outcome, purge_before  # noqa: E402
from credential.gate.replay_open import open_replay_cache  # noqa: E402
from credential.issuer.status_authority import StatusAuthority, StatusStoreError  # noqa: E402
from tests.servers import PostgresServer, RedisServer  # noqa: E402

PROCESSES = (1, 2, 4, 8)
ISSUERS = (1, 2, 4)
CHECKS = 1000  # per gate process
CHANGES = 150  # per issuing process
LIVE = 1_000_000
MASS = (10_000, 100_000, 1_000_000)
NOW = 1_800_000_000
AFTER = NOW + 50 + MAX_PRESENTATION_SKEW  # the first second entries that expire at NOW + 50 may go (spec 9.6)
FORK = multiprocessing.get_context("fork")


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _us(seconds: float) -> str:
    if seconds != seconds:
        return "-"
    return f"{seconds * 1e6:,.0f} us" if seconds < 1e-3 else f"{seconds * 1e3:,.2f} ms" if seconds < 0.1 else f"{seconds * 1e3:,.0f} ms"


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --- N processes ---------------------------------------------------------------------------------


def _gate_worker(target: str, worker: int, start: Any, out: Any) -> None:
    cache = MemoryReplayCache() if target == "memory" else open_replay_cache(target, capacity=10_000_000)
    times = []
    start.wait()
    for i in range(CHECKS):
        key = f"HK/{worker:02d}{i:06d}/{NOW // 10}"
        began = time.perf_counter()
        outcome = cache.check_and_record(key, NOW, NOW + 50)
        times.append(time.perf_counter() - began)
        assert outcome is Outcome.RECORDED, outcome
    out.put((times, 0))


def _issuer_worker(target: str, worker: int, start: Any, out: Any) -> None:
    authority = StatusAuthority.open(target)
    times, failed = [], 0
    start.wait()
    for i in range(CHANGES):
        began = time.perf_counter()
        try:
            authority.allocate("bench", now=NOW + i)
            times.append(time.perf_counter() - began)
        except StatusStoreError:  # the database locked beyond the store's timeout: refused, counted
            failed += 1
    authority.close()
    out.put((times, failed))


def _parallel(worker: Callable[..., None], target: str, count: int) -> tuple[float, list[float], int]:
    """(operations a second over all processes, every completed operation's latency, operations refused)."""
    start, out = FORK.Event(), FORK.Queue()
    processes = [FORK.Process(target=worker, args=(target, n, start, out)) for n in range(count)]
    for process in processes:
        process.start()
    time.sleep(0.5)  # every process connected and waiting
    began = time.perf_counter()
    start.set()
    times: list[float] = []
    failed = 0
    for _ in processes:
        while True:
            try:
                done, refused = out.get(timeout=1)
                break
            except queue.Empty:
                if any(process.exitcode not in (None, 0) for process in processes):
                    raise RuntimeError("a worker failed") from None
        times += done
        failed += refused
    wall = time.perf_counter() - began
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a worker failed ({process.exitcode})")
    return len(times) / wall, times, failed


# --- the cache at 1M entries, and mass expiry ---------------------------------------------------


def _fill_sqlite(path: Path, count: int, expires: int) -> None:
    """Entries straight into the cache's table (setup only: the checks measured go through the cache)."""
    open_replay_cache(str(path), capacity=10_000_000)  # creates the schema
    db = sqlite3.connect(path)
    with db:
        db.executemany("INSERT INTO presented VALUES (?, ?)", ((f"fill/{i:07d}", expires) for i in range(count)))
        db.execute("UPDATE presented_count SET entries = entries + ?", (count,))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the fill's log written back now, not in the first check measured
    db.close()


def _fill_redis(url: str, count: int, expires_ms: int | None) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for first in range(0, count, 20_000):
        pipe = client.pipeline(transaction=False)
        for i in range(first, min(count, first + 20_000)):
            if expires_ms is None:
                pipe.set(f"xc:replay:fill/{i:07d}", "1", ex=3600)
            else:
                pipe.set(f"xc:replay:fill/{i:07d}", "1", pxat=expires_ms)
        pipe.execute()
    client.close()


def _checks(cache: Any, count: int, now: int) -> list[float]:
    times = []
    for i in range(count):
        began = time.perf_counter()
        cache.check_and_record(f"new/{now}/{i:06d}", now, now + 50)
        times.append(time.perf_counter() - began)
    return times


def _at_live(kind: str, folder: Path, redis_url: str | None) -> list[float]:
    """2,000 checks of new presentations with LIVE live entries in the cache."""
    if kind == "memory":
        cache: Any = MemoryReplayCache(10_000_000)
        for i in range(LIVE):
            cache.check_and_record(f"fill/{i:07d}", NOW, NOW + 3600)
    elif kind == "sqlite":
        path = folder / "live.db"
        _fill_sqlite(path, LIVE, NOW + 3600)
        cache = open_replay_cache(str(path), capacity=10_000_000)
    else:
        assert redis_url is not None
        _fill_redis(redis_url, LIVE, None)
        cache = open_replay_cache(redis_url, capacity=10_000_000)
    return _checks(cache, 2000, NOW)


def _mass_expiry(kind: str, count: int, folder: Path, redis_url: str | None) -> tuple[float, float, float]:
    """(the first check after ``count`` entries expired together, p99 of the next 1,000, deleting them all at once)."""
    if kind == "memory":
        cache: Any = MemoryReplayCache(10_000_000)
        for i in range(count):
            cache.check_and_record(f"fill/{i:07d}", NOW, NOW + 50)
        first = _timed(lambda: cache.check_and_record("first", AFTER, AFTER + 50))
        assert len(cache) == count + 1 - EXPIRE_PER_CHECK, "the check measured deleted its share"
        rest = _checks(cache, 1000, AFTER)
        # Baseline: the same entries deleted in one go, as one unbounded check did.
        full = MemoryReplayCache(10_000_000)
        for i in range(count):
            full.check_and_record(f"fill/{i:07d}", NOW, NOW + 50)

        def drop_all() -> None:
            while full._drop_one(purge_before(AFTER)):
                pass

        return first, _quantile(rest, 0.99), _timed(drop_all)
    if kind == "sqlite":
        path = folder / f"mass-{count}.db"
        _fill_sqlite(path, count, NOW + 50)
        cache = open_replay_cache(str(path), capacity=10_000_000)
        first = _timed(lambda: cache.check_and_record("first", AFTER, AFTER + 50))
        assert len(cache) == count + 1 - EXPIRE_PER_CHECK, "the check measured deleted its share"
        rest = _checks(cache, 1000, AFTER)
        baseline = folder / f"mass-{count}-all.db"
        _fill_sqlite(baseline, count, NOW + 50)
        db = sqlite3.connect(baseline, isolation_level=None)

        def delete_all() -> None:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM presented WHERE expires <= ?", (purge_before(AFTER),))
            db.execute("COMMIT")

        return first, _quantile(rest, 0.99), _timed(delete_all)
    # Redis: the keys expire on the server's clock, all in one millisecond; the server reclaims them.
    import redis

    assert redis_url is not None
    redis.Redis.from_url(redis_url).flushdb()
    expires_ms = int(time.time() * 1000) + 2000 + count // 100  # after the fill
    _fill_redis(redis_url, count, expires_ms)
    cache = open_replay_cache(redis_url, capacity=10_000_000)
    while time.time() * 1000 < expires_ms:
        time.sleep(0.01)
    first = _timed(lambda: cache.check_and_record("first", NOW, NOW + 50))
    rest = _checks(cache, 1000, NOW)
    return first, _quantile(rest, 0.99), float("nan")


# --- the run -------------------------------------------------------------------------------------


def run() -> str:
    folder = Path(tempfile.mkdtemp(prefix="xc-bench-"))
    redis_server = RedisServer(folder / "redis")
    (folder / "redis").mkdir()
    pg_folder = Path(tempfile.mkdtemp(prefix="xc-bench-pg-"))
    postgres = PostgresServer(pg_folder, fsync=True)
    lines: list[str] = []
    try:
        redis_server.start()
        postgres.start()
        load = os.getloadavg()[0]
        lines.append(
            f"Generated by `python bench/backends.py --publish` on {os.cpu_count()} cores, {platform.machine()}, "
            f"Python {platform.python_version()}, load average {load:.2f}; servers on loopback: redis-server "
            "(append-only file, fsync before every reply), PostgreSQL (fsync on); SQLite in WAL mode. "
            f"{CHECKS:,} checks per gate process, {CHANGES} allocations per issuing process."
        )
        lines += ["", "Replay cache: one check of a new presentation (step 21b), N gate processes sharing the cache.", ""]
        lines += ["| backend | N | checks a second (all processes) | p50 | p99 |", "|---|---|---|---|---|"]
        targets = {"memory": "memory", "SQLite": str(folder / "shared-{}.db"), "Redis": redis_server.url}
        for name, pattern in targets.items():
            for count in PROCESSES if name != "memory" else (1,):
                target = pattern.format(count)  # a new cache for each run
                if name == "Redis":
                    import redis

                    redis.Redis.from_url(target).flushdb()
                rate, times, _ = _parallel(_gate_worker, target, count)
                lines.append(f"| {name} | {count} | {rate:,.0f} | {_us(_quantile(times, 0.5))} | {_us(_quantile(times, 0.99))} |")
                print(lines[-1], file=sys.stderr, flush=True)
        lines += ["", f"One check with {LIVE:,} live entries in the cache (one process, 2,000 checks).", ""]
        lines += ["| backend | p50 | p99 |", "|---|---|---|"]
        for name, kind in (("memory", "memory"), ("SQLite", "sqlite"), ("Redis", "redis")):
            if kind == "redis":
                import redis

                redis.Redis.from_url(redis_server.url).flushdb()
            times = _at_live(kind, folder, redis_server.url)
            lines.append(f"| {name} | {_us(_quantile(times, 0.5))} | {_us(_quantile(times, 0.99))} |")
            print(lines[-1], file=sys.stderr, flush=True)
        lines += ["", f"Mass expiry: the entries of one time step expire in the same second. A check deletes at most "
                  f"{EXPIRE_PER_CHECK} of them (memory, SQLite); Redis expires keys itself. Baseline: deleting them all at "
                  "once, in the same process, which is what the first check after did before the bound.", ""]
        lines += ["| backend | entries expiring together | first check after | p99 of the next 1,000 checks | baseline: all deleted at once |",
                  "|---|---|---|---|---|"]
        for name, kind in (("memory", "memory"), ("SQLite", "sqlite"), ("Redis", "redis")):
            for count in MASS:
                first, p99, baseline = _mass_expiry(kind, count, folder, redis_server.url)
                shown = "(the server's)" if baseline != baseline else _us(baseline)
                lines.append(f"| {name} | {count:,} | {_us(first)} | {_us(p99)} | {shown} |")
                print(lines[-1], file=sys.stderr, flush=True)
        lines += ["", "Status authority: one allocation (a transaction committed to disk), N issuing processes on one list.", ""]
        lines += ["| backend | N | allocations a second (all processes) | p50 | p99 | refused: locked or timed out |", "|---|---|---|---|---|---|"]
        for name in ("SQLite", "PostgreSQL"):
            for count in ISSUERS:
                target = str(folder / f"authority-{count}.sqlite") if name == "SQLite" else postgres.database()
                StatusAuthority.open(target, "HK").create_list("bench", 1_000_000, now=NOW)
                rate, times, failed = _parallel(_issuer_worker, target, count)
                lines.append(f"| {name} | {count} | {rate:,.0f} | {_us(_quantile(times, 0.5))} | {_us(_quantile(times, 0.99))} | {failed} of {count * CHANGES} |")
                print(lines[-1], file=sys.stderr, flush=True)
    finally:
        redis_server.stop()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(pg_folder, ignore_errors=True)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--publish", action="store_true", help="write bench/backends.md and the README's block")
    parser.add_argument("--quick", action="store_true", help="small sizes: check that the script runs (figures meaningless)")
    args = parser.parse_args()
    if args.quick:
        global CHECKS, CHANGES, LIVE, MASS
        CHECKS, CHANGES, LIVE, MASS = 50, 10, 20_000, (1_000, 5_000)
        if args.publish:
            raise SystemExit("--quick figures are not published")
    report = run()
    print(report)
    if args.publish:
        (ROOT / "bench" / "backends.md").write_text("# Shared-state backends\n\n" + report, encoding="utf-8")
        readme = ROOT / "README.md"
        text = readme.read_text(encoding="utf-8")
        block = f"<!-- backends:begin -->\n{report}<!-- backends:end -->"
        text, replaced = re.subn(r"<!-- backends:begin -->.*?<!-- backends:end -->", lambda _: block, text, flags=re.DOTALL)
        if not replaced:
            raise SystemExit("README.md has no <!-- backends:begin --> ... <!-- backends:end --> block")
        readme.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
