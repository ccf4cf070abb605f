"""``credential status``: status lists from the command line (spec 17), and the status options of ``verify``.

The issuer's side works on its status database (``--status-db``): ``create`` a list, ``allocate`` an
index for a new credential (``issue --status-db`` does it while issuing), ``revoke`` (or ``--suspend``,
``--reinstate``) an entry with its reason, and ``publish`` a signed token. The gate's side ``add``s
fetched tokens to its status cache (``--status-cache``), checked with the keys it trusts
(``--trusted-key``, or its trust store), and ``verify --status-cache`` (or ``--status-token FILE``
for single tokens) checks credentials against them. ``show`` prints a token, a cache or a database,
and never creates one. Exit codes as for every subcommand: 0 done, 1 a token was checked and refused
(its code first; an older list than the one held is ``LIST_ROLLBACK``), 2 a usage or input mistake,
4 a PostgreSQL status database (``--status-db postgresql://...``) failed or could not be reached
(nothing written).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

from ..base import limits
from ..base.errors import VerificationError
from ..lists import status_list
from . import common
from .common import EXIT_INVALID, EXIT_OK, UsageError

DEFAULT_LIFETIME = 2 * 86400  # a published list is usable for two days: one missed daily publication (spec 17.6)
_ACTIONS = {"revoke": status_list.REVOKED, "suspend": status_list.SUSPENDED, "reinstate": status_list.VALID}


def _bounded(low: int, high: int) -> Any:
    def parse(value: str) -> int:
        if not re.fullmatch(r"[0-9]{1,10}", value) or not low <= int(value) <= high:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number in {low}..{high}")
        return int(value)

    return parse


def _now(args: argparse.Namespace) -> int:
    from ..base.times import epoch_seconds

    return min(int(epoch_seconds(common.parse_now(args.now))), 0xFFFFFFFF)


STATUS_DB_MADE_BY = "credential status create"
STATUS_CACHE_MADE_BY = "credential status add"


def _authority(path: str, issuer: str | None = None, *, read_only: bool = False) -> Any:
    """The issuer's status database: created by ``create`` (with ``issuer``), else one that exists."""
    from ..issuer.status_authority import StatusAuthority
    from ..issuer.status_postgres import is_postgres

    if is_postgres(path):  # a server: its own checks; unreachable exits 4 (StatusStoreError, main.OUTCOMES)
        try:
            return StatusAuthority.open(path, issuer, read_only=read_only)
        except ValueError as err:
            raise UsageError(f"--status-db {err}") from None
    if issuer is None:
        common.existing_database("--status-db", path, STATUS_DB_MADE_BY)
    elif os.path.isdir(path):
        raise UsageError(f"--status-db {path}: is a folder, not a database file")
    with common.database("--status-db", path):
        try:
            return StatusAuthority(path, issuer, read_only=read_only)
        except ValueError as err:
            raise UsageError(f"--status-db {err}") from None


def _cache(path: str, *, read_only: bool) -> Any:
    """The gate's status cache: created by ``add``; read only, and never created, by the others."""
    from ..gate.status_cache import StatusCache

    if read_only:
        common.existing_database("--status-cache", path, STATUS_CACHE_MADE_BY)
    elif os.path.isdir(path):
        raise UsageError(f"--status-cache {path}: is a folder, not a database file")
    with common.database("--status-cache", path):
        try:
            return StatusCache(path, mode="ro" if read_only else "rwc")
        except ValueError as err:
            raise UsageError(f"--status-cache {err}") from None


def _mistake(err: Exception) -> UsageError:
    """The authority's ValueError or KeyError, as the operator's mistake it is."""
    return UsageError(str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err))


def _read_token(path: str, what: str) -> bytes:
    return common.read_file(path, limits.MAX_STATUS_TOKEN_BYTES, what)


# --- issuer ---------------------------------------------------------------------------------------


