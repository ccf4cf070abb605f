"""The ``credential`` command line: keygen, issue, verify, decode, render, scan and demo.

Exit codes: 0 success, 1 the credential failed verification (the spec's error code is printed first
on standard error), 2 a usage or input mistake, 3 an internal error (a defect: never expected).

Other modules add subcommands: each module named in ``SUBCOMMAND_MODULES`` has a
``register(subparsers)`` function that adds its parsers, each with ``set_defaults(run=FUNCTION)``;
``FUNCTION(args)`` returns the exit code and raises ``cli_common.UsageError`` for usage mistakes.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from .cli_common import EXIT_INTERNAL, EXIT_INVALID, EXIT_USAGE, UsageError

_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
# Modules (in this package) that add subcommands through their register(subparsers) function.
# One per line, so that adding one is a one-line change.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "cli_templates",
)


def _read_credential(source: str) -> str:
    """A credential given as text itself, a text file, or an image file holding its QR code."""
    if source == "-":
        return sys.stdin.read().rstrip("\r\n")
    path = Path(source)
    if source.startswith("XC") and not path.exists():
        return source
    if not path.is_file():
        raise UsageError(f"{source}: neither credential text nor a file")
    if path.suffix.lower() in _IMAGE_SUFFIXES:
        from . import qr

        return qr.scan(path)
    # One trailing newline is what editors and shells add; the credential itself never ends in one.
    return path.read_text(encoding="latin-1").removesuffix("\n").removesuffix("\r")


def _parse_now(value: str | None) -> Any:
    if value is None:
        return _dt.datetime.now(_dt.timezone.utc)
    try:
        return int(value)
    except ValueError:
        pass
    try:
        moment = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--now {value!r}: expected epoch seconds or an ISO 8601 time with offset") from None
    if moment.tzinfo is None:
        raise UsageError(f"--now {value!r}: give a UTC offset, e.g. 2027-01-01T08:00:00+08:00")
    return moment


def _trusted_keys(specs: list[str]) -> list[Any]:
    from .keys import TrustedKey, load_public_key

    keys = []
    for spec in specs:
        issuers, sep, file = spec.partition("=")
        if not sep:
            raise UsageError(f"--key {spec}: name the issuers the key vouches for, e.g. --key HK={spec}")
        try:
            keys.append(TrustedKey(load_public_key(Path(file).read_bytes()), frozenset(issuers.split(","))))
        except (OSError, ValueError, TypeError) as err:
            raise UsageError(f"--key {spec}: {err}") from None
    return keys


def _templates(specs: list[str]) -> dict[str, bytes] | None:
    if not specs:
        return None
    out = {}
    for spec in specs:
        modality, sep, file = spec.partition("=")
        if not sep:
            raise UsageError(f"--template {spec!r}: expected MODALITY=FILE, e.g. face=face.bin")
        try:
            out[modality] = Path(file).read_bytes()
        except OSError as err:
            raise UsageError(f"--template {spec}: {err}") from None
    return out


def _write(data: bytes | str, out: str | None) -> None:
    if out is None or out == "-":
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            print(data)
        return
    path = Path(out)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data + "\n", encoding="ascii")


def cmd_keygen(args: argparse.Namespace) -> int:
    from .keys import generate_key, kid_of, private_key_to_pem, public_key_to_pem

    key = generate_key(args.alg)
    Path(args.out).write_bytes(private_key_to_pem(key))
    Path(args.out).chmod(0o600)
    public = args.public or str(Path(args.out).with_suffix(".pub.pem"))
    Path(public).write_bytes(public_key_to_pem(key))
    print(f"{args.alg} key {kid_of(key).hex()}: private {args.out}, public {public}")
    return 0


class Progress:
    """A one-line progress bar on standard error, redrawn at most every 0.2 s."""

    def __init__(self, total: int, width: int = 30) -> None:
        self.total, self.width, self.start, self.shown = max(total, 1), width, time.monotonic(), 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self.shown < 0.2 and done < self.total:
            return
        self.shown = now
        filled = self.width * done // self.total
        rate = done / max(now - self.start, 1e-9)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} {rate:,.0f}/s")
        if done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def cmd_issue_batch(args: argparse.Namespace, key: Any) -> int:
    from .batch import issue_lines

    try:
        lines = Path(args.claims).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise UsageError(str(err)) from None
    total = sum(1 for line in lines if line.strip())
    failures = 0
    out = sys.stdout if args.out in (None, "-") else open(args.out, "w", encoding="ascii")
    with out:
        for number, text, error in issue_lines(lines, key, jobs=args.jobs, progress=None if args.quiet else Progress(total)):
            if error is None:
                out.write(text + "\n")
            else:
                failures += 1
                print(f"line {number}: {error}", file=sys.stderr)
    return EXIT_USAGE if failures else 0


def cmd_issue(args: argparse.Namespace) -> int:
    from .issue import issue
    from .keys import load_private_key

    try:
        key = load_private_key(Path(args.key).read_bytes())
        if args.batch:
            return cmd_issue_batch(args, key)
        claims = json.loads(Path(args.claims).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError) as err:
        raise UsageError(str(err)) from None
    try:
        text = issue(claims, key, templates=_templates(args.template))
    except (ValueError, TypeError) as err:
        raise UsageError(f"claims: {err}") from None
    _write(text, args.out)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .errors import VerificationError
    from .keys import KeySet
    from .verify import Verifier

    if not args.key:
        raise UsageError("give at least one trusted public key with --key ISSUERS=FILE")
    try:
        verifier = Verifier(KeySet(_trusted_keys(args.key)), skew=args.skew, destination=args.destination, channel=args.channel)
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None
    now, templates = _parse_now(args.now), _templates(args.template)
    text = _read_credential(args.credential)
    try:
        verified = verifier.verify(text, now=now, templates=templates)
    except VerificationError as err:
        print(f"{err.code.value}: {err.detail}", file=sys.stderr)
        return EXIT_INVALID
    view = {"valid": True, "alg": verified.alg, "kid": verified.kid.hex(), "checked": verified.checked, "skipped": verified.skipped, "claims": verified.claims}
    print(json.dumps(view, ensure_ascii=False, indent=2))
    return 0


def cmd_decode(args: argparse.Namespace) -> int:
    from .cli_templates import structure as templates_structure
    from .decode import decode
    from .errors import VerificationError

    try:
        layers = decode(_read_credential(args.credential))
    except VerificationError as err:
        print(f"{err.code.value}: {err.detail}", file=sys.stderr)
        return EXIT_INVALID
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
        "templates": templates_structure(layers.claims),  # sizes and recipients, never content
        "note": "decoded without checking the signature",
    }
    print(json.dumps(view, ensure_ascii=False, indent=2, default=repr))
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from . import qr

    text = _read_credential(args.credential)
    _write(qr.render(text, args.format, ecc=args.ecc, box=args.box), args.out)
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from . import qr

    try:
        print(qr.scan(args.image))
    except qr.ScanError as err:
        raise UsageError(f"{args.image}: {err}") from None
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from . import qr, samples
    from .issue import issue
    from .keys import TrustedKey, generate_key
    from .verify import verify

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    key = generate_key(args.alg)
    claims = samples.full("HK")
    text = issue(claims, key, templates=samples.TEMPLATES)
    png = out / "credential.png"
    png.write_bytes(qr.render(text))
    (out / "credential.txt").write_text(text + "\n", encoding="ascii")
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
    return 0 if scanned == text else EXIT_INVALID


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="credential", description="Issue, verify and inspect XC v1 crossing credentials.")
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("keygen", help="create an issuer key pair (PEM)")
    p.add_argument("--alg", choices=["Ed25519", "ES256"], default="Ed25519")
    p.add_argument("--out", required=True, help="private key file")
    p.add_argument("--public", help="public key file (default: OUT with .pub.pem)")
    p.set_defaults(run=cmd_keygen)

    p = sub.add_parser("issue", help="sign claims (JSON view) into credential text")
    p.add_argument("claims", help="JSON file of claims, as in spec section 3")
    p.add_argument("--key", required=True, help="issuer private key (PEM)")
    p.add_argument("--template", action="append", default=[], metavar="MODALITY=FILE", help="bind a reference template")
    p.add_argument("--out", help="output file (default: standard output)")
    p.add_argument("--batch", action="store_true", help="CLAIMS is JSON Lines: one credential per line, on every core")
    p.add_argument("--jobs", type=int, help="worker processes for --batch (default: one per core)")
    p.add_argument("--quiet", action="store_true", help="no progress bar for --batch")
    p.set_defaults(run=cmd_issue)

    p = sub.add_parser("verify", help="verify credential text, a text file or a QR image")
    p.add_argument("credential", help="credential text, a file of it, a QR image, or - for standard input")
    p.add_argument("--key", action="append", default=[], metavar="ISSUERS=FILE", help="trusted public key and the issuers it vouches for, e.g. HK=hk.pub.pem")
    p.add_argument("--now", help="verification time: epoch seconds or ISO 8601 with offset (default: the system clock)")
    p.add_argument("--skew", type=int, default=300, help="clock-skew allowance in seconds (default 300)")
    p.add_argument("--destination", help="region code of this gate, e.g. MO")
    p.add_argument("--channel", choices=["e-channel", "counter"], help="the clearance channel of this gate")
    p.add_argument("--template", action="append", default=[], metavar="MODALITY=FILE", help="check a reference template")
    p.set_defaults(run=cmd_verify)

    p = sub.add_parser("decode", help="show every layer without checking the signature")
    p.add_argument("credential")
    p.set_defaults(run=cmd_decode)

    p = sub.add_parser("render", help="render credential text as a QR code")
    p.add_argument("credential")
    p.add_argument("--out", help="output file (default: standard output)")
    p.add_argument("--format", choices=["png", "svg"], default="png")
    p.add_argument("--ecc", choices=["L", "M", "Q", "H"], default="M")
    p.add_argument("--box", type=int, default=8, help="pixels per module (PNG)")
    p.set_defaults(run=cmd_render)

    p = sub.add_parser("scan", help="read the credential text from a QR image")
    p.add_argument("image")
    p.set_defaults(run=cmd_scan)

    p = sub.add_parser("demo", help="issue a sample, render it, scan it back and verify it")
    p.add_argument("--out", default="out", help="folder for the PNG and text (default: out)")
    p.add_argument("--alg", choices=["Ed25519", "ES256"], default="Ed25519")
    p.set_defaults(run=cmd_demo)

    for name in SUBCOMMAND_MODULES:
        importlib.import_module(f"{__package__}.{name}").register(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except UsageError as err:
        print(f"credential {args.command}: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130  # the shell's code for SIGINT: the operator stopped it
    except Exception as err:  # noqa: BLE001 -- the last resort: one line, never a traceback
        print(f"credential {args.command}: internal error ({type(err).__name__}): {err}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
