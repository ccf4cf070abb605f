"""The ``credential`` command line: keygen, issue, verify, decode, render, scan and demo.

Exit codes, one meaning each (``cli_common``): 0 valid or done; 1 the credential was checked and
refused (its spec error code is printed first on standard error); 2 a usage or input-file mistake
(nothing was checked, or in ``issue --batch`` some lines were not issued); 3 an internal error, a
defect that should never happen; 4 a store of state (replay cache, status database) failed or could
not be reached, so nothing was accepted or written and the credential was not judged; 130 interrupted. Nothing prints a traceback, and everything
printed is escaped so that no input reaches the terminal as a control character.

Other modules add subcommands: each module named in ``SUBCOMMAND_MODULES`` has a
``register(subparsers)`` function that adds its parsers, each with ``set_defaults(run=FUNCTION)``;
``FUNCTION(args)`` returns the exit code and raises ``cli_common.UsageError`` for usage mistakes
(and lets ``VerificationError`` out for a refused credential).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

from . import cli_batch, cli_common as common, cli_present, cli_status, cli_templates
from .cli_common import EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, UsageError
from .errors import StoreError, UnavailableError, VerificationError

# Modules (in this package) that add subcommands through their register(subparsers) function.
# One per line, so that adding one is a one-line change.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "cli_conformance",
    "cli_status",
    "cli_templates",
    "cli_trust",
    "cli_present",
    "cli_inspect",  # last: inspect and serve take every option the modules above give verify
)
EXIT_INTERRUPTED = 130  # the shell's code for SIGINT: the operator stopped it
MAX_BOX = 100  # pixels per module: a larger PNG helps no scanner and costs memory


def _key_errors() -> tuple[type[Exception], ...]:
    # cryptography raises UnsupportedAlgorithm (not a ValueError) for some key types.
    from cryptography.exceptions import UnsupportedAlgorithm

    return (ValueError, TypeError, UnsupportedAlgorithm)


# --- arguments ----------------------------------------------------------------------------------


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{number} is outside {low}..{high}")
        return number

    return parse


def _parse_now(value: str | None) -> Any:
    from .verify import epoch_seconds

    if value is None:
        return _dt.datetime.now(_dt.timezone.utc)
    try:
        moment: Any = int(value)
    except ValueError:
        try:
            moment = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"--now {value!r}: expected epoch seconds or an ISO 8601 time with offset") from None
        if moment.tzinfo is None:
            raise UsageError(f"--now {value!r}: give a UTC offset, e.g. 2027-01-01T08:00:00+08:00")
    try:
        epoch_seconds(moment)  # the verifier's own range check, here so it is a usage mistake
    except (ValueError, TypeError, OverflowError) as err:
        raise UsageError(f"--now {value!r}: {err}") from None
    return moment


def _pairs(specs: list[str], option: str, example: str) -> Iterator[tuple[str, str]]:
    for spec in specs:
        name, sep, file = spec.partition("=")
        if not sep or not file:
            raise UsageError(f"{option} {spec!r}: expected {example}")
        yield name, file


def _trusted_keys(specs: list[str]) -> list[Any]:
    from .keys import TrustedKey, load_public_key

    keys = []
    for issuers, file in _pairs(specs, "--key", "ISSUERS=FILE, e.g. --key HK=hk.pub.pem"):
        pem = common.read_file(file, common.MAX_KEY_BYTES, "--key")
        try:
            keys.append(TrustedKey(load_public_key(pem), frozenset(issuers.split(","))))
        except _key_errors() as err:
            hint = " (a private key: give the public one)" if b"PRIVATE KEY" in pem else ""
            raise UsageError(f"--key {issuers}={file}: {err}{hint}") from None
    return keys


def _templates(specs: list[str]) -> dict[str, bytes] | None:
    from .verify import check_templates

    if not specs:
        return None
    out: dict[str, bytes] = {}
    for modality, file in _pairs(specs, "--template", "MODALITY=FILE, e.g. face=face.bin"):
        if modality in out:
            raise UsageError(f"--template {modality!r} given twice")
        out[modality] = common.read_file(file, common.MAX_TEMPLATE_BYTES, f"--template {modality}")
    try:
        check_templates(out)
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None
    return out


def _private_key(path: str) -> Any:
    from .keys import load_private_key

    pem = common.read_file(path, common.MAX_KEY_BYTES, "--key")
    try:
        return load_private_key(pem)
    except _key_errors() as err:
        hint = " (a public key: issuing needs the private one)" if b"PUBLIC KEY" in pem else ""
        raise UsageError(f"--key {path}: {err}{hint}") from None


# --- keygen ---------------------------------------------------------------------------------------


def cmd_keygen(args: argparse.Namespace) -> int:
    from .keys import generate_key, kid_of, private_key_to_pem, public_key_to_pem

    public = args.public or str(Path(args.out).with_suffix(".pub.pem"))
    if args.out == "-" or Path(public).resolve() == Path(args.out).resolve():
        raise UsageError("the private and public keys go to two different files")
    if not args.force and os.path.lexists(public):
        raise UsageError(f"{public} exists: give --force to replace the key in it")
    key = generate_key(args.alg)
    common.create_private(args.out, private_key_to_pem(key), force=args.force)
    common.write_output(public_key_to_pem(key), public)
    print(f"{args.alg} key {kid_of(key).hex()}: private {args.out}, public {public}")
    return EXIT_OK


# --- issue ----------------------------------------------------------------------------------------


def _policy(name: str) -> Any:
    """The eligibility tables of a phase (spec 9.5), or None for --policy none."""
    from .eligibility import PHASES

    return None if name == "none" else PHASES[name]


def cmd_issue(args: argparse.Namespace) -> int:
    from . import jsonload
    from .batch import LINE_ERRORS
    from .issue import issue

    key = _private_key(args.key)
    if args.batch:
        from .cli_batch import issue_batch

        return issue_batch(args, key)
    if args.failures is not None:
        raise UsageError("--failures is a report of --batch lines")
    templates = _templates(args.template)
    try:
        claims = jsonload.load(common.read_file(args.claims, common.MAX_JSON_BYTES, "claims"))
        text = issue(claims, key, templates=templates, policy=_policy(args.policy), birth_date=args.birth_date)
    except LINE_ERRORS as err:
        raise UsageError(f"{args.claims}: {err}") from None  # err names the field
    common.write_output(text, args.out)
    return EXIT_OK


# --- verify and decode ----------------------------------------------------------------------------


def _summary(verified: Any) -> str:
    """One line a person can read at a glance, naming what was not checked."""
    skipped = ", ".join(verified.skipped)
    checked = ", ".join(("signature", "issuer", "validity period", *verified.checked))
    line = f"VALID: {verified.issuer} credential {verified.cti.hex()}, key {verified.kid.hex()}; checked {checked}"
    return line + (f"; NOT checked: {skipped}" if skipped else "")


def cmd_verify(args: argparse.Namespace) -> int:
    verifier, now, templates = gate(args)
    verified = verifier.verify(common.read_credential(args.credential), now=now, templates=templates)
    view = {
        "valid": True,
        "form": verified.form,
        "issuer": verified.issuer,
        "alg": verified.alg,
        "kid": verified.kid.hex(),
        "checked": verified.checked,
        "skipped": verified.skipped,
        **cli_templates.result_view(verified),
        "claims": verified.claims,
    }
    if verified.step is not None:
        view["step"] = verified.step
    print(json.dumps(view, ensure_ascii=False, indent=2))
    print(_summary(verified), file=sys.stderr)
    return EXIT_OK


def gate(args: argparse.Namespace) -> tuple[Any, Any, dict[str, bytes] | None]:
    """The gate's configuration from the options of ``verify`` (which ``inspect`` and ``serve`` share):
    (Verifier, now, templates). A mistake in it is the operator's, found before any credential is read."""
    from . import cli_trust
    from .keys import KeySet
    from .verify import Verifier

    now = _parse_now(args.now)
    lists = cli_trust.uses_trust_lists(args)
    if lists and args.key:
        raise UsageError("give trusted keys with --key or trust lists with --list-key, not both")
    if not lists and not args.key:
        raise UsageError("give at least one trusted public key with --key ISSUERS=FILE, or trust lists with --list-key")
    try:
        trust = cli_trust.gate_trust(args, now) if lists else KeySet(_trusted_keys(args.key))
        verifier = Verifier(
            trust, skew=args.skew, destination=args.destination, channel=args.channel, **cli_status.verifier_options(args),
            **cli_present.verifier_options(args), **cli_templates.verifier_options(args),
        )
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None
    return verifier, now, _templates(args.template)