def cmd_create(args: argparse.Namespace) -> int:
    authority = _authority(args.status_db, args.issuer)
    try:
        with common.database("--status-db", args.status_db):
            authority.create_list(args.list, args.size, bits=args.bits, now=_now(args))
    except (ValueError, TypeError) as err:
        raise _mistake(err) from None
    print(json.dumps({"issuer": authority.issuer, "list": args.list, "size": args.size, "bits": args.bits}))
    return EXIT_OK


def cmd_allocate(args: argparse.Namespace) -> int:
    authority = _authority(args.status_db)
    try:
        with common.database("--status-db", args.status_db):
            index = authority.allocate(args.list, cti=args.cti, now=_now(args))
    except (ValueError, KeyError) as err:
        raise _mistake(err) from None
    # The status map to put in the credential's claims (xc.status).
    print(json.dumps({"list": args.list, "index": index}))
    return EXIT_OK


def cmd_revoke(args: argparse.Namespace) -> int:
    authority = _authority(args.status_db)
    action = "suspend" if args.suspend else "reinstate" if args.reinstate else "revoke"
    try:
        if args.cti is not None:
            if args.list is not None or args.index is not None:
                raise ValueError("give --cti, or --list and --index, not both")
            with common.database("--status-db", args.status_db):
                list_id, index = authority.find(args.cti)
        elif args.list is None or args.index is None:
            raise ValueError("name the entry: --cti HEX, or --list ID and --index N")
        else:
            list_id, index = args.list, args.index
        with common.database("--status-db", args.status_db):
            change = authority.set_status(list_id, index, _ACTIONS[action], now=_now(args), reason=args.reason)
    except (ValueError, KeyError) as err:
        raise _mistake(err) from None
    view = {"list": change.list_id, "index": change.index, "status": status_list.STATUS_NAMES[change.status], "at": change.at,
            "reason": change.reason, "published": False}
    print(json.dumps(view, ensure_ascii=False))
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    """Sign the list and put the token in ``--out``; the version is recorded only once the file is in
    place (a temporary file renamed over it), so a failed write records nothing."""
    key = common.private_key(args.key, args.pin_file)
    authority = _authority(args.status_db)
    to_stdout = args.out == "-"

    def deliver(publication: Any) -> None:
        if to_stdout:
            common.write_output(publication.token, "-")
            return
        try:
            common.replace_atomically(args.out, publication.token)
        except OSError as err:
            raise UsageError(f"cannot write {args.out}: {common.reason(err)}; version {publication.version} not recorded") from None

    try:
        with common.database("--status-db", args.status_db):
            publication = authority.publish(args.list, key, now=_now(args), lifetime=args.lifetime, ttl=args.ttl, deliver=deliver)
    except (ValueError, KeyError) as err:
        raise _mistake(err) from None
    view = {"list": publication.list_id, "version": publication.version, "iat": publication.issued_at, "exp": publication.expires,
            "kid": publication.kid.hex(), "bytes": len(publication.token)}
    if not to_stdout:
        print(json.dumps(view))
    return EXIT_OK


# --- gate -----------------------------------------------------------------------------------------


def _trust(args: argparse.Namespace, now: Any) -> Any:
    """The keys the gate trusts for the lists' issuers: ``--trusted-key``, or its trust store, as ``verify`` takes them."""
    from .trust import gate_keys

    return gate_keys(args, now, "status add")


def cmd_add(args: argparse.Namespace) -> int:
    moment = common.parse_now(args.now)
    trust = _trust(args, moment)
    now = _now(args)
    tokens = [(path, _read_token(path, "token")) for path in args.token]
    cache = _cache(args.status_cache, read_only=False)
    for path, token in tokens:
        try:
            with common.database("--status-cache", args.status_cache):
                held = cache.add(token, fetched_at=now, trust=trust)
        except ValueError as err:  # a rollback: the held list stays
            print(f"LIST_ROLLBACK: {path}: {common.escape(str(err))}", file=sys.stderr)
            return EXIT_INVALID
        except VerificationError as err:
            raise VerificationError(err.code, f"{path}: {err.detail}") from None
        print(json.dumps({"token": path, "issuer": held.issuer, "list": held.list_id, "iat": held.issued_at, "entries": held.size}))
    return EXIT_OK


