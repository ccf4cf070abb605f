"""Command line for presentations (spec 4.5, 9.6): ``credential present`` and ``credential demo --live``.

Registered from ``cli.parser()`` through ``cli.SUBCOMMAND_MODULES``; the exit codes are those of
``cli_common``: a stopped ``demo --live`` exits 130 like any interrupted command.
"""

from __future__ import annotations

import argparse
import os
import datetime as _dt
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from . import common

# Half blocks draw two rows of modules per line of text, so the code keeps its square shape.
_BLOCKS = {(False, False): " ", (True, False): "\u2580", (False, True): "\u2584", (True, True): "\u2588"}
QUIET_ZONE = 2  # modules: the minimum of spec 7.3, to keep the code small on a terminal


def terminal_qr(text: str, invert: bool = False) -> str:
    """The QR code of ``text`` (level M, spec 7.3) as lines of half-block characters.

    A block is drawn for a light module, since terminals mostly show light text on a dark background;
    ``invert`` draws dark modules instead, for light backgrounds.
    """
    from .. import qr

    symbol = qr.build(text)
    size = symbol.size + 2 * QUIET_ZONE

    def ink(row: int, col: int) -> bool:
        r, c = row - QUIET_ZONE, col - QUIET_ZONE
        dark = 0 <= r < symbol.size and 0 <= c < symbol.size and symbol.dark(r, c)
        return dark if invert else not dark

    lines = []
    for row in range(0, size, 2):
        lines.append("".join(_BLOCKS[ink(row, col), row + 1 < size and ink(row + 1, col)] for col in range(size)))
    return "\n".join(lines)


def cmd_present(args: argparse.Namespace) -> int:
    from ..cose.keys import load_private_key
    from ..gate.presentation import present

    pem = common.read_file(args.device_key, common.MAX_KEY_BYTES, "--device-key")
    try:
        key = load_private_key(pem)
    except common.key_errors() as err:
        raise common.UsageError(f"--device-key {args.device_key}: {err}") from None
    now = common.parse_now(args.now)
    text = common.read_credential(args.credential)
    try:
        shown = present(text, key, now=now, destination=args.destination)
    except (ValueError, TypeError) as err:  # the holder's mistake: nothing was checked
        raise common.UsageError(str(err)) from None
    common.write_output(shown, args.out)
    return common.EXIT_OK


