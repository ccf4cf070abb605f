"""bench/status.py runs (on a tiny list: the benchmark itself stays out of the suite), and its
published figures cover what issue 9 asks for."""

from __future__ import annotations

import re
import subprocess
import sys

from .vectors import ROOT


def test_the_status_benchmark_runs_on_a_tiny_list() -> None:
    printed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "status.py"), "--sizes", "4000", "--rates", "0.01,0.05", "--rounds", "1"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout
    rows = re.findall(r"^\| 4,000 \| (1|5)% \((40|200)\) \| [0-9,]+ B", printed, re.MULTILINE)
    assert rows == [("1", "40"), ("5", "200")]
    assert "one lookup under 1 microsecond" in printed


def test_the_published_figures_cover_both_sizes_and_every_rate() -> None:
    for path in (ROOT / "README.md", ROOT / "bench" / "results.md"):
        text = path.read_text(encoding="utf-8")
        section = text[text.index("<!-- status:begin -->") : text.index("<!-- status:end -->")]
        for size in ("1 million", "10 million"):
            for rate in ("0.1%", "1%", "5%"):
                assert f"| {size} | {rate} (" in section, (path.name, size, rate)
        assert "Goal: 10 million credentials at 0.1% revoked under 100 KB" in section
