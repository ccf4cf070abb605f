"""What a presentation costs the phone and the gate (spec 4.5, 9.6), against a credential shown by itself.

    python bench/presentations.py > bench/presentations.md

Prints Markdown. Full-profile sample claims, issued with Ed25519, the device key P-256. The replay
caches are timed on their own (one check-and-record of a new identity per call), since a
presentation can be recorded only once: a gate's cost per traveller is the verification plus one
cache operation.
"""

from __future__ import annotations

import os
import sys
import tempfile
from itertools import count
from pathlib import Path

from common import Suite, completed, fixed_key, fmt_time, markdown_table

import credential
from credential.gate.verify import Verifier


def main() -> None:
    device = credential.generate_key("ES256")
    issuer = fixed_key("Ed25519")
    claims = completed("full")
    bound = credential.issue(dict(claims, cnf=credential.device_cnf(device)), issuer, policy=None)
    bare = credential.issue(claims, issuer, policy=None)
    now = claims["iat"] + 60
    shown = credential.present(bound, device, now=now, destination="MO")
    gate = Verifier([credential.TrustedKey(issuer.public_key(), {"HK"})], destination="MO")
    keys = count()
    memory = credential.MemoryReplayCache()
    with tempfile.TemporaryDirectory() as folder:
        sqlite = credential.SqliteReplayCache(Path(folder) / "replay.db")
        suite = Suite()
        suite.add("present (phone: ES256 signature, Base45)", lambda: credential.present(bound, device, now=now, destination="MO"))
        suite.add("verify a credential by itself (no cnf)", lambda: gate.verify(bare, now=now))
        suite.add("verify a presentation (both signatures, window, destination)", lambda: gate.verify(shown, now=now))
        suite.add("MemoryReplayCache: check and record", lambda: memory.check_and_record(f"HK:{next(keys)}:1", now, now + 50))
        suite.add("SqliteReplayCache: check and record (one transaction, WAL)", lambda: sqlite.check_and_record(f"HK:{next(keys)}:1", now, now + 50))
        suite.run()
    bare = suite["verify a credential by itself (no cnf)"]
    rows = [[name, fmt_time(suite[name]), f"{suite[name] / bare:.2f}x"] for name in suite.cases]
    print("## Presentations: cost per operation\n")
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end; "
        f"median of {suite.rounds} interleaved rounds. Ratios against verifying the bare credential, same run.\n"
    )
    print(markdown_table(["operation", "time", "ratio"], rows))


if __name__ == "__main__":
    main()
