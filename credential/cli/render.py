"""``credential render``: credential text as a QR code, PNG or SVG (spec 7.3)."""

from __future__ import annotations

import argparse
from typing import Any

from . import common
from .common import EXIT_OK, UsageError

MAX_BOX = 100  # pixels per module: a larger PNG helps no scanner and costs memory



def cmd_render(args: argparse.Namespace) -> int:
    from .. import qr
    from ..gate.decode import decode

    text = common.read_credential(args.credential)
    decode(text)  # only credential text becomes a code: anything else is refused with its error code
    try:
        image = qr.render(text, args.format, ecc=args.ecc, box=args.box)
    except ValueError as err:
        raise UsageError(str(err)) from None
    # SVG is text, fit for a terminal; PNG is not (write_output refuses to send it to one).
    common.write_output(image.decode("utf-8").removesuffix("\n") if args.format == "svg" else image, args.out)
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("render", help="render credential text as a QR code")
    p.add_argument("credential")
    p.add_argument("--out", help="output file (default: standard output, never a terminal for PNG)")
    p.add_argument("--format", choices=["png", "svg"], default="png")
    p.add_argument("--ecc", choices=["L", "M", "Q", "H"], default="M")
    p.add_argument("--box", type=common.bounded_int(1, MAX_BOX), default=8, help=f"pixels per module (PNG), 1 to {MAX_BOX}")
    p.set_defaults(run=cmd_render)
