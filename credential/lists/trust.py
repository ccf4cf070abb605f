"""Signed trust lists and the gate's trust store (spec section 16).

An authority lists its issuer keys in a trust list, a deterministic-CBOR document signed as a
COSE_Sign1 of the credential's profile (section 4) with the authority's list-signing key. A gate pins
each authority's list-signing keys out of band, loads the lists into a ``TrustStore``, and gives the
store to its ``Verifier``. Loading refuses a list that is malformed, badly signed, for an authority
its signer does not speak for, not newer than one accepted before (rollback), issued in the future
or expired: each a ``TrustListError`` with a ``ListError`` code. These are trust-data errors, raised
before any credential is read; they are never credential error codes.

The store keeps the held lists in SQLite (the standard library's ``sqlite3``), one transaction per
load, so that the highest sequence number seen per authority and list-signing key survives a restart
(16.6). Every process sharing the file uses the newest list held in it: a lookup first asks SQLite
whether another connection has written the file since (``PRAGMA data_version``, one cheap query) and
reads it again if so, so that a withdrawal loaded by ``credential trust load`` reaches a running gate
at once.
"""

from __future__ import annotations

import enum
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from ..base.errors import VerificationError
from ..base.sqlite import open_shared, rollback
from ..base.times import MAX_TIME, epoch_seconds, parse_iso_time
from ..cose import sign1 as cose
from ..cose.keys import (
    BY_COSE_ID,
    PROFILES,
    STATES,
    PublicKey,
    SigningKey,
    TrustedKey,
    algorithm_for,
    check_lifecycle,
    check_profiles,
    kid_of,
    load_public_key,
    public_key_to_pem,
    refuse_weak_point,
    region_codes,
    signer_for,
)
from ..text import cbor

# Limits of a signed trust list (spec 16.4). A list is trust data fetched by a gate, not a QR code,
# so it may be larger than a credential; the depth and container limits of section 10 still hold.
MAX_LIST_BYTES = 65536
MAX_LIST_ITEMS = 4096
MAX_LIST_KEYS = 64
MAX_GRACE = 7 * 86400  # a week: past that a gate is running on trust it cannot call current
# The longest a list may be current (next_update - issued, spec 16.2): a list signed with a list-signing
# key that was later lost, or by mistake, stops vouching within this time even if no newer list reaches
# the gate. A quarter leaves room for offline signing ceremonies.
MAX_LIST_LIFETIME = 90 * 86400
# How far a list's issued may be ahead of the gate's clock when it loads it (spec 16.5 check 5a): the
# authority's and the gate's clocks differ by seconds, not by more than the credential skew of 9.3.
LIST_CLOCK_SKEW = 300
log = logging.getLogger("credential.trust")

# CBOR keys of the list document and of a key entry (spec 16.2), and COSE_Key labels (RFC 9052 7.1,
# RFC 9053 7.1 and 7.2).
L_AUTHORITY, L_SEQUENCE, L_ISSUED, L_NEXT_UPDATE, L_KEYS = 1, 2, 3, 4, 5
K_KEY, K_AUTHORITY, K_DESTINATIONS, K_PROFILES, K_NOT_BEFORE, K_NOT_AFTER, K_STATE, K_COMPROMISED = range(1, 9)
COSE_KTY, COSE_KID, COSE_ALG, COSE_CRV, COSE_X, COSE_Y = 1, 2, 3, -1, -2, -3
KTY_OKP, KTY_EC2 = 1, 2
CRV_P256, CRV_ED25519 = 1, 6
# Per algorithm: (kty, crv, labels of the COSE_Key), the table of spec 16.3.
COSE_KEY_SHAPE = {
    "Ed25519": (KTY_OKP, CRV_ED25519, (COSE_KTY, COSE_KID, COSE_ALG, COSE_CRV, COSE_X)),
    "ES256": (KTY_EC2, CRV_P256, (COSE_KTY, COSE_KID, COSE_ALG, COSE_CRV, COSE_X, COSE_Y)),
}
PROFILE_VALUES = {name: value for value, name in enumerate(PROFILES, start=1)}
STATE_VALUES = {name: value for value, name in enumerate(STATES, start=1)}


# Every use of a list past its next update, within the gate's grace (spec 16.5, 16.8).
trust_log = logging.getLogger("credential.trust")


class ListError(str, enum.Enum):
    """Why a gate refuses a trust list (spec 16.5), in the order the checks run."""

    LIST_MALFORMED = "LIST_MALFORMED"
    LIST_SIGNER = "LIST_SIGNER"
    LIST_SIGNATURE = "LIST_SIGNATURE"
    LIST_AUTHORITY = "LIST_AUTHORITY"
    LIST_ROLLBACK = "LIST_ROLLBACK"
    LIST_NOT_YET_VALID = "LIST_NOT_YET_VALID"
    LIST_EXPIRED = "LIST_EXPIRED"

    def __str__(self) -> str:
        return self.value


