"""Batch issuance throughput: one process, then a multiprocessing pool over every core.

    python bench/batch.py [--count N] [--quick]

Each credential gets its own cti, as a real batch would; keys are loaded once per worker from PEM
(the way a batch job gets them). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from typing import Any

from common import completed, fixed_key, markdown_table

import credential

_KEY: Any = None
_CLAIMS: dict[str, Any] = {}


def _init(pem: bytes) -> None:
    global _KEY, _CLAIMS
    _KEY = credential.load_private_key(pem)
    _CLAIMS = completed()


def _issue_range(bounds: tuple[int, int]) -> int:
    """Issue credentials numbered start..stop-1 (the number becomes the cti); return their total length."""
    start, stop = bounds
    claims = dict(_CLAIMS)
    total = 0
    for number in range(start, stop):
        claims["cti"] = number.to_bytes(8, "big").hex()
        total += len(credential.issue(claims, _KEY, policy=None))
    return total


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def reference_scaling(processes: int, n: int = 2_000_000) -> float:
    """How much faster ``processes`` workers run a pure-Python loop than one: the parallelism actually free now."""
    start = time.perf_counter()
    for _ in range(processes):
        _burn(n)
    one = time.perf_counter() - start
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(_burn, [1000] * processes)
        start = time.perf_counter()
        pool.map(_burn, [n] * processes)
        many = time.perf_counter() - start
    return one / many


def _chunks(count: int, size: int) -> list[tuple[int, int]]:
    return [(i, min(i + size, count)) for i in range(0, count, size)]


def measure(alg: str, count: int, processes: int, chunk: int = 256) -> float:
    """Credentials per second issuing ``count`` of them with ``processes`` workers (0: in this process)."""
    pem = credential.private_key_to_pem(fixed_key(alg))
    if processes == 0:
        _init(pem)
        start = time.perf_counter()
        _issue_range((0, count))
        return count / (time.perf_counter() - start)
    with multiprocessing.get_context("fork").Pool(processes, initializer=_init, initargs=(pem,)) as pool:
        pool.map(_issue_range, _chunks(processes * 4, 1))  # start the workers before the clock does
        start = time.perf_counter()
        pool.map(_issue_range, _chunks(count, chunk))
        return count / (time.perf_counter() - start)


def measure_library_batch(alg: str, count: int, jobs: int) -> float | None:
    """The package's own batch path (credential.issuer.batch.issue_lines), JSON lines in, if it exists."""
    try:
        from credential.issuer.batch import issue_lines
    except ImportError:
        return None
    key = fixed_key(alg)
    base = completed()
    lines = []
    for number in range(count):
        base["cti"] = number.to_bytes(8, "big").hex()
        lines.append(json.dumps(base))
    start = time.perf_counter()
    done = sum(1 for result in issue_lines(lines, key, jobs=jobs, phase=None) if result.error is None)
    took = time.perf_counter() - start
    return done / took if done == count else None


def table(count: int) -> str:
    cores = os.cpu_count() or 1
    rows = []
    for alg in ("Ed25519", "ES256"):
        single = measure(alg, count, 0)
        rows.append([alg, "one process, a loop of credential.issue", f"{single:,.0f}", "1.00x", ""])
        for processes in sorted({1, cores}):
            rate = measure(alg, count, processes)
            rows.append([alg, f"multiprocessing.Pool({processes}), chunks of 256", f"{rate:,.0f}", f"{rate / single:.2f}x", f"{100 * rate / single / processes:.0f}%"])
        library = measure_library_batch(alg, count, cores)
        if library is not None:
            rows.append([alg, f"credential.issuer.batch.issue_lines, jobs={cores} (JSON lines in)", f"{library:,.0f}", f"{library / single:.2f}x", f"{100 * library / single / cores:.0f}%"])
    scaling = reference_scaling(cores)
    rows.append(["(reference)", f"pure-Python loop, Pool({cores}) against one process: the parallelism free during this run", "", f"{scaling:.2f}x", f"{100 * scaling / cores:.0f}%"])
    load = os.getloadavg()[0]
    return markdown_table(["alg", "how", "credentials/s", "vs one process", "per-core efficiency"], rows) + f"\n\nLoad average when the table was done: {load:.2f}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20000, help="credentials per measurement (default 20000)")
    parser.add_argument("--quick", action="store_true", help="2000 credentials per measurement")
    args = parser.parse_args()
    count = 2000 if args.quick else args.count
    print(f"## Batch issuance throughput ({count} full-profile credentials per row, {os.cpu_count()} cores)\n")
    print(table(count))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
