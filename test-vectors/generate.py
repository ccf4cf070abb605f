"""Generate the XC v1 conformance vectors (spec section 14).

    python test-vectors/generate.py          # rewrite test-vectors/xc1.json and test-vectors/qr/
    python test-vectors/generate.py --check  # exit 1 if the files differ from what this code makes

Every key, time and identifier is fixed, and both algorithms sign deterministically, so the output
is the same on every run. Each case is a row of data: how to build its text, how to verify it, and
the one result the spec requires.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import functools
import hashlib
import json
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

import credential
from credential import qr
from credential.base import limits
from credential.claims.model import EPOCH, XC_CLAIM
from credential.cose import keys
from credential.cose import sign1 as cose
from credential.issuer import samples
from credential.text import base45, cbor, compress
from credential.text import wrap as textlayer

HERE = Path(__file__).resolve().parent
VECTORS = HERE / "xc1.json"
QR_DIR = HERE / "qr"

NOW = samples.ISSUED_AT + 3600
SKEW = credential.DEFAULT_SKEW
EXP = samples.ISSUED_AT + samples.YEAR
SHORT_ENROLMENT = "2027-06-30"
END_OF_SHORT_ENROLMENT = 1814371200  # 2027-07-01T00:00:00+08:00, i.e. 2027-06-30T16:00:00Z (spec 9.3)


def _seed(label: str) -> bytes:
    return hashlib.sha256(f"XC1 test key {label}".encode()).digest()


def _make_key(label: str, alg: str) -> keys.PrivateKey:
    if alg == "Ed25519":
        return ed25519.Ed25519PrivateKey.from_private_bytes(_seed(label))
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return ec.derive_private_key(int.from_bytes(_seed(label), "big") % (n - 1) + 1, ec.SECP256R1())


# name: (algorithm, issuers it is trusted for, whether the default verifier trusts it)
KEY_TABLE = {
    "hk-ed25519": ("Ed25519", ["HK"], True),
    "hk-es256": ("ES256", ["HK"], True),
    "mo-ed25519": ("Ed25519", ["MO"], True),
    "mo-es256": ("ES256", ["MO"], True),
    "rogue-ed25519": ("Ed25519", ["HK"], False),
}
KEYS = {name: _make_key(name, alg) for name, (alg, _, _) in KEY_TABLE.items()}
TRUSTED = [name for name, (_, _, trusted) in KEY_TABLE.items() if trusted]

TEMPLATE_SETS = {
    "enrolled": samples.TEMPLATES,
    "impostor": {"face": b"another person's face template", "fingerprint": b"another person's fingerprint template"},
    "enrolled-face": {"face": samples.TEMPLATES["face"]},
    "enrolled-iris": {"iris": b"an iris template the credential does not bind"},
}


@dataclass
class Case:
    comment: str
    flags: list[str]
    text: str
    error: str | None = None  # None: valid
    verifier: dict[str, Any] = field(default_factory=dict)
    issuance: dict[str, Any] | None = None
    qr: bool = False
    acceptable: list[str] | None = None  # codes a rejecting verifier may give when either outcome is allowed


# --- building blocks -------------------------------------------------------------------------


def claims(profile: str = "minimal", issuer: str = "HK", **xc: Any) -> dict[str, Any]:
    out = samples.full(issuer) if profile == "full" else samples.minimal(issuer)
    if issuer == "MO":
        out["xc"].update(destinations=["HK"], doc_number="12345678", enrolment="HK26004567")
    out["xc"].update(xc)
    return out


def with_top(base: dict[str, Any], **top: Any) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in top.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def bound(c: dict[str, Any], templates: str = "enrolled") -> dict[str, Any]:
    """Claims with the biometric binding of a template set filled in."""
    from credential.issuer.issue import complete

    return complete(c, TEMPLATE_SETS[templates])


def payload_of(c: dict[str, Any]) -> bytes:
    return cbor.encode(credential.claims.model.to_cbor(bound(c)))


def sign_parts(key_name: str, payload: bytes, protected: bytes | None = None) -> tuple[bytes, bytes]:
    key = KEYS[key_name]
    alg = keys.algorithm_for(key)
    if protected is None:
        protected = cose.protected_header(alg.cose_id, keys.kid_of(key))
    return protected, alg.sign(key, cose.to_be_signed(protected, payload))


def message(key_name: str, payload: bytes, protected: bytes | None = None) -> bytes:
    protected, signature = sign_parts(key_name, payload, protected)
    return cose.build(protected, payload, signature)


def plain(msg: bytes) -> str:
    return textlayer.PREFIX + base45.encode(msg)


def deflated(raw: bytes) -> str:
    return textlayer.PREFIX_DEFLATED + base45.encode(raw)


def issued(c: dict[str, Any], key_name: str = "hk-ed25519", templates: str | None = "enrolled", deflate: bool | None = None) -> Case:
    """A case made by the public issue(), carrying everything needed to reproduce it byte for byte."""
    text = credential.issue(c, KEYS[key_name], templates=TEMPLATE_SETS[templates] if templates else None, deflate=deflate, policy=None)
    issuance = {"key": key_name, "claims": c, "templates": templates, "deflate": deflate}
    return Case("", [], text, issuance=issuance)


def head(major: int, n: int, size: int) -> bytes:
    """A CBOR head with its argument in ``size`` extra bytes (0 for the short form)."""
    if size == 0:
        return bytes((major << 5 | n,))
    info = {1: 24, 2: 25, 4: 26, 8: 27}[size]
    return bytes((major << 5 | info,)) + n.to_bytes(size, "big")


def raw_sign1(protected: bytes, payload: bytes, signature: bytes, unprotected: bytes = b"\xa0", tag: bytes = b"\xd2") -> bytes:
    """A COSE_Sign1 assembled byte by byte, so that single flaws can be placed anywhere in it."""
    body = b"\x84" + cbor.encode(protected) + unprotected + cbor.encode(payload) + cbor.encode(signature)
    return tag + body


def sample_message(key_name: str = "hk-ed25519", profile: str = "minimal") -> bytes:
    issuer = key_name[:2].upper() if key_name[:2] in ("hk", "mo") else "HK"
    return message(key_name, payload_of(claims(profile, issuer)))


def sample_text(key_name: str = "hk-ed25519", profile: str = "minimal") -> str:
    return plain(sample_message(key_name, profile))


def flip(data: bytes, index: int, mask: int = 0x01) -> bytes:
    out = bytearray(data)
    out[index] ^= mask
    return bytes(out)


# --- the cases -------------------------------------------------------------------------------


def valid_cases() -> list[Case]:
    out: list[Case] = []

    def add(case: Case, comment: str, flags: list[str], qr_png: bool = False, **verifier: Any) -> None:
        case.comment, case.flags, case.qr, case.verifier = comment, ["Valid", *flags], qr_png, verifier
        out.append(case)

    for key_name in ("hk-ed25519", "hk-es256"):
        alg = KEY_TABLE[key_name][0]
        for profile in ("minimal", "full"):
            flags = [alg, "MinimalProfile" if profile == "minimal" else "FullProfile"]
            add(issued(claims(profile), key_name), f"{profile} profile, {alg}, issued by HK for MO", flags, qr_png=True, destination="MO")
            add(
                issued(claims(profile), key_name, deflate=True),
                f"{profile} profile, {alg}, DEFLATE forced although it lengthens the text: verifiers accept it",
                [*flags, "Deflated"],
                destination="MO",
            )
    for key_name in ("mo-ed25519", "mo-es256"):
        alg = KEY_TABLE[key_name][0]
        portuguese = claims("full", "MO", family_name="CONCEIÇÃO", given_name="JOÃO", name_zh="高美士", birth_date="1985-02")
        add(issued(portuguese, key_name), f"Macau issuer, {alg}, Portuguese and Chinese names, partial birth date", [alg, "FullProfile", "NonAscii", "PartialDate"], destination="HK")
    add(
        issued(claims("minimal", residency="non-permanent", stay_limit="2028-06-30", symbols=["C"])),
        "non-permanent resident with a limit of stay",
        ["Ed25519", "NonPermanent"],
        destination="MO",
    )
    add(
        issued(claims("minimal", status={"list": "hk/2027", "index": 4711})),
        "revocation reference present, credential not revoked",
        ["Ed25519", "StatusReference"],
        revoked=["00112233445566ff"],
    )
    add(
        issued(claims("minimal", extensions={"25": cbor.encode(b"\x00" * 4).hex(), "-1": cbor.encode("note").hex()})),
        "extension keys 25 and -1 are ignored for the decision and reported",
        ["Ed25519", "Extension"],
    )
    add(
        issued(claims("full", family_name="DOS SANTOS DOS SANTOS DOS SANTOS", given_name="MARIA DA CONCEIÇÃO DOS SANTOS", extensions={"30": cbor.encode("MACAU " * 10).hex()}), "hk-ed25519"),
        "a repetitive text that DEFLATE shortens: the issuer rule picks XC1Z:",
        ["Ed25519", "Deflated", "FullProfile"],
    )
    # Valid until destinations were restricted to the region table of spec 3.3; kept in its place.
    out.append(Case("a destination outside the region table (TW) next to MO", ["RegionTable", "Destination"], signed(xc(5, ["MO", "TW"])), error="CLAIMS", verifier={"destination": "MO"}))
    add(issued(claims("minimal")), "the gate's region and channel are both checked", ["Ed25519", "Destination", "Channel"], destination="MO", channel="e-channel")
    add(
        issued(claims("minimal", channel="counter")),
        "a credential for counter clearance, read at a counter",
        ["Ed25519", "Channel"],
        destination="MO",
        channel="counter",
    )
    add(issued(with_top(claims(), nbf=samples.ISSUED_AT + 60)), "nbf after iat, verified inside the skew window before it", ["Ed25519", "SkewBoundary"], now=samples.ISSUED_AT + 60 - SKEW)
    add(issued(claims()), "exactly at the start of validity minus the skew", ["Ed25519", "SkewBoundary"], now=samples.ISSUED_AT - SKEW)
    add(issued(claims()), "one second before expiry plus the skew", ["Ed25519", "SkewBoundary"], now=EXP + SKEW - 1)
    add(issued(claims()), "zero skew, one second before expiry", ["Ed25519", "SkewBoundary"], now=EXP - 1, skew=0)
    add(
        issued(claims(enrolment_expiry=SHORT_ENROLMENT)),
        "last second of the enrolment expiry day (dates end at 24:00 UTC+08:00, 16:00 UTC)",
        ["Ed25519", "DateBoundary"],
        now=END_OF_SHORT_ENROLMENT - 1,
    )
    add(
        issued(claims(residency="non-permanent", stay_limit=SHORT_ENROLMENT, symbols=["C"])),
        "last second of the limit of stay (23:59:59 UTC+08:00), when the UTC date is still that day",
        ["Ed25519", "DateBoundary", "NonPermanent"],
        now=END_OF_SHORT_ENROLMENT - 1,
    )
    add(issued(claims()), "the gate checks the face template only", ["Ed25519", "Biometric"], templates="enrolled-face")
    add(issued(bound(claims(), "enrolled-face"), templates=None), "binding of the face alone, checked with the face", ["Ed25519", "Biometric"], templates="enrolled-face")
    return out


def invalid_cases() -> list[Case]:
    out: list[Case] = []

    def add(text: str, error: str, comment: str, flags: list[str], **verifier: Any) -> None:
        out.append(Case(comment, flags, text, error=error, verifier=verifier))

    good = sample_text()
    msg = sample_message()
    body = good[len(textlayer.PREFIX) :]
    sign1 = cose.parse(msg)
    payload = sign1.payload

    # Text layer
    add("XC1:" + "0" * (limits.MAX_TEXT_CHARS - 3), "LIMIT", "text longer than a QR code holds at level M", ["TextLimit"])
    add(good.replace("XC1:", "HC1:", 1), "PREFIX", "the EU certificate prefix", ["Prefix"])
    add(good.replace("XC1:", "xc1:", 1), "PREFIX", "prefix in lowercase", ["Prefix"])
    add(good[4:], "PREFIX", "no prefix at all", ["Prefix"])
    add(good.replace("XC1:", "XC2:", 1), "VERSION", "a version this verifier does not read", ["Version"])
    add(good.replace("XC1:", "XC10:", 1), "VERSION", "version 10 is not version 1", ["Version"])
    add("XC1:" + body.lower(), "BASE45", "Base45 in lowercase", ["Base45Alphabet"])
    dangling = body[: len(body) - len(body) % 3 - 2]
    add("XC1:" + dangling, "BASE45", "cut to leave one character after the last group", ["Truncated", "Base45Length"])
    add("XC1:" + body[: len(body) - len(body) % 3 - 3], "CBOR", "cut by one whole group: the COSE message ends early", ["Truncated", "CborWellFormed"])
    add("XC1:" + "GGW" + body[3:], "BASE45", "a group above 65535", ["Base45Overflow"])
    add(good + "\n", "BASE45", "a trailing newline is not trimmed", ["Base45Alphabet", "NoTrim"])
    # DEFLATE
    packed = compress.deflate(msg)
    add(deflated(packed[:-3]), "INFLATE", "DEFLATE stream cut short", ["DeflateTruncated", "Truncated"])
    add(deflated(packed + b"\x00"), "INFLATE", "a byte after the end of the DEFLATE stream", ["DeflateTrailing"])
    add(deflated(b"\xff" * 8), "INFLATE", "not a DEFLATE stream", ["DeflateInvalid"])
    add(deflated(compress.deflate(b"\x00" * 5000)), "LIMIT", "inflates past the cap (a small bomb)", ["InflateLimit"])
    add(textlayer.PREFIX + base45.encode(zlib_wrapped(msg)), "CBOR", "zlib (RFC 1950) stream behind the plain prefix", ["Prefix", "Zlib"])
    # CBOR of the COSE message
    add(plain(msg[:-1]), "CBOR", "COSE message truncated by one byte", ["Truncated", "CborWellFormed"])
    add(plain(msg + b"\x00"), "CBOR", "a byte after the COSE message", ["CborTrailing"])
    add(plain(raw_sign1(sign1.protected, payload, sign1.signature, tag=b"\xd8\x12")), "NOT_DETERMINISTIC", "tag 18 in a two-byte head", ["CborNonMinimal"])
    add(plain(b"\xd2\x9f" + msg[2:] + b"\xff"), "NOT_DETERMINISTIC", "COSE array of indefinite length", ["CborIndefinite"])
    # COSE structure
    add(plain(msg[1:]), "COSE", "untagged COSE_Sign1", ["CoseTag"])
    add(plain(b"\xd8\x3d" + msg), "COSE", "tag 61 (CWT) around tag 18", ["CoseTag"])
    add(plain(raw_sign1(sign1.protected, payload, sign1.signature, unprotected=cbor.encode({4: sign1.kid}))), "COSE", "kid repeated in the unprotected header", ["CoseUnprotected"])
    crit = cbor.encode({1: -8, 2: [99], 4: sign1.kid, 99: 0})
    add(plain(message("hk-ed25519", payload, crit)), "COSE", "a critical header this profile does not allow", ["CoseCrit"])
    # ALG and kid
    es_kid = keys.kid_of(KEYS["hk-es256"])
    add(plain(message("hk-ed25519", payload, cbor.encode({1: -35, 4: keys.kid_of(KEYS["hk-ed25519"])}))), "ALG", "ES384 is not an XC algorithm", ["AlgUnknown"])
    add(plain(message("hk-ed25519", payload, cbor.encode({1: -7, 4: keys.kid_of(KEYS["hk-ed25519"])}))), "ALG", "alg ES256 with an Ed25519 key", ["AlgKeyMismatch"])
    add(plain(message("hk-es256", payload, cbor.encode({1: -8, 4: es_kid}))), "ALG", "alg EdDSA with a P-256 key", ["AlgKeyMismatch"])
    add(sample_text("rogue-ed25519"), "UNKNOWN_KID", "signed by a key the verifier does not trust", ["KidUnknown"])
    # Signature
    add(plain(cose.build(sign1.protected, payload, flip(sign1.signature, 10))), "SIGNATURE", "one bit of the signature flipped", ["SignatureTampered"])
    add(plain(cose.build(sign1.protected, flip(payload, len(payload) - 3), sign1.signature)), "SIGNATURE", "one bit of the payload flipped", ["PayloadTampered"])
    add(plain(cose.build(sign1.protected, payload, sign1.signature[:63])), "SIGNATURE", "Ed25519 signature of 63 bytes", ["SignatureLength"])
    es = cose.parse(sample_message("hk-es256"))
    r, s = es.signature[:32], int.from_bytes(es.signature[32:], "big")
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    add(plain(cose.build(es.protected, es.payload, r + (n - s).to_bytes(32, "big"))), "SIGNATURE", "ES256 signature in high-S form (the malleated twin of a valid one)", ["HighS"])
    # Payload CBOR (signed, so only the issuer could have made it)
    add(plain(message("hk-ed25519", payload + b"\x00")), "CBOR", "signed payload with a trailing byte", ["CborTrailing"])
    unsorted = reorder_first_two(payload)
    add(plain(message("hk-ed25519", unsorted)), "NOT_DETERMINISTIC", "signed payload with claims keys out of order", ["CborUnsorted"])
    add(plain(message("hk-ed25519", duplicate_first(payload))), "NOT_DETERMINISTIC", "signed payload with a duplicate map key", ["CborDuplicateKey"])
    # Claims
    add(plain(message("hk-ed25519", cbor.encode(with_cbor(payload, 4, "2028")))), "CLAIMS", "exp as text", ["ClaimsType"])
    add(plain(message("hk-ed25519", cbor.encode(with_cbor(payload, 8, {1: {1: 1}})))), "CLAIMS", "cnf (holder key) is not supported by XC1 verifiers", ["ClaimsUnknown", "Reserved"])
    add(plain(message("hk-ed25519", cbor.encode(with_xc(payload, 20, 1)))), "CLAIMS", "unknown critical XC key 20", ["ClaimsUnknown"])
    # Trust and time
    add(sample_text("mo-ed25519"), "ISSUER_NOT_AUTHORIZED", "key trusted for HK signs a credential claiming MO", ["IssuerBinding"], keys={"mo-ed25519": ["HK"]})
    add(good, "NOT_YET_VALID", "one second before the start minus the skew", ["NotYetValid", "SkewBoundary"], now=samples.ISSUED_AT - SKEW - 1)
    add(good, "EXPIRED", "at expiry plus the skew", ["Expired", "SkewBoundary"], now=EXP + SKEW)
    add(good, "REVOKED", "cti on the verifier's revocation list", ["Revoked"], revoked=[samples.minimal()["cti"]])
    add(good, "NOT_ENTITLED", "a gate in a region the credential does not admit to", ["Destination"], destination="HK")
    add(good, "NOT_ENTITLED", "an e-Channel credential at a staffed counter", ["Channel"], channel="counter")
    add(good, "BIOMETRIC_MISMATCH", "templates of another person", ["Biometric"], templates="impostor")
    return out


def zlib_wrapped(data: bytes) -> bytes:
    import zlib

    return zlib.compress(data, 9)


def with_cbor(payload: bytes, key: int, value: Any) -> dict[Any, Any]:
    claims_map = cbor.decode(payload)
    claims_map[key] = value
    return claims_map  # type: ignore[no-any-return]


def with_xc(payload: bytes, key: int, value: Any) -> dict[Any, Any]:
    claims_map = cbor.decode(payload)
    claims_map[XC_CLAIM][key] = value
    return claims_map  # type: ignore[no-any-return]


def _entries(payload: bytes) -> list[bytes]:
    """The encoded key-value pairs of a top-level map (encoded by us, so short heads throughout)."""
    claims_map = cbor.decode(payload)
    return [cbor.encode(k) + cbor.encode(v) for k, v in claims_map.items()]


def reorder_first_two(payload: bytes) -> bytes:
    entries = _entries(payload)
    entries[0], entries[1] = entries[1], entries[0]
    return payload[:1] + b"".join(entries)


def duplicate_first(payload: bytes) -> bytes:
    entries = _entries(payload)
    return head(5, len(entries) + 1, 0) + entries[0] + b"".join(entries)


# --- hostile inputs (issue 3): one weakness per case --------------------------------------------

_PLACEHOLDER = b"\x00XC1 placeholder\x00"
ED25519_L = 2**252 + 27742317777372353535851937790883648493
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
EXTENSION = 30  # an extension key with no assigned meaning (24 is reserved for encrypted templates)


def splice(claims_map: dict[Any, Any], raw: bytes) -> bytes:
    """Encode a claims map in which one value is the placeholder, then put raw CBOR bytes in its place."""
    encoded = cbor.encode(claims_map)
    marker = cbor.encode(_PLACEHOLDER)
    assert encoded.count(marker) == 1
    return encoded.replace(marker, raw)


def stored_block(data: bytes, final: bool = True, length: int | None = None, complement: int | None = None) -> bytes:
    """A DEFLATE stored block (RFC 1951 section 3.2.4), with LEN and NLEN open to tampering."""
    n = len(data) if length is None else length
    nlen = (~n & 0xFFFF) if complement is None else complement
    return bytes((1 if final else 0,)) + n.to_bytes(2, "little") + nlen.to_bytes(2, "little") + data


def fixed_huffman(data: bytes) -> bytes:
    """One final DEFLATE block with the fixed Huffman codes (RFC 1951 section 3.2.6), literals only."""
    bits = [1, 1, 0]  # BFINAL, then BTYPE 01 least significant bit first
    for byte in data:
        code, length = (0x30 + byte, 8) if byte < 144 else (0x190 + byte - 144, 9)
        bits += [(code >> i) & 1 for i in reversed(range(length))]  # Huffman codes go most significant bit first
    bits += [0] * 7  # end of block
    bits += [0] * (-len(bits) % 8)
    return bytes(sum(bit << i for i, bit in enumerate(bits[k : k + 8])) for k in range(0, len(bits), 8))


def open_bomb(size: int) -> bytes:
    """A DEFLATE stream of ``size`` zero bytes that is not finished: a sync flush, no final block."""
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(b"\x00" * size) + packer.flush(zlib.Z_SYNC_FLUSH)


def nested(levels: int, innermost: Any = 0) -> Any:
    value = innermost
    for _ in range(levels):
        value = [value]
    return value


def count_items(value: Any) -> int:
    """Data items as the decoder counts them: every key, every value, every tag and its content."""
    if isinstance(value, list):
        return 1 + sum(map(count_items, value))
    if isinstance(value, dict):
        return 1 + sum(count_items(k) + count_items(v) for k, v in value.items())
    if isinstance(value, cbor.Tag):
        return 1 + count_items(value.value)
    return 1


@functools.cache
def _sample_payload() -> bytes:
    return cose.parse(sample_message()).payload


def sample_claims_map() -> dict[Any, Any]:
    """A fresh copy of the minimal sample's claims as a CBOR map, for editing."""
    return cbor.decode(_sample_payload())  # type: ignore[no-any-return]


