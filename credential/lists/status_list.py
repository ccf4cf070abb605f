"""Status lists (spec section 17): a signed, compressed array of 1- or 2-bit entries, one per credential.

A status list token is a COSE_Sign1 message of the credential's own profile (section 4) whose payload
is the status list claims:

    {1: iss, 2: list identifier, 4: exp, 6: iat, 65533: {"bits": 1 or 2, "lst": zlib(bit array)}, ?65534: ttl}

``build_token`` is the authority's direction; ``read_token`` the gate's, which checks the whole token
once and returns a ``StatusList`` whose ``status(index)`` is a constant-time read of the inflated bytes.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature

from ..base import limits
from ..base.errors import ErrorCode, VerificationError
from ..base.times import MAX_TIME
from ..cose import sign1 as cose
from ..cose.keys import BY_COSE_ID, Algorithm, PublicKey, SigningKey, signer_for
from ..text import cbor, compress

# CWT claim keys of the status list token (the IETF Token Status List's CBOR form).
CLAIM_ISS, CLAIM_SUB, CLAIM_EXP, CLAIM_IAT = 1, 2, 4, 6
CLAIM_STATUS_LIST = 65533
CLAIM_TTL = 65534
BITS = (1, 2)
VALID, REVOKED, SUSPENDED = 0, 1, 2
STATUS_NAMES = {VALID: "valid", REVOKED: "revoked", SUSPENDED: "suspended"}
# The list identifier a credential names in xc.status.list (spec 3.2), and the token's sub.
LIST_ID = re.compile(r"[A-Za-z0-9._~:/-]{1,64}")
_REGION = re.compile(r"[A-Z]{2}")
_MASK = {1: 0x01, 2: 0x03}


class TrustedKeys(Protocol):
    """What a gate's trust gives for a kid: a key with its algorithm and the issuers it vouches for."""

    def get(self, kid: bytes) -> Any: ...


def _invalid(detail: str) -> VerificationError:
    return VerificationError(ErrorCode.STATUS_LIST_INVALID, detail)


@dataclass(frozen=True)
class StatusList:
    """A verified status list: who published it, which list it is, when, and its entries."""

    issuer: str
    list_id: str
    issued_at: int
    expires: int
    ttl: int | None
    bits: int
    data: bytes  # the inflated bit array
    kid: bytes
    size: int = field(init=False)  # the number of entries: every whole entry the bytes hold
    _mask: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", len(self.data) * 8 // self.bits)
        object.__setattr__(self, "_mask", _MASK[self.bits])

    def status(self, index: int) -> int:
        """The entry at ``index`` (0 valid, 1 revoked, 2 suspended, 3 undefined); IndexError beyond the list.

        One byte read and a shift: the cost does not depend on the size of the list."""
        if not 0 <= index < self.size:
            raise IndexError(f"index {index} is outside 0..{self.size - 1}")
        position = index * self.bits
        return self.data[position >> 3] >> (position & 7) & self._mask