class TrustListError(ValueError):
    """A trust list the gate refuses; ``code`` says which rule of spec 16.5 it breaks."""

    def __init__(self, code: ListError, detail: str) -> None:
        super().__init__(f"{code.value}: {detail}")
        self.code = code
        self.detail = detail


def _malformed(detail: str) -> TrustListError:
    return TrustListError(ListError.LIST_MALFORMED, detail)


@dataclass(frozen=True)
class ListedKey:
    """One issuer key of a trust list: the key and what it may sign (spec 16.2)."""

    key: PublicKey
    authority: str
    destinations: tuple[str, ...]
    profiles: tuple[str, ...]
    not_before: int
    not_after: int
    state: str = "active"
    compromised: int | None = None

    def __post_init__(self) -> None:
        key = self.key.public_key() if hasattr(self.key, "public_key") else self.key
        algorithm_for(key)
        refuse_weak_point(key)  # the rule of 4.2 for every trusted key
        object.__setattr__(self, "key", key)
        # The authority by pattern: one other than the list's is LIST_AUTHORITY, not a malformed entry.
        region_codes([self.authority], "authority", known=False)
        if isinstance(self.destinations, str):
            raise TypeError("destinations is a collection of region codes, not one string")
        destinations = region_codes(self.destinations, "destinations")  # the region table, as in the claims (3.2)
        profiles = check_profiles(self.profiles)
        if len(destinations) > 8:
            raise ValueError(f"a key may sign for at most 8 destinations, not {len(destinations)}")
        check_lifecycle(self.not_before, self.not_after, self.state, self.compromised)
        if self.not_before is None or self.not_after is None:
            raise ValueError("a listed key has a signing period")
        # One encoding per list: destinations and profiles in ascending order of their encodings.
        object.__setattr__(self, "destinations", tuple(sorted(destinations, key=cbor.encode)))
        object.__setattr__(self, "profiles", tuple(sorted(profiles, key=PROFILE_VALUES.__getitem__)))

    @property
    def kid(self) -> bytes:
        return kid_of(self.key)

    def trusted(self, trusted_until: int | None, list_due: int | None = None, listed_by: str | None = None) -> TrustedKey:
        return TrustedKey(
            self.key,
            frozenset({self.authority}),
            destinations=frozenset(self.destinations),
            profiles=frozenset(self.profiles),
            not_before=self.not_before,
            not_after=self.not_after,
            state=self.state,
            compromised=self.compromised,
            trusted_until=trusted_until,
            list_due=list_due,
            listed_by=listed_by,
        )


