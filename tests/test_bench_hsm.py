"""bench/hsm.py runs (a few rounds, a small batch: the benchmark itself stays out of the suite), and
the published figures cover both algorithms, in memory and through the token."""

from __future__ import annotations

import re
import subprocess
import sys

from . import softhsm
from .vectors import ROOT


def test_the_token_benchmark_runs_on_a_small_batch() -> None:
    softhsm.require()
    printed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "hsm.py"), "--rounds", "1", "--count", "150"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout
    for alg in ("Ed25519", "ES256"):
        assert re.search(rf"^\| {alg} \| through SoftHSM2 \(C_Sign, then checked\) \| [0-9,]+ \|", printed, re.MULTILINE)
        assert re.search(rf"^\| {alg} \| key in SoftHSM2, jobs=\d+ \(a session per worker\) \| [0-9,]+ \|", printed, re.MULTILINE)


def test_the_published_figures_cover_both_algorithms() -> None:
    for path in (ROOT / "README.md", ROOT / "bench" / "results.md"):
        text = path.read_text(encoding="utf-8")
        section = text[text.index("<!-- hsm:begin -->") : text.index("<!-- hsm:end -->")]
        for alg in ("Ed25519", "ES256"):
            for row in ("in memory (cryptography)", "through SoftHSM2 (C_Sign, then checked)", "key in SoftHSM2"):
                assert f"| {alg} | {row}" in section, (path.name, alg, row)