def pack(entries: Iterable[tuple[int, int]], size: int, bits: int = 1) -> bytes:
    """The bit array of ``size`` entries, all 0 except the (index, value) pairs given.

    Entry i occupies bits i*bits .. i*bits+bits-1, counted from the least significant bit of byte 0."""
    check_shape(size, bits)
    out = bytearray((size * bits + 7) // 8)
    mask = _MASK[bits]
    for index, value in entries:
        if not 0 <= index < size:
            raise ValueError(f"index {index} is outside 0..{size - 1}")
        if not 0 <= value <= mask:
            raise ValueError(f"status {value} does not fit in {bits} bit(s)")
        position = index * bits
        byte = position >> 3
        out[byte] = out[byte] & ~(mask << (position & 7)) | value << (position & 7)
    return bytes(out)


def check_shape(size: int, bits: int) -> None:
    """A list's size and entry width, as an authority may create it (spec section 10)."""
    if bits not in BITS:
        raise ValueError(f"bits is 1 or 2, not {bits!r}")
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError("a list size is a whole number of entries")
    if not 1 <= size <= limits.MAX_STATUS_BYTES * 8 // bits:
        raise ValueError(f"a list of {bits}-bit entries has 1..{limits.MAX_STATUS_BYTES * 8 // bits} entries, not {size}")


def claims(issuer: str, list_id: str, *, issued_at: int, expires: int, bits: int, bit_array: bytes, ttl: int | None = None) -> dict[int, Any]:
    """The status list claims (CBOR keys), compressed at zlib level 9 as the vectors are."""
    if not _REGION.fullmatch(issuer):
        raise ValueError(f"issuer {issuer!r} is not a region code")
    if not isinstance(list_id, str) or not LIST_ID.fullmatch(list_id):
        raise ValueError(f"list identifier {list_id!r} does not match {LIST_ID.pattern}")
    for name, value in (("issued_at", issued_at), ("expires", expires)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TIME:
            raise ValueError(f"{name} is a time in 0..{MAX_TIME}, not {value!r}")
    if expires <= issued_at:
        raise ValueError("a status list expires after it is issued")
    if bits not in BITS or not 1 <= len(bit_array) <= limits.MAX_STATUS_BYTES:
        raise ValueError(f"bits is 1 or 2 and the bit array has 1..{limits.MAX_STATUS_BYTES} bytes")
    out: dict[int, Any] = {
        CLAIM_ISS: issuer,
        CLAIM_SUB: list_id,
        CLAIM_EXP: expires,
        CLAIM_IAT: issued_at,
        CLAIM_STATUS_LIST: {"bits": bits, "lst": zlib.compress(bit_array, 9)},
    }
    if ttl is not None:
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= MAX_TIME:
            raise ValueError(f"ttl is 1..{MAX_TIME} seconds, not {ttl!r}")
        out[CLAIM_TTL] = ttl
    return out


def sign(key: SigningKey, payload: bytes) -> bytes:
    """A COSE_Sign1 message of the XC profile (4.1) around ``payload``, signed with a private key or
    a key in a token (deterministically, except ES256 in a token without RFC 6979: spec 4.2)."""
    signer = signer_for(key)
    protected = cose.protected_header(signer.algorithm.cose_id, signer.kid)
    return cose.build(protected, payload, signer.sign(cose.to_be_signed(protected, payload)))


def build_token(
    key: SigningKey,
    issuer: str,
    list_id: str,
    *,
    issued_at: int,
    expires: int,
    bits: int,
    bit_array: bytes,
    ttl: int | None = None,
) -> bytes:
    """A signed status list token (the authority's side)."""
    payload = cbor.encode(claims(issuer, list_id, issued_at=issued_at, expires=expires, bits=bits, bit_array=bit_array, ttl=ttl))
    token = sign(key, payload)
    if len(token) > limits.MAX_STATUS_TOKEN_BYTES:
        raise ValueError(f"the token has {len(token)} bytes, over {limits.MAX_STATUS_TOKEN_BYTES}: split the list")
    return token


def epoch_time(value: object, name: str) -> int:
    """A caller's time for the authority's and the gate's state: whole epoch seconds a claims time can hold."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} is whole epoch seconds, not {type(value).__name__}")
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"{name} {value} is outside 0..4294967295")
    return value


def _inflate(data: bytes) -> bytes:
    """Inflate one zlib stream to at most MAX_STATUS_BYTES; anything else is an invalid list."""
    try:
        out = compress.inflate(data, limits.MAX_STATUS_BYTES, compress.ZLIB)
    except compress.InflateError as err:
        raise _invalid(f"lst: {err}") from None
    if not out:
        raise _invalid("lst inflates to nothing")
    return out


def _time(claims_map: dict[Any, Any], key: int, name: str) -> int:
    value = claims_map.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TIME:
        raise _invalid(f"{name} is not a time in 0..{MAX_TIME}")
    return value


def _claims(payload: bytes) -> tuple[str, str, int, int, int | None, int, bytes]:
    """Check the status list claims (spec 17.2): (iss, list, iat, exp, ttl, bits, compressed lst)."""
    try:
        value = cbor.decode(payload)
    except VerificationError as err:
        raise _invalid(f"payload: {err}") from None
    if not isinstance(value, dict):
        raise _invalid("the payload is not a map")
    known = {CLAIM_ISS, CLAIM_SUB, CLAIM_EXP, CLAIM_IAT, CLAIM_STATUS_LIST, CLAIM_TTL}
    unknown = [key for key in value if key not in known or isinstance(key, bool)]
    if unknown:
        raise _invalid(f"unknown claim {unknown[0]!r}")
    missing = [key for key in (CLAIM_ISS, CLAIM_SUB, CLAIM_EXP, CLAIM_IAT, CLAIM_STATUS_LIST) if key not in value]
    if missing:
        raise _invalid(f"missing claim {missing[0]}")
    issuer, list_id = value[CLAIM_ISS], value[CLAIM_SUB]
    if not isinstance(issuer, str) or not _REGION.fullmatch(issuer):
        raise _invalid("iss is not a region code")
    if not isinstance(list_id, str) or not LIST_ID.fullmatch(list_id):
        raise _invalid(f"sub is not a list identifier matching {LIST_ID.pattern}")
    issued_at, expires = _time(value, CLAIM_IAT, "iat"), _time(value, CLAIM_EXP, "exp")
    if expires <= issued_at:
        raise _invalid("exp is not after iat")
    ttl = None
    if CLAIM_TTL in value:
        ttl = value[CLAIM_TTL]
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= MAX_TIME:
            raise _invalid(f"ttl is not 1..{MAX_TIME} seconds")
    status_list = value[CLAIM_STATUS_LIST]
    if not isinstance(status_list, dict) or set(status_list) != {"bits", "lst"}:
        raise _invalid('status_list is not a map of exactly "bits" and "lst"')
    bits, lst = status_list["bits"], status_list["lst"]
    if isinstance(bits, bool) or bits not in BITS:
        raise _invalid(f"bits is {bits!r}, not 1 or 2")
    if not isinstance(lst, bytes) or not lst:
        raise _invalid("lst is not a non-empty byte string")
    return issuer, list_id, issued_at, expires, ttl, bits, lst


def read_token(token: bytes, trust: TrustedKeys) -> StatusList:
    """Check a status list token completely (spec 17.4, checks 1 to 6); raise STATUS_LIST_INVALID.

    The checks that involve the credential and the time (its issuer and list, freshness, the index)
    are the verifier's (step 19a)."""
    if not isinstance(token, (bytes, bytearray)):
        raise TypeError(f"a status list token is bytes, not {type(token).__name__}")
    token = bytes(token)
    if len(token) > limits.MAX_STATUS_TOKEN_BYTES:
        raise _invalid(f"token of {len(token)} bytes is over {limits.MAX_STATUS_TOKEN_BYTES}")
    try:
        sign1 = cose.parse(token)
    except VerificationError as err:
        raise _invalid(f"not a COSE_Sign1 of the XC profile: {err}") from None
    alg: Algorithm | None = None
    if isinstance(sign1.alg, int) and not isinstance(sign1.alg, bool):
        alg = BY_COSE_ID.get(sign1.alg)
    if alg is None:
        raise _invalid(f"alg {sign1.alg!r} is not Ed25519 (-8) or ES256 (-7)")
    trusted = trust.get(sign1.kid)
    if trusted is None:
        raise _invalid(f"no trusted key has kid {sign1.kid.hex()}")
    if trusted.algorithm is not alg:
        raise _invalid(f"alg {alg.name} does not match the {trusted.algorithm.name} key {sign1.kid.hex()}")
    if len(sign1.signature) != alg.signature_bytes:
        raise _invalid(f"{alg.name} signature of {len(sign1.signature)} bytes")
    key: PublicKey = trusted.key
    try:
        alg.verify(key, sign1.signature, cose.to_be_signed(sign1.protected, sign1.payload))
    except InvalidSignature:
        raise _invalid(f"signature does not verify with key {sign1.kid.hex()}") from None
    issuer, list_id, issued_at, expires, ttl, bits, lst = _claims(sign1.payload)
    if issuer not in trusted.issuers:
        raise _invalid(f"key {sign1.kid.hex()} is trusted for {', '.join(sorted(trusted.issuers))}, not {issuer}")
    try:
        # A key from a trust list signs only within its signing period and before its compromise (16.8).
        trusted.check_signed_at(issued_at)
    except VerificationError as err:
        raise _invalid(err.detail) from None
    return StatusList(issuer, list_id, issued_at, expires, ttl, bits, _inflate(lst), sign1.kid)


def read_unverified(token: bytes) -> StatusList:
    """A token's list, read WITHOUT checking its signature or its key: for showing, never for a decision."""
    if len(token) > limits.MAX_STATUS_TOKEN_BYTES:
        raise _invalid(f"token of {len(token)} bytes is over {limits.MAX_STATUS_TOKEN_BYTES}")
    try:
        sign1 = cose.parse(bytes(token))
    except VerificationError as err:
        raise _invalid(f"not a COSE_Sign1 of the XC profile: {err}") from None
    issuer, list_id, issued_at, expires, ttl, bits, lst = _claims(sign1.payload)
    return StatusList(issuer, list_id, issued_at, expires, ttl, bits, _inflate(lst), sign1.kid)


def peek(token: bytes) -> tuple[str, str, int]:
    """The issuer, list identifier and iat a token claims, read WITHOUT checking its signature.

    For filing a fetched token under its name and refusing rollbacks; never for a decision."""
    try:
        sign1 = cose.parse(bytes(token))
    except VerificationError as err:
        raise _invalid(f"not a COSE_Sign1 of the XC profile: {err}") from None
    issuer, list_id, issued_at, _, _, _, _ = _claims(sign1.payload)
    return issuer, list_id, issued_at
