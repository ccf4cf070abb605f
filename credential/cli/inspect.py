"""``credential inspect`` and ``credential serve``: the inspector on the command line and as a local page.

Both take the verifier's configuration with the options of ``credential verify``; without trusted
keys they decode and report, and say that nothing was verified. ``inspect`` exits 0 when no step
failed (valid, or not verified for want of keys), 1 when a step failed, 2 on a usage mistake.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..base import limits
from . import common
from .common import EXIT_INVALID, UsageError

# A text file or standard input longer than this cannot hold a credential; reading stops there, and the
# inspector reports LIMIT for what it read.
_MAX_READ = limits.MAX_TEXT_CHARS + 2


# Options of verify about its output, not the gate's configuration: inspect and serve report otherwise.
VERIFY_OUTPUT_OPTIONS = frozenset({"templates_out"})


def share_verify_options(p: argparse.ArgumentParser, verify: argparse.ArgumentParser) -> None:
    """Give ``p`` every option of ``verify`` that configures the gate, as the same argparse actions."""
    for action in verify._actions:  # noqa: SLF001 - argparse's parents= does the same
        if action.option_strings and not isinstance(action, argparse._HelpAction) and action.dest not in VERIFY_OUTPUT_OPTIONS:  # noqa: SLF001
            p._add_action(action)  # noqa: SLF001


def _configured(args: argparse.Namespace, verify: argparse.ArgumentParser) -> bool:
    """Whether any of verify's configuration options was given (each has a default when it is not)."""
    return any(
        getattr(args, action.dest) != action.default
        for action in verify._actions  # noqa: SLF001
        if action.option_strings and action.dest != "help" and action.dest not in VERIFY_OUTPUT_OPTIONS
    )


def configuration(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """(Verifier or None, now, templates) from verify's options, checked before any credential is read;
    None when no option was given: the inspector then decodes and verifies nothing."""
    from .gate import gate

    if not _configured(args, args.verify_parser):
        return None, None, None
    verifier, now, templates = gate(args, args.command)
    from ..base.times import epoch_seconds

    return verifier, epoch_seconds(now), templates


def read_source(source: str) -> str | bytes:
    """The credential: ``-`` for standard input, a text file, a QR image, or the text itself.

    Unlike ``verify``, over-long input is not refused here: the inspector reports it (step 1).
    """
    if source == "-":
        return _strip_newline(sys.stdin.buffer.read(_MAX_READ))
    try:
        path = Path(source)
        is_file = path.is_file()
    except (OSError, ValueError):  # a credential text is longer than a file name may be
        is_file = False
    if not is_file:
        # Base45 has "/" and ".", so only what cannot be a credential text is taken for a missing file.
        looks_like_file = "/" in source or Path(source).suffix.lower() in common.IMAGE_SUFFIXES | {".txt"}
        if looks_like_file and not source.startswith(("XC", "XP")):
            raise UsageError(f"{source}: no such file")
        return source
    if path.suffix.lower() in common.IMAGE_SUFFIXES:
        return common.scan_image(common.read_file(source, common.MAX_IMAGE_BYTES, "image"), source)
    try:
        with path.open("rb") as handle:
            return _strip_newline(handle.read(_MAX_READ))
    except OSError as err:
        raise UsageError(f"{source}: {common.reason(err)}") from None


def _strip_newline(data: bytes) -> bytes:
    # One trailing newline is what editors and shells add; the credential itself never ends in one.
    return data.removesuffix(b"\n").removesuffix(b"\r")


def render_text(report: Any) -> str:
    """The report for a terminal: summary, layers, steps."""
    lines = [f"{report.verdict.upper()}: {report.summary}", ""]
    if report.first_failure is not None:
        f = report.first_failure
        lines += [f"First failure: step {f.number} ({f.check}): {f.code}, {f.reference}", f"  {f.detail}", ""]
    lines.append("Layers")
    for layer in report.layers:
        steps = ", ".join(layer.steps)
        lines.append(f"  {layer.title} (step{'s' if len(layer.steps) > 1 else ''} {steps})")
        for name, value in layer.fields.items():
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            lines.append(f"    {name}: {shown}")
        if layer.diagnostic:
            lines.append("    diagnostic notation:")
            lines += ["      " + line for line in layer.diagnostic.splitlines()]
        if layer.error:
            e = layer.error
            lines.append(f"    ERROR {e['code']} at {e['reference'] or 'an unknown step'}: {e['detail']}")
    lines += ["", "Steps (spec 9.2)"]
    for s in report.steps:
        note = f" -- {s.code}: {s.detail} [{s.reference}]" if s.verdict == "failed" else (f" -- {s.detail}" if s.detail else "")
        lines.append(f"  {s.number:>3}  {s.verdict.upper() if s.verdict == 'failed' else s.verdict:<11}  {s.check}{note}")
    if report.configuration is not None:
        lines += ["", "Configuration", "  " + json.dumps(report.configuration, ensure_ascii=False)]
    return "\n".join(lines)  # the command's output stream escapes what a terminal could act on


def cmd_inspect(args: argparse.Namespace) -> int:
    from ..tools.inspect import FAILED, inspect

    verifier, now, templates = configuration(args)
    report = inspect(read_source(args.credential), verifier, now=now, templates=templates)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_text(report))
    return EXIT_INVALID if any(s.verdict == FAILED for s in report.steps) else 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ..tools.serve import serve

    verifier, now, templates = configuration(args)
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a TCP port")
    try:
        serve(args.port, verifier=verifier, now=now if args.now else None, templates=templates)
    except OSError as err:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {err}") from None
    return 0


def register(sub: Any) -> None:
    """Add ``inspect`` and ``serve`` to the ``credential`` command's subparsers, with every option that
    ``verify`` has by then (``cli.SUBCOMMAND_MODULES`` lists this module last)."""
    verify = sub.choices["verify"]
    p = sub.add_parser("inspect", help="show every layer and the verdict of every step of spec 9.2")
    p.add_argument("credential", help="credential text, a file of it, a QR image, or - for standard input")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    share_verify_options(p, verify)
    p.set_defaults(run=cmd_inspect, verify_parser=verify)

    p = sub.add_parser("serve", help="the inspector as a web page on this computer (127.0.0.1 only)")
    p.add_argument("--port", type=int, default=8045, help="TCP port on 127.0.0.1 (default 8045; 0 picks a free one)")
    share_verify_options(p, verify)
    p.set_defaults(run=cmd_serve, verify_parser=verify)
