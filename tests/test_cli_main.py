"""``credential.cli.main`` in process: the subcommand registration hook and the exit codes."""

from __future__ import annotations

import argparse
import sys
import types

import pytest

from credential.cli import main as cli
from credential.cli.common import EXIT_INTERNAL, EXIT_USAGE, UsageError


def _extension(monkeypatch: pytest.MonkeyPatch) -> None:
    """A subcommand module registered the way cli_trust.py and the others are."""

    def run(args: argparse.Namespace) -> int:
        if args.mode == "usage":
            raise UsageError("a usage mistake")
        if args.mode == "defect":
            raise ZeroDivisionError("a defect")
        print(f"ran {args.mode}")
        return 0

    def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        p = subparsers.add_parser("example", help="an example subcommand")
        p.add_argument("mode")
        p.set_defaults(run=run)

    module = types.ModuleType("credential.cli.example")
    module.register = register  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "credential.cli.example", module)
    monkeypatch.setattr(cli, "SUBCOMMAND_MODULES", ("example",))


@pytest.mark.parametrize(("mode", "code", "stream", "text"), [
    ("fine", 0, "out", "ran fine"),
    ("usage", EXIT_USAGE, "err", "credential example: a usage mistake"),
    ("defect", EXIT_INTERNAL, "err", "credential example: internal error (ZeroDivisionError): a defect"),
])
def test_registered_subcommand_runs_with_the_common_exit_codes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], mode: str, code: int, stream: str, text: str
) -> None:
    _extension(monkeypatch)
    assert cli.main(["example", mode]) == code
    captured = capsys.readouterr()
    assert (captured.out if stream == "out" else captured.err).strip() == text
    assert "Traceback" not in captured.err


def test_a_subcommand_module_that_fails_to_load_is_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "SUBCOMMAND_MODULES", ("no_such_module",))
    assert cli.main(["verify", "x"]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err.startswith("credential: internal error (ModuleNotFoundError)") and err.count("\n") == 1


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    assert "exit codes:" in capsys.readouterr().out