def cmd_decode(args: argparse.Namespace) -> int:
    from .decode import decode

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


# --- render, scan, demo ---------------------------------------------------------------------------


def cmd_render(args: argparse.Namespace) -> int:
    from . import qr
    from .decode import decode

    text = common.read_credential(args.credential)
    decode(text)  # only credential text becomes a code: anything else is refused with its error code
    try:
        image = qr.render(text, args.format, ecc=args.ecc, box=args.box)
    except ValueError as err:
        raise UsageError(str(err)) from None
    # SVG is text, fit for a terminal; PNG is not (write_output refuses to send it to one).
    common.write_output(image.decode("utf-8").removesuffix("\n") if args.format == "svg" else image, args.out)
    return EXIT_OK


def cmd_scan(args: argparse.Namespace) -> int:
    print(common.escape(common.read_image(args.image)))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from . import qr, samples
    from .issue import issue
    from .keys import TrustedKey, generate_key
    from .verify import verify

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


# --- the parser -----------------------------------------------------------------------------------

EPILOG = """\
exit codes: 0 valid or done; 1 the credential was checked and refused (its error code is printed
first on standard error); 2 a usage or input-file mistake, or batch lines not issued; 3 an internal
error (a defect; please report it); 130 interrupted.
A CREDENTIAL argument is the text itself when it begins with a prefix such as XC1:, - for standard
input, or else a file: credential text, or a PNG, JPEG, GIF, BMP, WebP or TIFF image of its QR code."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its error messages escaped like all other output (they quote arguments)."""

    def error(self, message: str) -> NoReturn:
        super().error(common.escape(message))


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="credential", description="Issue, verify and inspect XC v1 crossing credentials.",
                  epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("keygen", help="create an issuer key pair (PEM)")
    p.add_argument("--alg", choices=["Ed25519", "ES256"], default="Ed25519")
    p.add_argument("--out", required=True, help="private key file, created readable by its owner only")
    p.add_argument("--public", help="public key file (default: OUT with .pub.pem)")
    p.add_argument("--force", action="store_true", help="replace existing key files (refused otherwise)")
    p.set_defaults(run=cmd_keygen)

    p = sub.add_parser("issue", help="sign claims (JSON view) into credential text", epilog=cli_batch.HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("claims", help="JSON file of claims, as in spec section 3")
    p.add_argument("--key", required=True, help="issuer private key (PEM)")
    p.add_argument("--template", action="append", default=[], metavar="MODALITY=FILE", help="bind a reference template")
    p.add_argument("--out", help="output file (default: standard output)")
    p.add_argument("--batch", action="store_true", help="CLAIMS is JSON Lines: one credential per line, on every core")
    p.add_argument("--failures", metavar="FILE", help="--batch: write failed lines here as JSON Lines (default: standard error)")
    p.add_argument("--jobs", type=_bounded_int(1, cli_batch.MAX_JOBS), help="worker processes for --batch (default: one per core)")
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

    p = sub.add_parser("verify", help="verify credential text, a text file or a QR image")
    p.add_argument("credential", help="credential text, a file of it, a QR image, or - for standard input")
    p.add_argument("--key", action="append", default=[], metavar="ISSUERS=FILE", help="trusted public key and the issuers it vouches for, e.g. HK=hk.pub.pem")
    p.add_argument("--now", help="verification time: epoch seconds or ISO 8601 with offset (default: the system clock)")
    p.add_argument("--skew", type=int, default=300, help="clock-skew allowance in seconds, 0 to 86400 (default 300)")
    p.add_argument("--destination", help="region code of this gate, e.g. MO")
    p.add_argument("--channel", choices=["e-channel", "counter"], help="the clearance channel of this gate")
    p.add_argument("--template", action="append", default=[], metavar="MODALITY=FILE", help="check a reference template")
    cli_status.add_verify_options(p)
    p.set_defaults(run=cmd_verify)

    p = sub.add_parser("decode", help="show every layer without checking the signature")
    p.add_argument("credential")
    p.set_defaults(run=cmd_decode)

    p = sub.add_parser("render", help="render credential text as a QR code")
    p.add_argument("credential")
    p.add_argument("--out", help="output file (default: standard output, never a terminal for PNG)")
    p.add_argument("--format", choices=["png", "svg"], default="png")
    p.add_argument("--ecc", choices=["L", "M", "Q", "H"], default="M")
    p.add_argument("--box", type=_bounded_int(1, MAX_BOX), default=8, help=f"pixels per module (PNG), 1 to {MAX_BOX}")
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


# --- main -----------------------------------------------------------------------------------------


def _quiet_stdout() -> None:
    """After a closed pipe, send what is left of standard output nowhere, so exit prints no error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor: nothing to quiet
        pass


def _usage(command: str, err: BaseException) -> str:
    return f"{command}: {common.escape(str(err))}"


def _refused(command: str, err: BaseException) -> str:
    assert isinstance(err, VerificationError)
    return f"{err.code.value}: {common.escape(err.detail)}"


def _closed(command: str, err: BaseException) -> str:
    _quiet_stdout()
    return f"{command}: output closed before it was all written"


def _internal(command: str, err: BaseException) -> str:
    return f"{command}: internal error ({type(err).__name__}): {common.escape(str(err))}"


# How each way out of a subcommand is reported, first match wins: (exception, message, exit code).
OUTCOMES: tuple[tuple[type[BaseException], Callable[[str, BaseException], str | None], int], ...] = (
    (UsageError, _usage, EXIT_USAGE),
    (UnavailableError, _refused, EXIT_UNAVAILABLE),  # the gate's state failed: not the credential's fault
    (StoreError, _usage, EXIT_UNAVAILABLE),  # a store that cannot be reached: nothing checked, nothing written
    (VerificationError, _refused, EXIT_INVALID),
    (BrokenPipeError, _closed, EXIT_USAGE),
    (KeyboardInterrupt, lambda command, err: None, EXIT_INTERRUPTED),
    (Exception, _internal, EXIT_INTERNAL),  # the last resort: one line, never a traceback
)


def _run(argv: list[str] | None) -> int:
    command = "credential"  # the name messages start with: the subcommand's once it is known
    try:
        args = parser().parse_args(argv)
        command = f"credential {args.command}"
        code = int(args.run(args))
        sys.stdout.flush()  # here, so that a closed pipe is reported like any other outcome
        return code
    except SystemExit as done:  # --help, or a usage message argparse has printed
        return EXIT_OK if done.code is None else done.code if isinstance(done.code, int) else EXIT_USAGE
    except BaseException as err:
        for kind, message, code in OUTCOMES:
            if isinstance(err, kind):
                line = message(command, err)
                if line is not None:
                    print(line, file=sys.stderr)
                return code
        raise


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")  # a terminal that cannot show a character gets an escape
    with common.escaped_output():
        return _run(argv)


if __name__ == "__main__":
    sys.exit(main())
