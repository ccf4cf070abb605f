"""The README: how it opens, and its library example, which runs as written."""

from __future__ import annotations

import re
import subprocess
import sys

from .vectors import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_opens_with_title_one_line_and_the_two_commands() -> None:
    lines = README.splitlines()
    assert lines[0].startswith("# ") and lines[1] == ""
    assert lines[2] and lines[3] == "", "one line saying what this is"
    assert lines[4:12] == ["```sh", "make demo", "```", "", "```sh", "make test", "```", ""]


def test_setup_times_are_measured() -> None:
    block = README[README.index("<!-- setup-times:begin -->") : README.index("<!-- setup-times:end -->")]
    for command in ("make demo", "make test"):
        row = next(line for line in block.splitlines() if line.startswith(f"| `{command}`"))
        assert re.fullmatch(rf"\| `{command}` \| (\d+ min )?\d+ s \|.*", row), row


def test_library_example_runs_as_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    section = README[README.index("## Library") :]
    example = section[section.index("```python\n") + len("```python\n") : section.index("\n```\n")]
    result = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "record this cti: " in result.stdout
    assert re.search(r"^EXPIRED expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", result.stdout, re.M), result.stdout


def test_readme_says_templates_are_the_gates_records_not_a_live_capture() -> None:
    assert "enrolled reference templates from the gate's own records, not a live capture" in README
