"""Status lists (spec 17): size of a signed list, time to build and sign it, to load it at a gate,
and to read one entry, for lists of 1 and 10 million credentials at 0.1%, 1% and 5% revoked.

    python bench/status.py                 # print the Markdown section
    python bench/status.py --publish       # also write it into README.md and bench/results.md
    python bench/status.py --sizes 1000 --rates 0.01 --rounds 1   # a smoke run

Revoked indices are drawn at random (a fixed seed, so sizes are the same on every run), as the
issuer's allocation draws them (spec 17.6): the worst case for compression, since no run of
revocations sits together. Times are medians of ``--rounds`` runs on this machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from common import ROOT, fixed_key

import credential
from credential.gate.status_cache import StatusCache
from credential.issuer import samples
from credential.lists import status_list

BEGIN, END = "<!-- status:begin -->", "<!-- status:end -->"
GOAL_BYTES = 100 * 1000  # 10 million credentials at 0.1% revoked under 100 KB (issue 9)
GOAL_LOOKUP = 1e-6


def _median(action: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _lookup_seconds(held: status_list.StatusList, rounds: int) -> float:
    """One entry read after load, averaged over 200,000 random indices (the loop's own cost removed)."""
    indices = [random.Random(7).randrange(held.size) for _ in range(200_000)]
    status = held.status

    def reads() -> None:
        for index in indices:
            status(index)

    def loop() -> None:
        for index in indices:
            pass

    return max(0.0, (_median(reads, rounds) - _median(loop, rounds)) / len(indices))


def _step_seconds(trust: credential.KeySet, token: bytes, index: int, rounds: int) -> tuple[float, float]:
    """One verify() at a gate whose SQLite cache holds the list (checked once), and one without status lists."""
    key = fixed_key("Ed25519")
    claims = samples.minimal()
    claims["xc"]["status"] = {"list": "hk-1", "index": index}
    text = credential.issue(claims, key, templates=samples.TEMPLATES, policy=None)
    cache = StatusCache()
    cache.add(token, fetched_at=samples.ISSUED_AT, trust=trust)
    with_status = credential.Verifier(trust, status=cache)
    without = credential.Verifier(trust)
    now = samples.ISSUED_AT + 60
    with_status.verify(text, now=now)  # the first use checks the token; not part of the step's cost

    def many(verifier: credential.Verifier) -> float:
        started = time.perf_counter()
        for _ in range(200):
            verifier.verify(text, now=now)
        return (time.perf_counter() - started) / 200

    # Interleaved pairs, so that load from elsewhere falls on both sides of each difference.
    pairs = [(many(with_status), many(without)) for _ in range(max(3, rounds) * 2)]
    return statistics.median(w for w, _ in pairs), statistics.median(o for _, o in pairs)


def _size_text(n: int) -> str:
    return f"{n // 1_000_000} million" if n % 1_000_000 == 0 else f"{n:,}"


def _bytes_text(n: int) -> str:
    return f"{n:,} B ({n / 1000:.1f} KB)"


def _time_text(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.1f} us"
    return f"{seconds * 1e9:.0f} ns"


def table(sizes: list[int], rates: list[float], rounds: int) -> str:
    key = fixed_key("Ed25519")
    trust = credential.KeySet([credential.TrustedKey(key.public_key(), frozenset({"HK"}))])
    rows = []
    goal_size: int | None = None
    worst_lookup = 0.0
    for size in sizes:
        for rate in rates:
            revoked = random.Random(f"{size}/{rate}").sample(range(size), round(size * rate))
            made: dict[str, bytes] = {}

            def build() -> None:
                bit_array = status_list.pack(((index, status_list.REVOKED) for index in revoked), size)
                made["token"] = status_list.build_token(
                    key, "HK", "hk-1", issued_at=samples.ISSUED_AT, expires=samples.ISSUED_AT + 2 * 86400, bits=1, bit_array=bit_array
                )

            build_time = _median(build, rounds)
            token = made["token"]
            load_time = _median(lambda: status_list.read_token(token, trust), rounds)
            held = status_list.read_token(token, trust)
            assert all(held.status(index) == status_list.REVOKED for index in revoked[:1000])
            lookup = _lookup_seconds(held, rounds)
            worst_lookup = max(worst_lookup, lookup)
            if size == 10_000_000 and rate == 0.001:
                goal_size = len(token)
            rows.append(
                f"| {_size_text(size)} | {rate * 100:g}% ({len(revoked):,}) | {_bytes_text(len(token))} | "
                f"{len(held.data) / 1e6:.2f} MB | {_time_text(build_time)} | {_time_text(load_time)} | {_time_text(lookup)} |"
            )
    with_status, without = _step_seconds(trust, token, next(i for i in range(size) if held.status(i) == 0), rounds)
    lines = [
        BEGIN,
        f"Generated by `python bench/status.py --publish` on {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}; medians of {rounds} rounds. "
        "1-bit entries, revoked indices drawn at random, Ed25519 signature.",
        "",
        "| credentials | revoked | signed list token | bit array in memory | build and sign | load at a gate (check, inflate) | one lookup after load |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"`Verifier.verify` of a minimal credential with step 19a, the list (the last row's) held in the gate's SQLite "
        f"cache and already checked: {_time_text(with_status)}; without status lists: {_time_text(without)} (step 19a is one "
        "indexed query for the held token's digest, then one entry read; it does not grow with the list).",
    ]
    if goal_size is not None:
        verdict = "met" if goal_size < GOAL_BYTES else "**missed**"
        lines.append(f"Goal: 10 million credentials at 0.1% revoked under 100 KB: {_bytes_text(goal_size)}, {verdict}.")
    verdict = "met" if worst_lookup < GOAL_LOOKUP else "**missed**"
    lines.append(
        f"Goal: one lookup under 1 microsecond after load: at most {_time_text(worst_lookup)} in pure Python "
        f"(`StatusList.status`: a bounds check, one byte read, a shift and a mask), {verdict}."
    )
    lines.append(END)
    return "\n".join(lines)


def publish(section: str, path: Path, heading: str) -> None:
    """Replace the marked section of a file, or append it under ``heading``."""
    text = path.read_text(encoding="utf-8")
    if BEGIN in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: section, text, flags=re.DOTALL)
    else:
        text = text.rstrip("\n") + f"\n\n{heading}\n\n{section}\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,10000000", help="credentials per list, comma-separated")
    parser.add_argument("--rates", default="0.001,0.01,0.05", help="revoked shares, comma-separated")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one round (a smoke test, not results)")
    parser.add_argument("--publish", action="store_true", help="write the section into README.md and bench/results.md")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rates = [float(r) for r in args.rates.split(",")]
    section = table(sizes, rates, 1 if args.quick else args.rounds)
    print("## Status lists\n")
    print(section)
    if args.publish:
        publish(section, ROOT / "README.md", "### Status lists")
        publish(section, ROOT / "bench" / "results.md", "## Status lists")
        print("wrote README.md and bench/results.md", file=sys.stderr)


if __name__ == "__main__":
    main()
