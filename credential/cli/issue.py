"""``credential issue``: claims in their JSON view signed into credential text, one file or a batch."""

from __future__ import annotations

import argparse
from typing import Any

from . import batch as cli_batch
from . import common
from .common import EXIT_OK, UsageError


def cmd_issue(args: argparse.Namespace) -> int:
    from ..base import jsonload
    from ..issuer.batch import LINE_ERRORS
    from ..issuer.issue import issue

    key = common.private_key(args.key, args.pin_file)
    if args.batch:
        from .batch import issue_batch

        return issue_batch(args, key)
    if args.failures is not None:
        raise UsageError("--failures is a report of --batch lines")
    templates = common.read_templates(args.template)
    try:
        claims = jsonload.load(common.read_file(args.claims, common.MAX_JSON_BYTES, "claims"))
        text = issue(claims, key, templates=templates, policy=common.policy(args.policy), birth_date=args.birth_date)
    except LINE_ERRORS as err:
        raise UsageError(f"{args.claims}: {err}") from None  # err names the field
    common.write_output(text, args.out)
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("issue", help="sign claims (JSON view) into credential text", epilog=cli_batch.HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("claims", help="JSON file of claims, as in spec section 3")
    p.add_argument("--key", required=True, help="issuer private key (PEM file, or a pkcs11: URI naming a key in a PKCS#11 token)")
    p.add_argument("--pin-file", help=common.PIN_FILE_HELP)
    p.add_argument("--template", action="append", default=[], metavar="MODALITY=FILE", help="bind a reference template")
    p.add_argument("--out", help="output file (default: standard output)")
    p.add_argument("--batch", action="store_true", help="CLAIMS is JSON Lines: one credential per line, on every core")
    p.add_argument("--failures", metavar="FILE", help="--batch: write failed lines here as JSON Lines (default: standard error)")
    p.add_argument("--jobs", type=common.bounded_int(1, cli_batch.MAX_JOBS), help="worker processes for --batch (default: one per core)")
    p.add_argument("--quiet", action="store_true", help="no progress bar for --batch (drawn only on a terminal)")
    p.add_argument(
        "--policy", choices=["first", "non-permanent", "none"], default="first",
        help="eligibility tables of the issuer's region (spec 9.5): first phase (default), non-permanent phase, or none",
    )
    p.add_argument(
        "--birth-date", metavar="YYYY-MM-DD",
        help="the holder's date of birth from the issuer's records, for the age rule; not put in the credential "
        "(--batch: a line's \"birth_date\" member)",
    )
    p.set_defaults(run=cmd_issue)
