"""``credential trust build | sign | show | load``, and the trust-list options of ``verify`` (spec 16).

An authority builds its list from JSON (the view of spec 16.7), signs it with its list-signing key
and publishes the signed bytes. A gate operator loads signed lists into a trust database (SQLite,
spec 16.6) with the authorities' pinned list-signing keys, and verifies credentials against it.

Exit codes as everywhere (``cli_common``): for ``trust show`` and ``trust load`` a refused list is
checked and refused, exit 1, its ``LIST_*`` code printed first; for ``verify`` a refused list is the
gate's configuration, exit 2, since no credential was checked.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import common
from .common import EXIT_INVALID, EXIT_OK, UsageError

MAX_LIST_JSON_BYTES = 1024 * 1024  # 64 keys of JSON view are about 40 KB


def _now(value: str | None) -> Any:
    return common.parse_now(value)


def pins(specs: list[str]) -> dict[str, list[Any]]:
    """``--list-key AUTHORITY=FILE``, repeatable: the pinned list-signing public keys by authority."""
    from ..cose.keys import load_public_key

    pins: dict[str, list[Any]] = {}
    for authority, file in common.pairs(specs, "--list-key", "AUTHORITY=FILE, e.g. --list-key HK=hk-list.pub.pem"):
        pem = common.read_file(file, common.MAX_KEY_BYTES, "--list-key")
        try:
            pins.setdefault(authority, []).append(load_public_key(pem))
        except common.key_errors() as err:
            hint = " (a private key: pin the public one)" if b"PRIVATE KEY" in pem else ""
            raise UsageError(f"--list-key {authority}={file}: {err}{hint}") from None
    return pins


TRUST_DB_MADE_BY = "credential trust load"


def _store(args: argparse.Namespace, *, mode: str) -> Any:
    """The gate's trust store of ``--trust-db`` opened in ``mode`` (``base.sqlite.MODES``)."""
    from ..lists.trust import TrustStore

    if not args.list_key:
        raise UsageError("pin at least one list-signing key with --list-key AUTHORITY=FILE")
    pinned = pins(args.list_key)
    if mode != "rwc":
        common.existing_database("--trust-db", args.trust_db, TRUST_DB_MADE_BY)
    try:
        with common.database("--trust-db", args.trust_db):
            return TrustStore(pinned, grace=args.trust_grace, path=args.trust_db, mode=mode)
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None


def signed_list(path: str) -> bytes:
    from ..lists.trust import MAX_LIST_BYTES

    return common.read_file(path, MAX_LIST_BYTES, "trust list")


def _refused(err: Any) -> int:
    print(f"{err.code.value}: {common.escape(err.detail)}", file=sys.stderr)
    return EXIT_INVALID


def warn_stale(store: Any, now: Any, command: str) -> None:
    """A held list past its next update and used only by the grace gets a warning, as a status list does."""
    from ..base.times import epoch_seconds

    seconds = epoch_seconds(now)
    for document in store.lists().values():
        if document.next_update <= seconds < document.next_update + store.grace:
            print(
                f"credential {command}: warning: the trust list of {document.authority} (sequence {document.sequence}) "
                f"was due for an update at {document.next_update}; used within --trust-grace {store.grace}",
                file=sys.stderr,
            )


def gate_trust(args: argparse.Namespace, now: Any, command: str = "verify") -> Any:
    """The trust store a gate uses: pins, the lists held in ``--trust-db``, and each ``--trust-list``
    loaded into it at the verification time. The database must exist (``trust load`` makes it), so a
    mistyped name is refused rather than created empty, and a list older than the one held is refused
    as ``trust load`` refuses it. A refused list is the gate's configuration: a usage mistake."""
    from ..lists.trust import TrustListError

    if args.trust_db is None:
        raise UsageError("give the gate's trust store with --trust-db STORE (credential trust load fills it): "
                         "it keeps the sequence numbers that refuse a superseded list")
    store = _store(args, mode="rw" if args.trust_list else "ro")
    with common.database("--trust-db", args.trust_db):
        for path in args.trust_list:
            try:
                store.load(signed_list(path), now=now)
            except TrustListError as err:
                raise UsageError(f"--trust-list {path}: {err}") from None
    if not len(store):
        raise UsageError(f"--trust-db {args.trust_db}: holds no list under the pinned --list-key keys; load one with credential trust load")
    warn_stale(store, now, command)
    return store


