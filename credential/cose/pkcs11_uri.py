"""Naming a signing key in a PKCS#11 token: the URI (RFC 7512), and where its PIN and module come from.

No token is touched here and python-pkcs11 is not needed: ``credential.cose.pkcs11`` opens the key a
parsed URI names. The PIN comes from exactly one place: a file (``--pin-file``, or the URI's
``pin-source``), the environment variable ``XC_PKCS11_PIN``, or the caller; a URI's ``pin-value`` is
refused, and no message holds a PIN or echoes text that might be one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

SCHEME = "pkcs11:"
ENV_PIN = "XC_PKCS11_PIN"
ENV_MODULE = "XC_PKCS11_MODULE"
DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"  # Debian's softhsm2
MAX_PIN_BYTES = 256  # a PIN file holds one line; a larger file is not a PIN file

# RFC 7512 section 2.3: the path attributes, and the query attributes this package reads. A URI with
# any other attribute (a vendor's x-..., or a misspelling) is refused: it may narrow the key in a way
# the package would silently ignore.
PATH_ATTRIBUTES = frozenset({
    "token", "manufacturer", "serial", "model",
    "library-manufacturer", "library-description", "library-version",
    "object", "type", "id",
    "slot-manufacturer", "slot-description", "slot-id",
})
QUERY_ATTRIBUTES = frozenset({"pin-source", "module-path"})
REFUSED_QUERY = {
    "pin-value": "a PIN is never written in a URI: use a PIN file (pin-source, --pin-file) or " + ENV_PIN,
    "module-name": "give the module's file with module-path (or " + ENV_MODULE + ")",
}
# RFC 7512 pk11-v-pchar (path) and pk11-qchar (query), percent-encodings decoded afterwards.
_PATH_VALUE = re.compile(r"(?:[A-Za-z0-9\-._~:\[\]@!$'()*+,=&]|%[0-9A-Fa-f]{2})*")
_QUERY_VALUE = re.compile(r"(?:[A-Za-z0-9\-._~:\[\]@!$'()*+,=/?|]|%[0-9A-Fa-f]{2})*")


class TokenError(Exception):
    """A token, its key or its PIN cannot be used: the message says which and why, never the PIN."""


# --- the URI -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenUri:
    """A parsed PKCS#11 URI: the path attributes that select token and key, and where the module and
    the PIN are. ``id`` is bytes; every other value is text."""

    text: str
    path: Mapping[str, str | bytes]
    module_path: str | None = None
    pin_source: str | None = None

    def get(self, name: str) -> str | None:
        value = self.path.get(name)
        return value if isinstance(value, str) else None

    @property
    def id(self) -> bytes | None:
        value = self.path.get("id")
        return value if isinstance(value, bytes) else None

    def describe(self) -> str:
        """The key's name for messages: the token and object attributes only."""
        parts = [f"{n}={self.path[n]!s}" for n in ("token", "serial", "slot-id", "object") if n in self.path]
        if self.id is not None:
            parts.append(f"id={self.id.hex()}")
        return "pkcs11:" + ";".join(parts)


def is_uri(value: str) -> bool:
    """Whether an argument names a token key rather than a file."""
    return value[: len(SCHEME)].lower() == SCHEME


def _attributes(part: str, separator: str, known: frozenset[str], pattern: re.Pattern[str], where: str) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    if not part:
        return out
    for item in part.split(separator):
        name, sep, value = item.partition("=")
        if not sep:
            # Not echoed: text without a name may be a PIN written where it does not belong.
            raise ValueError(f"PKCS#11 URI: a {where} attribute without a value (attributes are name=value)")
        if name in REFUSED_QUERY and where == "query":
            raise ValueError(f"PKCS#11 URI attribute {name} is not accepted: {REFUSED_QUERY[name]}")
        if name not in known:
            raise ValueError(f"PKCS#11 URI {where} attribute {name!r} is not one of {', '.join(sorted(known))}")
        if name in out:
            raise ValueError(f"PKCS#11 URI has {name} twice (RFC 7512 allows each attribute once)")
        if not pattern.fullmatch(value):
            raise ValueError(f"PKCS#11 URI attribute {name}: a character that must be percent-encoded")
        out[name] = unquote_to_bytes(value)
    return out


def _text(name: str, value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"PKCS#11 URI attribute {name} is not UTF-8 text") from None


