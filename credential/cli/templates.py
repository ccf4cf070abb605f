"""Encrypted templates on the command line (spec 8.5): options added to keygen, issue and verify.

    credential keygen --decryption-key [--curve X25519|P-256] --out gate.pem   # an authority's decryption key
    credential issue claims.json --key hk.pem --template face:-1=face.bin \\
        --template fingerprint:1=fingers.bin --recipient-key mo-gate.pub.pem --recipient-key hk-gate.pub.pem
    credential verify XC1:... --trusted-key HK=hk.pub.pem --decryption-key mo-gate.pem [--require-template face] \\
        [--templates-out DIR]

A template to encrypt names its format (spec 8.5.3) after the modality: ``MODALITY:FORMAT=FILE``.
``register`` adds the options to the parsers ``cli.parser`` made. ``keygen --decryption-key`` and
``issue --recipient-key`` are routed here (another key type; templates with formats); ``verify`` takes
``verifier_options`` and ``result_view`` like the other optional checks.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import UsageError

Run = Callable[[argparse.Namespace], int]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    keygen, issue, verify = (sub.choices[name] for name in ("keygen", "issue", "verify"))
    keygen.add_argument("--decryption-key", action="store_true",
                        help="create a gate authority's decryption key (X25519 or P-256) for encrypted templates; its public half is the recipient key")
    keygen.add_argument("--curve", choices=["X25519", "P-256"], default="X25519", help="curve of a --decryption-key (default X25519)")
    issue.add_argument("--recipient-key", action="append", default=[], metavar="FILE",
                       help="encrypt the templates to this gate authority's recipient (public) key (repeatable)")
    issue.add_argument("--padded-size", type=int, help="pad the encrypted templates to this many bytes (a multiple of 64)")
    verify.add_argument("--decryption-key", action="append", default=[], metavar="FILE", help="this gate's decryption key for encrypted templates (repeatable)")
    verify.add_argument("--require-template", action="append", default=[], metavar="MODALITY", help="refuse a credential without an encrypted template of this modality")
    verify.add_argument("--templates-out", metavar="DIR",
                        help="write each decrypted template to DIR/MODALITY.bin (created readable by its owner only), for the matcher")
    _route(keygen, lambda a: a.decryption_key, cmd_keygen_recipient)
    _route(issue, lambda a: bool(a.recipient_key) or a.padded_size is not None, cmd_issue_encrypted)


def _route(parser: argparse.ArgumentParser, wanted: Callable[[argparse.Namespace], bool], run: Run) -> None:
    original: Run = parser.get_default("run")
    parser.set_defaults(run=lambda args: run(args) if wanted(args) else original(args))


def cmd_keygen_recipient(args: argparse.Namespace) -> int:
    from ..claims import templates
    from ..cose.pkcs11_uri import is_uri
    from . import common

    if is_uri(args.out) or args.pin_file is not None:
        raise UsageError("--decryption-key makes a file: a token holds signing keys only (--out pkcs11: and --pin-file are for those)")
    public = args.public or str(Path(args.out).with_suffix(".pub.pem"))
    if args.out == "-" or Path(public).resolve() == Path(args.out).resolve():
        raise UsageError("the private and public keys go to two different files")
    if not args.force and os.path.lexists(public):
        raise UsageError(f"{public} exists: give --force to replace the key in it")
    key = templates.generate_decryption_key(args.curve)
    common.create_private(args.out, templates.decryption_key_to_pem(key), force=args.force)
    common.write_output(templates.recipient_key_to_pem(key), public)
    print(f"{args.curve} recipient key {templates.recipient_kid(key).hex()}: private {args.out}, public {public}")
    return 0


def _key_file(path: str, option: str, load: Callable[[bytes], Any]) -> Any:
    from . import common
    pem = common.read_file(path, common.MAX_KEY_BYTES, option)
    try:
        return load(pem)
    except common.key_errors() as err:
        raise UsageError(f"{option} {path}: {err}") from None


def templates_to_encrypt(specs: list[str]) -> dict[str, Any]:
    """``MODALITY:FORMAT=FILE`` to ``Template``; the format is required for a template that is encrypted."""
    from ..claims.templates import Template
    from . import common

    out: dict[str, Any] = {}
    for spec in specs:
        name, sep, file = spec.partition("=")
        modality, colon, fmt = name.partition(":")
        if not sep or not colon or not file:
            raise UsageError(f"--template {spec!r}: templates to encrypt need their format: MODALITY:FORMAT=FILE, e.g. face:-1=face.bin")
        if modality in out:
            raise UsageError(f"--template {modality!r} given twice")
        data = common.read_file(file, common.MAX_TEMPLATE_BYTES, f"--template {modality}")
        try:
            out[modality] = Template(int(fmt), data)
        except (ValueError, TypeError) as err:
            raise UsageError(f"--template {spec!r}: {err}") from None
    return out


def cmd_issue_encrypted(args: argparse.Namespace) -> int:
    from ..claims.templates import load_recipient_key
    from . import common
    from . import issue as cli_issue

    if args.batch:
        raise UsageError("--recipient-key and --padded-size work on one credential, not with --batch")
    if not args.recipient_key:
        raise UsageError("--padded-size needs at least one --recipient-key")
    key = common.private_key(args.key, args.pin_file)
    recipients = [_key_file(path, "--recipient-key", load_recipient_key) for path in args.recipient_key]
    templates = templates_to_encrypt(args.template)
    return cli_issue.issue_one(args, key, templates=templates or None, recipients=recipients, padded_size=args.padded_size)


def verifier_options(args: argparse.Namespace) -> dict[str, Any]:
    """The Verifier's template fields from ``verify``'s options; a key file mistake is a usage error."""
    from ..claims.templates import DecryptionKeys, load_decryption_key

    if args.require_template and not args.decryption_key:
        raise UsageError("--require-template needs --decryption-key: without it no template can be read")

    keys = [_key_file(path, "--decryption-key", load_decryption_key) for path in args.decryption_key]
    return {
        "decryption_keys": DecryptionKeys(keys) if keys else None,
        "require_templates": frozenset(args.require_template) if args.require_template else None,
    }


def result_view(verified: Any, folder: str | None = None) -> dict[str, Any]:
    """The decrypted templates in ``verify``'s output: format and size, never the bytes, which do not
    belong on a terminal; nothing when step 21a did not run. With ``folder`` (``--templates-out``),
    each template's bytes go to ``folder/MODALITY.bin`` for the gate's matcher, readable by the
    owner only from the moment the file exists, and the view names the file."""
    if verified.templates is None:
        return {}
    view: dict[str, Any] = {m: {"format": t.format, "bytes": len(t.data)} for m, t in verified.templates.items()}
    if folder is not None:
        from . import common

        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
        except OSError as err:
            raise UsageError(f"--templates-out {folder}: {common.reason(err)}") from None
        for modality, template in verified.templates.items():
            path = os.path.join(folder, f"{modality}.bin")
            common.create_private(path, template.data, force=True)
            view[modality]["file"] = path
    return {"templates": view}


def structure(claims: dict[str, Any] | None) -> dict[str, Any] | None:
    """The encrypted section's structure for ``decode``: sizes and recipient kids, no content."""
    from ..claims import templates
    from ..text import cbor

    if not claims or "templates" not in claims.get("xc", {}):
        return None
    return templates.parse(cbor.decode(bytes.fromhex(claims["xc"]["templates"]))).describe()