@dataclass(frozen=True)
class TrustList:
    """The document an authority signs (spec 16.2)."""

    authority: str
    sequence: int
    issued: int
    next_update: int
    keys: tuple[ListedKey, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", tuple(self.keys))
        region_codes([self.authority], "authority", known=False)
        for name in ("sequence", "issued", "next_update"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TIME:
                raise ValueError(f"{name} is an integer in 0..{MAX_TIME}, not {value!r}")
        if self.next_update <= self.issued:
            raise ValueError(f"next_update {self.next_update} is not after issued {self.issued}")
        if self.next_update - self.issued > MAX_LIST_LIFETIME:
            raise ValueError(f"next_update is {self.next_update - self.issued} s after issued, more than {MAX_LIST_LIFETIME}")
        if not 1 <= len(self.keys) <= MAX_LIST_KEYS:
            raise ValueError(f"a trust list holds 1 to {MAX_LIST_KEYS} keys, not {len(self.keys)}")
        kids = [k.kid for k in self.keys]
        if len(set(kids)) != len(kids):
            raise ValueError("a trust list holds each key once")
        for listed in self.keys:
            if not isinstance(listed, ListedKey):
                raise TypeError(f"a trust list holds ListedKey objects, not {type(listed).__name__}")
            if listed.authority != self.authority:
                raise ValueError(f"key {listed.kid.hex()} signs for {listed.authority}, not the list's authority {self.authority}")

    def to_cbor(self) -> dict[int, Any]:
        return {
            L_AUTHORITY: self.authority,
            L_SEQUENCE: self.sequence,
            L_ISSUED: self.issued,
            L_NEXT_UPDATE: self.next_update,
            L_KEYS: [_entry_to_cbor(k) for k in self.keys],
        }

    def encode(self) -> bytes:
        """The payload: the deterministic encoding of the document (spec 5.2)."""
        return cbor.encode(self.to_cbor())

    def to_json(self) -> dict[str, Any]:
        """The JSON view (spec 16.7, spec/trust-list.schema.json)."""
        return {
            "authority": self.authority,
            "sequence": self.sequence,
            "issued": self.issued,
            "next_update": self.next_update,
            "keys": [_entry_to_json(k) for k in self.keys],
        }


_JSON_KEY_FIELDS = {"kid", "alg", "public_key", "authority", "destinations", "profiles", "not_before", "not_after", "state", "compromised"}
_JSON_LIST_FIELDS = {"authority", "sequence", "issued", "next_update", "keys"}


def from_json(view: Mapping[str, Any]) -> TrustList:
    """A trust list from its JSON view (spec 16.7); ValueError or TypeError names the first mistake."""
    if not isinstance(view, Mapping):
        raise TypeError("a trust list is a JSON object (spec 16.7)")
    unknown = sorted(set(view) - _JSON_LIST_FIELDS)
    missing = sorted(_JSON_LIST_FIELDS - set(view))
    if unknown or missing:
        raise ValueError(f"trust list: missing {missing}, unknown {unknown}")
    entries = view["keys"]
    if not isinstance(entries, list):
        raise TypeError("keys is an array of key objects")
    listed = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise TypeError(f"keys[{i}] is an object")
        unknown = sorted(set(entry) - _JSON_KEY_FIELDS)
        if unknown:
            raise ValueError(f"keys[{i}]: unknown {unknown}")
        try:
            key = load_public_key(entry["public_key"])
            item = ListedKey(
                key,
                entry["authority"],
                entry["destinations"],
                entry["profiles"],
                _json_time(entry["not_before"], f"keys[{i}].not_before"),
                _json_time(entry["not_after"], f"keys[{i}].not_after"),
                entry["state"],
                _json_time(entry.get("compromised"), f"keys[{i}].compromised"),
            )
        except KeyError as err:
            raise ValueError(f"keys[{i}]: missing {err}") from None
        except (ValueError, TypeError) as err:
            raise type(err)(f"keys[{i}]: {err}") from None
        if "kid" in entry and entry["kid"] != item.kid.hex():
            raise ValueError(f"keys[{i}]: kid {entry['kid']} is not the key's kid {item.kid.hex()} (spec 4.3)")
        if "alg" in entry and entry["alg"] != algorithm_for(key).name:
            raise ValueError(f"keys[{i}]: alg {entry['alg']} is not the key's algorithm {algorithm_for(key).name}")
        listed.append(item)
    return TrustList(
        view["authority"], view["sequence"], _json_time(view["issued"], "issued"), _json_time(view["next_update"], "next_update"), tuple(listed)
    )


def _json_time(value: Any, where: str) -> Any:
    """A time of the JSON view given as ISO 8601 text with its offset becomes epoch seconds (spec 16.7,
    the input forms of 9.1); other values pass, to be checked as the view's integers."""
    return parse_iso_time(value, where) if isinstance(value, str) else value


# --- COSE_Key and key entries ------------------------------------------------------------------


def cose_key(key: PublicKey) -> dict[int, Any]:
    """The COSE_Key of a public key (RFC 9052 section 7, RFC 9053 section 7): kty, kid, alg, crv, x (, y)."""
    alg = algorithm_for(key)
    kty, crv, _ = COSE_KEY_SHAPE[alg.name]
    out: dict[int, Any] = {COSE_KTY: kty, COSE_KID: kid_of(key), COSE_ALG: alg.cose_id, COSE_CRV: crv}
    if isinstance(key, ed25519.Ed25519PublicKey):
        out[COSE_X] = key.public_bytes_raw()
    else:
        numbers = key.public_numbers()
        out[COSE_X] = numbers.x.to_bytes(32, "big")
        out[COSE_Y] = numbers.y.to_bytes(32, "big")
    return out


def key_from_cose(value: Any, where: str) -> PublicKey:
    """The public key a COSE_Key names; LIST_MALFORMED unless it has exactly the shape of spec 16.3,
    a valid point and the kid derived from it (4.3)."""
    if not isinstance(value, dict):
        raise _malformed(f"{where}: the key is not a COSE_Key map")
    alg_id = value.get(COSE_ALG)
    alg = BY_COSE_ID.get(alg_id) if type(alg_id) is int else None
    if alg is None:
        raise _malformed(f"{where}: COSE_Key alg {alg_id!r} is not -8 (EdDSA) or -7 (ES256)")
    kty, crv, labels = COSE_KEY_SHAPE[alg.name]
    if sorted(value, key=str) != sorted(labels, key=str):
        raise _malformed(f"{where}: a {alg.name} COSE_Key has labels {sorted(labels)}, not {sorted(value, key=str)}")
    if value[COSE_KTY] != kty or type(value[COSE_KTY]) is not int or value[COSE_CRV] != crv or type(value[COSE_CRV]) is not int:
        raise _malformed(f"{where}: a {alg.name} COSE_Key has kty {kty} and crv {crv}")
    coordinates = [value[label] for label in labels if label in (COSE_X, COSE_Y)]
    if not all(isinstance(c, bytes) and len(c) == 32 for c in coordinates):
        raise _malformed(f"{where}: coordinates are byte strings of 32 bytes")
    try:
        if alg.name == "Ed25519":
            key: PublicKey = ed25519.Ed25519PublicKey.from_public_bytes(coordinates[0])
        else:
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + b"".join(coordinates))
    except ValueError as err:
        raise _malformed(f"{where}: not a valid {alg.name} public key ({err})") from None
    kid = value[COSE_KID]
    if kid != kid_of(key):
        shown = kid.hex() if isinstance(kid, bytes) else repr(kid)
        raise _malformed(f"{where}: kid {shown} is not the kid derived from the key, {kid_of(key).hex()} (4.3)")
    return key


def _entry_to_cbor(k: ListedKey) -> dict[int, Any]:
    out: dict[int, Any] = {
        K_KEY: cose_key(k.key),
        K_AUTHORITY: k.authority,
        K_DESTINATIONS: list(k.destinations),
        K_PROFILES: [PROFILE_VALUES[p] for p in k.profiles],
        K_NOT_BEFORE: k.not_before,
        K_NOT_AFTER: k.not_after,
        K_STATE: STATE_VALUES[k.state],
    }
    if k.compromised is not None:
        out[K_COMPROMISED] = k.compromised
    return out


def _entry_to_json(k: ListedKey) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kid": k.kid.hex(),
        "alg": algorithm_for(k.key).name,
        "public_key": public_key_to_pem(k.key).decode("ascii"),
        "authority": k.authority,
        "destinations": list(k.destinations),
        "profiles": list(k.profiles),
        "not_before": k.not_before,
        "not_after": k.not_after,
        "state": k.state,
    }
    if k.compromised is not None:
        out["compromised"] = k.compromised
    return out


