"""What every ``credential`` subcommand shares: exit codes, the usage error, bounded input, safe output.

A subcommand module (``cli.py`` itself, or one listed in ``cli.SUBCOMMAND_MODULES``) raises
``UsageError`` for an operator's mistake; ``cli.main`` prints it on one line and exits 2. Every
byte of text the command writes passes through ``escape`` (``cli.main`` wraps standard output and
error), so that nothing read from a credential, a file or the command line reaches the terminal as
a control character or an escape sequence.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import io
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, TextIO

from ..base.errors import ErrorCode, VerificationError
from ..base.limits import MAX_TEXT_CHARS

EXIT_OK = 0  # valid, or the command did what it was asked
EXIT_INVALID = 1  # the credential was checked and refused; its spec error code is printed first
EXIT_USAGE = 2  # a usage or input-file mistake: nothing was checked
EXIT_INTERNAL = 3  # a defect in this program: it should never happen, and a report should follow
# A store of state (the gate's replay cache, the issuer's status database) failed or could not be
# reached in time: nothing was accepted or written, and neither the credential nor the command is at
# fault. Try again when the store is back.
EXIT_UNAVAILABLE = 4

# Bounds on what the command reads from files, so a wrong file costs little memory and time.
MAX_KEY_BYTES = 64 * 1024  # a PEM key is under 1 KiB
MAX_JSON_BYTES = 4 * 1024 * 1024  # a claims file, or one line of a batch
MAX_TEMPLATE_BYTES = 16 * 1024 * 1024  # a biometric reference template
MAX_IMAGE_BYTES = 32 * 1024 * 1024  # a photo of a QR code

# A value that begins like a credential (XC1:, XC1Z:, any later version or kind) is text, never a
# file name: asking the file system first fails for texts over 255 characters ("File name too long").
_TEXT_PREFIX = re.compile(r"[A-Z][A-Z0-9]+:")
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"})


class UsageError(Exception):
    """An operator's mistake (arguments, files, configuration): exit 2 with this one-line message."""


# --- output -------------------------------------------------------------------------------------

# Printable ASCII and the newline pass untouched; anything else is looked at one character at a time.
_SUSPECT = re.compile(r"[^\x20-\x7e\n]")
_SUSPECT_ALL = re.compile(r"[^\x20-\x7e]")


def _escaped(char: str) -> str:
    """A JSON-style escape (valid inside a JSON string too), as surrogate pairs beyond the BMP."""
    point = ord(char)
    if point <= 0xFFFF:
        return f"\\u{point:04x}"
    point -= 0x10000
    return f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}"


def _one(match: re.Match[str]) -> str:
    char = match.group()
    # str.isprintable is false for control (Cc: C0, DEL, C1), format (Cf: bidi overrides, zero-width),
    # separator (Zl, Zp, and Zs but the space), surrogate, private-use and unassigned characters.
    return char if char.isprintable() else _escaped(char)


def escape(text: str, *, newlines: bool = True) -> str:
    """``text`` with every character a terminal could act on written as ``\\uXXXX``.

    ``newlines=False`` keeps line breaks, for output whose lines this program wrote itself (JSON
    from ``json.dumps`` holds no raw newline inside a string, so every raw one is its own).
    """
    return (_SUSPECT_ALL if newlines else _SUSPECT).sub(_one, text)


class EscapingStream(io.TextIOBase):
    """A text stream that escapes what is written to it (keeping newlines) before passing it on."""

    def __init__(self, raw: TextIO) -> None:
        super().__init__()
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(escape(text, newlines=False))
        return len(text)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.raw.encoding

    @property
    def buffer(self) -> BinaryIO:
        return self.raw.buffer


def unescaped(stream: TextIO) -> TextIO:
    """The stream under an ``EscapingStream``: for output this program composes alone (a progress bar)."""
    return stream.raw if isinstance(stream, EscapingStream) else stream