def cmd_build(args: argparse.Namespace) -> int:
    from ..base import jsonload
    from ..lists.trust import from_json

    raw = common.read_file(args.list, MAX_LIST_JSON_BYTES, "trust list JSON")
    try:
        view = jsonload.load(raw)
    except ValueError as err:
        raise UsageError(f"{args.list}: {err}") from None
    if isinstance(view, dict) and isinstance(view.get("keys"), list):
        # Convenience of the command line only: a key given as a PEM file next to the JSON file.
        for entry in view["keys"]:
            if isinstance(entry, dict) and "public_key_file" in entry:
                file = Path(args.list).parent / str(entry.pop("public_key_file"))
                entry["public_key"] = common.read_file(str(file), common.MAX_KEY_BYTES, "public_key_file").decode("ascii", "replace")
    try:
        document = from_json(view)
    except (ValueError, TypeError) as err:
        raise UsageError(f"{args.list}: {err}") from None
    common.write_output(document.encode(), args.out)
    return EXIT_OK


def cmd_sign(args: argparse.Namespace) -> int:
    from ..lists.trust import MAX_LIST_BYTES, TrustListError, read_document, sign

    payload = common.read_file(args.document, MAX_LIST_BYTES, "trust list document")
    key = common.private_key(args.key, args.pin_file)
    try:
        signed = sign(read_document(payload), key)
    except TrustListError as err:
        raise UsageError(f"{args.document}: not a trust list document ({err})") from None
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None
    common.write_output(signed, args.out)
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    """Print a list as JSON; with pins, check it first (spec 16.5 checks 1 to 4, and 6 at ``--now``);
    with ``--trust-db`` also 5 and the cross-authority check against the lists the gate holds, as
    ``trust load`` would make them, without loading it (the database is only read)."""
    from ..base.times import epoch_seconds
    from ..lists.trust import TrustListError, parse, pins_of, verify_list

    signed = signed_list(args.list)
    now = _now(args.now)
    if args.trust_db is not None and not args.list_key:
        raise UsageError("--trust-db checks the list against the gate's: give the pins with --list-key AUTHORITY=FILE")
    try:
        if args.trust_db is not None:
            store = _store(args, mode="ro")
            with common.database("--trust-db", args.trust_db):
                document = store.check(signed, now=now)
                held = store.sequence(document.authority)
                shared = store.shared_kids(document)
            store.close()
            view: dict[str, Any] = {"verified": True, "current": True, "held_sequence": held, **document.to_json()}
            for kid, authorities in sorted(shared.items()):  # what trust load would warn of (spec 16.8)
                print(f"credential trust show: warning: key {kid.hex()} is also listed by {' and '.join(authorities)}: "
                      "loaded, it would be trusted for neither", file=sys.stderr)
        elif args.list_key:
            try:
                pinned = pins_of(pins(args.list_key))
            except (ValueError, TypeError) as err:
                raise UsageError(str(err)) from None
            document = verify_list(signed, pinned)
            stale_at = document.next_update + args.trust_grace
            view = {"verified": True, "current": epoch_seconds(now) < stale_at,
                    "note": "not checked against a gate's lists (rollback, keys of other authorities): give --trust-db",
                    **document.to_json()}
        else:
            parsed = parse(signed)
            if parsed.error is not None:
                raise parsed.error
            assert parsed.document is not None
            view = {"verified": False, "note": "read without checking the signature: give --list-key", **parsed.document.to_json()}
    except TrustListError as err:
        return _refused(err)
    if view["verified"] and epoch_seconds(now) >= view["next_update"]:
        print(f"credential trust show: warning: the list was due for an update at {view['next_update']}", file=sys.stderr)
    print(json.dumps(view, ensure_ascii=False, indent=2))
    return EXIT_OK


def cmd_load(args: argparse.Namespace) -> int:
    """Load a signed list into the gate's trust database (spec 16.5, 16.6); the only command that creates it."""
    from ..lists.trust import TrustListError

    signed = signed_list(args.list)
    now = _now(args.now)
    store = _store(args, mode="rwc")
    try:
        with common.database("--trust-db", args.trust_db):
            document = store.load(signed, now=now)
            conflicts = dict(store.conflicts)
    except TrustListError as err:
        return _refused(err)
    finally:
        store.close()
    print(f"loaded {document.authority} list {document.sequence}: {len(document.keys)} keys, next update {document.next_update}")
    for kid, authorities in sorted(conflicts.items()):  # the operator's to resolve with the authorities (spec 16.8)
        print(f"warning: key {kid.hex()} is listed by {' and '.join(authorities)}: trusted for neither", file=sys.stderr)
    return EXIT_OK