def _time(value: Any, where: str) -> int:
    if type(value) is not int or not 0 <= value <= MAX_TIME:
        raise _malformed(f"{where}: expected a time, an integer in 0..{MAX_TIME}")
    return value


def _region(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) != 2 or not ("A" <= value[0] <= "Z" and "A" <= value[1] <= "Z"):
        raise _malformed(f"{where}: expected a region code [A-Z]{{2}}")
    return value


def _ascending(values: Any, where: str, n: int) -> list[Any]:
    if not isinstance(values, list) or not 1 <= len(values) <= n:
        raise _malformed(f"{where}: expected an array of 1 to {n} items")
    encoded = [cbor.encode(v) for v in values]
    if any(a >= b for a, b in zip(encoded, encoded[1:])):
        raise _malformed(f"{where}: items are distinct and in ascending order of their encodings")
    return values


def _exact_keys(value: Any, required: set[int], optional: set[int], where: str) -> dict[int, Any]:
    if not isinstance(value, dict):
        raise _malformed(f"{where}: expected a map")
    missing = sorted(required - value.keys())
    extra = sorted(str(k) for k in value.keys() - required - optional)
    if missing or extra:
        raise _malformed(f"{where}: missing keys {missing}, unknown keys {extra}")
    return value


def _entry_from_cbor(value: Any, where: str) -> tuple[ListedKey, str]:
    """A key entry, and the authority it names (checked against the list by the caller: LIST_AUTHORITY)."""
    entry = _exact_keys(value, set(range(K_KEY, K_STATE + 1)), {K_COMPROMISED}, where)
    key = key_from_cose(entry[K_KEY], where)
    authority = _region(entry[K_AUTHORITY], f"{where}.authority")
    destinations = [_region(d, f"{where}.destinations") for d in _ascending(entry[K_DESTINATIONS], f"{where}.destinations", 8)]
    names = {v: n for n, v in PROFILE_VALUES.items()}
    profile_values = _ascending(entry[K_PROFILES], f"{where}.profiles", len(PROFILES))
    if not all(type(v) is int and v in names for v in profile_values):
        raise _malformed(f"{where}.profiles: values are {sorted(names)}")
    states = {v: n for n, v in STATE_VALUES.items()}
    state = entry[K_STATE]
    if type(state) is not int or state not in states:
        raise _malformed(f"{where}.state: values are {sorted(states)}")
    not_before = _time(entry[K_NOT_BEFORE], f"{where}.not_before")
    not_after = _time(entry[K_NOT_AFTER], f"{where}.not_after")
    if not_before > not_after:
        raise _malformed(f"{where}: not_before {not_before} is after not_after {not_after}")
    compromised = entry.get(K_COMPROMISED)
    if (states[state] == "withdrawn") != (compromised is not None):
        raise _malformed(f"{where}: a withdrawn key has a compromise time, and only a withdrawn key has one")
    if compromised is not None:
        _time(compromised, f"{where}.compromised")
    try:
        listed = ListedKey(key, authority, tuple(destinations), tuple(names[v] for v in profile_values), not_before,
                           not_after, states[state], compromised)
    except (ValueError, TypeError) as err:  # a rule a trusted key holds to, such as a weak Ed25519 point (4.2)
        raise _malformed(f"{where}: {err}") from None
    return listed, authority


