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


def _block(name: str) -> str:
    begin, end = f"<!-- {name}:begin -->\n", f"<!-- {name}:end -->"
    return README[README.index(begin) + len(begin) : README.index(end)]


def error_codes_text(width: int = 100) -> str:
    """The README's list of error codes, made from the code's own table (``ErrorCode``)."""
    from credential.base.errors import ErrorCode

    words = [f"{len(ErrorCode)} error codes:"] + [f"`{code.value}`," for code in ErrorCode]
    words[-1] = words[-1].rstrip(",") + "."
    lines, line = [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line]) + "\n"


def test_error_codes_are_those_of_the_code() -> None:
    assert _block("error-codes") == error_codes_text(), "replace the error-codes block with:\n" + error_codes_text()


def test_vocabulary_names_only_options_the_command_has() -> None:
    from credential.cli.main import parser

    options: set[str] = set()
    pending = [parser()]
    while pending:
        current = pending.pop()
        for action in current._actions:  # noqa: SLF001
            options.update(action.option_strings)
            if isinstance(action.choices, dict):
                pending.extend(action.choices.values())
    named = set(re.findall(r"`(--[a-z-]+)", _block("vocabulary")))
    assert named and named <= options, sorted(named - options)
    # The names this table replaced are gone from every subcommand.
    assert not {"--db", "--cache", "--grace", "--recipient"} & options
    verify = parser()._subparsers._group_actions[0].choices["verify"]  # noqa: SLF001
    assert "--key" not in verify._option_string_actions  # noqa: SLF001 - a gate's keys are --trusted-key


def test_walkthrough_runs_as_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The two-authority command lines of the README, run by a shell in a folder holding examples/."""
    import os
    import shutil

    block = _block("walkthrough")
    script = block[block.index("```sh\n") + len("```sh\n") : block.index("```\n", 6)]
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert "VALID: HK credential" in result.stderr and "templates, replay" in result.stderr, result.stderr
    face = tmp_path / "matcher" / "face.bin"
    assert face.read_bytes() == (ROOT / "examples" / "face.bin").read_bytes()
    assert face.stat().st_mode & 0o777 == 0o600