def cmd_drop(args: argparse.Namespace) -> int:
    """Stop holding a list's token (spec 17.5): the way out of a held token no newer one can replace."""
    if not os.path.isfile(args.status_cache):
        common.existing_database("--status-cache", args.status_cache, STATUS_CACHE_MADE_BY)
    cache = _cache(args.status_cache, read_only=False)
    try:
        with common.database("--status-cache", args.status_cache):
            if not cache.drop(args.issuer, args.list):
                raise UsageError(f"--status-cache {args.status_cache} holds no list {args.issuer}/{args.list}")
    finally:
        cache.close()
    print(json.dumps({"dropped": f"{args.issuer}/{args.list}"}))
    return EXIT_OK


def _counts(held: status_list.StatusList) -> dict[str, int]:
    """How many entries hold each value, counted on the whole array at once (no loop over entries)."""
    bits = int.from_bytes(held.data, "little")
    if held.bits == 1:
        return {"revoked": bits.bit_count()}
    low = bits & int.from_bytes(b"\x55" * len(held.data), "little")
    high = (bits >> 1) & int.from_bytes(b"\x55" * len(held.data), "little")
    return {"revoked": (low & ~high).bit_count(), "suspended": (high & ~low).bit_count(), "undefined": (low & high).bit_count()}


def _token_view(token: bytes, trust: Any, index: int | None) -> dict[str, Any]:
    held = status_list.read_token(token, trust) if trust is not None else status_list.read_unverified(token)
    view: dict[str, Any] = {
        "verified": trust is not None,
        "issuer": held.issuer,
        "list": held.list_id,
        "iat": held.issued_at,
        "exp": held.expires,
        "ttl": held.ttl,
        "kid": held.kid.hex(),
        "bits": held.bits,
        "entries": held.size,
        "bytes": len(token),
        **_counts(held),
    }
    if index is not None:
        if not 0 <= index < held.size:
            raise UsageError(f"--index {index} is outside 0..{held.size - 1}")
        view["index"] = index
        view["status"] = {0: "valid", 1: "revoked", 2: "suspended"}.get(held.status(index), "undefined")
    return view


def cmd_show(args: argparse.Namespace) -> int:
    sources = [name for name in ("token", "status_db", "status_cache") if getattr(args, name) is not None]
    if len(sources) != 1:
        raise UsageError("show one thing: a token FILE, --status-db STORE or --status-cache STORE")
    if args.token is None and args.trusted_key:
        raise UsageError("--trusted-key checks a token FILE; a database is shown as it is held")
    if args.token is not None:
        trust = None
        if args.trusted_key:
            from ..cose.keys import KeySet

            try:
                trust = KeySet(common.trusted_keys(args.trusted_key))
            except (ValueError, TypeError) as err:
                raise UsageError(str(err)) from None
        view: Any = _token_view(_read_token(args.token, "token"), trust, args.index)
    elif args.status_cache is not None:
        cache = _cache(args.status_cache, read_only=True)
        with common.database("--status-cache", args.status_cache):
            view = [
                {"issuer": h.issuer, "list": h.list_id, "iat": h.issued_at, "fetched_at": h.fetched_at, "bytes": len(h.token)}
                for h in cache.held()
            ]
    else:
        authority = _authority(args.status_db, read_only=True)
        with common.database("--status-db", args.status_db):
            view = {
                "issuer": authority.issuer,
                "lists": [
                    {
                        "list": list_id, "size": size, "bits": bits, "allocated": allocated,
                        "published": [{"version": p.version, "iat": p.issued_at, "exp": p.expires} for p in authority.publications(list_id)],
                        "unpublished": [
                            {"index": c.index, "status": status_list.STATUS_NAMES[c.status], "at": c.at, "reason": c.reason}
                            for c in authority.unpublished(list_id)
                        ],
                    }
                    for list_id, size, bits, allocated in authority.lists()
                ],
            }
    print(json.dumps(view, ensure_ascii=False, indent=2))
    return EXIT_OK


