"""What ``issue`` and ``issue --batch`` share beyond the claims: the check of the signing key against its
authority's own trust list (spec 16.2), the allocation of status entries in one transaction with the
issuance (spec 17.6), and the claims as this command completes them before they are signed."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

from . import common
from .common import UsageError

STATUS_DB_MADE_BY = "credential status create"


def signing_check(args: argparse.Namespace, key: Any) -> Callable[[dict[str, Any]], None] | None:
    """With ``--trust-list`` and ``--list-key``: a check that the signing key may sign these completed
    claims (the gate's steps 16 and 16a, with the key's entry in its authority's own list); None without."""
    from ..base.errors import VerificationError
    from ..claims.model import profile_of
    from ..cose.keys import kid_of
    from ..lists.trust import TrustListError, pins_of, verify_list
    from . import trust as cli_trust

    if not args.trust_list and not args.list_key:
        return None
    if len(args.trust_list) != 1 or not args.list_key:
        raise UsageError("checking the signing key needs its authority's list: one --trust-list FILE with --list-key AUTHORITY=FILE")
    try:
        pins = pins_of(cli_trust.pins(args.list_key))
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None
    path = args.trust_list[0]
    try:
        document = verify_list(cli_trust.signed_list(path), pins)
    except TrustListError as err:
        raise UsageError(f"--trust-list {path}: {err}") from None
    kid = kid_of(key)
    listed = next((k for k in document.keys if k.kid == kid), None)
    if listed is None:
        raise UsageError(f"--key {args.key}: key {kid.hex()} is not in the trust list of {document.authority} (--trust-list {path}); no gate would accept what it signs")
    trusted = listed.trusted(None)

    def check(claims: dict[str, Any]) -> None:
        issuer, xc, iat = claims.get("iss"), claims.get("xc"), claims.get("iat")
        if not isinstance(issuer, str) or not isinstance(xc, dict) or type(iat) is not int:
            return  # claims the issuer refuses next, with their own message
        try:
            trusted.check_authorized(issuer, xc.get("destinations") or (), profile_of(xc))
            trusted.check_signed_at(iat)
        except VerificationError as err:
            raise ValueError(f"--key {args.key}: a gate would refuse this credential ({err.code.value}: {err.detail})") from None

    return check


@contextlib.contextmanager
def status_entries(args: argparse.Namespace) -> Iterator[Any]:
    """The issuer's status database in one allocation transaction (``StatusAuthority.issuing``), or
    None without ``--status-db``. A SQLite failure is the operator's to mend, naming the file."""
    if args.status_db is None:
        if args.status_list is not None:
            raise UsageError("--status-list names a list of the issuer's status database: give --status-db STORE")
        yield None
        return
    if args.status_list is None:
        raise UsageError("--status-db allocates an entry of a list: give --status-list ID")
    from ..issuer.status_authority import StatusAuthority

    common.existing_database("--status-db", args.status_db, STATUS_DB_MADE_BY)
    with common.database("--status-db", args.status_db):
        try:
            authority = StatusAuthority(args.status_db)
        except ValueError as err:
            raise UsageError(f"--status-db {err}") from None
        try:
            with authority.issuing() as entries:
                yield entries
        finally:
            authority.close()


def prepared(claims: Any, args: argparse.Namespace, entries: Any, now: int, check: Callable[[dict[str, Any]], None] | None) -> dict[str, Any]:
    """The claims with what this command adds: the input forms converted, a ``cti`` and ``iat``, the
    entry allocated in ``entries`` as ``xc.status``, checked against the signing key's period."""
    from ..issuer.input import normalize
    from ..issuer.issue import CTI_BYTES

    out = normalize(claims)
    out.setdefault("cti", os.urandom(CTI_BYTES).hex())
    out.setdefault("iat", now)
    if check is not None:
        check(out)
    if entries is not None:
        xc = out.get("xc")
        if not isinstance(xc, dict):
            raise ValueError("xc: expected an object")
        if "status" in xc:
            raise ValueError("xc.status: give either --status-db or xc.status, not both")
        index = entries.allocate(args.status_list, cti=out["cti"], now=now)
        out["xc"] = {**xc, "status": {"list": args.status_list, "index": index}}
    return out


def now(args: argparse.Namespace) -> int:
    from ..base.times import epoch_seconds

    return int(epoch_seconds(common.parse_now(args.now)))