@contextmanager
def escaped_output() -> Iterator[None]:
    """Standard output and error escape everything written to them while the block runs."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = EscapingStream(sys.stdout), EscapingStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def write_output(data: bytes | str, out: str | None) -> None:
    """``data`` to the file ``out``, or to standard output for None or ``-``; text gets one newline."""
    if out is None or out == "-":
        if isinstance(data, bytes):
            if sys.stdout.isatty():
                raise UsageError("binary output to a terminal: give --out FILE or redirect the output")
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        else:
            print(data)
        return
    try:
        with open(out, "wb") as handle:
            handle.write(data if isinstance(data, bytes) else data.encode("utf-8") + b"\n")
    except OSError as err:
        raise UsageError(f"cannot write {out}: {reason(err)}") from None


@contextmanager
def output_stream(out: str | None) -> Iterator[IO[str]]:
    """A text stream for the file ``out``, or standard output for None or ``-``."""
    if out is None or out == "-":
        yield sys.stdout
        return
    try:
        handle = open(out, "w", encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write {out}: {reason(err)}") from None
    with handle:
        yield handle


def create_private(path: str, data: bytes, *, force: bool) -> None:
    """Write a private key readable by its owner only from the moment the file exists.

    Without ``force`` an existing file is refused (O_EXCL, so not even a race overwrites one). With
    it, the key goes to a new owner-only file in the same folder that then replaces the old one, so
    an old file's wider permissions never apply to the new key.
    """
    try:
        if not force:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            return
        fd, temporary = tempfile.mkstemp(dir=Path(path).parent, prefix=".key-")  # mkstemp creates it 0o600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except FileExistsError:
        raise UsageError(f"{path} exists: give --force to replace the key in it") from None
    except OSError as err:
        raise UsageError(f"cannot write {path}: {reason(err)}") from None


# --- input --------------------------------------------------------------------------------------


def reason(err: OSError) -> str:
    """The operating system's words for an OSError, without Python's decoration."""
    return err.strerror or str(err)


def read_file(path: str, limit: int, what: str) -> bytes:
    """The whole of a small file; a missing, unreadable or too large one is a usage mistake."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise UsageError(f"{what} {path}: {reason(err)}") from None
    if len(data) > limit:
        raise UsageError(f"{what} {path}: larger than {limit:,} bytes")
    return data


