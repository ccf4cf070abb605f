"""``credential keygen``: an issuer's key pair in two PEM files, the private one readable by its owner
only; or, with ``--out pkcs11:...``, made in a PKCS#11 token, where the private key stays."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from . import common
from .common import EXIT_OK, UsageError


def _keygen_in_token(args: argparse.Namespace) -> int:
    """keygen --out pkcs11:...: the pair is made in the token; only the public key is written."""
    from ..cose.keys import public_key_to_pem
    from ..cose.pkcs11 import TokenError, generate_token_key

    if args.force:
        raise UsageError("--force: a key in a token is never replaced; name a new one with another object= label")
    if not args.public:
        raise UsageError("--out pkcs11:... keeps the private key in the token: give --public FILE for the public key")
    if os.path.lexists(args.public):
        raise UsageError(f"{args.public} exists: the public key of a new token key goes to a new file")
    try:
        key = generate_token_key(args.out, args.alg, pin_file=args.pin_file)
    except (ValueError, TokenError) as err:
        raise UsageError(f"--out: {err}") from None
    with key:
        common.write_output(public_key_to_pem(key.public_key), args.public)
        print(f"{args.alg} key {key.kid.hex()}: private in the token as {key.uri.describe()}, public {args.public}")
    return EXIT_OK


def cmd_keygen(args: argparse.Namespace) -> int:
    from ..cose.keys import generate_key, kid_of, private_key_to_pem, public_key_to_pem
    from ..cose.pkcs11_uri import is_uri

    if is_uri(args.out):
        return _keygen_in_token(args)
    if args.pin_file is not None:
        raise UsageError("--pin-file is for a key made in a token (--out pkcs11:...)")
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
    p.add_argument("--out", required=True, help="private key file, created readable by its owner only; or a pkcs11: URI "
                   "(token and object label) to make the pair in a PKCS#11 token, where the private key stays")
    p.add_argument("--public", help="public key file (default: OUT with .pub.pem; required with a pkcs11: OUT)")
    p.add_argument("--pin-file", help=common.PIN_FILE_HELP)
    p.add_argument("--force", action="store_true", help="replace existing key files (refused otherwise)")
    p.set_defaults(run=cmd_keygen)
