"""``credential scan``: the text of the QR code in an image."""

from __future__ import annotations

import argparse
from typing import Any

from . import common
from .common import EXIT_OK


def cmd_scan(args: argparse.Namespace) -> int:
    print(common.escape(common.read_image(args.image)))
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("scan", help="read the credential text from a QR image")
    p.add_argument("image")
    p.set_defaults(run=cmd_scan)