def from_cbor(value: Any) -> TrustList:
    """The trust list a decoded payload holds; LIST_MALFORMED or LIST_AUTHORITY otherwise."""
    doc = _exact_keys(value, {L_AUTHORITY, L_SEQUENCE, L_ISSUED, L_NEXT_UPDATE, L_KEYS}, set(), "list")
    authority = _region(doc[L_AUTHORITY], "authority")
    sequence = _time(doc[L_SEQUENCE], "sequence")
    issued = _time(doc[L_ISSUED], "issued")
    next_update = _time(doc[L_NEXT_UPDATE], "next_update")
    if next_update <= issued:
        raise _malformed(f"next_update {next_update} is not after issued {issued}")
    if next_update - issued > MAX_LIST_LIFETIME:
        raise _malformed(f"next_update is {next_update - issued} s after issued, more than {MAX_LIST_LIFETIME} (16.2)")
    entries = doc[L_KEYS]
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_LIST_KEYS:
        raise _malformed(f"keys: expected an array of 1 to {MAX_LIST_KEYS} key entries")
    parsed = [_entry_from_cbor(entry, f"keys[{i}]") for i, entry in enumerate(entries)]
    kids = [listed.kid for listed, _ in parsed]
    if len(set(kids)) != len(kids):
        raise _malformed("a key is listed twice")
    # Only a well-formed list is judged on what it vouches for.
    for i, (_, named) in enumerate(parsed):
        if named != authority:
            raise TrustListError(ListError.LIST_AUTHORITY, f"keys[{i}] is listed for {named} in a list of {authority}")
    try:
        return TrustList(authority, sequence, issued, next_update, tuple(listed for listed, _ in parsed))
    except (ValueError, TypeError) as err:  # every rule is checked above; this is the last line of defence
        raise _malformed(str(err)) from None


# --- signing and reading -----------------------------------------------------------------------


def sign(document: TrustList, key: SigningKey) -> bytes:
    """The signed trust list: COSE_Sign1 of section 4 over the document, with the list-signing key
    (a private key, or a key in a token)."""
    if not isinstance(document, TrustList):
        raise TypeError(f"sign takes a TrustList, not {type(document).__name__}")
    signer = signer_for(key)
    if any(listed.kid == signer.kid for listed in document.keys):
        raise ValueError("a list-signing key does not sign credentials: it may not list itself (spec 16.1)")
    return sign_payload(document.encode(), signer)


def sign_payload(payload: bytes, key: SigningKey) -> bytes:
    """COSE_Sign1 of section 4 over any payload bytes (the document's encoding, or test data)."""
    signer = signer_for(key)
    protected = cose.protected_header(signer.algorithm.cose_id, signer.kid)
    signed = cose.build(protected, payload, signer.sign(cose.to_be_signed(protected, payload)))
    if len(signed) > MAX_LIST_BYTES:
        raise ValueError(f"signed trust list of {len(signed)} bytes exceeds {MAX_LIST_BYTES}")
    return signed


@dataclass(frozen=True)
class Parsed:
    """A signed list read without checking its signature (for inspection): the kid and alg of its
    signer, the payload, and the document or the reason it is not one."""

    kid: bytes
    alg: object
    payload: bytes
    document: TrustList | None
    error: TrustListError | None


def _sign1(signed: bytes) -> cose.Sign1:
    if not isinstance(signed, (bytes, bytearray)):
        raise TypeError(f"a signed trust list is bytes, not {type(signed).__name__}")
    if len(signed) > MAX_LIST_BYTES:
        raise _malformed(f"{len(signed)} bytes, more than {MAX_LIST_BYTES}")
    try:
        return cose.parse(bytes(signed))
    except VerificationError as err:
        raise _malformed(f"not a COSE_Sign1 of spec 4.1: {err}") from None


def read_document(payload: bytes) -> TrustList:
    """The list document a signed payload holds (spec 16.2, 16.4); TrustListError says what is wrong with it."""
    try:
        value = cbor.decode(payload, max_items=MAX_LIST_ITEMS)
    except VerificationError as err:
        raise _malformed(f"payload: {err}") from None
    return from_cbor(value)


def parse(signed: bytes) -> Parsed:
    """Read a signed list without trusting it; LIST_MALFORMED only when there is no COSE_Sign1 at all."""
    sign1 = _sign1(signed)
    try:
        return Parsed(sign1.kid, sign1.alg, sign1.payload, read_document(sign1.payload), None)
    except TrustListError as err:
        return Parsed(sign1.kid, sign1.alg, sign1.payload, None, err)


# --- the gate's side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ListKey:
    """A pinned list-signing key and the authority it speaks for."""

    authority: str
    key: PublicKey
    kid: bytes


def pins_of(pins: Mapping[str, Iterable[PublicKey | bytes | str]]) -> dict[bytes, ListKey]:
    """Check the pinned list-signing keys (configuration, ValueError or TypeError): authority codes
    of spec 3.3, each with at least one Ed25519 or P-256 public key that a key set would accept (4.2:
    no Ed25519 point of small order or in a non-canonical encoding), no key pinned twice."""
    if not isinstance(pins, Mapping):
        raise TypeError("pins map each authority code to its list-signing public keys, e.g. {'HK': [key]}")
    if not pins:
        raise ValueError("no list-signing key is pinned: every list would be refused")
    out: dict[bytes, ListKey] = {}
    for authority, keys in pins.items():
        region_codes([authority], "pins")
        if isinstance(keys, (bytes, str)) or not isinstance(keys, Iterable):
            raise TypeError(f"pins[{authority}] is a collection of public keys")
        count = 0
        for key in keys:
            if isinstance(key, (bytes, str)):
                key = load_public_key(key)
            if hasattr(key, "private_bytes"):
                raise TypeError("a gate pins public keys, not private ones")
            algorithm_for(key)
            # With the identity point as a pin, any signature verifies: a pin is refused as a key set's key is.
            refuse_weak_point(key)
            kid = kid_of(key)
            if kid in out:
                raise ValueError(f"list-signing key {kid.hex()} is pinned twice")
            out[kid] = ListKey(authority, key, kid)
            count += 1
        if not count:
            raise ValueError(f"pins[{authority}] is empty")
    return out