class _Clock:
    """The demo's clock: the system time, running ``speed`` times faster from the start of the demo."""

    def __init__(self, speed: float, now: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        self.speed, self._now, self._sleep = speed, now, sleep
        self.origin = self._now()

    def time(self) -> float:
        return self.origin + (self._now() - self.origin) * self.speed

    def sleep_until(self, moment: float) -> None:
        wait = (moment - self.time()) / self.speed
        if wait > 0:
            self._sleep(wait)


def _outcome(gate: Any, text: str, now: int) -> str:
    from ..base.errors import VerificationError

    try:
        gate.verify(text, now=now)
    except VerificationError as err:
        return err.code.value
    return "accepted"


def run_live(steps: int, speed: float, out: TextIO, redraw: bool, invert: bool = False) -> int:
    """Issue a sample credential bound to a new device key, then show a new presentation every time
    step, each checked at a gate with a replay cache, for ``steps`` steps."""
    from ..claims.device import cnf_view
    from ..cose.keys import KeySet, TrustedKey, generate_key
    from ..gate.presentation import STEP_SECONDS, present, step_of
    from ..gate.replay import MemoryReplayCache
    from ..gate.verify import Verifier
    from ..issuer import samples
    from ..issuer.issue import issue

    issuer_key, device_key = generate_key("Ed25519"), generate_key("ES256")
    clock = _Clock(speed)
    start = int(clock.time())
    claims = samples.minimal("HK")
    claims.update(iat=start - 60, exp=start + 86400, cnf=cnf_view(device_key))
    credential_text = issue(claims, issuer_key, templates=samples.TEMPLATES, policy=None)  # a sample holder, not an application
    gate = Verifier(KeySet([TrustedKey(issuer_key.public_key(), frozenset({"HK"}))]), destination="MO", replay=MemoryReplayCache())
    shown: list[tuple[int, str]] = []
    for number in range(1, steps + 1):
        now = int(clock.time())
        text = present(credential_text, device_key, now=now, destination="MO")
        shown.append((now, text))
        first, again = _outcome(gate, text, now), _outcome(gate, text, now)
        oldest_time, oldest = shown[0]
        if redraw:
            out.write("\x1b[H\x1b[2J")  # home and clear: the code is redrawn in place
        out.write(terminal_qr(text, invert) + "\n")
        out.write(f"step {number}/{steps}: time step {step_of(now)}, {len(text)} characters, made at "
                  f"{_dt.datetime.fromtimestamp(now, _dt.timezone.utc):%H:%M:%S} UTC for MO\n")
        out.write(f"gate MO: this code {first}; the same code again {again}")
        if oldest is not text:
            out.write(f"; the code of {now - oldest_time} s ago {_outcome(gate, oldest, now)}")
        out.write("\n")
        out.flush()
        if number < steps:
            clock.sleep_until((step_of(now) + 1) * STEP_SECONDS)
    return 0


def cmd_demo(args: argparse.Namespace, fallback: Callable[[argparse.Namespace], int]) -> int:
    if not args.live:
        return fallback(args)
    if args.steps < 1:
        raise common.UsageError("--steps is at least 1")
    if not 0 < args.speed <= 1000:
        raise common.UsageError("--speed is above 0 and at most 1000")
    # This program composes every character of the frames (the code, the clear-screen sequence and
    # codes of its own presentations), so they go to the terminal unescaped.
    out = common.unescaped(sys.stdout)
    try:
        return run_live(args.steps, args.speed, out, redraw=out.isatty(), invert=args.invert)
    except KeyboardInterrupt:
        out.write("\nstopped\n")
        out.flush()
        raise  # cli.main reports the interruption with its exit code


def verifier_options(args: argparse.Namespace) -> dict[str, Any]:
    """The Verifier's presentation fields from the options of ``verify`` (ValueError for a bad cache)."""
    from ..gate.replay import SqliteReplayCache
    from ..gate.replay_open import open_replay_cache

    options: dict[str, Any] = {"presentation_skew": args.presentation_skew, "require_presentation": args.require_presentation}
    if args.replay_cache is not None:
        if "://" in args.replay_cache:  # a server (redis://): its own checks; unreachable exits 4
            options["replay"] = open_replay_cache(args.replay_cache)
            return options
        if os.path.isdir(args.replay_cache):
            raise common.UsageError(f"--replay-cache {args.replay_cache}: is a folder, not a database file")
        try:
            options["replay"] = SqliteReplayCache(args.replay_cache)
        except ValueError as err:  # the file cannot be used: the operator's to mend, in the operator's words
            raise common.UsageError(f"--replay-cache {args.replay_cache}: {common.database_reason(err)}") from None
    return options


def _skew(value: str) -> int:
    from ..gate.verify import MAX_PRESENTATION_SKEW

    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 0 <= number <= MAX_PRESENTATION_SKEW:
        raise argparse.ArgumentTypeError(f"{number} is outside 0..{MAX_PRESENTATION_SKEW}")
    return number


def register(sub: Any) -> None:
    """Add ``present`` to the subcommands, ``--live`` to ``demo``, and the gate's presentation
    settings to ``verify`` (which ``inspect`` and ``serve`` then share)."""
    from ..gate.verify import DEFAULT_PRESENTATION_SKEW

    verify = sub.choices["verify"]
    verify.add_argument("--replay-cache", metavar="STORE", help="the gate's replay cache: an SQLite file shared by the gate's processes "
                        "(created if absent), or redis://HOST:PORT/N, a Redis server shared by the gates of a control point")
    verify.add_argument("--presentation-skew", type=_skew, default=DEFAULT_PRESENTATION_SKEW, metavar="SECONDS",
                        help=f"clock-skew allowance for a presentation's time step, 0 to 60 (default {DEFAULT_PRESENTATION_SKEW})")
    verify.add_argument("--require-presentation", action="store_true", help="refuse credentials shown without a presentation")

    p = sub.add_parser("present", help="make a device-signed presentation of a credential (XP1:)")
    p.add_argument("credential", help="credential text, a file of it, a QR image, or - for standard input")
    p.add_argument("--device-key", required=True, help="the holder's device private key (P-256 PEM) the credential binds")
    p.add_argument("--destination", required=True, help="region code of the gates it is for, e.g. MO")
    p.add_argument("--now", help="the phone's time: epoch seconds or ISO 8601 with offset (default: the system clock)")
    p.add_argument("--out", help="output file (default: standard output)")
    p.set_defaults(run=cmd_present)

    demo = sub.choices["demo"]
    demo.add_argument("--live", action="store_true", help="show a presentation that changes every time step, in the terminal")
    demo.add_argument("--steps", type=int, default=6, help="with --live: stop after this many time steps (default 6)")
    demo.add_argument("--speed", type=float, default=1.0, help="with --live: run the clock this many times faster (default 1)")
    demo.add_argument("--invert", action="store_true", help="with --live: draw dark modules, for a light terminal background")
    fallback = demo.get_default("run")
    demo.set_defaults(run=lambda args: cmd_demo(args, fallback))
