"""``credential verify``: the gate's verdict on credential or presentation text, a text file or a QR image."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from . import common
from . import status as cli_status
from . import templates as cli_templates
from .common import EXIT_OK
from .gate import gate


def _summary(verified: Any) -> str:
    """One line a person can read at a glance, naming what was not checked."""
    skipped = ", ".join(verified.skipped)
    checked = ", ".join(("signature", "issuer", "validity period", *verified.checked))
    line = f"VALID: {verified.issuer} credential {verified.cti.hex()}, key {verified.kid.hex()}; checked {checked}"
    return line + (f"; NOT checked: {skipped}" if skipped else "")


def cmd_verify(args: argparse.Namespace) -> int:
    verifier, now, templates = gate(args)
    if args.templates_out is not None and not args.decryption_key:
        raise common.UsageError("--templates-out writes the templates decrypted with --decryption-key: give it")
    verified = verifier.verify(common.read_credential(args.credential), now=now, templates=templates)
    view = {
        "valid": True,
        "form": verified.form,
        "issuer": verified.issuer,
        "alg": verified.alg,
        "kid": verified.kid.hex(),
        "checked": verified.checked,
        "skipped": verified.skipped,
        **cli_templates.result_view(verified, args.templates_out),
        "claims": verified.claims,
    }
    if verified.step is not None:
        view["step"] = verified.step
    print(json.dumps(view, ensure_ascii=False, indent=2))
    print(_summary(verified), file=sys.stderr)
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("verify", help="verify credential text, a text file or a QR image")
    p.add_argument("credential", help="credential text, a file of it, a QR image, or - for standard input")
    p.add_argument(common.TRUSTED_KEY, action="append", default=[], metavar="ISSUERS=FILE",
                   help="a public key this gate trusts and the issuers it vouches for, e.g. HK=hk.pub.pem (repeatable)")
    p.add_argument("--now", help="verification time: epoch seconds or ISO 8601 with offset (default: the system clock)")
    p.add_argument("--skew", type=int, default=300, help="clock-skew allowance in seconds, 0 to 86400 (default 300)")
    p.add_argument("--destination", help="region code of this gate, e.g. MO")
    p.add_argument("--channel", choices=["e-channel", "counter"], help="the clearance channel of this gate")
    p.add_argument("--template", action="append", default=[], metavar="MODALITY=FILE", help="check a reference template")
    cli_status.add_verify_options(p)
    p.set_defaults(run=cmd_verify)