def verify_list(signed: bytes, pins: Mapping[bytes, ListKey]) -> TrustList:
    """Checks 1 to 4 of spec 16.5: the list is well-formed, signed by a pinned list-signing key, and
    speaks only for that key's authority. Rollback and expiry need the store and the time."""
    sign1 = _sign1(signed)
    alg = BY_COSE_ID.get(sign1.alg) if type(sign1.alg) is int else None
    if alg is None:
        raise _malformed(f"alg {sign1.alg!r} is not -8 (EdDSA) or -7 (ES256)")
    pinned = pins.get(sign1.kid)
    if pinned is None:
        raise TrustListError(ListError.LIST_SIGNER, f"kid {sign1.kid.hex()} is not a pinned list-signing key")
    if algorithm_for(pinned.key) is not alg or len(sign1.signature) != alg.signature_bytes:
        raise TrustListError(ListError.LIST_SIGNATURE, f"alg {alg.name} or signature length does not fit key {sign1.kid.hex()}")
    try:
        alg.verify(pinned.key, sign1.signature, cose.to_be_signed(sign1.protected, sign1.payload))
    except InvalidSignature:
        raise TrustListError(ListError.LIST_SIGNATURE, f"signature does not verify with list-signing key {sign1.kid.hex()}") from None
    document = read_document(sign1.payload)
    if document.authority != pinned.authority:
        raise TrustListError(
            ListError.LIST_AUTHORITY, f"a list of {document.authority} signed by {pinned.authority}'s list-signing key {sign1.kid.hex()}"
        )
    for listed in document.keys:
        if listed.kid in pins:
            raise TrustListError(ListError.LIST_AUTHORITY, f"list-signing key {listed.kid.hex()} is listed as an issuer key")
    return document


def _seconds(now: object) -> int:
    return epoch_seconds(now)  # type: ignore[arg-type]


def _grace(grace: object) -> int:
    if isinstance(grace, bool) or not isinstance(grace, int):
        raise TypeError("grace is a whole number of seconds")
    if not 0 <= grace <= MAX_GRACE:
        raise ValueError(f"grace {grace} is outside 0..{MAX_GRACE} seconds")
    return grace


