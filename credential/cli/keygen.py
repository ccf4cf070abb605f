"""``credential keygen``: an issuer's key pair in two PEM files, the private one readable by its owner only."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from . import common
from .common import EXIT_OK, UsageError


def cmd_keygen(args: argparse.Namespace) -> int:
    from ..cose.keys import generate_key, kid_of, private_key_to_pem, public_key_to_pem

    public = args.public or str(Path(args.out).with_suffix(".pub.pem"))
    if args.out == "-" or Path(public).resolve() == Path(args.out).resolve():
        raise UsageError("the private and public keys go to two different files")
    if not args.force and os.path.lexists(public):
        raise UsageError(f"{public} exists: give --force to replace the key in it")
    key = generate_key(args.alg)
    common.create_private(args.out, private_key_to_pem(key), force=args.force)
    common.write_output(public_key_to_pem(key), public)
    print(f"{args.alg} key {kid_of(key).hex()}: private {args.out}, public {public}")
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("keygen", help="create an issuer key pair (PEM)")
    p.add_argument("--alg", choices=["Ed25519", "ES256"], default="Ed25519")
    p.add_argument("--out", required=True, help="private key file, created readable by its owner only")
    p.add_argument("--public", help="public key file (default: OUT with .pub.pem)")
    p.add_argument("--force", action="store_true", help="replace existing key files (refused otherwise)")
    p.set_defaults(run=cmd_keygen)