def signed(value: Any, key: str = "hk-ed25519", protected: bytes | None = None) -> str:
    """A plain text signed by a test key over the given claims map (or payload bytes)."""
    return plain(message(key, value if isinstance(value, bytes) else cbor.encode(value), protected))


def top(key: int, value: Any) -> dict[Any, Any]:
    """The sample claims with one top-level claim set (None: removed)."""
    m = sample_claims_map()
    if value is None:
        del m[key]
    else:
        m[key] = value
    return m


def xc(key: int, value: Any) -> dict[Any, Any]:
    """The sample claims with one XC map entry set (None: removed)."""
    m = sample_claims_map()
    if value is None:
        del m[XC_CLAIM][key]
    else:
        m[XC_CLAIM][key] = value
    return m


def raw_top(key: int, raw: bytes) -> str:
    return signed(splice(top(key, _PLACEHOLDER), raw))


def raw_xc(key: int, raw: bytes) -> str:
    return signed(splice(xc(key, _PLACEHOLDER), raw))


def sign_raw(key_name: str, data: bytes) -> bytes:
    key = KEYS[key_name]
    return keys.algorithm_for(key).sign(key, data)


def hostile_cases() -> list[Case]:
    out: list[Case] = []

    def add(text: str, error: str, comment: str, flags: list[str], acceptable: list[str] | None = None, **verifier: Any) -> None:
        out.append(Case(comment, flags, text, error=error, verifier=verifier, acceptable=acceptable))

    def valid(text: str, comment: str, flags: list[str], **verifier: Any) -> None:
        out.append(Case(comment, ["Valid", *flags], text, verifier=verifier))

    msg = sample_message()
    good = plain(msg)
    body = good[len(textlayer.PREFIX) :]
    sign1 = cose.parse(msg)
    prot, payload, sig, kid = sign1.protected, sign1.payload, sign1.signature, sign1.kid
    es_msg = sample_message("hk-es256")
    es = cose.parse(es_msg)
    fresh = sample_claims_map


    # --- text layer: length, prefix, version ----------------------------------------------------
    add("HC1:" + "0" * (limits.MAX_TEXT_CHARS - 3), "LIMIT", "over the length limit and with a wrong prefix: the length is checked first", ["TextLimit", "Precedence"])
    add("XC1:" + "\u00e9" * (limits.MAX_TEXT_CHARS - 3), "LIMIT", "over the limit in characters, twice that in UTF-8 bytes", ["TextLimit", "NonAsciiInput"])
    add("XC1:" + "0" * (limits.MAX_TEXT_CHARS - 4), "CBOR", "exactly the length limit is not LIMIT: zero bytes, then trailing bytes", ["TextLimit", "Boundary", "CborTrailing"])
    add("", "PREFIX", "the empty string", ["Prefix", "Empty"])
    add(good.replace("XC1:", "XC1", 1), "PREFIX", "prefix without its colon", ["Prefix"])
    add(good.replace("XC1:", "XC1;", 1), "PREFIX", "a semicolon for the colon", ["Prefix"])
    add(good.replace("XC1:", "XC1 :", 1), "PREFIX", "a space before the colon", ["Prefix", "NoTrim"])
    add(" " + good, "PREFIX", "a leading space is not trimmed", ["Prefix", "NoTrim"])
    add("\ufeff" + good, "PREFIX", "a byte order mark before the prefix", ["Prefix", "NoTrim"])
    add(good.replace("XC1:", "\u0425\u04211:", 1), "PREFIX", "Cyrillic look-alikes of X and C in the prefix", ["Prefix", "Homoglyph"])
    add(good.replace("XC1:", "\uff38\uff23\uff11\uff1a", 1), "PREFIX", "fullwidth forms of the prefix", ["Prefix", "Homoglyph"])
    add(good.replace("XC1:", "XC\u0661:", 1), "PREFIX", "an Arabic-Indic digit one in the prefix is not a version number", ["Prefix", "Homoglyph"])
    add(good.replace("XC1:", "XC1z:", 1), "PREFIX", "the compression marker in lowercase", ["Prefix"])
    add(good.replace("XC1:", "XC1ZZ:", 1), "PREFIX", "the compression marker twice", ["Prefix"])
    add(good.replace("XC1:", "XC0:", 1), "VERSION", "version 0", ["Version"])
    add(good.replace("XC1:", "XC01:", 1), "VERSION", "version 1 written with a leading zero is not the XC1 prefix", ["Version"])
    add(deflated(compress.deflate(msg)).replace("XC1Z:", "XC2Z:", 1), "VERSION", "a compressed credential of version 2", ["Version", "Deflated"])
    add(good.replace("XC1:", "XC" + "9" * 40 + ":", 1), "VERSION", "a 40-digit version number", ["Version", "IntegerOverflow"])
    # --- Base45 -------------------------------------------------------------------------------
    cut = len(body) - len(body) % 3  # the body up to its last whole group
    for char, what in [("=", "'=' padding"), ("#", "'#'"), ("_", "'_'"), (",", "','"), ("\t", "a tab"), ("\x00", "a NUL"), ("\x7f", "DEL"), ("\u00c9", "a Latin-1 letter"), ("\uff10", "a fullwidth digit zero")]:
        add("XC1:" + body[:30] + char + body[31:], "BASE45", f"{what} inside the Base45 text", ["Base45Alphabet"])
    add(good + "==", "BASE45", "'=' padding at the end, as in Base64", ["Base45Alphabet", "Base45Padding"])
    add(good + "\r\n", "BASE45", "a trailing CR LF", ["Base45Alphabet", "NoTrim"])
    add("XC1:" + body[:cut] + "  ", "BASE45", "two trailing spaces (a Base45 character) decode as a final pair of value 1656", ["Base45FinalPair", "Base45Space"])
    add("XC1:" + body[:cut] + " ", "BASE45", "one trailing space leaves a dangling character", ["Base45Length", "Base45Space"])
    add("XC1:" + body[:cut] + "GG", "BASE45", "a final pair of value 736, above 255", ["Base45FinalPair"])
    add("XC1:" + body[:cut] + "V5", "BASE45", "a final pair of value 256, one above 255", ["Base45FinalPair", "Boundary"])
    add("XC1:" + ":::" + body[3:], "BASE45", "the largest triplet, 91124, far above 65535", ["Base45Overflow"])
    add("XC1:" + "0" * 3 * 20 + "GGW", "BASE45", "a triplet of 65536 after twenty valid ones", ["Base45Overflow", "Boundary"])
    # --- DEFLATE ------------------------------------------------------------------------------
    add("XC1Z:", "INFLATE", "XC1Z: with nothing after it: an empty DEFLATE stream", ["DeflateEmpty", "Empty"])
    add(deflated(b"\x03\x00"), "CBOR", "a DEFLATE stream that inflates to nothing: an empty COSE message", ["DeflateEmpty", "Empty", "CborWellFormed"])
    add("XC1Z:" + body, "INFLATE", "XC1Z: before an uncompressed COSE message", ["Prefix", "DeflateInvalid"])
    add(plain(compress.deflate(msg)), "CBOR", "XC1: before a DEFLATE-compressed message", ["Prefix", "DeflateMissingPrefix"])
    add(deflated(zlib_wrapped(msg)), "INFLATE", "a zlib (RFC 1950) wrapper behind XC1Z:", ["Zlib", "DeflateInvalid"])
    add(deflated(gzip_wrapped(msg)), "INFLATE", "a gzip (RFC 1952) wrapper behind XC1Z:", ["Gzip", "DeflateInvalid"])
    add(deflated(stored_block(msg, complement=len(msg))), "INFLATE", "a stored block whose NLEN is not the complement of LEN", ["DeflateStored", "DeflateInvalid"])
    add(deflated(stored_block(msg, length=len(msg) + 10)), "INFLATE", "a stored block whose LEN runs past the data", ["DeflateStored", "DeflateTruncated"])
    add(deflated(stored_block(msg, final=False)), "INFLATE", "a stored block that is not marked final, and nothing after it", ["DeflateStored", "DeflateTruncated"])
    add(deflated(b"\x07" + compress.deflate(msg)), "INFLATE", "a block of the reserved type 3", ["DeflateInvalid"])
    for size, label in [(limits.MAX_INFLATED_BYTES + 1, "one byte over the cap"), (64 * 1024, "64 KiB"), (1024 * 1024, "1 MiB"), (2 * 1024 * 1024 + 512 * 1024, "2.5 MiB, near the most a QR-sized text can hold")]:
        add(deflated(compress.deflate(b"\x00" * size)), "LIMIT", f"a bomb inflating to {label}", ["InflateLimit", "Bomb"])
    add(deflated(compress.deflate(b"\x00" * limits.MAX_INFLATED_BYTES)), "CBOR", "inflates to exactly the cap (not LIMIT): zero bytes, then trailing bytes", ["InflateLimit", "Boundary", "CborTrailing"])
    add(deflated(open_bomb(5000) + b"\x07"), "LIMIT", "5000 bytes of output, then a block of the reserved type: where the cap is hit first is not defined", ["InflateLimit", "Bomb", "DeflateInvalid", "Precedence"], acceptable=["LIMIT", "INFLATE"])
    add(deflated(compress.deflate(b"\x00" * 5000) + b"\x00"), "LIMIT", "a complete 5000-byte bomb with a byte after it: an inflater may see either flaw first", ["InflateLimit", "Bomb", "DeflateTrailing", "Precedence"], acceptable=["LIMIT", "INFLATE"])
    valid(deflated(stored_block(msg)), "the message in one stored (uncompressed) DEFLATE block", ["Ed25519", "Deflated", "DeflateStored"])
    valid(deflated(fixed_huffman(msg)), "the message as literals with the fixed Huffman codes", ["Ed25519", "Deflated", "DeflateFixed"])
    padded = next(
        p
        for packed in (compress.deflate(msg), fixed_huffman(msg))
        for p in (flip(packed, len(packed) - 1, 1 << bit) for bit in range(7, -1, -1))
        if _inflates_to(p, msg)
    )
    valid(deflated(padded), "a padding bit after the final DEFLATE block set: the same message, so the same credential", ["Ed25519", "Deflated", "DeflatePadding"])
    # --- CBOR of the COSE message -------------------------------------------------------------
    enc = cbor.encode
    add(plain(b"\xd2" + head(4, 4, 1) + enc(prot) + b"\xa0" + enc(payload) + enc(sig)), "NOT_DETERMINISTIC", "COSE array length 4 in a two-byte head", ["CborNonMinimal"])
    add(plain(b"\xd2\x84" + head(2, len(prot), 1) + prot + b"\xa0" + enc(payload) + enc(sig)), "NOT_DETERMINISTIC", "protected header byte string with a two-byte length head", ["CborNonMinimal"])
    add(plain(b"\xd2\x84" + enc(prot) + b"\xa0" + head(2, len(payload), 2) + payload + enc(sig)), "NOT_DETERMINISTIC", "payload length in a three-byte head", ["CborNonMinimal"])
    add(plain(b"\xd2\x84" + enc(prot) + b"\xa0" + head(2, len(payload), 8) + payload + enc(sig)), "NOT_DETERMINISTIC", "payload length in a nine-byte head", ["CborNonMinimal"])
    add(plain(raw_sign1(prot, payload, sig, unprotected=b"\xb8\x00")), "NOT_DETERMINISTIC", "empty unprotected map in a two-byte head", ["CborNonMinimal"])
    add(plain(raw_sign1(prot, payload, sig, unprotected=b"\xbf\xff")), "NOT_DETERMINISTIC", "empty unprotected map of indefinite length", ["CborIndefinite"])
    add(plain(b"\xd2\x84" + enc(prot) + b"\xa0" + enc(payload) + b"\x5f" + enc(sig[:32]) + enc(sig[32:]) + b"\xff"), "NOT_DETERMINISTIC", "signature as an indefinite-length byte string of two chunks", ["CborIndefinite"])
    add(plain(b"\xd2\x84" + enc(prot) + b"\xa0" + enc(payload) + b"\x5f" + enc("x") + b"\xff"), "CBOR", "an indefinite-length byte string with a text chunk", ["CborWellFormed", "CborIndefinite"])
    add(plain(b"\xd2\x84" + enc(prot) + b"\xa0" + b"\x59\x10\x00" + payload + enc(sig)), "CBOR", "payload length 4096 declared, fewer bytes left", ["CborLengthOverflow"])
    add(plain(b"\xd2\x84" + enc(prot) + b"\xa0" + b"\x5b" + b"\xff" * 8 + payload), "CBOR", "payload length 2^64-1 declared: refused before any allocation", ["CborLengthOverflow", "CborHugeLength", "IntegerOverflow"])
    add(plain(b"\xd2\x84" + enc(prot) + b"\xb8\x3f"), "CBOR", "unprotected map of 63 entries declared where the data ends", ["CborLengthOverflow"])
    add(plain(b"\xd2\x98\x40" + enc(prot)), "CBOR", "COSE array of 64 entries declared, 14 bytes left", ["CborLengthOverflow", "Boundary"])
    add(plain(b"\xd2\x9b" + b"\xff" * 8 + enc(prot)), "LIMIT", "COSE array of 2^64-1 entries declared: over the container limit and past the end; which is reported first is not defined", ["CborContainerLength", "CborHugeLength", "Precedence"], acceptable=["LIMIT", "CBOR"])
    add(plain(b"\xd2\x84" + enc(prot) + b"\xba\x00\x01\x00\x00" + b"\x00" * 100), "LIMIT", "unprotected map of 65536 entries declared, past the end too: either flaw may be reported first", ["CborContainerLength", "CborLengthOverflow", "Precedence"], acceptable=["LIMIT", "CBOR"])
    add(plain(raw_sign1(prot, payload, sig, unprotected=enc({i: 0 for i in range(limits.MAX_CONTAINER_LENGTH + 1)}))), "LIMIT", "unprotected header map of 65 entries, one over the container limit", ["CborContainerLength", "Boundary"])
    add(plain(raw_sign1(prot, payload, sig, unprotected=b"\xbf" + b"".join(enc(i) + b"\x00" for i in range(limits.MAX_CONTAINER_LENGTH + 1)) + b"\xff")), "LIMIT", "indefinite-length map of 65 entries: the limit is reported before the indefinite length", ["CborContainerLength", "CborIndefinite", "Precedence"])
    add(plain(raw_sign1(prot, payload, sig, unprotected=enc({i: [0, 0, 0] for i in range(64)}))), "LIMIT", "more than 256 data items in the COSE message", ["CborItems"])
    add(plain(b"\x81" * 1000 + b"\x00"), "LIMIT", "arrays nested 1000 deep", ["CborDepth"])
    add(plain(b"\xd2\x84" + enc(prot) + b"\xa0" + enc(payload) + b"\x5f" + b"\x40" * 1000 + b"\xff"), "LIMIT", "signature as an indefinite-length byte string of 1000 empty chunks: each chunk is an item", ["CborItems", "CborIndefinite", "Precedence"])
    add(plain(b"\xd2" * 200 + msg), "LIMIT", "tag 18 nested 200 deep around the message", ["CborDepth", "CoseTag"])
    add(plain(b"\xd2\x84" + enc(prot) + b"\xa0" + enc(payload) + b"\x5c"), "CBOR", "reserved additional information 28", ["CborWellFormed"])
    add(plain(b"\xd2\x84" + enc(prot) + b"\xa0" + enc(payload) + b"\xff"), "CBOR", "a break code outside an indefinite-length item", ["CborWellFormed"])
    add(plain(b"\xd2\x84" + enc(prot) + b"\xa0" + enc(payload) + b"\xf9\x00\x00"), "CBOR", "a half-precision float for the signature", ["CborFloat"])
    add(plain(raw_sign1(prot, payload, sig, unprotected=b"\xa1\x41\x01\x00")), "CBOR", "a byte-string map key in the unprotected header", ["CborKeyType"])
    add(plain(raw_sign1(prot, payload, sig, unprotected=b"\xa1\xf4\x00")), "CBOR", "the map key false", ["CborKeyType"])
    # --- COSE structure -----------------------------------------------------------------------
    add(plain(b"\xd2\x83" + enc(prot) + b"\xa0" + enc(payload)), "COSE", "COSE array of three items (no signature)", ["CoseStructure"])
    add(plain(b"\xd2\x85" + enc(prot) + b"\xa0" + enc(payload) + enc(sig) + enc(sig)), "COSE", "COSE array of five items", ["CoseStructure"])
    add(plain(enc(cbor.Tag(18, {1: prot, 2: {}, 3: payload, 4: sig}))), "COSE", "tag 18 around a map", ["CoseStructure"])
    add(plain(b"\xd2\x84" + enc(prot) + b"\xa0\xf6" + enc(sig)), "COSE", "payload nil (detached content)", ["CoseDetached"])
    add(plain(b"\xd2\x84" + enc(prot) + b"\xa0" + enc(payload) + enc(sig.hex())), "COSE", "signature as a text string", ["CoseStructure"])
    add(plain(b"\xd2\x84" + enc(prot) + b"\xa0" + enc(payload) + enc([sig])), "COSE", "signature inside an array (COSE_Sign shape)", ["CoseStructure"])
    add(plain(b"\xd2\x84" + enc(prot.hex()) + b"\xa0" + enc(payload) + enc(sig)), "COSE", "protected header as a text string", ["CoseStructure"])
    add(plain(b"\xd2\x84" + enc({1: -8, 4: kid}) + b"\xa0" + enc(payload) + enc(sig)), "COSE", "protected header as a bare map, not wrapped in a byte string", ["CoseStructure"])
    add(plain(b"\xd9\xd9\xf7" + msg), "COSE", "self-described CBOR tag 55799 around tag 18", ["CoseTag"])
    add(plain(b"\xd0" + msg[1:]), "COSE", "tag 16 (COSE_Encrypt0) for tag 18", ["CoseTag"])
    add(plain(b"\xd8\x62" + msg[1:]), "COSE", "tag 98 (COSE_Sign) for tag 18", ["CoseTag"])
    # Protected header, each signed over so that only the header itself is wrong.
    add(plain(raw_sign1(b"", payload, sign_parts("hk-ed25519", payload, b"")[1])), "COSE", "empty protected header h'' (no alg, no kid)", ["CoseProtected", "Empty"])
    add(signed(payload, protected=b"\xa0"), "COSE", "protected header an empty map", ["CoseProtected", "Empty"])
    add(signed(payload, protected=enc({4: kid})), "COSE", "protected header without alg", ["CoseProtected"])
    add(signed(payload, protected=enc({1: -8})), "COSE", "protected header without kid", ["CoseProtected"])
    add(signed(payload, protected=enc({1: -8, 4: kid[:7]})), "COSE", "kid of 7 bytes", ["CoseKid"])
    add(signed(payload, protected=enc({1: -8, 4: kid + b"\x00"})), "COSE", "kid of 9 bytes (the right key's kid and one byte more)", ["CoseKid"])
    add(signed(payload, protected=enc({1: -8, 4: kid.hex()})), "COSE", "kid as a text string", ["CoseKid"])
    add(signed(payload, protected=enc({1: -8, 3: 61, 4: kid})), "COSE", "content type (label 3) in the protected header", ["CoseCrit"])
    add(signed(payload, protected=enc({1: -8, 4: kid, "alg": -8})), "COSE", "a text label in the protected header", ["CoseCrit"])
    add(signed(payload, protected=enc({1: -8, 2: [], 4: kid})), "COSE", "an empty crit list", ["CoseCrit"])
    add(signed(payload, protected=enc([-8, kid])), "COSE", "protected header an array, not a map", ["CoseProtected"])
    add(signed(payload, protected=enc({4: kid, 1: -8})[:1] + enc(4) + enc(kid) + enc(1) + enc(-8)), "NOT_DETERMINISTIC", "protected header with kid before alg (unsorted), signed as is", ["CoseProtected", "CborUnsorted"])
    add(signed(payload, protected=b"\xa2\x01\x38\x07\x04" + enc(kid)), "NOT_DETERMINISTIC", "alg -8 in a two-byte head, signed as is", ["CoseProtected", "CborNonMinimal"])
    add(signed(payload, protected=prot + b"\x00"), "CBOR", "a byte after the protected header map, signed as is", ["CoseProtected", "CborTrailing"])
    over = lambda size: enc({1: -8, 4: kid + b"\x00" * (size - 14)})  # noqa: E731
    assert len(over(65)) == 65 and len(over(64)) == 64
    add(signed(payload, protected=over(65)), "LIMIT", "protected header of 65 bytes, one over the limit", ["ProtectedLimit", "Boundary"])
    add(signed(payload, protected=over(64)), "COSE", "protected header of exactly 64 bytes is not LIMIT: its kid is the wrong length", ["ProtectedLimit", "Boundary", "CoseKid"])
    add(signed(payload, protected=enc({1: -8, 4: kid, 99: nested(20)})), "LIMIT", "protected header over the size limit and nested 20 deep", ["ProtectedLimit", "CborDepth"])
    # Unprotected header: nothing there is signed, so nothing is allowed there.
    for unprotected, what in [(enc({1: -8}), "alg"), (enc({2: [4]}), "crit"), (enc({5: b"\x00" * 12}), "an IV"), (enc({"x": 1}), "a text label"), (b"\x80", "an array for the map"), (b"\xf6", "nil for the map"), (enc(b"\xa0"), "a byte string for the map"), (enc({1: -8, 4: kid}), "alg and kid both")]:
        add(plain(raw_sign1(prot, payload, sig, unprotected=unprotected)), "COSE", f"unprotected header holds {what}", ["CoseUnprotected"])
    # --- algorithm and key identifier ---------------------------------------------------------
    add(signed(payload, protected=enc({1: "EdDSA", 4: kid})), "ALG", "alg as the text EdDSA", ["AlgType"])
    add(signed(payload, protected=enc({1: -9, 4: kid})), "ALG", "alg -9 (fully specified Ed25519 in a later draft) is not an XC algorithm", ["AlgUnknown"])
    add(signed(payload, protected=enc({1: 0, 4: kid})), "ALG", "alg 0 (reserved)", ["AlgUnknown"])
    add(signed(payload, protected=enc({1: -(2**64), 4: kid})), "ALG", "alg -2^64, the smallest CBOR integer", ["AlgUnknown", "IntegerOverflow"])
    add(signed(payload, protected=enc({1: True, 4: kid})), "ALG", "alg true (a boolean, not the integer 1)", ["AlgType"])
    add(signed(payload, protected=enc({1: None, 4: kid})), "ALG", "alg null: present, so an unsupported algorithm rather than a missing one", ["AlgType"])
    add(signed(payload, protected=enc({1: -35, 4: b"\x00" * 8})), "ALG", "unknown alg and unknown kid: the alg is checked first", ["AlgUnknown", "KidUnknown", "Precedence"])
    add(signed(payload, protected=enc({1: -8, 4: flip(kid, 0)})), "UNKNOWN_KID", "kid of a trusted key with one bit flipped", ["KidUnknown"])
    raw_public = KEYS["hk-ed25519"].public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    add(signed(payload, protected=enc({1: -8, 4: hashlib.sha256(raw_public).digest()[:8]})), "UNKNOWN_KID", "kid derived from the raw public key instead of its SubjectPublicKeyInfo", ["KidUnknown", "KidDerivation"])
    add(good, "UNKNOWN_KID", "a verifier that trusts only the other authority's keys", ["KidUnknown"], keys={"mo-ed25519": ["MO"], "mo-es256": ["MO"]})
    add(sample_text("hk-es256"), "UNKNOWN_KID", "an ES256 credential at a verifier that trusts only Ed25519 keys", ["KidUnknown"], keys={"hk-ed25519": ["HK"], "mo-ed25519": ["MO"]})
    add(plain(message("mo-ed25519", payload, prot)), "SIGNATURE", "kid of one trusted key, signed by another trusted key: verifiers must not try every key", ["KidMismatch"])
    # --- signature ----------------------------------------------------------------------------
    ed_r, ed_s = sig[:32], int.from_bytes(sig[32:], "little")
    add(plain(cose.build(prot, payload, ed_r + (ed_s + ED25519_L).to_bytes(32, "little"))), "SIGNATURE", "Ed25519 S + L: the malleated twin of a valid signature", ["SignatureMalleable"])
    add(plain(cose.build(prot, payload, b"")), "SIGNATURE", "an empty signature", ["SignatureLength", "Empty"])
    add(plain(cose.build(prot, payload, sig + b"\x00")), "SIGNATURE", "Ed25519 signature of 65 bytes", ["SignatureLength"])
    add(plain(cose.build(prot, payload, b"\x00" * 64)), "SIGNATURE", "an all-zero Ed25519 signature", ["SignatureZero"])
    add(plain(cose.build(es.protected, es.payload, es.signature[:63])), "SIGNATURE", "ES256 signature of 63 bytes", ["SignatureLength"])
    add(plain(cose.build(es.protected, es.payload, es.signature + b"\x00")), "SIGNATURE", "ES256 signature of 65 bytes", ["SignatureLength"])
    der = encode_dss_signature(int.from_bytes(es.signature[:32], "big"), int.from_bytes(es.signature[32:], "big"))
    add(plain(cose.build(es.protected, es.payload, der)), "SIGNATURE", f"ES256 signature in DER ({len(der)} bytes) instead of r || s", ["SignatureLength", "EcdsaDer"])
    add(plain(cose.build(es.protected, es.payload, b"\x00" * 64)), "SIGNATURE", "ES256 signature r = 0, s = 0", ["SignatureZero"])
    add(plain(cose.build(es.protected, es.payload, P256_N.to_bytes(32, "big") + es.signature[32:])), "SIGNATURE", "ES256 signature with r = n, outside the group", ["EcdsaRange"])
    add(plain(cose.build(es.protected, es.payload, (P256_N + 1).to_bytes(32, "big") + es.signature[32:])), "SIGNATURE", "ES256 r = n + 1: 1 modulo n, but out of range", ["EcdsaRange"])
    add(plain(cose.build(prot, payload, sign_raw("hk-ed25519", payload))), "SIGNATURE", "the payload signed alone, not the Sig_structure", ["SigStructure"])
    add(plain(cose.build(prot, payload, sign_raw("hk-ed25519", cbor.encode(["Signature", prot, b"", payload])))), "SIGNATURE", "signed with the COSE_Sign context string 'Signature'", ["SigStructure"])
    add(plain(cose.build(prot, payload, sign_raw("hk-ed25519", cbor.encode(["Signature1", prot, b"XC1", payload])))), "SIGNATURE", "signed with external AAD that XC does not use", ["SigStructure"])
    add(plain(cose.build(prot, payload, sign_raw("hk-ed25519", cbor.encode(["Signature1", b"", b"", payload])))), "SIGNATURE", "protected header left out of the Sig_structure", ["SigStructure"])
    add(plain(cose.build(prot, cbor.encode(with_xc(payload, 2, "X9999999")), sig)), "SIGNATURE", "payload edited (another document number), signature kept", ["PayloadTampered"])
    add(plain(cose.build(prot, payload[:-1] + b"\xff", sig)), "SIGNATURE", "unsigned payload that is not even CBOR: the signature is checked first", ["PayloadTampered", "Precedence"])
    # --- payload CBOR (signed, so only an issuer could have made it) --------------------------
    add(raw_top(6, b"\xc1" + enc(samples.ISSUED_AT)), "CLAIMS", "iat as tag 1 (epoch date-time)", ["ClaimsTag"])
    add(raw_top(4, b"\xc2" + enc((samples.ISSUED_AT + samples.YEAR).to_bytes(8, "big"))), "CLAIMS", "exp as tag 2 (a bignum)", ["ClaimsTag"])
    add(raw_top(4, b"\xc0" + enc("2028-01-01T00:00:00Z")), "CLAIMS", "exp as tag 0 (a date-time string)", ["ClaimsTag"])
    add(raw_xc(8, b"\xd8\x64" + enc(22461)), "CLAIMS", "enrolment_expiry as tag 100 (RFC 8943 days)", ["ClaimsTag"])
    add(raw_xc(2, b"\xd8\x18" + enc(enc("A1234563"))), "CLAIMS", "doc_number as tag 24 (embedded CBOR)", ["ClaimsTag"])
    add(signed(b"\xd9\xd9\xf7" + payload), "CLAIMS", "claims map inside tag 55799", ["ClaimsTag"])
    add(signed(b"\xd8\x3d" + payload), "CLAIMS", "claims map inside tag 61 (CWT)", ["ClaimsTag"])
    add(raw_top(6, b"\xfa" + struct.pack(">f", float(samples.ISSUED_AT))), "CBOR", "iat as a single-precision float", ["CborFloat"])
    add(raw_top(4, b"\xfb" + struct.pack(">d", float(samples.ISSUED_AT + samples.YEAR))), "CBOR", "exp as a double-precision float", ["CborFloat"])
    add(raw_top(5, b"\xf9\x7e\x00"), "CBOR", "nbf as a half-precision NaN", ["CborFloat"])
    add(raw_xc(12, b"\xf7"), "CBOR", "family_name undefined (simple value 23)", ["CborSimple"])
    add(raw_xc(12, b"\xf0"), "CBOR", "family_name simple value 16 (unassigned)", ["CborSimple"])
    add(raw_xc(3, b"\xf8\x15"), "CBOR", "residency true in a two-byte simple value: not well-formed", ["CborSimple", "CborWellFormed"])
    add(raw_xc(3, b"\xf8\xff"), "CBOR", "simple value 255", ["CborSimple"])
    add(raw_xc(2, b"\x62\xc3\x28"), "CBOR", "doc_number text that is not UTF-8", ["CborUtf8"])
    add(raw_xc(12, b"\x63\xed\xa0\x80"), "CBOR", "family_name text holding an encoded UTF-16 surrogate", ["CborUtf8"])
    add(raw_xc(12, b"\x62\xc1\x81"), "CBOR", "family_name text with an overlong UTF-8 sequence", ["CborUtf8"])
    add(raw_xc(2, b"\x7f\x61\xc3\x61\xa9\xff"), "CBOR", "an indefinite text string split inside a UTF-8 sequence", ["CborUtf8", "CborIndefinite"])
    add(raw_xc(2, b"\x7f" + enc("A123") + enc("4563") + b"\xff"), "NOT_DETERMINISTIC", "doc_number as an indefinite-length text string", ["CborIndefinite"])
    add(raw_top(6, head(0, samples.ISSUED_AT, 8)), "NOT_DETERMINISTIC", "iat in a nine-byte head", ["CborNonMinimal"])
    add(raw_xc(1, head(0, 1, 1)), "NOT_DETERMINISTIC", "doc_type 1 in a two-byte head", ["CborNonMinimal"])
    add(raw_top(4, b"\x1b" + b"\xff" * 8), "CLAIMS", "exp 2^64-1", ["ClaimsRange", "IntegerOverflow"])
    add(raw_top(6, b"\x3b" + b"\xff" * 8), "CLAIMS", "iat -2^64", ["ClaimsRange", "IntegerOverflow"])
    add(raw_xc(2, b"\x7b" + b"\xff" * 8 + b"A"), "CBOR", "doc_number of length 2^64-1 declared", ["CborLengthOverflow", "CborHugeLength"])
    add(signed(b"\xa7" + payload[1:]), "CBOR", "claims map declaring one entry more than it has", ["CborLengthOverflow"])
    add(signed(b"\xbf" + payload[1:] + b"\xff"), "NOT_DETERMINISTIC", "claims map of indefinite length", ["CborIndefinite"])
    xc_entries = list(fresh()[XC_CLAIM].items())
    descending = head(5, len(xc_entries), 0) + b"".join(enc(k) + enc(v) for k, v in reversed(xc_entries))
    add(raw_top(XC_CLAIM, descending), "NOT_DETERMINISTIC", "XC map keys in descending order", ["CborUnsorted"])
    add(raw_xc(EXTENSION, b"\xa3" + enc(10) + b"\x00" + enc(-1) + b"\x00" + enc(100) + b"\x00"), "NOT_DETERMINISTIC", "keys 10, -1, 100 sorted length-first (RFC 7049 canonical), not bytewise", ["CborUnsorted", "LengthFirst"])
    add(raw_xc(EXTENSION, b"\xa2" + enc(1) + b"\x00" + head(0, 1, 1) + b"\x00"), "NOT_DETERMINISTIC", "the same key twice, once in a longer head", ["CborDuplicateKey", "CborNonMinimal"])
    add(raw_xc(EXTENSION, b"\xa2" + enc("b") + b"\x00" + enc("a") + b"\x00"), "NOT_DETERMINISTIC", "text keys out of bytewise order", ["CborUnsorted"])
    add(raw_xc(EXTENSION, b"\xa1" + enc(b"\x01") + b"\x00"), "CBOR", "a byte-string map key in an extension", ["CborKeyType"])
    add(raw_xc(EXTENSION, b"\xa1" + enc([1]) + b"\x00"), "CBOR", "an array as a map key", ["CborKeyType"])
    add(raw_xc(EXTENSION, b"\xa1\xc1\x01\x00"), "CBOR", "a tagged integer as a map key", ["CborKeyType", "ClaimsTag"])
    add(signed(payload + payload), "CBOR", "two claims maps one after the other", ["CborTrailing"])
    # Limits inside the payload: depth, container length and item count, each with its boundary.
    ext = lambda value: signed(xc(EXTENSION, value))  # noqa: E731
    valid(ext(nested(limits.MAX_DEPTH - 2)), "an extension nested to exactly the depth limit (8 containers)", ["Ed25519", "Extension", "CborDepth", "Boundary"])
    add(ext(nested(limits.MAX_DEPTH - 1)), "LIMIT", "an extension one level deeper than the limit", ["CborDepth", "Boundary"])
    add(raw_xc(EXTENSION, b"\x81" * 500 + b"\x00"), "LIMIT", "an extension nested 500 deep", ["CborDepth"])
    valid(ext(list(range(limits.MAX_CONTAINER_LENGTH))), "an extension array of exactly 64 entries", ["Ed25519", "Extension", "CborContainerLength", "Boundary"])
    add(ext(list(range(limits.MAX_CONTAINER_LENGTH + 1))), "LIMIT", "an extension array of 65 entries", ["CborContainerLength", "Boundary"])
    add(raw_xc(EXTENSION, b"\x7f" + b"\x61A" * limits.MAX_ITEMS + b"\xff"), "LIMIT", "an extension text of 256 one-character chunks: over the item limit", ["CborItems", "CborIndefinite", "Precedence"])
    add(raw_xc(EXTENSION, b"\x9f" + b"\x00" * (limits.MAX_CONTAINER_LENGTH + 1) + b"\xff"), "LIMIT", "an indefinite-length extension array of 65 entries", ["CborContainerLength", "CborIndefinite", "Precedence"])
    room = limits.MAX_ITEMS - count_items(xc(EXTENSION, 0)) + 1  # items the extension may take
    filler = [list(range(min(63, room - 1 - 64 * i))) for i in range((room - 1 + 63) // 64)]
    while count_items(filler) > room:
        filler[-1].pop()
    while count_items(filler) < room:
        filler[-1].append(0)
    assert count_items(xc(EXTENSION, filler)) == limits.MAX_ITEMS
    valid(ext(filler), "claims of exactly 256 data items (keys counted)", ["Ed25519", "Extension", "CborItems", "Boundary"])
    add(ext([*filler[:-1], filler[-1] + [0]]), "LIMIT", "claims of 257 data items", ["CborItems", "Boundary"])
    # --- claims: wrong types ------------------------------------------------------------------
    wrong_types = [
        (top, 1, 72, "iss as an integer"),
        (top, 5, "1798761600", "nbf as text"),
        (top, 6, samples.ISSUED_AT.to_bytes(4, "big"), "iat as a byte string"),
        (top, 7, samples.minimal()["cti"], "cti as hexadecimal text"),
        (top, XC_CLAIM, [], "the XC claim as an array"),
        (xc, 1, "identity-card", "doc_type as its JSON name"),
        (xc, 2, 1234563, "doc_number as an integer"),
        (xc, 3, True, "residency true: a boolean is not the integer 1"),
        (xc, 4, "***", "symbols as a text string, not an array"),
        (xc, 5, "MO", "destinations as a text string, not an array"),
        (xc, 6, -1, "channel as a negative integer"),
        (xc, 7, b"MO26000123", "enrolment as a byte string"),
        (xc, 8, "2031-06-30", "enrolment_expiry as ISO text instead of days"),
        (xc, 10, [bytes(16)], "biometrics as an array"),
        (xc, 11, ["hk/2027", 4711], "status as an array"),
        (xc, 11, {1: b"hk/2027", 2: 4711}, "status.list as a byte string"),
        (xc, 11, {1: "hk/2027", 2: "4711"}, "status.index as text"),
        (xc, 12, b"CHAN", "family_name as a byte string"),
        (xc, 13, ["TAI", "MAN"], "given_name as an array"),
        (xc, 14, 42, "name_zh as an integer"),
        (xc, 15, False, "birth_date false"),
        (xc, 10, {1: bytes(16).hex()}, "a biometric digest as hexadecimal text"),
        (xc, 4, [42], "a symbol as an integer"),
        (xc, 5, [b"MO"], "a destination as a byte string"),
    ]
    for where, key, value, what in wrong_types:
        add(signed(where(key, value)), "CLAIMS", what, ["ClaimsType"])
    stay_text = xc(9, "2028-06-30")
    stay_text[XC_CLAIM][3] = 2  # non-permanent, so that the type is the only flaw
    add(signed(stay_text), "CLAIMS", "stay_limit as ISO text for a non-permanent resident", ["ClaimsType", "NonPermanent"])
    add(signed([fresh()]), "CLAIMS", "claims inside an array instead of a map", ["ClaimsType"])
    add(signed(enc(0)), "CLAIMS", "a payload that is the integer 0", ["ClaimsType"])
    add(signed(b""), "CBOR", "an empty payload", ["CborWellFormed", "Empty"])
    add(signed(xc(12, "CHAN") | {"iss": "HK"}), "CLAIMS", "a text-string key at the top level", ["ClaimsTextKey"])
    add(signed(xc("1", 1)), "CLAIMS", "a text-string key '1' in the XC map", ["ClaimsTextKey"])
    # --- claims: ranges and patterns ----------------------------------------------------------
    add(signed(top(6, -1)), "CLAIMS", "iat -1, before 1970", ["ClaimsRange"])
    add(signed(top(4, 2**32)), "CLAIMS", "exp 2^32, one past the largest time", ["ClaimsRange", "Boundary"])
    add(signed(xc(8, (datetime.date(2200, 1, 1) - EPOCH).days)), "CLAIMS", "enrolment_expiry 2200-01-01, one day past the last date", ["ClaimsRange", "Boundary"])
    add(signed(xc(15, (datetime.date(1899, 12, 31) - EPOCH).days)), "CLAIMS", "birth_date 1899-12-31, one day before the first date", ["ClaimsRange", "Boundary"])
    add(signed(xc(15, "1899")), "CLAIMS", "partial birth_date year 1899", ["ClaimsRange", "PartialDate"])
    add(signed(xc(15, "1990-13")), "CLAIMS", "partial birth_date month 13", ["ClaimsRange", "PartialDate"])
    add(signed(xc(15, "1990-00")), "CLAIMS", "partial birth_date month 00", ["ClaimsRange", "PartialDate"])
    add(signed(xc(15, "90")), "CLAIMS", "partial birth_date of two digits", ["ClaimsPattern", "PartialDate"])
    add(signed(xc(15, "1990-05-17")), "CLAIMS", "a full birth_date as text (full dates are days)", ["ClaimsPattern", "PartialDate"])
    add(signed(xc(1, 4)), "CLAIMS", "doc_type 4, outside the table", ["ClaimsRange"])
    add(signed(xc(1, 0)), "CLAIMS", "doc_type 0", ["ClaimsRange"])
    add(signed(xc(12, "JOA\u0303O")), "CLAIMS", "a name in NFD (decomposed tilde)", ["NameNfc"])
    add(signed(xc(12, "CHAN\u0000")), "CLAIMS", "a name with a NUL", ["NameControl"])
    add(signed(xc(13, "TAI\tMAN")), "CLAIMS", "a name with a tab", ["NameControl"])
    add(signed(xc(13, "TAI\u200bMAN")), "CLAIMS", "a name with a zero-width space (format character)", ["NameControl"])
    add(signed(xc(12, "\u202eNAHC")), "CLAIMS", "a name with a right-to-left override", ["NameControl"])
    add(signed(xc(13, "TAI\u00a0MAN")), "CLAIMS", "a name with a no-break space", ["NameControl"])
    add(signed(xc(12, " CHAN")), "CLAIMS", "a name with a leading space", ["NameSpaces"])
    add(signed(xc(12, "CHAN ")), "CLAIMS", "a name with a trailing space", ["NameSpaces"])
    add(signed(xc(12, "")), "CLAIMS", "an empty name", ["NameLength", "Empty"])
    add(signed(xc(12, "A" * 65)), "CLAIMS", "a family name of 65 characters", ["NameLength", "Boundary"])
    add(signed(xc(14, "\u9673" * 33)), "CLAIMS", "a Chinese name of 33 characters", ["NameLength", "Boundary"])
    valid(signed(xc(12, "\u00c9" * 64)), "a family name of exactly 64 characters (128 bytes)", ["Ed25519", "NonAscii", "NameLength", "Boundary"])
    add(signed(xc(2, "a1234563")), "CLAIMS", "a document number in lowercase", ["ClaimsPattern"])
    add(signed(xc(2, "A" * 17)), "CLAIMS", "a document number of 17 characters", ["ClaimsPattern", "Boundary"])
    add(signed(xc(2, "A123456(3)")), "CLAIMS", "a document number with its check digit in brackets", ["ClaimsPattern"])
    add(signed(xc(2, "A1234563\n")), "CLAIMS", "a document number with a trailing newline (catches regex $ matching before it)", ["ClaimsPattern"])
    add(signed(xc(7, "MO 26000123")), "CLAIMS", "an enrolment reference with a space", ["ClaimsPattern"])
    add(signed(xc(7, "M" * 33)), "CLAIMS", "an enrolment reference of 33 characters", ["ClaimsPattern", "Boundary"])
    add(signed(top(1, "hk")), "CLAIMS", "issuer in lowercase", ["ClaimsPattern"])
    add(signed(top(1, "HKG")), "CLAIMS", "issuer of three letters", ["ClaimsPattern"])
    add(signed(xc(5, ["M"])), "CLAIMS", "a destination of one letter", ["ClaimsPattern"])
    add(signed(xc(4, ["****"])), "CLAIMS", "a symbol of four characters", ["ClaimsPattern"])
    add(signed(xc(11, {1: "hk 2027", 2: 1})), "CLAIMS", "a status list name with a space", ["ClaimsPattern"])
    # --- claims: lists, biometrics and cross-field rules --------------------------------------
    add(signed(xc(5, [])), "CLAIMS", "no destinations", ["ClaimsList", "Empty"])
    add(signed(xc(4, [])), "CLAIMS", "an empty symbols list", ["ClaimsList", "Empty"])
    add(signed(xc(5, ["AA", "AB", "AC", "AD", "AE", "AF", "AG", "MO", "TW"])), "CLAIMS", "nine destinations, one over the limit", ["ClaimsList", "Boundary"])
    add(signed(xc(4, ["A", "B", "C", "D", "E", "F", "G", "H", "I"])), "CLAIMS", "nine symbols", ["ClaimsList", "Boundary"])
    add(signed(xc(5, ["MO", "MO"])), "CLAIMS", "a repeated destination", ["ClaimsList"])
    add(signed(xc(5, ["TW", "MO"])), "CLAIMS", "destinations out of order", ["ClaimsList"])
    add(signed(xc(4, ["A", "A"])), "CLAIMS", "a repeated symbol", ["ClaimsList"])
    add(signed(xc(5, ["HK", "MO"])), "CLAIMS", "destinations include the issuer", ["ClaimsCross"])
    add(signed(xc(10, {})), "CLAIMS", "an empty biometrics map", ["Biometric", "Empty"])
    add(signed(xc(10, {1: bytes(15)})), "CLAIMS", "a face digest of 15 bytes", ["Biometric", "ClaimsRange"])
    add(signed(xc(10, {1: bytes(32)})), "CLAIMS", "a face digest of 32 bytes (the untruncated HMAC)", ["Biometric", "ClaimsRange"])
    add(signed(xc(10, {4: bytes(16)})), "CLAIMS", "an unknown biometric modality 4", ["Biometric", "ClaimsUnknown"])
    add(signed(xc(10, {"face": bytes(16)})), "CLAIMS", "a modality named by text", ["Biometric", "ClaimsTextKey"])
    add(signed(xc(9, 22461)), "CLAIMS", "a limit of stay for a permanent resident", ["ClaimsCross"])
    add(signed(top(5, samples.ISSUED_AT)), "CLAIMS", "nbf equal to iat", ["ClaimsCross", "Boundary"])
    add(signed(top(5, samples.ISSUED_AT - 1)), "CLAIMS", "nbf before iat", ["ClaimsCross"])
    add(signed(top(4, samples.ISSUED_AT)), "CLAIMS", "exp equal to iat", ["ClaimsCross", "Boundary"])
    add(signed(top(4, samples.ISSUED_AT - samples.YEAR)), "CLAIMS", "exp before iat", ["ClaimsCross"])
    both = top(5, samples.ISSUED_AT + 100)
    both[4] = samples.ISSUED_AT + 100
    add(signed(both), "CLAIMS", "exp equal to nbf", ["ClaimsCross", "Boundary"])
    add(signed(top(7, bytes(7))), "CLAIMS", "cti of 7 bytes", ["ClaimsRange", "Boundary"])
    add(signed(top(7, bytes(17))), "CLAIMS", "cti of 17 bytes", ["ClaimsRange", "Boundary"])
    add(signed(top(7, b"")), "CLAIMS", "an empty cti", ["ClaimsRange", "Empty"])
    add(signed(top(1, None)), "CLAIMS", "no issuer", ["ClaimsMissing"])
    add(signed(top(7, None)), "CLAIMS", "no cti", ["ClaimsMissing"])
    add(signed(xc(10, None)), "CLAIMS", "no biometrics", ["ClaimsMissing"])
    add(signed(top(XC_CLAIM, None)), "CLAIMS", "no XC claim at all (a bare CWT)", ["ClaimsMissing"])
    add(signed(top(2, "A1234563")), "CLAIMS", "the CWT sub claim (2) is not an XC claim", ["ClaimsUnknown"])
    add(signed(top(3, "MO")), "CLAIMS", "the CWT aud claim (3) is not an XC claim", ["ClaimsUnknown"])
    add(signed(top(-65538, 1)), "CLAIMS", "another private claim next to the XC claim", ["ClaimsUnknown"])
    add(signed(xc(23, 0)), "CLAIMS", "XC key 23, the last critical key", ["ClaimsUnknown", "Boundary"])
    add(signed(xc(0, 0)), "CLAIMS", "XC key 0", ["ClaimsUnknown"])
    add(signed(xc(11, {1: "hk/2027", 2: 4711, 3: 0})), "CLAIMS", "an unknown key in the status map", ["ClaimsUnknown"])
    add(plain(message("hk-ed25519", reorder_first_two(cbor.encode(top(4, "2028"))))), "NOT_DETERMINISTIC", "unsorted and a wrong type: encoding is checked before the claims", ["CborUnsorted", "ClaimsType", "Precedence"])
    # --- trust, time, revocation, entitlement, biometrics --------------------------------------
    add(plain(message("mo-ed25519", payload_of(claims("minimal", "HK")))), "ISSUER_NOT_AUTHORIZED", "Macau's key signs a credential claiming Hong Kong", ["IssuerBinding"])
    add(plain(message("hk-es256", payload_of(claims("minimal", "MO")))), "ISSUER_NOT_AUTHORIZED", "Hong Kong's ES256 key signs a credential claiming Macau", ["IssuerBinding", "ES256"])
    add(plain(message("hk-ed25519", payload_of(claims("minimal", "TW", destinations=["MO"])))), "ISSUER_NOT_AUTHORIZED", "an issuer no key is trusted for", ["IssuerBinding"])
    add(plain(message("hk-ed25519", payload_of(with_top(claims(), nbf=NOW + SKEW + 1)))), "NOT_YET_VALID", "nbf one second beyond now plus the skew", ["NotYetValid", "SkewBoundary"])
    add(good, "NOT_YET_VALID", "zero skew, one second before iat", ["NotYetValid", "SkewBoundary"], now=samples.ISSUED_AT - 1, skew=0)
    add(plain(message("hk-ed25519", payload_of(with_top(claims(), iat=4102444800, exp=4102444800 + samples.YEAR)))), "NOT_YET_VALID", "issued in 2100", ["NotYetValid"])
    add(good, "EXPIRED", "zero skew, exactly at exp", ["Expired", "SkewBoundary"], now=EXP, skew=0)
    add(plain(message("hk-ed25519", payload_of(with_top(claims(), exp=samples.ISSUED_AT + 1)))), "EXPIRED", "valid for one second, an hour ago", ["Expired"])
    add(good, "EXPIRED", "expired and revoked: validity is checked before revocation", ["Expired", "Revoked", "Precedence"], now=EXP + SKEW, revoked=[samples.minimal()["cti"]])
    add(sample_text("hk-es256"), "REVOKED", "an ES256 credential whose cti is revoked", ["Revoked", "ES256"], revoked=[samples.minimal()["cti"]])
    add(deflated(compress.deflate(msg)), "REVOKED", "a compressed credential whose cti is revoked", ["Revoked", "Deflated"], revoked=["00" * 8, samples.minimal()["cti"], "ff" * 16])
    add(good, "REVOKED", "revoked and at a gate it does not admit to: revocation is checked first", ["Revoked", "Destination", "Precedence"], revoked=[samples.minimal()["cti"]], destination="HK")
    add(plain(message("hk-ed25519", payload_of(claims(enrolment_expiry=SHORT_ENROLMENT)))), "NOT_ENTITLED", "the first second after the enrolment expiry day at UTC+08:00 (16:00 UTC, still that day in UTC)", ["Destination", "DateBoundary"], now=END_OF_SHORT_ENROLMENT)
    stay = claims(residency="non-permanent", stay_limit=SHORT_ENROLMENT, symbols=["C"])
    add(plain(message("hk-ed25519", payload_of(stay))), "NOT_ENTITLED", "the first second after the limit of stay at UTC+08:00 (16:00 UTC, still that day in UTC)", ["Destination", "DateBoundary", "NonPermanent"], now=END_OF_SHORT_ENROLMENT)
    add(sample_text("mo-ed25519"), "NOT_ENTITLED", "a Macau credential at a Macau gate: a region's own gates do not admit its credentials", ["Destination"], destination="MO")
    add(good, "NOT_ENTITLED", "a gate of the issuing region itself", ["Destination"], destination="HK")
    face_only = cbor.encode(credential.claims.model.to_cbor(bound(claims(), "enrolled-face")))
    add(plain(message("hk-ed25519", face_only)), "BIOMETRIC_MISMATCH", "only the face is bound; the gate also checks a fingerprint", ["Biometric"], templates="enrolled")
    add(good, "BIOMETRIC_MISMATCH", "the gate checks an iris the credential does not bind", ["Biometric"], templates="enrolled-iris")
    replay = claims()
    replay["xc"]["biometrics"] = bound(with_top(claims(), cti="00" * 8))["xc"]["biometrics"]
    add(plain(message("hk-ed25519", cbor.encode(credential.claims.model.to_cbor(replay)))), "BIOMETRIC_MISMATCH", "digests copied from a credential with another cti", ["Biometric", "BiometricReplay"], templates="enrolled")
    # --- the longest credentials ---------------------------------------------------------------
    with_extension = lambda n: message("hk-ed25519", cbor.encode(xc(EXTENSION, bytes(n))))  # noqa: E731
    n = _largest(lambda n: len(plain(with_extension(n))), limits.MAX_TEXT_CHARS)
    valid(plain(with_extension(n)), f"a credential of exactly {limits.MAX_TEXT_CHARS} characters, the longest text", ["Ed25519", "Extension", "TextLimit", "Boundary"])
    add(plain(with_extension(n + 1)), "LIMIT", "the longest credential with one byte more", ["TextLimit", "Boundary"])
    n = _largest(lambda n: len(with_extension(n)), limits.MAX_INFLATED_BYTES)
    valid(deflated(compress.deflate(with_extension(n))), f"a compressed credential inflating to exactly {limits.MAX_INFLATED_BYTES} bytes", ["Ed25519", "Extension", "Deflated", "InflateLimit", "Boundary"])
    add(deflated(compress.deflate(with_extension(n + 1))), "LIMIT", "the same with one byte more: a signed credential over the inflate cap", ["InflateLimit", "Boundary"])
    return out


def _inflates_to(data: bytes, expected: bytes) -> bool:
    try:
        return compress.inflate(data) == expected
    except compress.InflateError:
        return False


def _largest(size: Callable[[int], int], limit: int) -> int:
    """The n for which ``size(n)`` is exactly ``limit`` (size grows with n)."""
    n = 0
    while size(n + 64) <= limit:
        n += 64
    while size(n + 1) <= limit:
        n += 1
    assert size(n) == limit, (size(n), limit)
    return n


# --- readings two implementers could differ on (issue 8): each pinned by the spec ---------------

ED25519_IDENTITY = bytes.fromhex("01" + "00" * 31)
ED25519_BASE_POINT = bytes.fromhex("58" + "66" * 31)  # B of RFC 8032, canonical and of prime order
ED25519_ORDER_2 = bytes.fromhex("ec" + "ff" * 30 + "7f")
ED25519_ORDER_8 = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
ED25519_IDENTITY_Y_PLUS_P = bytes.fromhex("ee" + "ff" * 30 + "7f")  # y = p + 1: the identity again
ED25519_IDENTITY_SIGNED_ZERO = bytes.fromhex("01" + "00" * 30 + "80")  # x = 0 with the sign bit set
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
# Names whose length in UTF-16 units is twice their length in code points: CJK Extension B characters
# of Hong Kong names (U+282E2, U+20779, U+210C1), outside the Basic Multilingual Plane.
EXT_B = "\U000282e2\U00020779\U000210c1"
HALF_DAY = 8 * 3600  # the regions' UTC offset (spec 3.4 R5)


def ed25519_with_r(key_name: str, r: bytes, signed_bytes: bytes) -> bytes:
    """An Ed25519 signature with a chosen R and S = k * a mod L, where k = SHA-512(R || A || M).

    For R of small order, [S]B = [k]A: a cofactored verifier accepts any such R, a cofactorless one
    the identity; the spec refuses every small-order or non-canonically encoded R. Only hashing and
    integer arithmetic here, for building test inputs; verification goes through the library."""
    seed = _seed(key_name)
    h = hashlib.sha512(seed).digest()
    a = (int.from_bytes(h[:32], "little") & ((1 << 254) - 8)) | (1 << 254)  # RFC 8032 5.1.5 clamping
    public = KEYS[key_name].public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    k = int.from_bytes(hashlib.sha512(r + public + signed_bytes).digest(), "little") % ED25519_L
    return r + (k * a % ED25519_L).to_bytes(32, "little")


def _lsb_bits(value: int, n: int) -> list[int]:
    return [(value >> i) & 1 for i in range(n)]


def _huffman_codes(lengths: list[int]) -> dict[int, list[int]]:
    """Canonical Huffman codes from code lengths (RFC 1951 3.2.2), each as bits, first bit first."""
    count = [0] * 16
    for length in lengths:
        count[length] += 1 if length else 0
    code, first = 0, [0] * 16
    for bits in range(1, 16):
        code = (code + count[bits - 1]) << 1
        first[bits] = code
    out = {}
    for symbol, length in enumerate(lengths):
        if length:
            out[symbol] = [(first[length] >> i) & 1 for i in reversed(range(length))]
            first[length] += 1
    return out


_CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]


def dynamic_huffman(data: bytes, literal_lengths: list[int] | None = None, distance_lengths: list[int] | None = None) -> bytes:
    """One final DEFLATE block with dynamic Huffman codes (RFC 1951 3.2.7), literals only.

    The default literal/length code is complete over 257 symbols (0..254 in 8 bits, 255 and the end
    of block in 9); the default distance code has two codes of one bit among 30. Every length is sent
    as is, without the repeat codes 16 to 18."""
    literal = literal_lengths if literal_lengths is not None else [8] * 255 + [9, 9]
    distance = distance_lengths if distance_lengths is not None else [1, 1] + [0] * 28
    sequence = literal + distance
    used = sorted(set(sequence))
    depth = (len(used) - 1).bit_length()
    short = 2**depth - len(used)  # a complete code over the lengths used: some one bit shorter
    code_lengths = [0] * 19
    for i, length in enumerate(used):
        code_lengths[length] = depth - 1 if i < short else depth
    sent = max(i for i, symbol in enumerate(_CODE_LENGTH_ORDER) if code_lengths[symbol]) + 1
    bits = [1, 0, 1]  # BFINAL, then BTYPE 10 least significant bit first
    bits += _lsb_bits(len(literal) - 257, 5) + _lsb_bits(len(distance) - 1, 5) + _lsb_bits(sent - 4, 4)
    for symbol in _CODE_LENGTH_ORDER[:sent]:
        bits += _lsb_bits(code_lengths[symbol], 3)
    length_codes = _huffman_codes(code_lengths)
    for length in sequence:
        bits += length_codes[length]
    literal_codes = _huffman_codes(literal)
    for byte in data:
        bits += literal_codes[byte]
    bits += literal_codes[256]
    bits += [0] * (-len(bits) % 8)
    return bytes(sum(bit << i for i, bit in enumerate(bits[k : k + 8])) for k in range(0, len(bits), 8))


def tagged_filler(room: int, extra_tag: bool = False) -> list[Any]:
    """An array of arrays of tagged integers that is exactly ``room`` data items, a tag counting as one
    item and its content as another; ``extra_tag`` wraps one more tag around the first integer."""
    value: list[Any] = []
    used = 1
    while used < room:
        inner: list[Any] = []
        used += 1
        while len(inner) < limits.MAX_CONTAINER_LENGTH and used + 2 <= room:
            inner.append(cbor.Tag(1, 0))
            used += 2
        if used < room and len(inner) < limits.MAX_CONTAINER_LENGTH:
            inner.append(0)
            used += 1
        value.append(inner)
    assert count_items(value) == room
    if extra_tag:
        value[0][0] = cbor.Tag(6, value[0][0])
    return value


def _with_birth(iat: int, birth: Any) -> dict[Any, Any]:
    m = top(6, iat)
    m[XC_CLAIM][15] = birth
    return m


def _days(iso: str) -> int:
    return (datetime.date.fromisoformat(iso) - EPOCH).days


def pinned_cases() -> list[Case]:
    out: list[Case] = []

    def add(text: str, error: str, comment: str, flags: list[str], **verifier: Any) -> None:
        out.append(Case(comment, flags, text, error=error, verifier=verifier))

    def valid(text: str, comment: str, flags: list[str], **verifier: Any) -> None:
        out.append(Case(comment, ["Valid", "Ed25519", *flags], text, verifier=verifier))

    enc = cbor.encode
    msg = sample_message()
    sign1 = cose.parse(msg)
    prot, payload = sign1.protected, sign1.payload
    tbs = cose.to_be_signed(prot, payload)

    # 1. Lengths of names are counted in code points, not UTF-16 units or bytes.
    valid(signed(xc(14, (EXT_B * 11)[:32])), "name_zh of exactly 32 characters outside the BMP (64 UTF-16 units)", ["NameLength", "NameSupplementary", "Boundary"])
    add(signed(xc(14, (EXT_B * 11)[:33])), "CLAIMS", "name_zh of 33 characters outside the BMP", ["NameLength", "NameSupplementary", "Boundary"])
    valid(signed(xc(13, (EXT_B * 22)[:64])), "given_name of exactly 64 characters outside the BMP (256 UTF-8 bytes)", ["NameLength", "NameSupplementary", "Boundary"])
    valid(signed(xc(14, "\u9673" + EXT_B[0] * 31)), "name_zh of 32 characters, 31 of them outside the BMP", ["NameLength", "NameSupplementary", "Boundary"])
    # 2. The name table of Unicode 14.0.0 decides, not the verifier's own Unicode data.
    valid(signed(xc(14, "\u9673\U00031350")), "an ideograph of CJK Extension H (Unicode 15.0; unassigned in 14.0, plane 3) is admitted", ["NameUnicodeVersion", "NameUnassigned"])
    valid(signed(xc(14, "\U0002ebf0\u9673")), "an ideograph of CJK Extension I (Unicode 15.1; unassigned in 14.0, plane 2) is admitted", ["NameUnicodeVersion", "NameUnassigned"])
    add(signed(xc(13, "TAI\U0001e030")), "CLAIMS", "U+1E030, a letter of Unicode 15.0, unassigned in 14.0 outside planes 2 and 3", ["NameUnicodeVersion", "NameUnassigned"])
    add(signed(xc(13, "TAI\u0378MAN")), "CLAIMS", "U+0378, unassigned in every version", ["NameUnassigned"])
    add(signed(xc(12, "CHAN\u0890")), "CLAIMS", "U+0890 ARABIC POUND MARK ABOVE, a format character (Cf) since Unicode 14.0", ["NameUnicodeVersion", "NameControl"])
    add(signed(xc(14, "\u9673\U0003fffe")), "CLAIMS", "noncharacter U+3FFFE in plane 3, where unassigned code points are admitted", ["NameNoncharacter", "NameUnassigned", "Boundary"])
    add(signed(xc(14, "\u9673\ufdd0")), "CLAIMS", "noncharacter U+FDD0", ["NameNoncharacter"])
    add(signed(xc(14, "\u9673\uffff")), "CLAIMS", "noncharacter U+FFFF", ["NameNoncharacter"])
    add(signed(xc(14, "\u9673\ue000")), "CLAIMS", "private use U+E000 (Co)", ["NameControl"])
    add(signed(xc(14, "\u9673\U000f0000")), "CLAIMS", "private use U+F0000 in plane 15 (Co)", ["NameControl"])
    add(signed(xc(13, "TAI\u2028MAN")), "CLAIMS", "line separator U+2028 (Zl)", ["NameControl"])
    add(signed(xc(13, "TAI\u2029MAN")), "CLAIMS", "paragraph separator U+2029 (Zp)", ["NameControl"])
    add(signed(xc(13, "TAI\u3000MAN")), "CLAIMS", "ideographic space U+3000 (Zs)", ["NameControl"])
    valid(signed(xc(14, "\U00031350\u0301")), "a combining mark after an ideograph unassigned in 14.0: a starter, so not a lone mark, and NFC", ["NameUnassigned", "NameMark"])
    add(signed(xc(14, "\U00031350e\u0301")), "CLAIMS", "after an ideograph unassigned in 14.0, e and a combining acute that NFC composes", ["NameUnassigned", "NameNfc"])
    # 13. Characters that render as nothing, and marks with nothing to attach to.
    for text, what in [
        ("\u3164", "U+3164 HANGUL FILLER alone"),
        ("CHAN\u3164", "a Hangul filler after the name"),
        ("\u115f", "U+115F HANGUL CHOSEONG FILLER alone"),
        ("\uffa0", "U+FFA0 HALFWIDTH HANGUL FILLER alone"),
        ("\u2800", "U+2800 BRAILLE PATTERN BLANK alone"),
        ("CHAN\u2800", "a blank Braille pattern after the name"),
        ("CH\u034fAN", "U+034F COMBINING GRAPHEME JOINER inside the name"),
        ("\u9673\ufe0f", "variation selector U+FE0F after an ideograph"),
        ("\u9673\U000e0100", "variation selector U+E0100 after an ideograph"),
        ("CHAN\u180b", "Mongolian free variation selector U+180B"),
        ("CHAN\u17b4", "U+17B4 KHMER VOWEL INHERENT AQ"),
    ]:
        add(signed(xc(12, text)), "CLAIMS", f"{what}: invisible", ["NameInvisible"])
    add(signed(xc(12, "\u0301CHAN")), "CLAIMS", "a name that begins with a combining mark", ["NameMark"])
    add(signed(xc(13, "TAI \u0301MAN")), "CLAIMS", "a combining mark right after a space", ["NameMark"])
    add(signed(xc(12, "\u0301")), "CLAIMS", "a name that is one combining mark", ["NameMark"])
    valid(signed(xc(13, "\u0915\u0941\u092e\u093e\u0930")), "a Devanagari given name with combining vowel signs (Mn, Mc) after letters", ["NameMark", "NonAscii"])
    # 3. A tag is a data item, and so is its content.
    room = limits.MAX_ITEMS - count_items(xc(EXTENSION, 0)) + 1
    valid(signed(xc(EXTENSION, tagged_filler(room))), "claims of exactly 256 data items, many of them tags, each tag and its content counted", ["CborItems", "CborTagItem", "Extension", "Boundary"])
    add(signed(xc(EXTENSION, tagged_filler(room, extra_tag=True))), "LIMIT", "the same with one more tag around an integer: 257 data items", ["CborItems", "CborTagItem", "Boundary"])
    # 4. Ed25519: R of small order or in a non-canonical encoding is SIGNATURE, whatever the equation.
    for r, what, flags in [
        (ED25519_IDENTITY, "the identity point, with S = k * a: a cofactorless equation holds", ["Ed25519SmallOrderR"]),
        (ED25519_ORDER_2, "a point of order 2, with S = k * a: a cofactored equation holds", ["Ed25519SmallOrderR", "Ed25519Cofactor"]),
        (ED25519_ORDER_8, "a point of order 8, with S = k * a: a cofactored equation holds", ["Ed25519SmallOrderR", "Ed25519Cofactor"]),
        (ED25519_IDENTITY_Y_PLUS_P, "the identity encoded with y = p + 1, with S = k * a: equal as points to the R computed", ["Ed25519NonCanonicalR", "Ed25519SmallOrderR"]),
        (ED25519_IDENTITY_SIGNED_ZERO, "the identity encoded with x = 0 and the sign bit set, with S = k * a", ["Ed25519NonCanonicalR", "Ed25519SmallOrderR"]),
    ]:
        add(plain(cose.build(prot, payload, ed25519_with_r("hk-ed25519", r, tbs))), "SIGNATURE", f"Ed25519 R is {what}", flags)
    # 5. An indefinite-length container is LIMIT where its 65th entry begins, before any of it is read.
    pairs = b"".join(enc(i) + b"\x00" for i in range(limits.MAX_CONTAINER_LENGTH))
    add(raw_xc(EXTENSION, b"\xbf" + pairs + enc(64) + b"\x1c"), "LIMIT", "indefinite-length map: 64 pairs, then a 65th key whose value is malformed", ["CborContainerLength", "CborIndefinite", "CborIndefiniteEntry", "Precedence"])
    add(raw_xc(EXTENSION, b"\xbf" + pairs + b"\x1c\x00"), "LIMIT", "indefinite-length map: 64 pairs, then a malformed 65th key", ["CborContainerLength", "CborIndefinite", "CborIndefiniteEntry", "Precedence"])
    add(raw_xc(EXTENSION, b"\x9f" + b"\x00" * limits.MAX_CONTAINER_LENGTH + b"\x1c"), "LIMIT", "indefinite-length array: 64 entries, then a malformed 65th", ["CborContainerLength", "CborIndefinite", "CborIndefiniteEntry", "Precedence"])
    add(raw_xc(EXTENSION, b"\xbf" + pairs + b"\xff"), "NOT_DETERMINISTIC", "indefinite-length map of exactly 64 pairs: within the limit, so only the indefinite length is wrong", ["CborContainerLength", "CborIndefinite", "CborIndefiniteEntry", "Boundary"])
    add(signed(b"\xa1\x01\xbf" + pairs), "CBOR", "the data ends where the 65th pair of an indefinite-length map would begin", ["CborIndefinite", "CborIndefiniteEntry", "Truncated"])
    # 6. A map's entry count is compared with the bytes that remain as pairs, not as twice the pairs.
    add(plain(b"\xd2\x84" + enc(prot) + b"\xa8\x01" + b"\x81" * 6 + b"\x00"), "LIMIT", "a map of 8 pairs declared with 8 bytes left (fewer than 16): read on, it nests too deep", ["CborLengthOverflow", "CborPairs", "CborDepth", "Precedence"])
    add(plain(b"\xd2\x84" + enc(prot) + b"\xa9\x01" + b"\x81" * 6 + b"\x00"), "CBOR", "a map of 9 pairs declared with 8 bytes left: CBOR at its head", ["CborLengthOverflow", "CborPairs", "Boundary"])
    # 10. An extension value may itself be a tag, and may hold tags at any depth.
    valid(signed(xc(EXTENSION, cbor.Tag(1, samples.ISSUED_AT))), "an extension value that is itself a tag (1, epoch time)", ["Extension", "ExtensionTag"])
    valid(signed(xc(EXTENSION, cbor.Tag(2**64 - 1, None))), "an extension value under the largest tag number, 2^64-1", ["Extension", "ExtensionTag", "IntegerOverflow"])
    valid(signed(xc(-2, [cbor.Tag(55799, {1: cbor.Tag(24, enc("x"))})])), "tags nested inside a negative-key extension", ["Extension", "ExtensionTag"])
    # 11. The text limit is what a QR code holds at level M.
    add("XC1:" + "0" * (4296 - 4), "LIMIT", "a text of 4296 characters: a QR code holds it at level L, but not at M", ["TextLimit", "QrCapacity"])
    # 12. DEFLATE: what zlib and most inflaters accept, and no more.
    valid(deflated(dynamic_huffman(msg)), "dynamic Huffman block declaring 30 distance codes, the most an inflater must take", ["Deflated", "DeflateDynamic", "Boundary"])
    valid(deflated(dynamic_huffman(msg, distance_lengths=[1] + [0] * 29)), "dynamic Huffman block whose distance code is a single code of one bit", ["Deflated", "DeflateDynamic"])
    valid(deflated(dynamic_huffman(msg, distance_lengths=[0] * 30)), "dynamic Huffman block with no distance code at all (literals only)", ["Deflated", "DeflateDynamic"])
    add(deflated(dynamic_huffman(msg, distance_lengths=[1, 1] + [0] * 29)), "INFLATE", "dynamic Huffman block declaring 31 distance codes (RFC 1951 allows it; zlib refuses)", ["DeflateDistanceCodes", "Boundary"])
    add(deflated(dynamic_huffman(msg, distance_lengths=[1, 1] + [0] * 30)), "INFLATE", "dynamic Huffman block declaring 32 distance codes", ["DeflateDistanceCodes"])
    add(deflated(dynamic_huffman(msg, literal_lengths=[9] * 257)), "INFLATE", "an incomplete literal/length code", ["DeflateIncompleteCode"])
    add(deflated(dynamic_huffman(msg, literal_lengths=[8] * 257)), "INFLATE", "an over-subscribed literal/length code", ["DeflateIncompleteCode"])
    add(deflated(dynamic_huffman(msg, distance_lengths=[2] + [0] * 29)), "INFLATE", "a distance code of one two-bit code: incomplete, although no distance is used", ["DeflateIncompleteCode"])
    # 14. Plausibility: a birth date after the day of issue, a destination outside the region table.
    add(signed(_with_birth(samples.ISSUED_AT, _days("2027-01-02"))), "CLAIMS", "born the day after the day of issue", ["Plausibility", "ClaimsCross"])
    valid(signed(_with_birth(samples.ISSUED_AT, _days("2027-01-01"))), "born on the day of issue", ["Plausibility", "Boundary"])
    valid(signed(_with_birth(samples.ISSUED_AT - HALF_DAY, _days("2027-01-01"))), "issued at 2027-01-01 00:00 UTC+08:00 (still 2026-12-31 in UTC) to a holder born that day", ["Plausibility", "Boundary", "RegionDate"])
    add(signed(_with_birth(samples.ISSUED_AT - HALF_DAY - 1, _days("2027-01-01"))), "CLAIMS", "issued one second before 2027-01-01 00:00 UTC+08:00 to a holder born on 2027-01-01", ["Plausibility", "Boundary", "RegionDate"])
    valid(signed(_with_birth(samples.ISSUED_AT - HALF_DAY, "2027")), "issued on the first day of 2027 (UTC+08:00), born in 2027 (year only)", ["Plausibility", "PartialDate", "RegionDate"])
    add(signed(_with_birth(samples.ISSUED_AT, "2027-02")), "CLAIMS", "born in February 2027 (month only), issued in January", ["Plausibility", "PartialDate"])
    add(signed(_with_birth(samples.ISSUED_AT, "2028")), "CLAIMS", "born in 2028 (year only), issued in 2027", ["Plausibility", "PartialDate"])
    add(signed(xc(5, ["TW"])), "CLAIMS", "a destination that names no region of the table", ["RegionTable", "Destination"])
    add(signed(xc(5, ["XX"])), "CLAIMS", "a destination of the right form that is no region at all", ["RegionTable", "Destination"])
    return out


def pinned_issuance_cases() -> list[Case]:
    """Issued credentials at the issuer's limits, reproducible byte for byte."""
    out: list[Case] = []
    filler = lambda n: claims(extensions={str(EXTENSION): enc_bytes(n)})  # noqa: E731

    def length(n: int) -> int:
        try:
            return len(credential.issue(filler(n), KEYS["hk-ed25519"], templates=TEMPLATE_SETS["enrolled"], deflate=False, policy=None))
        except ValueError:  # refused as too long, which is what the search looks for the edge of
            return limits.MAX_TEXT_CHARS + 1

    n = _largest(length, limits.MAX_TEXT_CHARS)
    case = issued(filler(n), deflate=False)
    case.comment, case.flags = f"issued at the text limit: exactly {limits.MAX_TEXT_CHARS} characters, the most a QR code holds at level M", ["Valid", "Ed25519", "TextLimit", "QrCapacity", "Extension", "Boundary"]
    out.append(case)
    return out


def enc_bytes(n: int) -> str:
    """The hexadecimal CBOR of a byte string of ``n`` bytes that DEFLATE cannot shorten."""
    noise = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n // 32 + 1))[:n]
    return cbor.encode(noise).hex()


def issuer_refusals() -> list[dict[str, Any]]:
    """Issuer inputs every conforming issuer refuses (spec 9.1): the vector file's issuerTests."""
    both = bound(claims())
    deep = claims(extensions={str(EXTENSION): "81" * 7 + "01"})
    compressible = claims(extensions={str(EXTENSION): cbor.encode("MACAU " * 800).hex()})
    long_plain = claims(extensions={str(EXTENSION): enc_bytes(2400)})
    cases = [
        ("xc.biometrics given together with reference templates", ["IssuerBiometricsAndTemplates"], both, "enrolled", None),
        ("an extension nested so deep that the claims exceed the depth limit", ["IssuerLimits", "CborDepth"], deep, "enrolled", None),
        ("a compressible extension: the XC1Z: text is short but inflates past 4096 bytes", ["IssuerLimits", "InflateLimit"], compressible, "enrolled", None),
        ("the same, with DEFLATE forced", ["IssuerLimits", "InflateLimit"], compressible, "enrolled", True),
        ("an incompressible extension: a text longer than a QR code holds at level M", ["IssuerLimits", "TextLimit", "QrCapacity"], long_plain, "enrolled", None),
        ("a birth date after the day of issue", ["IssuerClaims", "Plausibility"], claims("full", birth_date="2027-01-02"), "enrolled", None),
        ("a destination outside the region table", ["IssuerClaims", "RegionTable"], claims(destinations=["TW"]), "enrolled", None),
        ("a name with an invisible character", ["IssuerClaims", "NameInvisible"], claims("full", given_name="TAI\u3164MAN"), "enrolled", None),
        # JSON null is not absence (3.6): an optional claim left out is left out, never given as null.
        ("xc.family_name given as null", ["IssuerClaims", "JsonNull"], claims("full", family_name=None), "enrolled", None),
        ("nbf given as null", ["IssuerClaims", "JsonNull"], {**claims(), "nbf": None}, "enrolled", None),
        ("exp as ISO 8601 text without a UTC offset: it names no instant", ["IssuerInput", "TimeWithoutOffset"],
         with_top(claims(), exp="2027-06-01T00:00:00"), "enrolled", None),
        ("exp as a date alone: a time needs its time of day and offset", ["IssuerInput", "TimeWithoutOffset"],
         with_top(claims(), exp="2027-06-01"), "enrolled", None),
        ("exp as ISO 8601 in the basic form, a layout other than 9.1's", ["IssuerInput", "TimeLayout"],
         with_top(claims(), exp="20270601T000000Z"), "enrolled", None),
    ]
    out = []
    for number, (comment, flags, c, templates, deflate) in enumerate(cases, start=1):
        try:
            credential.issue(c, KEYS["hk-ed25519"], templates=TEMPLATE_SETS[templates] if templates else None, deflate=deflate, policy=None)
        except ValueError:
            pass
        else:
            raise AssertionError(f"the reference issuer accepts: {comment}")
        issuance = {"key": "hk-ed25519", "claims": c, "templates": templates, "deflate": deflate}
        out.append({"tcId": number, "comment": comment, "flags": flags, "issuance": issuance, "result": "refused"})
    return out


def refused_keys() -> list[dict[str, Any]]:
    """Ed25519 public keys a key set refuses (spec 4.2), with a forgery that shows why where one is
    passes every check on a signature (spec 4.2, 14.5): under the identity, R = B and S = 1 verify with
    the cofactorless equation for every message ([1]B = B + [k]A when A is the identity)."""
    import base64

    rows = [(point, "a point of small order", ["Ed25519SmallOrderKey"]) for point in sorted(keys.ED25519_SMALL_ORDER)]
    rows += [
        (ED25519_IDENTITY_SIGNED_ZERO, "the identity with x = 0 and the sign bit set", ["Ed25519NonCanonicalKey", "Ed25519SmallOrderKey"]),
        (bytes.fromhex("ec" + "ff" * 31), "the point of order 2 with x = 0 and the sign bit set", ["Ed25519NonCanonicalKey", "Ed25519SmallOrderKey"]),
        (ED25519_IDENTITY_Y_PLUS_P, "the identity encoded with y = p + 1", ["Ed25519NonCanonicalKey", "Ed25519SmallOrderKey"]),
        (bytes.fromhex("ed" + "ff" * 30 + "7f"), "a point of order 4 encoded with y = p", ["Ed25519NonCanonicalKey", "Ed25519SmallOrderKey"]),
        (bytes.fromhex("ef" + "ff" * 30 + "7f"), "y = p + 2: no canonical encoding has it", ["Ed25519NonCanonicalKey"]),
        (bytes.fromhex("ff" * 32), "all bits set: y = 2^255 - 1", ["Ed25519NonCanonicalKey"]),
    ]
    out = []
    for number, (point, what, flags) in enumerate(rows, start=1):
        spki = ED25519_SPKI_PREFIX + point
        pem = "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(spki).decode() + "\n-----END PUBLIC KEY-----\n"
        entry: dict[str, Any] = {"tcId": number, "comment": f"Ed25519 public key {point.hex()}: {what}", "flags": flags, "alg": "Ed25519", "publicKey": point.hex(), "publicKeyPem": pem}
        if point in (ED25519_IDENTITY, ED25519_IDENTITY_Y_PLUS_P, ED25519_IDENTITY_SIGNED_ZERO):
            protected = cose.protected_header(-8, hashlib.sha256(spki).digest()[: keys.KID_BYTES])
            entry["forgery"] = plain(cose.build(protected, _sample_payload(), ED25519_BASE_POINT + (1).to_bytes(32, "little")))
        out.append(entry)
    return out


def gzip_wrapped(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data, 9, mtime=0)


# --- output ----------------------------------------------------------------------------------


NOTES = {
    "Valid": "A credential every conforming verifier accepts with the given configuration.",
    "Ed25519": "Signed with Ed25519 (COSE alg -8).",
    "ES256": "Signed with ECDSA P-256 SHA-256 (COSE alg -7), deterministic (RFC 6979), low-S.",
    "MinimalProfile": "Only the required claims (spec 3.5).",
    "FullProfile": "Names and date of birth added (spec 3.5).",
    "Deflated": "The XC1Z: prefix and raw DEFLATE (spec 6).",
    "NonAscii": "Names outside ASCII: UTF-8 text strings, NFC (spec 3.2).",
    "PartialDate": "A birth date known to the month only (spec 3.6).",
    "NonPermanent": "A non-permanent resident with a limit of stay (spec 3.4).",
    "StatusReference": "The revocation reference field (spec 3.2, 11).",
    "Extension": "Extension keys are reported, not rejected (spec 11). Catches verifiers that fail open or closed wrongly.",
    "Destination": "Entitlement to the gate's region (spec 9.2).",
    "Channel": "Entitlement to the gate's clearance channel (spec 9.2). Catches verifiers that ignore the channel.",
    "SkewBoundary": "Exact-second validity with the clock-skew allowance (spec 9.3). Catches off-by-one comparisons.",
    "DateBoundary": "Dates are civil dates of the regions, valid through 24:00 UTC+08:00 of their day, which is 16:00 UTC (spec 9.3); catches a verifier that ends dates at midnight UTC, eight hours late.",
    "Biometric": "Biometric binding digests (spec 8).",
    "TextLimit": "Input length bound before any decoding (spec 10).",
    "Prefix": "The version prefix (spec 7.1).",
    "Version": "Another XC version is VERSION, not PREFIX (spec 7.1).",
    "Base45Alphabet": "Only the 45 characters of RFC 9285; no lowercase, no whitespace trimming (spec 7.2).",
    "Base45Length": "A dangling single character (spec 7.2).",
    "Base45Overflow": "A group above 65535 (spec 7.2). Catches decoders that wrap around.",
    "NoTrim": "Verifiers do not trim whitespace (spec 7.1).",
    "Truncated": "The text was cut short, as by a partial scan.",
    "DeflateTruncated": "A DEFLATE stream without its end (spec 6).",
    "DeflateTrailing": "Bytes after the DEFLATE stream's end (spec 6).",
    "DeflateInvalid": "Bytes that are not DEFLATE (spec 6).",
    "InflateLimit": "Decompression bomb: output above the cap (spec 6, 10).",
    "Zlib": "A zlib wrapper is not raw DEFLATE (spec 6).",
    "CborWellFormed": "Malformed CBOR (spec 5).",
    "CborTrailing": "Bytes after the single top-level item (spec 5). Catches lenient decoders such as cbor2's loads.",
    "CborNonMinimal": "A head longer than needed (spec 5).",
    "CborIndefinite": "Indefinite-length items (spec 5).",
    "CborUnsorted": "Map keys not in bytewise order (spec 5). Catches length-first (RFC 7049) canonical ordering.",
    "CborDuplicateKey": "The same map key twice (spec 5). Catches last-wins decoders.",
    "CoseTag": "The COSE_Sign1 tag 18 is required, alone (spec 4.4).",
    "CoseUnprotected": "The unprotected header is empty (spec 4.1).",
    "CoseCrit": "No header parameter beyond alg and kid (spec 4.1).",
    "AlgUnknown": "An algorithm outside the table (spec 4.2).",
    "AlgKeyMismatch": "The alg does not fit the key the kid names (spec 4.2). Catches algorithm confusion.",
    "KidUnknown": "A kid the verifier has no key for (spec 4.3).",
    "SignatureTampered": "A changed signature (spec 4).",
    "PayloadTampered": "A changed payload (spec 4).",
    "SignatureLength": "A signature of the wrong length (spec 4.2).",
    "HighS": "ECDSA signatures must be low-S (spec 4.2). Catches malleable verifiers.",
    "ClaimsType": "A claim of the wrong CBOR type (spec 3).",
    "ClaimsUnknown": "An unknown critical key (spec 11).",
    "Reserved": "A claim reserved for a later revision (spec 11).",
    "IssuerBinding": "A key signs only for its issuers (spec 9.2).",
    "NotYetValid": "Before the start of validity (spec 9.3).",
    "Expired": "At or after expiry (spec 9.3).",
    "Revoked": "A revoked credential identifier (spec 9.2).",
    "Boundary": "A value exactly at, or one past, a limit or a range end. Catches off-by-one comparisons (< for <=).",
    "Precedence": "Two flaws at once; the spec's step order decides the code (spec 9.2). Catches verifiers that check later steps first, such as parsing claims before the signature.",
    "Empty": "An empty string, map, list or stream where something is required. Catches decoders that treat empty as absent or as valid.",
    "IntegerOverflow": "A number at the end of its range (2^64-1, -2^64, 40 digits). Catches fixed-width arithmetic that wraps or truncates.",
    "NonAsciiInput": "Input characters outside ASCII. Catches limits counted in bytes instead of characters, and decoders that crash on them.",
    "Homoglyph": "Unicode look-alikes of prefix characters (spec 7.1). Catches prefix checks after Unicode normalization or case folding.",
    "Base45FinalPair": "A final two-character group above 255 (spec 7.2). Catches decoders that keep only the low byte.",
    "Base45Padding": "'=' padding, which Base45 does not have (spec 7.2). Catches decoders copied from Base64 that strip it.",
    "Base45Space": "The space is a Base45 character, so it is data, never trimmed (spec 7.2). Catches decoders that strip or skip it.",
    "DeflateEmpty": "An empty DEFLATE stream, or one that inflates to nothing (spec 6). Catches inflaters that return empty output for no input.",
    "DeflateStored": "Stored (uncompressed) DEFLATE blocks, valid and with a tampered LEN/NLEN (spec 6). Catches inflaters that skip the NLEN check.",
    "DeflateFixed": "A DEFLATE stream with fixed Huffman codes (spec 6). Catches verifiers that accept only what zlib's default settings produce.",
    "DeflatePadding": "The unused bits after the last DEFLATE block are not constrained by RFC 1951; the signed message is what counts (spec 6). Catches verifiers that compare texts instead of messages.",
    "DeflateMissingPrefix": "Compressed bytes behind the XC1: prefix (spec 7.1). Catches verifiers that sniff for compression instead of reading the prefix.",
    "Gzip": "A gzip (RFC 1952) wrapper is not raw DEFLATE (spec 6). Catches verifiers that auto-detect the wrapper.",
    "Bomb": "A decompression bomb of several sizes, up to what a QR-sized text can hold (spec 6, 10). Catches inflaters that allocate the full output before checking the cap.",
    "CborLengthOverflow": "A declared length or count larger than the data that remains (spec 5, 10). Catches decoders that allocate or read past the end.",
    "CborHugeLength": "A declared length of 2^64-1 or a container of 2^64-1 entries (spec 10). Catches allocation before the check, and signed or 32-bit length arithmetic.",
    "CborContainerLength": "An array or map over the 64-entry limit, or exactly at it (spec 10). Catches missing or off-by-one container limits.",
    "CborDepth": "Nesting over the depth limit of 8, or exactly at it (spec 10). Catches recursive decoders that overflow their stack.",
    "CborItems": "More than 256 data items in one decoded item, or exactly 256; map keys count (spec 10). Catches missing item budgets (CPU and memory exhaustion).",
    "CborFloat": "Floating-point numbers, which XC does not use (spec 5). Catches decoders that coerce 1.0 to 1 or accept NaN times.",
    "CborSimple": "Simple values other than false, true and null, and a simple value in two bytes (spec 5). Catches decoders that map undefined to null.",
    "CborUtf8": "Text strings that are not UTF-8: invalid bytes, an encoded surrogate, an overlong form, a sequence split across chunks (spec 5). Catches lenient UTF-8 decoding.",
    "CborKeyType": "Map keys other than integers and text strings (spec 5). Catches decoders that hash any value as a key.",
    "LengthFirst": "Keys in the RFC 7049 length-first canonical order, which differs from RFC 8949 bytewise order (spec 5). Catches cbor2's canonical mode and its copies.",
    "CoseStructure": "A COSE_Sign1 of the wrong shape: three or five items, a map, wrongly typed members (spec 4.1). Catches index-based parsing without type checks.",
    "CoseDetached": "A nil payload (detached content), which XC does not use (spec 4.1). Catches verifiers that sign an empty payload in its place.",
    "CoseProtected": "A protected header that is empty, not a map, not deterministic or without alg or kid (spec 4.1). Catches verifiers that fall back to defaults.",
    "CoseKid": "A kid that is not a byte string of 8 bytes (spec 4.3). Catches prefix matching of kids and type confusion.",
    "ProtectedLimit": "A protected header over the 64-byte limit, or exactly at it (spec 10). Catches missing bounds on header parsing.",
    "AlgType": "An alg of the wrong type: text or a boolean (spec 4.2). Catches loose comparisons (true == 1).",
    "KidDerivation": "A kid derived otherwise than from the SubjectPublicKeyInfo (spec 4.3). Catches issuers and verifiers that hash the raw key.",
    "KidMismatch": "Signed by a trusted key other than the one the kid names (spec 4.3). Catches verifiers that try every key.",
    "SignatureMalleable": "Ed25519 with S + L in place of S (spec 4.2). Catches verifiers that do not require S < L, as RFC 8032 does.",
    "SignatureZero": "An all-zero signature (spec 4.2). Catches verifiers that accept r = 0 or s = 0, or an identity point.",
    "EcdsaDer": "An ES256 signature in DER instead of the fixed 64-byte r || s (spec 4.2). Catches verifiers that accept either.",
    "EcdsaRange": "An ES256 r outside 1..n-1 (spec 4.2). Catches verifiers that reduce r modulo n.",
    "SigStructure": "A signature over something other than the Sig_structure with context Signature1, the protected header and empty external AAD (spec 4.1).",
    "ClaimsTag": "A tag inside the payload: date-time, bignum, RFC 8943 days, embedded CBOR, self-described or CWT (spec 3, 5). Catches decoders that interpret tags into the expected type.",
    "ClaimsRange": "An integer, date or byte length outside its range (spec 3). Catches missing range checks and off-by-one ends.",
    "ClaimsPattern": "Text that does not match its field's pattern (spec 3). Catches case folding, partial matches and a regex $ that matches before a final newline.",
    "ClaimsList": "Lists empty, too long, repeated or out of order (spec 3). Catches missing uniqueness and order checks.",
    "ClaimsCross": "Rules between fields: nbf after iat, exp after the start, destinations without the issuer, a limit of stay only for non-permanent residents (spec 3.4).",
    "ClaimsMissing": "A required claim left out (spec 3). Catches verifiers that default missing fields.",
    "ClaimsTextKey": "A text-string key where an integer key is defined (spec 3). Catches verifiers that accept the JSON names in CBOR.",
    "NameNfc": "A name not in Unicode normalization form C (spec 3.2). Catches comparisons that differ by normalization.",
    "NameControl": "A name with a control, format, bidirectional override or non-space separator character (spec 3.2). Catches display spoofing.",
    "NameSpaces": "A name with a leading or trailing space (spec 3.2). Catches silent trimming.",
    "NameLength": "A name that is empty or over its length in characters, or exactly at it (spec 3.2). Catches limits counted in bytes.",
    "BiometricReplay": "Binding digests copied from another credential (spec 8). Catches digests that are not keyed by the cti.",
    "NameSupplementary": "Names of characters outside the Basic Multilingual Plane (CJK Extension B, as in Hong Kong names), at and over the length limit (spec 3.2). Catches lengths counted in UTF-16 units (Java, JavaScript, C#) or bytes instead of code points.",
    "NameUnicodeVersion": "A code point whose category differs between Unicode versions (unassigned in 14.0, a letter or a format character later) (spec 3.2). Catches verifiers that judge names by their platform's Unicode data instead of spec/name-characters.txt.",
    "NameUnassigned": "Code points unassigned in Unicode 14.0: admitted in planes 2 and 3 (ideographs of later versions), refused elsewhere; a starter for NFC (spec 3.2). Catches verifiers that refuse all, or admit all, unassigned code points.",
    "NameNoncharacter": "The 66 noncharacters, including those of planes 2 and 3 where unassigned code points are otherwise admitted (spec 3.2). Catches range checks that forget them.",
    "NameInvisible": "Characters that render as nothing or as a blank in a category names otherwise admit: Hangul fillers, U+2800, the grapheme joiner, variation selectors, Khmer inherent vowels (spec 3.2). Catches verifiers that check categories only, so a name an officer cannot see passes.",
    "NameMark": "A combining mark first in a name or right after a space has nothing to attach to; marks after letters are fine (spec 3.2). Catches verifiers that admit lone marks, or refuse every mark.",
    "CborTagItem": "A tag is a data item, and its content another, for the item limit (spec 5.3, 10). Catches decoders that count a tag and its content as one item.",
    "Ed25519SmallOrderR": "An Ed25519 signature whose R is a point of small order, with S = k * a (spec 4.2). Catches verifiers, cofactorless ones included (OpenSSL), that accept the identity as R.",
    "Ed25519Cofactor": "A signature that only the cofactored equation [8][S]B = [8]R + [8][k]A accepts (spec 4.2). Catches cofactored verifiers.",
    "Ed25519NonCanonicalR": "An Ed25519 R in a non-canonical encoding (y >= p, or x = 0 with the sign bit set) (spec 4.2). Catches verifiers that decode R and compare points instead of encodings.",
    "Ed25519SmallOrderKey": "An Ed25519 public key of small order: a key set refuses it when built (spec 4.2). Catches verifiers that trust a key under which anyone can sign.",
    "Ed25519NonCanonicalKey": "An Ed25519 public key in a non-canonical encoding: a key set refuses it when built (spec 4.2). Catches libraries that reduce y modulo p on loading (OpenSSL does).",
    "CborIndefiniteEntry": "The 65th entry of an indefinite-length array or map is LIMIT where it begins, before a byte of it (key or value) is read; a break after 64 entries is no defect of size (spec 5.3). Catches decoders that count a map entry after its key or its value.",
    "CborPairs": "A definite-length map's count of pairs, not twice it, is compared with the bytes that remain (spec 5.3). Catches decoders that compare 2n and so report CBOR where the reading meets a LIMIT first.",
    "ExtensionTag": "An extension value that is a tag, or holds tags, any tag number up to 2^64-1 (spec 3, 5.1, 11.2). Catches verifiers that refuse tags in extensions or interpret them.",
    "QrCapacity": "The text limit is the capacity of a version 40 QR code at level M, 3391 characters (spec 7.3, 10). Catches verifiers and issuers that use the level L capacity, 4296.",
    "DeflateDynamic": "Dynamic Huffman blocks of the forms an inflater must take: 30 distance codes, a single one-bit distance code, no distance code (spec 6). Catches inflaters stricter than zlib.",
    "DeflateDistanceCodes": "A dynamic block declaring 31 or 32 distance codes, which RFC 1951 allows and zlib refuses; spec 6 refuses it (INFLATE). Catches inflaters more lenient than zlib.",
    "DeflateIncompleteCode": "An incomplete or over-subscribed Huffman code, other than a single one-bit code (spec 6). Catches inflaters that decode with whatever code they are given.",
    "Plausibility": "A birth date after the day of issue (rule R5, spec 3.4), full or partial. Catches verifiers that do not compare the two.",
    "RegionDate": "The day of issue is the civil date at UTC+08:00, not in UTC (spec 3.4). Catches verifiers that take the UTC date of iat.",
    "RegionTable": "A destination must be a region of the table in spec 3.3. Catches verifiers that check the two-letter form only.",
    "IssuerBiometricsAndTemplates": "An issuer given both xc.biometrics and reference templates refuses (spec 9.1). Catches issuers that silently keep one of the two.",
    "IssuerLimits": "An issuer refuses what a verifier would refuse for a limit: the text length, the inflated size, the CBOR limits (spec 9.1 step 11, 10). Catches issuers that check the text length only.",
    "IssuerClaims": "An issuer refuses claims that break section 3 (spec 9.1 step 5).",
    "JsonNull": "Issuer input with JSON null for an optional claim: null is not absence, and the issuer refuses it (spec 3.6, 9.1).",
    "IssuerInput": "An issuer that accepts times as ISO 8601 text in JSON input converts only the one form of spec 9.1's table and refuses any other text (spec 9.1). An issuer that accepts no text for times refuses these too.",
    "TimeWithoutOffset": "A time as text without a UTC offset, or a date alone, names no instant: refused, never read as UTC or local time (spec 9.1). Catches issuers that parse with a lenient ISO 8601 parser.",
    "TimeLayout": "ISO 8601 layouts other than YYYY-MM-DDTHH:MM:SS with an offset (basic form, week or ordinal dates) are refused (spec 9.1). Catches issuers whose parser takes every ISO 8601 form.",
}


def returned(text: str) -> dict[str, Any]:
    """What a verifier returns with a valid credential besides its claims (spec 9.2, 14.2): the name of
    the algorithm (4.2), the kid of the key that verified it (its protected header's) and the form."""
    layers = credential.decode(text)
    return {"alg": keys.BY_COSE_ID[layers.alg].name, "kid": layers.kid.hex(), "form": "credential"}  # type: ignore[index]


def verified_members(verified: credential.VerifiedCredential) -> dict[str, Any]:
    """The same members from a verification result, with the time step of a presentation."""
    out: dict[str, Any] = {"claims": verified.claims, "alg": verified.alg, "kid": verified.kid.hex(), "form": verified.form}
    if verified.step is not None:
        out["step"] = verified.step
    return out


def key_entry(name: str) -> dict[str, Any]:
    key = KEYS[name]
    alg, issuers, trusted = KEY_TABLE[name]
    return {
        "alg": alg,
        "kid": keys.kid_of(key).hex(),
        "issuers": issuers,
        "trustedByDefault": trusted,
        "privateKeyPem": keys.private_key_to_pem(key).decode(),
        "publicKeyPem": keys.public_key_to_pem(key).decode(),
    }


def layers_of(text: str) -> dict[str, Any] | None:
    try:
        layers = credential.decode(text)
    except credential.VerificationError:
        return None
    return {
        "base45": layers.base45,
        "deflated": layers.deflated.hex() if layers.deflated is not None else None,
        "cose": layers.cose.hex(),
        "protected": layers.protected.hex(),
        "payload": layers.payload.hex(),
        "signature": layers.signature.hex(),
        "toBeSigned": layers.to_be_signed.hex(),
    }


def build_document() -> tuple[dict[str, Any], dict[str, bytes]]:
    tests = []
    images: dict[str, bytes] = {}
    cases = valid_cases() + invalid_cases() + hostile_cases() + pinned_cases() + pinned_issuance_cases()
    for number, case in enumerate(cases, start=1):
        verifier = {
            "now": NOW,
            "skew": SKEW,
            "keys": {name: KEY_TABLE[name][1] for name in TRUSTED},
            "destination": None,
            "channel": None,
            "revoked": [],
            "templates": None,
        }
        verifier.update(case.verifier)
        entry: dict[str, Any] = {"tcId": number, "comment": case.comment, "flags": case.flags, "text": case.text}
        if case.error is None:
            entry["result"] = "valid"
        elif case.acceptable:
            entry["result"] = "acceptable"
            entry["errors"] = case.acceptable
        else:
            entry["result"] = "invalid"
            entry["error"] = case.error
        entry["verifier"] = verifier
        if case.issuance is not None:
            entry["issuance"] = case.issuance
        layers = layers_of(case.text)
        if layers is not None:
            entry["layers"] = layers
        if case.error is None:
            layers_decoded = credential.decode(case.text)
            entry["claims"] = layers_decoded.claims
            # What the verifier reports besides the claims (spec 9.2): the algorithm's name of 4.2, the kid.
            entry.update(returned(case.text))
        if case.qr:
            name = f"qr/tc{number:04d}.png"
            images[name] = qr.render(case.text, box=4)
            entry["qr"] = name
        tests.append(entry)
    document = {
        "format": "XC1 conformance vectors",
        "formatVersion": 1,
        "schema": "../spec/vectors.schema.json",
        "numberOfTests": len(tests),
        "notes": NOTES,
        "templates": {name: {m: t.hex() for m, t in ts.items()} for name, ts in TEMPLATE_SETS.items()},
        "keys": {name: key_entry(name) for name in KEY_TABLE},
        "tests": tests,
        "issuerTests": issuer_refusals(),
        "refusedKeys": refused_keys(),
    }
    return document, images


def serialize(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def write_or_check(argv: list[str] | None, path: Path, document: dict[str, Any], images: dict[str, bytes] | None = None, image_prefix: str = "") -> int:
    """The command line every vector generator shares: write the file (and its QR images, named
    qr/<image_prefix>*.png), or with --check exit 1 when the committed file differs."""
    parser = argparse.ArgumentParser(description=f"Generate {path.name}, or check it is up to date.")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    text = serialize(document)
    if args.check:
        same = path.exists() and path.read_text(encoding="utf-8") == text
        print(f"{path.name} up to date" if same else f"{path.name} differs from its generator: run make vectors")
        return 0 if same else 1
    path.write_text(text, encoding="utf-8")
    if images is not None:
        QR_DIR.mkdir(exist_ok=True)
        for old in QR_DIR.glob(f"{image_prefix}*.png"):  # each generator owns its own prefix
            if f"qr/{old.name}" not in images:
                old.unlink()
        for name, png in images.items():
            (HERE / name).write_bytes(png)
    print(f"wrote {len(document['tests'])} vectors to {path.name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    document, images = build_document()
    return write_or_check(argv, VECTORS, document, images, "tc")


if __name__ == "__main__":
    sys.exit(main())