def parse_uri(text: str) -> TokenUri:
    """Parse a PKCS#11 URI (RFC 7512) naming a signing key; ValueError says what is wrong with it."""
    if not isinstance(text, str):
        raise TypeError(f"a PKCS#11 URI is text, not {type(text).__name__}")
    if not is_uri(text):
        raise ValueError("a PKCS#11 URI begins with pkcs11:")
    if "#" in text:
        raise ValueError("a PKCS#11 URI has no fragment (#)")
    path_part, _, query_part = text[len(SCHEME):].partition("?")
    raw = _attributes(path_part, ";", PATH_ATTRIBUTES, _PATH_VALUE, "path")
    query = _attributes(query_part, "&", QUERY_ATTRIBUTES, _QUERY_VALUE, "query")
    path: dict[str, str | bytes] = {n: v if n == "id" else _text(n, v) for n, v in raw.items()}
    if "type" in path and path["type"] != "private":
        raise ValueError(f"PKCS#11 URI type={path['type']!s}: a signing key is type=private")
    if "slot-id" in path and not re.fullmatch(r"[0-9]+", str(path["slot-id"])):
        raise ValueError("PKCS#11 URI slot-id is a decimal number")
    if "object" not in path and "id" not in path:
        raise ValueError("PKCS#11 URI names no key: give object=LABEL (or id=)")
    if path.get("id") == b"":
        raise ValueError("PKCS#11 URI id is empty")
    module = _text("module-path", query["module-path"]) if "module-path" in query else None
    pin_source = _text("pin-source", query["pin-source"]) if "pin-source" in query else None
    if pin_source is not None and not pin_source.startswith("file:"):
        raise ValueError("PKCS#11 URI pin-source: only a file: URI is read (no PIN prompt, no program)")
    return TokenUri(text, path, module, pin_source)


# --- the PIN and the module ----------------------------------------------------------------------


def _pin_file_path(pin_source: str) -> str:
    # file:/path, file:///path and file://localhost/path all name a local file (RFC 8089).
    rest = pin_source[len("file:"):]
    if rest.startswith("//"):
        host, slash, path = rest[2:].partition("/")
        if host not in ("", "localhost") or not slash:
            raise ValueError("PKCS#11 URI pin-source names a file on another host")
        rest = "/" + path
    return unquote_to_bytes(rest).decode("utf-8", "strict")


def read_pin_file(path: str) -> str:
    """The PIN in a file: its first line, without the line ending. The message never holds the PIN."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PIN_BYTES + 1)
    except OSError as err:
        raise TokenError(f"PIN file {path}: {err.strerror or type(err).__name__}") from None
    if len(data) > MAX_PIN_BYTES:
        raise TokenError(f"PIN file {path}: larger than {MAX_PIN_BYTES} bytes, not a PIN")
    line = data.split(b"\n", 1)[0].rstrip(b"\r")
    if not line:
        raise TokenError(f"PIN file {path} is empty")
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        raise TokenError(f"PIN file {path} is not UTF-8 text") from None


def resolve_pin(uri: TokenUri, *, pin: str | None = None, pin_file: str | None = None,
                environ: Mapping[str, str] | None = None) -> str | None:
    """The PIN from exactly one place: ``pin``, ``pin_file``, the URI's pin-source, or XC_PKCS11_PIN.
    Two places at once is a mistake (which one was meant?); none is None (a token without login)."""
    env = os.environ if environ is None else environ
    sources = {
        "a PIN given to the call": pin,
        "--pin-file": pin_file,
        "the URI's pin-source": uri.pin_source,
        ENV_PIN: env.get(ENV_PIN),
    }
    given = [name for name, value in sources.items() if value is not None]
    if len(given) > 1:
        raise TokenError(f"the PIN is given twice ({' and '.join(given)}): give it one way")
    if pin is not None:
        return pin
    if pin_file is not None:
        return read_pin_file(pin_file)
    if uri.pin_source is not None:
        try:
            return read_pin_file(_pin_file_path(uri.pin_source))
        except (ValueError, UnicodeDecodeError) as err:
            raise TokenError(str(err)) from None
    value = env.get(ENV_PIN)
    if value == "":
        raise TokenError(f"{ENV_PIN} is set but empty")
    return value


def resolve_module(uri: TokenUri, module: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The PKCS#11 module (shared library) to load: the URI's module-path, ``module``, XC_PKCS11_MODULE,
    or Debian's SoftHSM2; a URI and an argument that disagree are refused."""
    env = os.environ if environ is None else environ
    if uri.module_path is not None and module is not None and uri.module_path != module:
        raise TokenError(f"the URI's module-path {uri.module_path} and the module {module} differ: give one")
    return uri.module_path or module or env.get(ENV_MODULE) or DEFAULT_MODULE