# --- verify ---------------------------------------------------------------------------------------


class _Warnings(logging.Handler):
    """The verifier's logged warnings (a stale list used within its grace) on standard error, as they
    happen, through whatever stream the command writes to at that moment (escaped by cli.main)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"credential verify: warning: {record.getMessage()}", file=sys.stderr)


def _show_warnings() -> None:
    from ..gate.verify import status_log

    if not any(isinstance(handler, _Warnings) for handler in status_log.handlers):
        status_log.addHandler(_Warnings(logging.WARNING))


def add_verify_options(p: argparse.ArgumentParser) -> None:
    """The options of ``credential verify`` for step 19a."""
    from ..gate.verify import MAX_STATUS_AGE

    p.add_argument("--status-token", action="append", default=[], metavar="FILE", help="a status list token the gate holds (repeatable)")
    p.add_argument("--status-cache", metavar="STORE", help="the gate's status list cache (made and filled by credential status add; only read here)")
    p.add_argument("--status-max-age", type=_bounded(1, MAX_STATUS_AGE), metavar="SECONDS", help="how long after its iat a list is used (default 86400)")
    p.add_argument("--status-grace", type=_bounded(0, MAX_STATUS_AGE), metavar="SECONDS", help="how long a stale list is still used, with a warning (default 0)")


def verifier_options(args: argparse.Namespace) -> dict[str, Any]:
    """The Verifier's status fields from the options; a file mistake is a usage error."""
    if args.status_token and args.status_cache:
        raise UsageError("give --status-token files or a --status-cache, not both")
    if args.status_cache:
        cache = _cache(args.status_cache, read_only=True)
    elif args.status_token:
        cache = _cache(":memory:", read_only=False)
        for path in args.status_token:
            token = _read_token(path, "--status-token")
            try:
                issuer, list_id, _ = status_list.peek(token)
            except VerificationError as err:
                raise UsageError(f"--status-token {path}: not a status list token ({err.detail})") from None
            # Filed as fetched; step 19a judges it, so a bad list refuses credentials with its code.
            cache.store(issuer, list_id, token, min(max(int(os.stat(path).st_mtime), 0), 0xFFFFFFFF))
    else:
        if args.status_max_age is not None or args.status_grace is not None:
            raise UsageError("--status-max-age and --status-grace need --status-token or --status-cache")
        return {}
    _show_warnings()
    return {"status": cache, "status_max_age": args.status_max_age, "status_grace": args.status_grace}


