"""``credential issue``: claims in their JSON view signed into credential text, one file or a batch.

Beside the claims, the command can bind the holder's device key (``--device-key``, spec 9.1 step 4a),
allocate the credential's status list entry in the issuer's status database (``--status-db`` with
``--status-list``, spec 17.6), and refuse to sign with a key outside the signing period or after the
compromise time its own authority's trust list gives it (``--trust-list`` with ``--list-key``), as a
gate would refuse the result.
"""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from . import batch as cli_batch
from . import common, issuing
from .common import EXIT_OK, UsageError


def issue_one(args: argparse.Namespace, key: Any, **options: Any) -> int:
    """One credential from the claims file; ``options`` for ``issuer.issue.issue`` (templates, recipients).

    With ``--status-db`` the entry is allocated, the credential signed and written to a temporary file
    beside ``--out``, and only then the allocation committed and the file renamed into place: a failure
    before the commit leaves neither an entry nor a credential."""
    from ..base import jsonload
    from ..issuer.batch import LINE_ERRORS, with_device_key
    from ..issuer.issue import issue

    now = issuing.now(args)
    check = issuing.signing_check(args, key)
    device = common.public_key(args.device_key, "--device-key") if args.device_key else None
    raw = common.read_file(args.claims, common.MAX_JSON_BYTES, "claims")
    if args.status_db is not None and args.out in (None, "-"):
        raise UsageError("--status-db needs --out FILE: the credential is put there only once its entry is committed")
    # With --status-db the credential waits in a staged file until its entry is committed.
    staging: Any = common.staged(args.out) if args.status_db is not None else contextlib.nullcontext()
    try:
        with staging as stage:
            with issuing.status_entries(args) as entries:
                try:
                    claims = jsonload.load(raw)
                    if device is not None:
                        claims = with_device_key(claims, device)
                    claims = issuing.prepared(claims, args, entries, now, check)
                    text = issue(claims, key, policy=common.policy(args.policy), birth_date=args.birth_date, **options)
                except LINE_ERRORS as err:
                    raise UsageError(f"{args.claims}: {common.cli_words(str(err))}") from None  # err names the field
                if stage is None:
                    common.write_output(text, args.out)
                    return EXIT_OK
                stage.write((text + "\n").encode("utf-8"))
            stage.commit()  # the allocation is committed: the credential may go out
    except OSError as err:
        raise UsageError(f"cannot write {args.out}: {common.reason(err)}") from None
    return EXIT_OK


def cmd_issue(args: argparse.Namespace) -> int:
    key = common.private_key(args.key, args.pin_file)
    if args.batch:
        return cli_batch.issue_batch(args, key)
    if args.failures is not None:
        raise UsageError("--failures is a report of --batch lines")
    return issue_one(args, key, templates=common.read_templates(args.template))


def register(sub: Any) -> None:
    p = sub.add_parser("issue", help="sign claims (JSON view) into credential text", epilog=cli_batch.HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("claims", help="JSON file of claims, as in spec section 3 (times also as ISO 8601 with offset)")
    p.add_argument("--key", required=True, help="the issuer's private signing key (PEM file, or a pkcs11: URI naming a key in a PKCS#11 token)")
    p.add_argument("--pin-file", help=common.PIN_FILE_HELP)
    p.add_argument("--template", action="append", default=[], metavar="MODALITY=FILE", help="bind a reference template")
    p.add_argument("--device-key", metavar="FILE", help="the holder's device public key (P-256 PEM) to bind in cnf (--batch: a line's \"device_key\")")
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
    p.add_argument("--now", help="the time of issue (iat unless the claims give one): epoch seconds or ISO 8601 with offset (default: the system clock)")
    group = p.add_argument_group("status list entry (spec 17.6)")
    group.add_argument("--status-db", metavar="STORE", help="the issuer's status database (made by credential status create): allocate the credential's entry")
    group.add_argument("--status-list", metavar="ID", help="the list to allocate the entry in")
    group = p.add_argument_group("the signing key's period (spec 16.2)")
    group.add_argument("--trust-list", action="append", default=[], metavar="FILE",
                       help="the issuer's own authority's signed trust list: refuse to sign outside the key's signing period or after its compromise")
    group.add_argument("--list-key", action="append", default=[], metavar="AUTHORITY=FILE", help="the authority's pinned list-signing public key")
    p.set_defaults(run=cmd_issue)
