"""``credential conformance``: run every conformance vector through another implementation's adapter.

Exit 0 when no vector failed (skipped ones are allowed), 1 when one did, 2 on a usage mistake.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from . import common
from .common import EXIT_INVALID, UsageError


def cmd_conformance(args: argparse.Namespace) -> int:
    from ..tools import conformance, published

    try:
        paths = [Path(p) for p in args.vectors] or [published.folder("vectors")]
        files = conformance.load(paths)
    except (OSError, ValueError) as err:
        raise UsageError(f"--vectors: {err}") from None
    if not args.timeout > 0:
        raise UsageError(f"--timeout {args.timeout}: give a positive number of seconds")
    try:
        summary = conformance.run(args.impl, files, timeout=args.timeout)
    except (OSError, ValueError) as err:
        raise UsageError(f"--impl {args.impl!r}: {err}") from None
    print(conformance.table(summary))
    if args.json:
        common.write_output(_json(summary.as_dict()), args.json)
    if args.junit:
        common.write_output(conformance.junit(summary), args.junit)
    return EXIT_INVALID if summary.failed else 0


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, indent=2)


def register(sub: Any) -> None:
    p = sub.add_parser("conformance", help="run every conformance vector against another implementation (spec 15)")
    p.add_argument("--impl", required=True, metavar="COMMAND", help="the adapter program, e.g. 'node adapter.js' (split like a shell, run without one)")
    p.add_argument("--vectors", action="append", default=[], metavar="PATH", help="a vector file or a folder of them (default: the vectors published with this package)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds allowed per vector (default 10)")
    p.add_argument("--json", metavar="FILE", help="write the full report as JSON")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    p.set_defaults(run=cmd_conformance)