# --- parsers --------------------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    status = subparsers.add_parser("status", help="status lists: create, allocate, revoke, publish, add, drop, show")
    commands = status.add_subparsers(dest="status_command", required=True, metavar="COMMAND")
    now_help = "the time of the change: epoch seconds or ISO 8601 with offset (default: the system clock)"

    p = commands.add_parser("create", help="create a status list in the issuer's database")
    p.add_argument("--status-db", required=True, metavar="STORE", help="the issuer's status database, created if new: an SQLite file, "
                   "or postgresql://USER@HOST:PORT/NAME, shared by the issuer's servers")
    p.add_argument("--issuer", required=True, help="the issuer's region code, e.g. HK")
    p.add_argument("--list", required=True, help="the list identifier credentials will name")
    p.add_argument("--size", required=True, type=_bounded(1, limits.MAX_STATUS_BYTES * 8), help="number of entries")
    p.add_argument("--bits", type=int, choices=[1, 2], default=1, help="bits per entry: 1 (revoke) or 2 (also suspend)")
    p.add_argument("--now", help=now_help)
    p.set_defaults(run=cmd_create)

    p = commands.add_parser("allocate", help="a random unused index for a new credential")
    p.add_argument("--status-db", required=True, metavar="STORE", help="the issuer's status database (made by status create)")
    p.add_argument("--list", required=True)
    p.add_argument("--cti", help="the credential's cti (hex), to revoke it by later")
    p.add_argument("--now", help=now_help)
    p.set_defaults(run=cmd_allocate)

    p = commands.add_parser("revoke", help="revoke (or suspend, or reinstate) an entry, with its reason")
    p.add_argument("--status-db", required=True, metavar="STORE", help="the issuer's status database (made by status create)")
    p.add_argument("--list")
    p.add_argument("--index", type=_bounded(0, 0xFFFFFFFF), metavar="N")
    p.add_argument("--cti", help="the credential's cti (hex), instead of --list and --index")
    p.add_argument("--reason", required=True, help="why, as recorded with the change")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--suspend", action="store_true", help="suspend instead (2-bit lists)")
    which.add_argument("--reinstate", action="store_true", help="lift a suspension")
    p.add_argument("--now", help=now_help)
    p.set_defaults(run=cmd_revoke)

    p = commands.add_parser("publish", help="sign the list as it stands into a token")
    p.add_argument("--status-db", required=True, metavar="STORE", help="the issuer's status database (made by status create)")
    p.add_argument("--list", required=True)
    p.add_argument("--key", required=True, help="the issuer's private signing key (PEM file, or a pkcs11: URI naming a key in a PKCS#11 token)")
    p.add_argument("--pin-file", help=common.PIN_FILE_HELP)
    p.add_argument("--out", required=True, help="the token file, replaced whole (- for standard output)")
    p.add_argument("--lifetime", type=_bounded(1, 0xFFFFFFFF), default=DEFAULT_LIFETIME, help="seconds from now to exp (default 172800)")
    p.add_argument("--ttl", type=_bounded(1, 0xFFFFFFFF), help="seconds after which gates should fetch a newer copy")
    p.add_argument("--now", help="the list's iat (default: the system clock)")
    p.set_defaults(run=cmd_publish)

    p = commands.add_parser("add", help="check tokens and file them in the gate's cache (refuses rollbacks)")
    p.add_argument("token", nargs="+", help="status list token files")
    p.add_argument("--status-cache", required=True, metavar="STORE", help="the gate's status list cache, created if new")
    p.add_argument(common.TRUSTED_KEY, action="append", default=[], metavar="ISSUERS=FILE",
                   help="a public key trusted for the lists' issuers, e.g. HK=hk.pub.pem; or the trust store below (one of the two is required)")
    p.add_argument("--now", help="the fetch time recorded (default: the system clock)")
    from . import trust as cli_trust

    cli_trust.add_gate_trust_options(p, title="the gate's trust store (spec 16), instead of --trusted-key")
    p.set_defaults(run=cmd_add)

    p = commands.add_parser("drop", help="stop holding a list's token in the gate's cache, e.g. one issued in the future")
    p.add_argument("--status-cache", required=True, metavar="STORE", help="the gate's status list cache (made by status add)")
    p.add_argument("--issuer", required=True, help="the list's issuer, e.g. HK")
    p.add_argument("--list", required=True, help="the list identifier")
    p.set_defaults(run=cmd_drop)

    p = commands.add_parser("show", help="show a token (checked with --trusted-key), a gate's cache or an issuer's database")
    p.add_argument("token", nargs="?", help="a status list token file")
    p.add_argument("--status-db", metavar="STORE", help="an issuer's status database (only read)")
    p.add_argument("--status-cache", metavar="STORE", help="a gate's status cache (only read)")
    p.add_argument(common.TRUSTED_KEY, action="append", default=[], metavar="ISSUERS=FILE", help="check the token with these keys")
    p.add_argument("--index", type=_bounded(0, 0xFFFFFFFF), metavar="N", help="also show this entry")
    p.set_defaults(run=cmd_show)
