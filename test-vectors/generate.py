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
import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

import credential
from credential import base45, cbor, compress, cose, keys, limits, qr, samples
from credential import text as textlayer
from credential.claims import XC_CLAIM

HERE = Path(__file__).resolve().parent
VECTORS = HERE / "xc1.json"
QR_DIR = HERE / "qr"

NOW = samples.ISSUED_AT + 3600
SKEW = credential.DEFAULT_SKEW
EXP = samples.ISSUED_AT + samples.YEAR
SHORT_ENROLMENT = "2027-06-30"
END_OF_SHORT_ENROLMENT = 1814400000  # 2027-07-01T00:00:00Z


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
    from credential.issue import complete

    return complete(c, TEMPLATE_SETS[templates])


def payload_of(c: dict[str, Any]) -> bytes:
    return cbor.encode(credential.claims.to_cbor(bound(c)))


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
    text = credential.issue(c, KEYS[key_name], templates=TEMPLATE_SETS[templates] if templates else None, deflate=deflate)
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
        issued(claims("minimal", extensions={"24": cbor.encode(b"\x00" * 4).hex(), "-1": cbor.encode("note").hex()})),
        "extension keys 24 and -1 are ignored for the decision and reported",
        ["Ed25519", "Extension"],
    )
    add(
        issued(claims("full", family_name="DOS SANTOS DOS SANTOS DOS SANTOS", given_name="MARIA DA CONCEIÇÃO DOS SANTOS", extensions={"30": cbor.encode("MACAU " * 10).hex()}), "hk-ed25519"),
        "a repetitive text that DEFLATE shortens: the issuer rule picks XC1Z:",
        ["Ed25519", "Deflated", "FullProfile"],
    )
    add(issued(claims("minimal", destinations=["MO", "TW"])), "several destinations, in ascending order", ["Ed25519", "Destination"], destination="TW")
    add(issued(with_top(claims(), nbf=samples.ISSUED_AT + 60)), "nbf after iat, verified inside the skew window before it", ["Ed25519", "SkewBoundary"], now=samples.ISSUED_AT + 60 - SKEW)
    add(issued(claims()), "exactly at the start of validity minus the skew", ["Ed25519", "SkewBoundary"], now=samples.ISSUED_AT - SKEW)
    add(issued(claims()), "one second before expiry plus the skew", ["Ed25519", "SkewBoundary"], now=EXP + SKEW - 1)
    add(issued(claims()), "zero skew, one second before expiry", ["Ed25519", "SkewBoundary"], now=EXP - 1, skew=0)
    add(
        issued(claims(enrolment_expiry=SHORT_ENROLMENT)),
        "last second of the enrolment expiry day (dates end at 24:00 UTC)",
        ["Ed25519", "DateBoundary"],
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
    add("XC1:" + "0" * (limits.MAX_TEXT_CHARS - 3), "LIMIT", "text longer than any QR code can hold", ["TextLimit"])
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
    add(good, "NOT_ENTITLED", "a gate in a region the credential does not admit to", ["Destination"], destination="TW")
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
    "SkewBoundary": "Exact-second validity with the clock-skew allowance (spec 9.3). Catches off-by-one comparisons.",
    "DateBoundary": "Dates are valid through the end of their day in UTC (spec 9.3).",
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
}


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
    for number, case in enumerate(valid_cases() + invalid_cases(), start=1):
        verifier = {
            "now": NOW,
            "skew": SKEW,
            "keys": {name: KEY_TABLE[name][1] for name in TRUSTED},
            "destination": None,
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
            entry["claims"] = credential.decode(case.text).claims
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
    }
    return document, images


def serialize(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    document, images = build_document()
    text = serialize(document)
    if args.check:
        same = VECTORS.read_text(encoding="utf-8") == text
        print("vectors up to date" if same else "vectors differ from the generator: run make vectors")
        return 0 if same else 1
    VECTORS.write_text(text, encoding="utf-8")
    QR_DIR.mkdir(exist_ok=True)
    for old in QR_DIR.glob("*.png"):
        if f"qr/{old.name}" not in images:
            old.unlink()
    for name, png in images.items():
        (HERE / name).write_bytes(png)
    print(f"wrote {len(document['tests'])} vectors to {VECTORS.relative_to(Path.cwd()) if VECTORS.is_relative_to(Path.cwd()) else VECTORS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