def add_gate_trust_options(p: argparse.ArgumentParser, *, title: str) -> None:
    """The trust-list options of a gate's commands (verify, inspect, serve, status add)."""
    from ..lists.trust import MAX_GRACE

    group = p.add_argument_group(title)
    group.add_argument("--trust-list", action="append", default=[], metavar="FILE",
                       help="a signed trust list to load into --trust-db first (repeatable)")
    group.add_argument("--list-key", action="append", default=[], metavar="AUTHORITY=FILE",
                       help="a pinned list-signing public key, e.g. HK=hk-list.pub.pem (repeatable)")
    group.add_argument("--trust-db", metavar="STORE", help="the gate's trust store, made by credential trust load; never created here")
    group.add_argument("--trust-grace", type=common.bounded_int(0, MAX_GRACE), default=0, metavar="SECONDS",
                       help=f"seconds a list stays usable after its next update, with a warning, 0 to {MAX_GRACE} (default 0)")


def _gate_options(p: argparse.ArgumentParser, *, creates: bool) -> None:
    from ..lists.trust import MAX_GRACE

    p.add_argument("--list-key", action="append", default=[], metavar="AUTHORITY=FILE",
                   help="a pinned list-signing public key of an authority, e.g. HK=hk-list.pub.pem (repeatable)")
    p.add_argument("--trust-db", metavar="STORE", required=creates,
                   help="the gate's trust store: held lists and their sequence numbers"
                   + (", created if new" if creates else "; read only, never created"))
    p.add_argument("--trust-grace", type=common.bounded_int(0, MAX_GRACE), default=0, metavar="SECONDS",
                   help=f"seconds a list stays usable after its next update, with a warning, 0 to {MAX_GRACE} (default 0: fail closed)")


def register(sub: Any) -> None:
    """Add ``trust`` and its subcommands, and the trust-list options of ``verify``."""
    top = sub.add_parser("trust", help="build, sign, show and load signed trust lists (spec 16)")
    trust_sub = top.add_subparsers(dest="trust_command", required=True)

    p = trust_sub.add_parser("build", help="the list document (CBOR) from its JSON view")
    p.add_argument("list", help="JSON view of spec 16.7; a key may be given as public_key_file, a PEM file beside it")
    p.add_argument("--out", help="output file (default: standard output, never a terminal)")
    p.set_defaults(run=cmd_build)

    p = trust_sub.add_parser("sign", help="sign a list document with the authority's list-signing key")
    p.add_argument("document", help="the list document made by trust build")
    p.add_argument("--key", required=True, help="the list-signing private key (PEM file, or a pkcs11: URI naming a key in a PKCS#11 token)")
    p.add_argument("--pin-file", help=common.PIN_FILE_HELP)
    p.add_argument("--out", help="output file (default: standard output, never a terminal)")
    p.set_defaults(run=cmd_sign)

    p = trust_sub.add_parser("show", help="print a signed list as JSON; with --list-key, check it first")
    p.add_argument("list", help="a signed trust list")
    p.add_argument("--now", help="time to judge it current at: epoch seconds or ISO 8601 with offset (default: the system clock)")
    _gate_options(p, creates=False)
    p.set_defaults(run=cmd_show)

    p = trust_sub.add_parser("load", help="check a signed list and hold it in the gate's trust database")
    p.add_argument("list", help="a signed trust list")
    p.add_argument("--now", help="load time: epoch seconds or ISO 8601 with offset (default: the system clock)")
    _gate_options(p, creates=True)
    p.set_defaults(run=cmd_load)

    add_gate_trust_options(sub.choices["verify"], title="trust lists (spec 16), instead of --trusted-key")


def uses_trust_lists(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "list_key", None) or getattr(args, "trust_list", None) or getattr(args, "trust_db", None))


def gate_keys(args: argparse.Namespace, now: Any, command: str) -> Any:
    """The keys a gate trusts: ``--trusted-key`` files, or its trust store (``--list-key``,
    ``--trust-db``, ``--trust-list``); one of the two, never both."""
    from ..cose.keys import KeySet

    lists = uses_trust_lists(args)
    if lists and args.trusted_key:
        raise UsageError("give trusted keys with --trusted-key or trust lists with --list-key and --trust-db, not both")
    if not lists and not args.trusted_key:
        raise UsageError("give the keys this gate trusts: --trusted-key ISSUERS=FILE, or --list-key AUTHORITY=FILE with --trust-db STORE")
    if lists:
        return gate_trust(args, now, command)
    try:
        return KeySet(common.trusted_keys(args.trusted_key))
    except (ValueError, TypeError) as err:
        raise UsageError(common.cli_words(str(err))) from None
