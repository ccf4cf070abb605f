"""The claims model (spec section 3): one table row per field, read in both directions.

Each field has an integer key (the CBOR form), a JSON name (the decoded view and the JSON Schema),
a codec that checks the value and converts it, and whether it is required. ``from_cbor`` is the
verifier's direction and raises ``ClaimsError``; ``to_cbor`` is the issuer's and raises ``ValueError``.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from ..base.errors import ClaimsError
from ..base.regions import REGION_UTC_OFFSET, REGIONS
from ..base.times import MAX_TIME
from ..text import cbor
from . import device, name_characters
from .enumerations import CHANNELS, DOC_TYPES, MODALITIES, RESIDENCY

XC_CLAIM = -65537  # first private-use CWT claim key (RFC 8392 section 9.1): no registration to wait for
DIGEST_BYTES = 16
EPOCH = _dt.date(1970, 1, 1)
FIRST_DATE = _dt.date(1900, 1, 1)
LAST_DATE = _dt.date(2199, 12, 31)
# XC map keys below this are critical: a verifier that does not know one rejects the credential.
FIRST_EXTENSION_KEY = 24
TEMPLATES_KEY = 24  # encrypted reference templates (spec 8.5): the first key of the extension range, assigned


class _Invalid(Exception):
    def __init__(self, path: str, detail: str) -> None:
        super().__init__(path, detail)
        self.path = path
        self.detail = detail


# Names are judged by the published table of spec/name-characters.txt (Unicode 14.0.0), never by the
# platform's Unicode data, so that every verifier gives one answer for every name (spec 3.2).
_REFUSED, _MARK, _UNASSIGNED = "refused", "mark", "unassigned"


def _name_index() -> tuple[list[int], list[int], list[str]]:
    rows = sorted(
        (low, high, kind)
        for kind, ranges in ((_REFUSED, name_characters.REFUSED), (_MARK, name_characters.MARK), (_UNASSIGNED, name_characters.UNASSIGNED))
        for low, high in ranges
    )
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


_NAME_STARTS, _NAME_ENDS, _NAME_KINDS = _name_index()


def name_class(point: int) -> str | None:
    """The class of a code point in the name table: refused, mark, unassigned, or None (ordinary)."""
    i = bisect.bisect_right(_NAME_STARTS, point) - 1
    return _NAME_KINDS[i] if i >= 0 and point <= _NAME_ENDS[i] else None


def _name_defect(text: str) -> str | None:
    """Rules 2, 4 and 5 of spec 3.2 for a name that is not plain printable ASCII."""
    runs, start, previous = [], 0, " "  # a mark first in the name is a mark after nothing visible
    for i, c in enumerate(text):
        kind = name_class(ord(c))
        if kind is _REFUSED:
            return f"U+{ord(c):04X} is refused in names (control, format, separator, private-use, unassigned, noncharacter or invisible)"
        if kind is _MARK and previous == " ":
            return f"combining mark U+{ord(c):04X} {'begins the name' if i == 0 else 'follows a space'}"
        if kind is _UNASSIGNED:
            # Unassigned in 14.0: a starter that neither decomposes nor composes, so NFC is judged on
            # each run between such code points, where every Unicode version from 14.0 on agrees.
            runs.append(text[start:i])
            start = i + 1
        previous = c
    runs.append(text[start:])
    if not all(unicodedata.is_normalized("NFC", run) for run in runs):
        return "not in Unicode normalization form C"
    return None


class Codec:
    """Checks one value in both directions; ``load`` takes CBOR and gives JSON, ``dump`` the reverse."""

    def load(self, value: Any, path: str) -> Any:
        raise NotImplementedError

    def dump(self, value: Any, path: str) -> Any:
        raise NotImplementedError


def _int(value: Any, path: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Invalid(path, f"expected an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise _Invalid(path, f"{value} is outside {low}..{high}")
    return value


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _Invalid(path, f"expected a text string, got {type(value).__name__}")
    return value


class Time(Codec):
    """Seconds since 1970-01-01T00:00:00Z, an unsigned integer (CWT NumericDate without fractions)."""

    def load(self, value: Any, path: str) -> int:
        return _int(value, path, 0, MAX_TIME)

    dump = load


@dataclass(frozen=True)
class Pattern(Codec):
    regex: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "_match", re.compile(self.regex).fullmatch)

    def load(self, value: Any, path: str) -> str:
        if not self._match(_text(value, path)):  # type: ignore[attr-defined]
            raise _Invalid(path, f"{value!r} does not match {self.regex}")
        return value  # type: ignore[no-any-return]

    dump = load


@dataclass(frozen=True)
class Name(Codec):
    """A name as printed: NFC, no control or format characters, no outer spaces."""

    max_chars: int

    def load(self, value: Any, path: str) -> str:
        text = _text(value, path)
        if not 1 <= len(text) <= self.max_chars:
            raise _Invalid(path, f"length {len(text)} is outside 1..{self.max_chars}")
        if text[0] == " " or text[-1] == " ":
            raise _Invalid(path, "leading or trailing space")
        # Printable ASCII (U+0020..U+007E) holds no refused character, no mark, and is always NFC.
        defect = None if text.isascii() and text.isprintable() else _name_defect(text)
        if defect is not None:
            raise _Invalid(path, defect)
        return text

    dump = load


@dataclass(frozen=True)
class Bytes(Codec):
    """A byte string of a length in [low, high]; hexadecimal (lowercase) in JSON."""

    low: int
    high: int

    def _check(self, raw: bytes, path: str) -> None:
        if not self.low <= len(raw) <= self.high:
            size = str(self.low) if self.low == self.high else f"{self.low}..{self.high}"
            raise _Invalid(path, f"{len(raw)} bytes, expected {size}")

    def load(self, value: Any, path: str) -> str:
        if not isinstance(value, bytes):
            raise _Invalid(path, f"expected a byte string, got {type(value).__name__}")
        self._check(value, path)
        return value.hex()

    def dump(self, value: Any, path: str) -> bytes:
        if not isinstance(value, str) or not re.fullmatch("(?:[0-9a-f]{2})*", value):
            raise _Invalid(path, "expected lowercase hexadecimal text")
        raw = bytes.fromhex(value)
        self._check(raw, path)
        return raw


class Bool(Codec):
    def load(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise _Invalid(path, f"expected true or false, got {type(value).__name__}")
        return value

    dump = load


class Enum(Codec):
    """A small unsigned integer in CBOR, a name in JSON."""

    def __init__(self, names: dict[int, str]) -> None:
        self.names = names
        self.numbers = {v: k for k, v in names.items()}

    def load(self, value: Any, path: str) -> str:
        if not isinstance(value, int) or isinstance(value, bool) or value not in self.names:
            raise _Invalid(path, f"{value!r} is not one of {sorted(self.names)}")
        return self.names[value]

    def dump(self, value: Any, path: str) -> int:
        if not isinstance(value, str) or value not in self.numbers:
            raise _Invalid(path, f"{value!r} is not one of {sorted(self.numbers)}")
        return self.numbers[value]


@functools.lru_cache(maxsize=4096)
def date_text(days: int) -> str:
    return (EPOCH + _dt.timedelta(days=days)).isoformat()


class Date(Codec):
    """A calendar date: days since 1970-01-01 in CBOR (RFC 8943's epoch, untagged), YYYY-MM-DD in JSON."""

    low = (FIRST_DATE - EPOCH).days
    high = (LAST_DATE - EPOCH).days

    def load(self, value: Any, path: str) -> str:
        return date_text(_int(value, path, self.low, self.high))

    def dump(self, value: Any, path: str) -> int:
        if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise _Invalid(path, f"{value!r} is not a YYYY-MM-DD date")
        try:
            day = _dt.date.fromisoformat(value)
        except ValueError:
            raise _Invalid(path, f"{value!r} is not a calendar date") from None
        if not FIRST_DATE <= day <= LAST_DATE:
            raise _Invalid(path, f"{value} is outside {FIRST_DATE}..{LAST_DATE}")
        return (day - EPOCH).days


class BirthDate(Date):
    """A date of birth: a full date as ``Date``, or text YYYY or YYYY-MM when only that much is known."""

    partial = r"([0-9]{4})(?:-(0[1-9]|1[0-2]))?"

    def _partial(self, value: str, path: str) -> str:
        match = re.fullmatch(self.partial, value)
        if not match or not FIRST_DATE.year <= int(match.group(1)) <= LAST_DATE.year:
            raise _Invalid(path, f"{value!r} is not YYYY or YYYY-MM within {FIRST_DATE.year}..{LAST_DATE.year}")
        return value

    def load(self, value: Any, path: str) -> str:
        if isinstance(value, str):
            return self._partial(value, path)
        return super().load(value, path)

    def dump(self, value: Any, path: str) -> Any:
        if isinstance(value, str) and len(value) < 10:
            return self._partial(value, path)
        return super().dump(value, path)


@dataclass(frozen=True)
class List(Codec):
    """A non-empty array of distinct items; ``ordered`` also requires ascending order."""

    item: Codec
    max_items: int
    ordered: bool = False

    def _check(self, value: Any, path: str, step: Any) -> list[Any]:
        if not isinstance(value, list):
            raise _Invalid(path, f"expected an array, got {type(value).__name__}")
        if not 1 <= len(value) <= self.max_items:
            raise _Invalid(path, f"{len(value)} items, expected 1..{self.max_items}")
        out = [step(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if len(set(value)) != len(value):
            raise _Invalid(path, "repeated item")
        if self.ordered and value != sorted(value):
            raise _Invalid(path, "items not in ascending order")
        return out

    def load(self, value: Any, path: str) -> list[Any]:
        return self._check(value, path, self.item.load)

    def dump(self, value: Any, path: str) -> list[Any]:
        return self._check(value, path, self.item.dump)


@dataclass(frozen=True)
class Field:
    key: int
    name: str
    codec: Codec
    required: bool = False


class Map(Codec):
    """A map of known fields; unknown keys are rejected unless ``extensions_from`` admits them."""

    def __init__(self, fields: list[Field], extensions_from: int | None = None, non_empty: bool = False) -> None:
        self.fields = fields
        self.by_key = {f.key: f for f in fields}
        self.by_name = {f.name: f for f in fields}
        self.extensions_from = extensions_from
        self.non_empty = non_empty
        self.required = [f for f in fields if f.required]
        self._paths: dict[str, dict[Any, str]] = {}

    def _child_paths(self, path: str) -> dict[Any, str]:
        """The path of each field below ``path``, made once: paths are only read when a check fails."""
        paths = self._paths.get(path)
        if paths is None:
            paths = self._paths[path] = {f.key: f"{path}.{f.name}" if path else f.name for f in self.fields}
        return paths

    def _is_extension(self, key: Any) -> bool:
        return (
            self.extensions_from is not None
            and isinstance(key, int)
            and not isinstance(key, bool)
            and (key >= self.extensions_from or key < 0)
        )

    def load(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _Invalid(path, f"expected a map, got {type(value).__name__}")
        if self.non_empty and not value:
            raise _Invalid(path, "empty map")
        out: dict[str, Any] = {}
        extensions: dict[str, str] = {}
        paths = self._child_paths(path)
        for key, item in value.items():
            field = self.by_key.get(key)
            if field is not None:
                out[field.name] = field.codec.load(item, paths[key])
            elif self._is_extension(key):
                extensions[str(key)] = cbor.encode(item).hex()
            else:
                raise _Invalid(path or "claims", f"unknown key {key!r}")
        for field in self.required:
            if field.name not in out:
                raise _Invalid(path or "claims", f"missing required field {field.name} (key {field.key})")
        if extensions:
            out["extensions"] = extensions
        return out

    def dump(self, value: Any, path: str) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise _Invalid(path, f"expected an object, got {type(value).__name__}")
        if self.non_empty and not value:
            raise _Invalid(path, "empty object")
        out: dict[Any, Any] = {}
        for name, item in value.items():
            field = self.by_name.get(name)
            if field is not None:
                out[field.key] = field.codec.dump(item, f"{path}.{name}" if path else name)
            elif name == "extensions" and self.extensions_from is not None:
                out.update(self._dump_extensions(item, f"{path}.extensions"))
            else:
                raise _Invalid(path or "claims", f"unknown field {name!r}")
        for field in self.fields:
            if field.required and field.key not in out:
                raise _Invalid(path or "claims", f"missing required field {field.name}")
        return out

    def _dump_extensions(self, value: Any, path: str) -> dict[int, Any]:
        if not isinstance(value, dict) or not value:
            raise _Invalid(path, "expected a non-empty object of key to hexadecimal CBOR")
        out: dict[int, Any] = {}
        for name, encoded in value.items():
            if not isinstance(name, str) or not re.fullmatch(r"-?(?:0|[1-9][0-9]*)", name) or not self._is_extension(int(name)):
                raise _Invalid(path, f"{name!r} is not an extension key (>= {self.extensions_from} or negative)")
            if int(name) in self.by_key:
                raise _Invalid(path, f"key {name} is assigned: give it as {self.by_key[int(name)].name}")
            if not isinstance(encoded, str) or not re.fullmatch("(?:[0-9a-f]{2})+", encoded):
                raise _Invalid(f"{path}.{name}", "expected lowercase hexadecimal CBOR")
            try:
                out[int(name)] = cbor.decode(bytes.fromhex(encoded))
            except cbor.CBORError as err:
                raise _Invalid(f"{path}.{name}", f"not deterministic CBOR ({err.detail})") from None
        return out


@dataclass(frozen=True)
class OneOf(Codec):
    """Text that is one of a fixed table of values, the same in CBOR and JSON."""

    values: frozenset[str]
    what: str

    def load(self, value: Any, path: str) -> str:
        if _text(value, path) not in self.values:
            raise _Invalid(path, f"{value!r} is not {self.what} ({', '.join(sorted(self.values))})")
        return value  # type: ignore[no-any-return]

    dump = load


class EncryptedTemplates(Codec):
    """XC key 24 (spec 8.5): the clear structure is checked here; the JSON view is the hexadecimal of
    its deterministic encoding, since its content is for the recipient authorities only."""

    def load(self, value: Any, path: str) -> str:
        from .templates import ShapeError, parse

        try:
            parse(value, path)
        except ShapeError as err:
            raise _Invalid(err.path, err.detail) from None
        return cbor.encode(value).hex()

    def dump(self, value: Any, path: str) -> Any:
        if not isinstance(value, str) or not re.fullmatch("(?:[0-9a-f]{2})+", value):
            raise _Invalid(path, "expected lowercase hexadecimal CBOR")
        try:
            decoded = cbor.decode(bytes.fromhex(value))
        except cbor.CBORError as err:
            raise _Invalid(path, f"not deterministic CBOR ({err.detail})") from None
        self.load(decoded, path)
        return decoded


REGION = Pattern(r"[A-Z]{2}")

BIOMETRICS = Map([Field(k, name, Bytes(DIGEST_BYTES, DIGEST_BYTES)) for k, name in MODALITIES.items()], non_empty=True)
STATUS = Map([Field(1, "list", Pattern(r"[A-Za-z0-9._~:/-]{1,64}"), True), Field(2, "index", Time(), True)])

XC = Map(
    [
        Field(1, "doc_type", Enum(DOC_TYPES), True),
        Field(2, "doc_number", Pattern(r"[A-Z0-9]{1,16}"), True),
        Field(3, "residency", Enum(RESIDENCY), True),
        Field(4, "symbols", List(Pattern(r"[A-Z0-9*]{1,3}"), 8)),
        Field(5, "destinations", List(OneOf(frozenset(REGIONS), "a region of the spec's table"), 8, ordered=True), True),
        Field(6, "channel", Enum(CHANNELS), True),
        Field(7, "enrolment", Pattern(r"[A-Z0-9-]{1,32}"), True),
        Field(8, "enrolment_expiry", Date(), True),
        Field(9, "stay_limit", Date()),
        Field(10, "biometrics", BIOMETRICS, True),
        Field(11, "status", STATUS),
        Field(12, "family_name", Name(64)),
        Field(13, "given_name", Name(64)),
        Field(14, "name_zh", Name(32)),
        Field(15, "birth_date", BirthDate()),
        Field(TEMPLATES_KEY, "templates", EncryptedTemplates()),
    ],
    extensions_from=FIRST_EXTENSION_KEY,
)

class DeviceKey(Codec):
    """A COSE_Key holding a P-256 point in compressed form (spec 3.1): the map's fields, then the point."""

    fields = Map(
        [
            Field(1, "kty", Enum({device.KTY_EC2: "EC2"}), True),
            Field(-1, "crv", Enum({device.CRV_P256: "P-256"}), True),
            Field(-2, "x", Bytes(device.COORDINATE_BYTES, device.COORDINATE_BYTES), True),
            Field(-3, "y", Bool(), True),
        ]
    )

    def _point(self, view: dict[str, Any], path: str) -> None:
        try:
            device.point(bytes.fromhex(view["x"]), view["y"])
        except ValueError:
            raise _Invalid(f"{path}.x", "not the x-coordinate of a point of P-256") from None

    def load(self, value: Any, path: str) -> dict[str, Any]:
        view = self.fields.load(value, path)
        self._point(view, path)
        return view

    def dump(self, value: Any, path: str) -> dict[Any, Any]:
        out = self.fields.dump(value, path)
        self._point(value, path)
        return out


# The confirmation claim of RFC 8747 with exactly one method, the COSE_Key of the holder's device key.
CNF = Map([Field(device.CNF_COSE_KEY, "cose_key", DeviceKey(), True)])

CLAIMS = Map(
    [
        Field(1, "iss", REGION, True),
        Field(4, "exp", Time(), True),
        Field(5, "nbf", Time()),
        Field(6, "iat", Time(), True),
        Field(7, "cti", Bytes(8, 16), True),
        Field(device.CNF_CLAIM, "cnf", CNF),
        Field(XC_CLAIM, "xc", XC, True),
    ]
)


def _cross_checks(claims: dict[str, Any]) -> None:
    """Rules that relate fields to each other (spec section 3.4)."""
    start = claims.get("nbf", claims["iat"])
    if "nbf" in claims and claims["nbf"] <= claims["iat"]:
        raise _Invalid("nbf", "present but not after iat (omit it when validity starts at iat)")
    if claims["exp"] <= start:
        raise _Invalid("exp", "not after the start of validity")
    xc = claims["xc"]
    if claims["iss"] in xc["destinations"]:
        raise _Invalid("xc.destinations", f"includes the issuer {claims['iss']}")
    if "stay_limit" in xc and xc["residency"] != "non-permanent":
        raise _Invalid("xc.stay_limit", "only non-permanent residents have a limit of stay")
    birth = xc.get("birth_date")
    if birth is not None:
        # Same-length ISO texts compare as dates do: YYYY, YYYY-MM or YYYY-MM-DD against the issue day.
        issued = date_text((claims["iat"] + REGION_UTC_OFFSET) // 86400)
        if birth > issued[: len(birth)]:
            raise _Invalid("xc.birth_date", f"{birth} is after the day of issue {issued} (UTC+08:00)")


def from_cbor(value: Any) -> dict[str, Any]:
    """Check decoded CBOR claims and return their JSON view; ClaimsError names the first bad field."""
    try:
        claims = CLAIMS.load(value, "")
        _cross_checks(claims)
    except _Invalid as err:
        raise ClaimsError(err.path, err.detail) from None
    return claims


def to_cbor(claims: dict[str, Any]) -> dict[Any, Any]:
    """Check JSON-view claims and return the CBOR claims map; ValueError names the first bad field."""
    try:
        value = CLAIMS.dump(claims, "")
        _cross_checks(claims)
    except _Invalid as err:
        raise ValueError(f"{err.path}: {err.detail}") from None
    return value


# The holder fields whose presence makes a credential a full-profile one (spec 3.5).
HOLDER_FIELDS = ("family_name", "given_name", "name_zh", "birth_date")


def profile_of(xc: dict[str, Any]) -> str:
    """The profile of a credential (spec 3.5), from its XC map in the JSON view: ``full`` when any
    holder field is present, else ``minimal``. What decides is what a photograph of it discloses."""
    return "full" if any(name in xc for name in HOLDER_FIELDS) else "minimal"
