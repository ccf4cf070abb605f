"""``credential demo``: issue a sample credential, render its QR code, scan it back and verify it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from . import common
from .common import EXIT_INVALID, EXIT_OK, UsageError


def cmd_demo(args: argparse.Namespace) -> int:
    from .. import qr
    from ..cose.keys import TrustedKey, generate_key
    from ..gate.verify import verify
    from ..issuer import samples
    from ..issuer.issue import issue

    out = Path(args.out)
    png = out / "credential.png"
    key = generate_key(args.alg)
    claims = samples.full("HK")
    text = issue(claims, key, templates=samples.TEMPLATES)
    try:
        out.mkdir(parents=True, exist_ok=True)
        png.write_bytes(qr.render(text))
        (out / "credential.txt").write_text(text + "\n", encoding="ascii")
    except OSError as err:
        raise UsageError(f"cannot write to {out}: {common.reason(err)}") from None
    scanned = qr.scan(png)
    verified = verify(
        scanned,
        [TrustedKey(key.public_key(), frozenset({"HK"}))],
        now=claims["iat"] + 60,
        destination="MO",
        templates=samples.TEMPLATES,
    )
    print(f"issued   {len(text)} characters, QR version {qr.version(text)} at level {qr.DEFAULT_ECC}, {args.alg}")
    print(f"rendered {png}")
    print(f"scanned  {'identical text' if scanned == text else 'DIFFERENT TEXT'}")
    print(f"verified issuer {verified.issuer}, kid {verified.kid.hex()}, holder {verified.claims['xc']['doc_number']}, "
          f"destinations {verified.claims['xc']['destinations']}, biometric binding checked")
    return EXIT_OK if scanned == text else EXIT_INVALID


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="issue a sample, render it, scan it back and verify it")
    p.add_argument("--out", default="out", help="folder for the PNG and text (default: out)")
    p.add_argument("--alg", choices=["Ed25519", "ES256"], default="Ed25519")
    p.set_defaults(run=cmd_demo)