# The held lists, one per authority, and the rollback baseline: the highest sequence and issued time
# accepted per authority and list-signing key (spec 16.6). The baseline is kept per signer so that
# unpinning a list-signing key (lost, or used by mistake) also forgets the sequence it set.
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS trust_lists (
    authority TEXT PRIMARY KEY,
    sequence INTEGER NOT NULL,
    signed BLOB NOT NULL,
    loaded_at INTEGER NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS trust_sequences (
    authority TEXT NOT NULL,
    signer BLOB NOT NULL,
    sequence INTEGER NOT NULL,
    issued INTEGER NOT NULL,
    PRIMARY KEY (authority, signer)
)""",
)
_RAISE_BASELINE = """INSERT INTO trust_sequences (authority, signer, sequence, issued) VALUES (?, ?, ?, ?)
ON CONFLICT (authority, signer) DO UPDATE SET sequence = max(sequence, excluded.sequence), issued = max(issued, excluded.issued)"""


# How long a gate process waits for another one that holds the shared trust file (SQLite's default).
_OPEN_TIMEOUT = 5.0


def _signer_and_issued(signed: bytes) -> tuple[bytes, int, int]:
    """The kid that signed a held list, its sequence and issued time, read without trusting it (for
    the baseline of a file written before baselines were kept per signer)."""
    parsed = parse(signed)
    if parsed.document is None:
        return parsed.kid, 0, 0
    return parsed.kid, parsed.document.sequence, parsed.document.issued


class TrustStore:
    """A gate's trust: the pinned list-signing keys, the lists loaded under them, and the issuer
    keys those lists vouch for, found by kid (the lookup ``Verifier`` uses, like a ``KeySet``).

    ``pins``: authority code to its list-signing public keys. ``grace``: seconds a list stays usable
    after its next update (0 by default: fail closed). ``path``: the SQLite file that holds the
    lists and so the highest sequence seen per authority; None keeps them in memory (tests).
    ``mode``: how the file is opened (``base.sqlite.MODES``): "ro" for a gate that only reads its
    lists, "rw" for one that loads lists into an existing file, "rwc" (the default) creates it.
    Held lists are read back when the store opens, and again whenever another process has written
    the file (spec 16.6): every process sharing it uses the newest lists. One no longer signed by a
    pinned key gives no trust. A kid that lists of two authorities name is trusted for neither and is
    reported in ``conflicts`` (spec 16.8); the rest of both lists is used.
    """

    def __init__(
        self,
        pins: Mapping[str, Iterable[PublicKey | bytes | str]],
        *,
        grace: int = 0,
        path: str | Path | None = None,
        mode: str = "rwc",
    ) -> None:
        self._pins = pins_of(pins)
        self.grace = _grace(grace)
        if path is not None and not isinstance(path, (str, Path)):
            raise TypeError(f"path is a file name, not {type(path).__name__}")
        self._read_only = mode == "ro" and path is not None
        if path is None:
            self._db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        else:
            self._db = open_shared(path, _OPEN_TIMEOUT, mode=mode, check_same_thread=False)
        self._lock = threading.RLock()  # one connection, used by every thread of the gate in turn
        self._lists: dict[str, TrustList] = {}
        self._index: dict[bytes, TrustedKey] = {}
        # Changes whenever the keys change, so that checks made with the old keys (a status list's
        # signature, say) are made again (spec 17.4).
        self.generation = 0
        self.unusable: dict[str, TrustListError] = {}  # held lists that no longer verify, by authority
        self.conflicts: dict[bytes, tuple[str, ...]] = {}  # kids named by lists of several authorities
        self._data_version: int | None = None
        with self._lock:
            if self._read_only:
                # Nothing is written: a file without the tables is no trust store (or one from before
                # baselines were kept per signer, which a read-write opening brings up to date).
                self._db.execute("SELECT 1 FROM trust_lists, trust_sequences LIMIT 1")
                self._read()
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA:
                    self._db.execute(statement)
                # A file from before baselines were kept per signer: its held lists set them.
                if self._db.execute("SELECT count(*) FROM trust_sequences").fetchone()[0] == 0:
                    for authority, signed in self._db.execute("SELECT authority, signed FROM trust_lists").fetchall():
                        self._db.execute(_RAISE_BASELINE, (authority, *_signer_and_issued(bytes(signed))))
                self._db.execute("COMMIT")
            except BaseException:
                rollback(self._db)
                raise
            self._read()

    def _refresh(self) -> None:
        """Read the held lists again if another connection has written the file since they were read:
        one query of a counter SQLite keeps, so that it costs a lookup almost nothing."""
        if self._db.execute("PRAGMA data_version").fetchone()[0] != self._data_version:
            self._read()

    def _read(self) -> None:
        """The held lists as the file holds them now, each checked again against the pins (checks 1 to 4)."""
        self._data_version = self._db.execute("PRAGMA data_version").fetchone()[0]
        lists: dict[str, TrustList] = {}
        unusable: dict[str, TrustListError] = {}
        for authority, signed in self._db.execute("SELECT authority, signed FROM trust_lists ORDER BY authority").fetchall():
            try:
                lists[authority] = verify_list(bytes(signed), self._pins)
            except TrustListError as err:
                unusable[authority] = err
        self._lists, self.unusable = lists, unusable
        self._reindex()

    def _reindex(self) -> None:
        named: dict[bytes, list[tuple[str, TrustedKey]]] = {}
        for document in self._lists.values():
            for listed in document.keys:
                named.setdefault(listed.kid, []).append((document.authority, listed.trusted(
                    document.next_update + self.grace, document.next_update, f"{document.authority} list {document.sequence}"
                )))
        # A kid two authorities claim is trusted for neither: the outcome cannot depend on which list
        # was loaded first, or by which process, and neither authority can refuse the other's list.
        conflicts = {kid: tuple(sorted(a for a, _ in claims)) for kid, claims in named.items() if len(claims) > 1}
        for kid, authorities in conflicts.items():
            if kid not in self.conflicts:
                log.warning("key %s is listed by %s: trusted for neither (spec 16.8)", kid.hex(), " and ".join(authorities))
        self.conflicts = conflicts
        self._index = {kid: claims[0][1] for kid, claims in named.items() if len(claims) == 1}  # replaced whole
        self.generation += 1

    def load(self, signed: bytes, *, now: object) -> TrustList:
        """Check a signed list (spec 16.5) and hold it; raise TrustListError if it is refused.

        Loading the list already held, byte for byte, is accepted and changes nothing."""
        seconds = _seconds(now)
        document = verify_list(signed, self._pins)
        with self._lock:
            held = self._hold(document, bytes(signed), seconds)
        if held.next_update <= seconds:  # check 6 passed only by the grace: logged (16.5, 16.8)
            trust_log.warning(
                "trust list %s list %d loaded %d s past its next update (due at %d); within the grace of %d s",
                held.authority, held.sequence, seconds - held.next_update, held.next_update, self.grace,
            )
        return held

    def _baseline(self, authority: str) -> tuple[int, int] | None:
        """(highest sequence, latest issued) accepted for an authority under a key pinned for it now."""
        rows = self._db.execute("SELECT signer, sequence, issued FROM trust_sequences WHERE authority = ?", (authority,)).fetchall()
        pinned = [(int(seq), int(issued)) for signer, seq, issued in rows
                  if (pin := self._pins.get(bytes(signer))) is not None and pin.authority == authority]
        if not pinned:
            return None
        return max(seq for seq, _ in pinned), max(issued for _, issued in pinned)

    def _judge(self, document: TrustList, signed: bytes, seconds: int) -> bool:
        """Checks 5 and 6 of spec 16.5 against the file, in the caller's transaction; True when the
        list is the one held, byte for byte (a repeated load changes nothing)."""
        held = self._db.execute("SELECT signed FROM trust_lists WHERE authority = ?", (document.authority,)).fetchone()
        baseline = self._baseline(document.authority)
        repeat = held is not None and bytes(held[0]) == signed
        if baseline is not None and not repeat:
            if document.sequence <= baseline[0]:
                raise TrustListError(
                    ListError.LIST_ROLLBACK, f"sequence {document.sequence} of {document.authority}; the gate has accepted {baseline[0]}"
                )
            if document.issued < baseline[1]:
                raise TrustListError(
                    ListError.LIST_ROLLBACK, f"issued {document.issued} of {document.authority} is before {baseline[1]}, of a list accepted before"
                )
        if document.issued > seconds + LIST_CLOCK_SKEW:
            raise TrustListError(
                ListError.LIST_NOT_YET_VALID, f"issued at {document.issued}, after now {seconds} + {LIST_CLOCK_SKEW} s"
            )
        if seconds >= document.next_update + self.grace:
            raise TrustListError(
                ListError.LIST_EXPIRED,
                f"next update was due at {document.next_update} (grace {self.grace} s); now is {seconds}",
            )
        return repeat

    def check(self, signed: bytes, *, now: object) -> TrustList:
        """Every check ``load`` makes (spec 16.5), against what the file holds, without holding the
        list: what the gate would answer if it were loaded now. TrustListError if it would be refused.
        A store opened read-only can answer it."""
        seconds = _seconds(now)
        document = verify_list(signed, self._pins)
        with self._lock:
            self._db.execute("BEGIN")  # a read transaction: one snapshot of the file for every check
            try:
                self._judge(document, bytes(signed), seconds)
            finally:
                rollback(self._db)
        return document

    def shared_kids(self, document: TrustList) -> dict[bytes, tuple[str, ...]]:
        """The kids of ``document`` that a held list of another authority names too, with those
        authorities: were it loaded, each would be trusted for neither (spec 16.8)."""
        self.refresh()
        out: dict[bytes, tuple[str, ...]] = {}
        for listed in document.keys:
            others = set(self.conflicts.get(listed.kid, ()))
            holder = self._index.get(listed.kid)
            if holder is not None:
                others |= set(holder.issuers)
            others.discard(document.authority)
            if others:
                out[listed.kid] = tuple(sorted(others))
        return out

    def _hold(self, document: TrustList, signed: bytes, seconds: int) -> TrustList:
        # One transaction: the baseline is read and raised under one write lock, so two gate processes
        # sharing the file cannot both accept lists they would each call newer.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            repeat = self._judge(document, signed, seconds)
            if not repeat:
                signer = cose.parse(signed).kid
                self._db.execute(
                    "INSERT OR REPLACE INTO trust_lists (authority, sequence, signed, loaded_at) VALUES (?, ?, ?, ?)",
                    (document.authority, document.sequence, signed, seconds),
                )
                self._db.execute(_RAISE_BASELINE, (document.authority, signer, document.sequence, document.issued))
            self._db.execute("COMMIT")
        except BaseException:
            rollback(self._db)
            raise
        self._read()  # the file as it is now, with what other processes wrote before this load
        return document

    def drop(self, authority: str) -> bool:
        """Stop holding an authority's list (the operator's decision); True if one was held.

        Its keys are no longer trusted; its sequence still refuses rollback while its signer is
        pinned (spec 16.6)."""
        with self._lock:
            dropped = self._db.execute("DELETE FROM trust_lists WHERE authority = ?", (authority,)).rowcount
            self._read()
        return bool(dropped)

    def get(self, kid: bytes) -> TrustedKey | None:
        """The issuer key with this kid and what it may sign, from the list that holds it; None if no
        held list names it, or lists of two authorities do. ``trusted_until`` on the result says when
        that list goes stale."""
        with self._lock:
            self._refresh()
            return self._index.get(kid)

    def refresh(self) -> None:
        """Read the file again now if another process has written it (every lookup does this too)."""
        with self._lock:
            self._refresh()

    def lists(self) -> dict[str, TrustList]:
        """The held lists, by authority."""
        self.refresh()
        return dict(self._lists)

    def sequence(self, authority: str) -> int | None:
        """The sequence a list of this authority must exceed (the highest accepted under a key pinned
        for it now; survives restarts with a file ``path``), or None."""
        with self._lock:
            baseline = self._baseline(authority)
        return None if baseline is None else baseline[0]

    def __len__(self) -> int:
        self.refresh()
        return len(self._index)

    def __iter__(self) -> Iterator[TrustedKey]:
        self.refresh()
        return iter(self._index.values())

    def close(self) -> None:
        self._db.close()
