"""``credential issue --batch``: JSON Lines in, one JSON line per issued credential out, naming its
input line and its ``cti``; failed lines reported apart, with their number and reason.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, TextIO

from . import common
from .common import EXIT_OK, EXIT_USAGE, UsageError

MAX_JOBS = 64  # worker processes: more only queue for the same cores

HELP = """\
with --batch, CLAIMS is JSON Lines (or - for standard input): each line is a claims object, or
{"claims": {...}, "templates": {"face": HEX, "fingerprint": HEX}, "birth_date": "YYYY-MM-DD",
"device_key": "-----BEGIN PUBLIC KEY-----..."} to bind reference templates, give the holder's birth
date for the eligibility policy's age rule and bind the holder's device key (--template, --birth-date
and --device-key are refused with --batch; --policy, --status-db and --trust-list apply to every line).
With --status-db, --out FILE is required: the file appears only once every entry is committed. Each issued
credential is one output line, {"line": N, "cti": HEX, "text": "XC1:..."}, N being its input line
(counted from 1, blank lines included). A line that fails is reported with its number and reason, on standard error or with
--failures FILE as {"line": N, "error": REASON} lines; the other lines are still issued. Exit 0 when
every line was issued, 2 when some were not."""


class Progress:
    """A one-line progress bar, redrawn at most every 0.2 s; ``total`` None when the input is a stream."""

    def __init__(self, total: int | None, stream: TextIO, width: int = 30) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.start, self.shown = time.monotonic(), 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        finished = self.total is not None and done >= self.total
        if now - self.shown < 0.2 and not finished:
            return
        self.shown = now
        rate = f"{done / max(now - self.start, 1e-9):,.0f}/s"
        if self.total is None:
            self.stream.write(f"\r{done} lines {rate}")
        else:
            filled = self.width * done // max(self.total, 1)
            self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} {rate}")
        if finished:
            self.stream.write("\n")
        self.stream.flush()

    def close(self) -> None:
        if self.total is None:
            self.stream.write("\n")
            self.stream.flush()


def bounded_lines(handle: BinaryIO, limit: int) -> Iterator[bytes]:
    """The lines of ``handle``; a line longer than ``limit`` bytes is cut to ``limit + 1`` bytes (the
    rest is skipped unread into memory), so that the reader of the line can refuse it by its length."""
    while line := handle.readline(limit + 1):
        if len(line) > limit and not line.endswith(b"\n"):
            while (rest := handle.readline(64 * 1024)) and not rest.endswith(b"\n"):
                pass
        yield line


def _count_lines(path: str, limit: int) -> int | None:
    """The non-blank lines of a regular file; None for a stream, which can be read only once."""
    if path == "-" or not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        return sum(1 for line in bounded_lines(handle, limit) if line.strip())


def progress_for(args: argparse.Namespace, limit: int) -> Progress | None:
    # Only a person watching a terminal needs the bar; in a log or a pipe it would be noise.
    if args.quiet or not sys.stderr.isatty():
        return None
    return Progress(_count_lines(args.claims, limit), common.unescaped(sys.stderr))


@contextlib.contextmanager
def _failure_report(path: str | None) -> Iterator[Callable[[int, str], None]]:
    """Where failed lines go: one stderr line each, or JSON Lines {"line": N, "error": REASON} in a file."""
    if path is None:
        yield lambda number, error: print(f"line {number}: {common.escape(error)}", file=sys.stderr)
        return
    try:
        handle = open(path, "w", encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write {path}: {common.reason(err)}") from None

    def report(number: int, error: str) -> None:
        handle.write(json.dumps({"line": number, "error": error}) + "\n")
        handle.flush()

    with handle:
        yield report


def issue_batch(args: argparse.Namespace, key: Any) -> int:
    """``issue --batch``: the claims lines of ``args.claims`` signed with ``key``."""
    if args.template:
        raise UsageError("--template binds templates to one credential; in --batch give them on each line: "
                         '{"claims": {...}, "templates": {"face": "HEX"}}')
    if args.birth_date is not None:
        raise UsageError('--birth-date is one holder\'s; in --batch give it on each line: {"claims": {...}, "birth_date": "YYYY-MM-DD"}')
    if args.device_key is not None:
        raise UsageError('--device-key is one holder\'s; in --batch give it on each line: {"claims": {...}, "device_key": "PEM"}')
    if args.status_db is not None and args.out in (None, "-"):
        raise UsageError("--status-db with --batch needs --out FILE: the credentials are put there only once their entries are committed")
    try:
        source = contextlib.nullcontext(sys.stdin.buffer) if args.claims == "-" else open(args.claims, "rb")
    except OSError as err:
        raise UsageError(f"{args.claims}: {common.reason(err)}") from None
    with source as handle:
        return _issue_batch(args, key, handle)


class _Prepared:
    """The lines as the workers get them, each completed, checked and given its status entry here first;
    a line that fails here is reported and passed on blank, so that the numbering stays."""

    def __init__(self, args: argparse.Namespace, entries: Any, check: Any, report: Callable[[int, str], None]) -> None:
        self.args, self.entries, self.check, self.report = args, entries, check, report
        self.allocated: dict[int, int] = {}  # line number to the index allocated for it
        self.failed = 0

    def lines(self, lines: Iterator[bytes], now: int) -> Iterator[bytes]:
        from ..issuer.batch import LINE_ERRORS, parse_line, reason
        from . import issuing

        for number, line in enumerate(lines, start=1):
            if not line.strip():
                yield line
                continue
            try:
                claims, templates, birth_date = parse_line(line)
                claims = issuing.prepared(claims, self.args, self.entries, now, self.check)
            except LINE_ERRORS as err:
                self.failed += 1
                self.report(number, common.cli_words(reason(err)))
                yield b"\n"
                continue
            if self.entries is not None:
                self.allocated[number] = claims["xc"]["status"]["index"]
            record: dict[str, Any] = {"claims": claims}
            if templates is not None:
                record["templates"] = {m: t.hex() for m, t in templates.items()}
            if birth_date is not None:
                record["birth_date"] = birth_date
            yield json.dumps(record).encode() + b"\n"

    def done(self, line: int, issued: bool) -> None:
        index = self.allocated.pop(line, None)
        if index is not None and not issued:
            self.entries.release(self.args.status_list, index)  # the entry of a credential not issued


def _issue_batch(args: argparse.Namespace, key: Any, source: BinaryIO) -> int:
    from ..issuer.batch import MAX_LINE_BYTES, issue_lines
    from . import issuing

    check = issuing.signing_check(args, key)
    now = issuing.now(args)
    progress = progress_for(args, MAX_LINE_BYTES)
    issued = failed = 0
    staging: Any = common.staged(args.out) if args.status_db is not None else contextlib.nullcontext()
    try:
        with staging as stage:
            with _failure_report(args.failures) as report, issuing.status_entries(args) as entries:
                with common.output_stream(stage.path if stage is not None else args.out) as out:
                    lines: Iterator[bytes] = bounded_lines(source, MAX_LINE_BYTES)
                    prepared = None
                    if entries is not None or check is not None:
                        prepared = _Prepared(args, entries, check, report)
                        lines = prepared.lines(lines, now)
                    phase = None if args.policy == "none" else args.policy  # eligibility tables, spec 9.5
                    for result in issue_lines(lines, key, jobs=args.jobs, progress=progress, phase=phase):
                        if prepared is not None:
                            prepared.done(result.line, result.error is None)
                        if result.error is None:
                            issued += 1
                            out.write(json.dumps({"line": result.line, "cti": result.cti, "text": result.text}) + "\n")
                        else:
                            failed += 1
                            report(result.line, common.cli_words(result.error))
                    if prepared is not None:
                        failed += prepared.failed
                    if stage is not None:
                        out.flush()
                        os.fsync(out.fileno())
            if stage is not None:  # every entry is committed: the credentials may go out
                stage.commit()
    except OSError as err:
        raise UsageError(f"cannot write {args.out}: {common.reason(err)}") from None
    if progress is not None:
        progress.close()
    if failed:
        print(f"credential issue: {failed} of {issued + failed} lines not issued", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK
