"""What the trust store's freshness check costs (spec 16.6): every lookup first asks SQLite whether
another process has written the shared file (``PRAGMA data_version``), so that a withdrawal reaches a
running gate. Measured as ratios against a ``KeySet`` holding the same key, in the same process.

    python bench/trust.py              # print the figures
    python bench/trust.py --rounds 3   # a quicker run
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import NOW, fixed_key

import credential
from credential.issuer import samples
from credential.lists import trust

T0 = samples.ISSUED_AT


def _per_call(actions: dict[str, Callable[[], object]], calls: int, rounds: int) -> dict[str, float]:
    """Median seconds per call of each action, the actions interleaved round by round so that a
    machine shared with others slows them alike."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(rounds):
        for name, action in actions.items():
            started = time.perf_counter()
            for _ in range(calls):
                action()
            times[name].append((time.perf_counter() - started) / calls)
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args(argv)
    issuer_key, list_key = fixed_key("Ed25519"), credential.generate_key()
    listed = credential.ListedKey(issuer_key, "HK", ("MO",), ("minimal", "full"), T0 - 86400, T0 + 365 * 86400)
    signed = trust.sign(credential.TrustList("HK", 1, T0, T0 + 30 * 86400, (listed,)), list_key)
    key_set = credential.KeySet([credential.TrustedKey(issuer_key.public_key(), frozenset({"HK"}))])
    text = credential.issue(samples.minimal(), issuer_key, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)
    kid = credential.kid_of(issuer_key)
    with tempfile.TemporaryDirectory() as folder:
        store = credential.TrustStore({"HK": [list_key.public_key()]}, path=Path(folder) / "trust.sqlite")
        store.load(signed, now=T0)
        lookup = _per_call({"KeySet": lambda: key_set.get(kid), "TrustStore": lambda: store.get(kid)}, 20_000, args.rounds)
        by_set, by_store = credential.Verifier(key_set, destination="MO"), credential.Verifier(store, destination="MO")
        verify = _per_call({"KeySet": lambda: by_set.verify(text, now=NOW), "TrustStore": lambda: by_store.verify(text, now=NOW)},
                           500, args.rounds)
        store.close()
    print("| | KeySet | TrustStore (SQLite file) | ratio |")
    print("|---|---|---|---|")
    print(f"| lookup by kid | {lookup['KeySet'] * 1e6:.2f} µs | {lookup['TrustStore'] * 1e6:.2f} µs | {lookup['TrustStore'] / lookup['KeySet']:.0f} |")
    print(f"| verification, minimal profile, Ed25519 | {verify['KeySet'] * 1e6:.0f} µs | {verify['TrustStore'] * 1e6:.0f} µs | "
          f"{verify['TrustStore'] / verify['KeySet']:.2f} |")


if __name__ == "__main__":
    main()