def _is_image(head: bytes) -> bool:
    return head.startswith(_IMAGE_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _credential_from(handle: BinaryIO, name: str, suffix: str) -> str | bytes:
    """The text in ``handle``, or the image bytes to scan; reads no more than it needs."""
    # The longest text, a line ending, and one byte more to tell that the input is longer still.
    head = handle.read(MAX_TEXT_CHARS + 3)
    if _is_image(head):
        rest = handle.read(MAX_IMAGE_BYTES + 1 - len(head))
        if len(head) + len(rest) > MAX_IMAGE_BYTES:
            raise UsageError(f"{name}: an image larger than {MAX_IMAGE_BYTES:,} bytes")
        return head + rest
    if suffix in IMAGE_SUFFIXES:
        raise UsageError(f"{name}: not an image this program reads (PNG, JPEG, GIF, BMP, WebP or TIFF)")
    if suffix == ".svg" or head.lstrip().startswith(b"<"):
        raise UsageError(f"{name}: an SVG or other markup file; give the credential text or a PNG or JPEG of its QR code")
    # One trailing newline is what editors and shells add; the credential itself never ends in one.
    text = head.decode("latin-1").removesuffix("\n").removesuffix("\r")
    if len(text) > MAX_TEXT_CHARS:
        raise VerificationError(ErrorCode.LIMIT, f"{name} holds more than {MAX_TEXT_CHARS} characters")
    return text


def read_credential(source: str) -> str:
    """A credential given as text itself, ``-`` for standard input, a text file, or an image of its QR code.

    A value that begins with a prefix such as ``XC1:`` is the text; any other is a file name (write
    ``./NAME`` for a file whose name begins like a prefix). Input longer than any credential is
    refused with LIMIT (a ``VerificationError``) after reading one character past the limit.
    """
    if source != "-" and _TEXT_PREFIX.match(source):
        return source
    if source == "-":
        found = _credential_from(sys.stdin.buffer, "standard input", "")
    else:
        try:
            handle = open(source, "rb")
        except OSError as err:
            raise UsageError(
                f"{source}: neither credential text (which begins with a prefix such as XC1:) nor a readable file ({reason(err)})"
            ) from None
        with handle:
            found = _credential_from(handle, source, Path(source).suffix.lower())
    if isinstance(found, str):
        return found
    return scan_image(found, "standard input" if source == "-" else source)


def scan_image(image: bytes, name: str) -> str:
    """The text of the QR code in an image; no readable code is a usage mistake (nothing was checked)."""
    from .. import qr

    try:
        return qr.scan(image)
    except (qr.ScanError, ValueError, OSError) as err:
        raise UsageError(f"{name}: {err}") from None


def read_image(path: str) -> str:
    """The text of the QR code in the image file ``path`` (``scan``)."""
    data = read_file(path, MAX_IMAGE_BYTES, "image")
    if not _is_image(data[:16]):
        raise UsageError(f"{path}: not an image this program reads (PNG, JPEG, GIF, BMP, WebP or TIFF)")
    return scan_image(data, path)


# --- databases ----------------------------------------------------------------------------------

# What SQLite's messages mean to an operator, first match wins: (words in SQLite's message, ours).
# Every one is a mistake the operator can cause and mend; none changes what the file already holds,
# since each change is one transaction that SQLite rolls back when it fails.
SQLITE_REASONS: tuple[tuple[str, str], ...] = (
    ("unable to open database file", "cannot be opened (does its folder exist, and may this user write to it?)"),
    ("file is not a database", "is not a database"),
    ("file is encrypted or is not a database", "is not a database"),
    ("database disk image is malformed", "is damaged (not a database this program wrote)"),
    ("readonly database", "is read-only: this command writes to it"),
    ("database is locked", "is locked by another process for longer than the 5 s this command waits"),
    ("database table is locked", "is locked by another process for longer than the 5 s this command waits"),
    ("database or disk is full", "cannot grow: the disk is full"),
    ("disk i/o error", "cannot be written (disk I/O error; is the disk full?)"),
    ("no such table", "is not a database of this kind"),
)


def database_reason(err: BaseException) -> str:
    """The operator's words for an sqlite3 error (``SQLITE_REASONS``), or SQLite's own."""
    text = str(err)
    for words, meaning in SQLITE_REASONS:
        if words in text.lower():
            return meaning
    return text


@contextmanager
def database(option: str, path: str | None) -> Iterator[None]:
    """Run the block with the database ``path`` given as ``option``: any SQLite failure in it is the
    operator's to mend (exit 2), with a message naming the option and the file, never exit 3."""
    import sqlite3

    try:
        yield
    except sqlite3.Error as err:
        raise UsageError(f"{option} {path}: {database_reason(err)}") from None
    except IsADirectoryError:
        raise UsageError(f"{option} {path}: is a folder, not a database file") from None


def existing_database(option: str, path: str, made_by: str) -> None:
    """A command that only reads a database never creates it: a missing file is a mistake."""
    if os.path.isdir(path):
        raise UsageError(f"{option} {path}: is a folder, not a database file")
    if not os.path.exists(path):
        raise UsageError(f"{option} {path}: no such database ({made_by} creates it)")


class Staged:
    """A temporary file beside ``target`` (mode 0644) that ``commit`` renames over it: readers of the
    target see the old file or the whole new one, and nothing before the commit."""

    def __init__(self, target: str) -> None:
        self.target = target
        fd, self.path = tempfile.mkstemp(dir=Path(target).parent, prefix=f".{Path(target).name}.")
        os.close(fd)
        os.chmod(self.path, 0o644)
        self.committed = False

    def write(self, data: bytes) -> None:
        """The staged file's content, synced to disk before any commit."""
        with open(self.path, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def commit(self) -> None:
        os.replace(self.path, self.target)
        self.committed = True


@contextmanager
def staged(target: str) -> Iterator[Staged]:
    """A ``Staged`` file for ``target``, removed on the way out unless committed. OSError when the
    folder cannot take it."""
    stage = Staged(target)
    try:
        yield stage
    finally:
        if not stage.committed:
            with contextlib.suppress(OSError):
                os.unlink(stage.path)


def replace_atomically(path: str, data: bytes) -> None:
    """``data`` into the file ``path`` by a temporary file in the same folder renamed over it: the file
    is the old one or the new one, never a part. OSError when it cannot be written."""
    with staged(path) as stage:
        stage.write(data)
        stage.commit()


# --- the options several subcommands share -------------------------------------------------------


def key_errors() -> tuple[type[Exception], ...]:
    # cryptography raises UnsupportedAlgorithm (not a ValueError) for some key types.
    from cryptography.exceptions import UnsupportedAlgorithm

    return (ValueError, TypeError, UnsupportedAlgorithm)


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{number} is outside {low}..{high}")
        return number

    return parse


def parse_now(value: str | None) -> Any:
    """--now: epoch seconds or ISO 8601 with an offset; the system clock when not given."""
    from ..base.times import epoch_seconds

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


def pairs(specs: list[str], option: str, example: str) -> Iterator[tuple[str, str]]:
    """NAME=FILE options, such as --key HK=hk.pub.pem and --template face=face.bin."""
    for spec in specs:
        name, sep, file = spec.partition("=")
        if not sep or not file:
            raise UsageError(f"{option} {spec!r}: expected {example}")
        yield name, file


TRUSTED_KEY = "--trusted-key"  # the public keys a gate trusts, by the issuers each vouches for


def trusted_keys(specs: list[str]) -> list[Any]:
    from ..cose.keys import TrustedKey, load_public_key

    keys = []
    for issuers, file in pairs(specs, TRUSTED_KEY, f"ISSUERS=FILE, e.g. {TRUSTED_KEY} HK=hk.pub.pem"):
        pem = read_file(file, MAX_KEY_BYTES, TRUSTED_KEY)
        try:
            keys.append(TrustedKey(load_public_key(pem), frozenset(issuers.split(","))))
        except key_errors() as err:
            hint = " (a private key: give the public one)" if b"PRIVATE KEY" in pem else ""
            raise UsageError(f"{TRUSTED_KEY} {issuers}={file}: {err}{hint}") from None
    return keys


def public_key(path: str, option: str) -> Any:
    """A public key file given as ``option``; a private key is refused (its holder keeps it)."""
    from ..cose.keys import load_public_key

    pem = read_file(path, MAX_KEY_BYTES, option)
    if b"PRIVATE KEY" in pem:
        raise UsageError(f"{option} {path}: a private key; give the public one (the private key stays with its holder)")
    try:
        return load_public_key(pem)
    except key_errors() as err:
        raise UsageError(f"{option} {path}: {err}") from None


def read_templates(specs: list[str]) -> dict[str, bytes] | None:
    from ..gate.verify import check_templates

    if not specs:
        return None
    out: dict[str, bytes] = {}
    for modality, file in pairs(specs, "--template", "MODALITY=FILE, e.g. face=face.bin"):
        if ":" in modality:
            raise UsageError(
                f"--template {modality}: a template with its format (MODALITY:FORMAT=FILE) is one to encrypt: "
                "give --recipient-key too, or MODALITY=FILE to bind it without encrypting it"
            )
        if modality in out:
            raise UsageError(f"--template {modality!r} given twice")
        out[modality] = read_file(file, MAX_TEMPLATE_BYTES, f"--template {modality}")
    try:
        check_templates(out)
    except (ValueError, TypeError) as err:
        raise UsageError("--template " + str(err).removeprefix("templates: ")) from None
    return out


PIN_FILE_HELP = "a file holding the token's PIN, for a pkcs11: key (else the environment variable XC_PKCS11_PIN)"


def private_key(path: str, pin_file: str | None = None, option: str = "--key") -> Any:
    """The private signing key of the command's own role (``--key``): a PEM file, or a key in a PKCS#11
    token named by a pkcs11: URI (RFC 7512), opened with the PIN from ``pin_file`` (--pin-file) or
    XC_PKCS11_PIN. Every mistake is a usage error naming the option; no message holds the PIN."""
    from ..cose.keys import load_private_key
    from ..cose.pkcs11 import TokenError, open_token_key
    from ..cose.pkcs11_uri import is_uri

    if is_uri(path):
        try:
            return open_token_key(path, pin_file=pin_file)
        except (ValueError, TokenError) as err:
            raise UsageError(f"{option}: {err}") from None  # not the URI itself: a pin-value in it would be a PIN
    if pin_file is not None:
        raise UsageError(f"--pin-file is for a key in a token ({option} pkcs11:...), not for the key file {path}")
    pem = read_file(path, MAX_KEY_BYTES, option)
    try:
        return load_private_key(pem)
    except key_errors() as err:
        hint = " (a public key: signing needs the private one)" if b"PUBLIC KEY" in pem else ""
        raise UsageError(f"{option} {path}: {err}{hint}") from None


# The library's parameter names in its messages, and the options that set them here: an operator
# reads the words of the command line (first match wins, so longer phrases come first).
CLI_WORDS: tuple[tuple[str, str], ...] = (
    ("give birth_date= from the issuer's records", "give --birth-date YYYY-MM-DD (in --batch, a line's \"birth_date\") from the issuer's records"),
    ("or policy=None to issue", "or --policy none to issue"),
    ("pass policy=None", "give --policy none"),
    ("require_templates needs decryption_keys", "--require-template needs --decryption-key"),
    ("require_templates", "--require-template"),
    ("decryption_keys", "--decryption-key"),
    ("padded_size without recipients", "--padded-size without --recipient-key"),
    ("recipients without templates", "--recipient-key without --template"),
    ("give either recipients or xc.templates", "give either --recipient-key or xc.templates"),
    ("give either templates or xc.biometrics", "give either --template or xc.biometrics"),
    ("presentation_skew", "--presentation-skew"),
    ("status_max_age", "--status-max-age"),
    ("status_grace", "--status-grace"),
)


def cli_words(message: str) -> str:
    """A library message in the command line's words (``CLI_WORDS``)."""
    for library, ours in CLI_WORDS:
        message = message.replace(library, ours)
    return message


def policy(name: str) -> Any:
    """The eligibility tables of a phase (spec 9.5), or None for --policy none."""
    from ..issuer.eligibility import PHASES

    return None if name == "none" else PHASES[name]
