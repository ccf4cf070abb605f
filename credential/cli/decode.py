"""``credential decode``: every layer of a text, shown without checking any signature."""

from __future__ import annotations

import argparse
import json
from typing import Any

from . import common
from . import templates as cli_templates
from .common import EXIT_OK


def cmd_decode(args: argparse.Namespace) -> int:
    from ..gate.decode import decode

    layers = decode(common.read_credential(args.credential))
    view = {
        "prefix": layers.prefix,
        "deflated": layers.deflated.hex() if layers.deflated is not None else None,
        "cose": layers.cose.hex(),
        "protected": layers.protected.hex(),
        "alg": layers.alg,
        "kid": layers.kid.hex(),
        "payload": layers.payload.hex(),
        "signature": layers.signature.hex(),
        "to_be_signed": layers.to_be_signed.hex(),
        "claims": layers.claims,
        "claims_error": str(layers.claims_error) if layers.claims_error else None,
        "templates": cli_templates.structure(layers.claims),  # sizes and recipients, never content
        "note": "decoded without checking the signature",
    }
    if layers.presentation is not None:
        shown = layers.presentation
        view["presentation"] = {"step": shown.step, "destination": shown.destination, "payload": shown.payload.hex(), "signature": shown.signature.hex()}
        view["note"] = "decoded without checking the signatures"
    print(json.dumps(view, ensure_ascii=False, indent=2, default=repr))
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("decode", help="show every layer without checking the signature")
    p.add_argument("credential")
    p.set_defaults(run=cmd_decode)
