"""Generate the encrypted-template vectors (spec 8.5, 14.4): test-vectors/templates.json.

    python test-vectors/generate_templates.py          # rewrite the file
    python test-vectors/generate_templates.py --check  # exit 1 if it differs from what this code makes

Signing keys, claims and times come from generate.py. The recipient keys, every content key, IV and
ephemeral key are fixed here so that issuance is reproducible byte for byte: a real issuer draws
them at random for every credential (spec 8.5.6). The templates are synthetic bytes made by
credential.samples, never biometric data.
"""

from __future__ import annotations

import copy
import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, x25519

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate as core  # noqa: E402  (the shared helpers: keys, claims, signing, serialization)

import credential  # noqa: E402
from credential.claims import model  # noqa: E402
from credential.claims import templates as sealing  # noqa: E402
from credential.issuer import samples  # noqa: E402
from credential.issuer.issue import complete  # noqa: E402
from credential.text import cbor

HERE = Path(__file__).resolve().parent
VECTORS = HERE / "templates.json"

_P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _seed(label: str) -> bytes:
    return hashlib.sha256(f"XC1 test template material {label}".encode()).digest()


def _private(label: str, curve: str) -> sealing.DecryptionKey:
    if curve == "X25519":
        return x25519.X25519PrivateKey.from_private_bytes(_seed(label))
    return ec.derive_private_key(int.from_bytes(_seed(label), "big") % (_P256_N - 1) + 1, ec.SECP256R1())


def _private_hex(key: sealing.DecryptionKey) -> str:
    if isinstance(key, x25519.X25519PrivateKey):
        return key.private_bytes_raw().hex()
    return key.private_numbers().private_value.to_bytes(32, "big").hex()


# name: (curve, the authority whose gates hold it)
RECIPIENT_TABLE = {
    "mo-gate-x25519": ("X25519", "MO"),
    "hk-gate-p256": ("P-256", "HK"),
    "hk-gate-x25519": ("X25519", "HK"),
    "spare-1-x25519": ("X25519", "MO"),
    "spare-2-x25519": ("X25519", "MO"),
    "other-x25519": ("X25519", "none: a key no credential is encrypted to"),
}
RECIPIENTS = {name: _private(name, curve) for name, (curve, _) in RECIPIENT_TABLE.items()}

TEMPLATE_SETS: dict[str, dict[str, sealing.Template]] = {
    "face-and-two-fingers": {
        "face": sealing.Template(-1, samples.synthetic_face(128)),
        "fingerprint": sealing.Template(1, samples.synthetic_fingerprints(2)),
    },
    "face-512": {"face": sealing.Template(-1, samples.synthetic_face(512))},
    "face-only": {"face": sealing.Template(-1, samples.synthetic_face(128))},
    "another-face": {"face": sealing.Template(-1, samples.synthetic_face(128, "another person"))},
}


@dataclass
class Case:
    comment: str
    flags: list[str]
    text: str
    error: str | None = None
    decryption_keys: list[str] | None = field(default_factory=lambda: ["mo-gate-x25519"])
    require: list[str] | None = None
    issuance: dict[str, Any] | None = None
    plaintext: bytes | None = None  # the padded plaintext, when the case has one


def _material(label: str, recipients: list[str]) -> dict[str, Any]:
    """Fixed content key, IV and one ephemeral key per recipient, on the recipient's curve."""
    return {
        "cek": _seed(f"{label} cek")[:16],
        "iv": _seed(f"{label} iv")[:12],
        "ephemeral": [_private(f"{label} ephemeral {i}", RECIPIENT_TABLE[r][0]) for i, r in enumerate(recipients)],
    }


def _claims(profile: str = "minimal") -> dict[str, Any]:
    return core.claims(profile)


def issued(label: str, template_set: str, recipients: list[str], padded_size: int | None = None, bound_set: str | None = None) -> Case:
    """A credential made by the issuer's procedure with fixed encryption material."""
    claims = _claims()
    templates = TEMPLATE_SETS[template_set]
    cti = bytes.fromhex(claims["cti"])
    material = _material(label, recipients)
    keys = [RECIPIENTS[r].public_key() for r in recipients]
    sealed = sealing._seal_from_parts(templates, keys, cti, material["cek"], material["iv"], material["ephemeral"], padded_size, issuer=claims["iss"])
    with_templates = copy.deepcopy(claims)
    with_templates["xc"]["templates"] = sealed.hex()
    bound = TEMPLATE_SETS[bound_set or template_set]
    text = credential.issue(with_templates, core.KEYS["hk-ed25519"], templates=bound, policy=None)
    padded = sealing._pad(cbor.encode(sealing._template_items(templates)), padded_size)
    issuance = {
        "key": "hk-ed25519",
        "claims": claims,
        "templates": template_set,
        "boundTemplates": bound_set or template_set,
        "recipients": recipients,
        "paddedSize": padded_size,
        "encryption": {
            "cek": material["cek"].hex(),
            "iv": material["iv"].hex(),
            "ephemeralKeys": [_private_hex(k) for k in material["ephemeral"]],
        },
    }
    return Case("", [], text, issuance=issuance, plaintext=padded)


def signed_with(value: Any, bound_set: str = "face-and-two-fingers", plaintext: bytes | None = None) -> Case:
    """A credential whose key 24 holds ``value`` exactly as given (flawed on purpose), correctly
    signed, so that only the step under test refuses it."""
    c = complete(_claims(), {m: t.data for m, t in TEMPLATE_SETS[bound_set].items()})
    claims_map = model.to_cbor(c)
    claims_map[model.XC_CLAIM][24] = value
    return Case("", [], core.plain(core.message("hk-ed25519", cbor.encode(claims_map))), plaintext=plaintext)


def encrypted(label: str, plaintext: bytes, recipients: list[str]) -> list[Any]:
    """The COSE_Encrypt value of an arbitrary padded plaintext, with fixed material."""
    material = _material(label, recipients)
    claims = _claims()
    keys = [RECIPIENTS[r].public_key() for r in recipients]
    return sealing._encrypt(plaintext, keys, bytes.fromhex(claims["cti"]), material["cek"], material["iv"], material["ephemeral"], issuer=claims["iss"])


def _decoded(case: Case) -> list[Any]:
    claims = credential.decode(case.text).claims
    assert claims is not None
    return cbor.decode(bytes.fromhex(claims["xc"]["templates"]))  # type: ignore[no-any-return]


def _padded(encoded: bytes) -> bytes:
    return encoded + b"\x80" + bytes(-(len(encoded) + 1) % sealing.PAD_BLOCK)


def _off_curve_x() -> bytes:
    """The smallest x-coordinate that no P-256 point has (about half of all values are such)."""
    for x in range(1, 100):
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x02" + x.to_bytes(32, "big"))
        except ValueError:
            return x.to_bytes(32, "big")
    raise AssertionError("unreachable")


def cases() -> list[Case]:
    out: list[Case] = []

    def add(case: Case, comment: str, flags: list[str], error: str | None = None, keys: Any = "default", require: list[str] | None = None) -> Case:
        case.comment, case.flags, case.error = comment, flags, error
        if keys != "default":
            case.decryption_keys = keys
        case.require = require
        out.append(case)
        return case

    both = ["mo-gate-x25519", "hk-gate-p256"]
    main = issued("main", "face-and-two-fingers", both)
    for name in both:
        again = Case("", [], main.text, issuance=main.issuance, plaintext=main.plaintext)
        add(again, f"face and two fingerprints for MO (X25519) and HK (P-256): the {name} gate decrypts", ["Valid", "Decrypted", "X25519" if "x25519" in name else "P256", "TwoRecipients"], keys=[name], require=["face", "fingerprint"])
    add(Case("", [], main.text, plaintext=main.plaintext), "a gate with two keys uses the one the credential names", ["Valid", "Decrypted", "SeveralGateKeys"], keys=["other-x25519", "hk-gate-p256"])
    add(Case("", [], main.text, plaintext=main.plaintext), "a verifier without decryption keys skips step 21a and still accepts", ["Valid", "NoDecryptionKeys"], keys=None)
    add(issued("padded", "face-only", ["mo-gate-x25519"], padded_size=384), "face only, padded to 384 bytes like a face and two fingerprints", ["Valid", "Decrypted", "Padding"])
    add(issued("large", "face-512", ["mo-gate-x25519", "hk-gate-x25519"]), "a 512-byte face template", ["Valid", "Decrypted", "TwoRecipients"])
    plain_credential = core.issued(_claims(), "hk-ed25519")
    add(Case("", [], plain_credential.text), "no templates, none required: step 21a is skipped", ["Valid", "NoTemplates"])

    # Refusals at step 21a, in its order.
    add(Case("", [], plain_credential.text), "templates required, credential carries none", ["TemplatesRequired"], "TEMPLATES_REQUIRED", require=["face"])
    face_only = issued("face-only", "face-only", ["mo-gate-x25519"])
    add(face_only, "fingerprint templates required, only a face is carried", ["TemplatesRequired"], "TEMPLATES_REQUIRED", require=["fingerprint"])
    add(Case("", [], main.text), "iris templates required, face and fingerprint carried", ["TemplatesRequired"], "TEMPLATES_REQUIRED", require=["face", "iris"])
    five = encrypted("five", main.plaintext or b"", ["mo-gate-x25519", "hk-gate-p256", "hk-gate-x25519", "spare-1-x25519", "spare-2-x25519"])
    add(signed_with(five, plaintext=main.plaintext), "five recipients: more than the limit, refused before any key agreement", ["Limit"], "LIMIT")
    long = encrypted("long", _padded(cbor.encode(sealing._template_items({"face": sealing.Template(-1, samples.synthetic_face(1030))}))), ["mo-gate-x25519"])
    add(signed_with(long), "ciphertext of 1104 bytes: more than the limit, refused before decryption", ["Limit"], "LIMIT")
    add(Case("", [], main.text), "the gate's key is not a recipient", ["NotARecipient"], "NOT_A_RECIPIENT", keys=["other-x25519"])
    add(Case("", [], main.text), "a HK gate with its X25519 key, while the credential names its P-256 key", ["NotARecipient"], "NOT_A_RECIPIENT", keys=["hk-gate-x25519"])
    add(Case("", [], face_only.text), "templates for MO's gates only, at a HK gate", ["NotARecipient"], "NOT_A_RECIPIENT", keys=["hk-gate-p256", "hk-gate-x25519"])
    tampered = _decoded(main)
    tampered[2] = core.flip(tampered[2], 5)
    add(signed_with(tampered), "ciphertext altered (and re-signed): the AES-GCM tag fails", ["Tampered"], "DECRYPTION")
    tampered = _decoded(main)
    tampered[3][0][2] = core.flip(tampered[3][0][2], 0)
    add(signed_with(tampered), "wrapped content key altered: the key unwrap integrity check fails", ["Tampered"], "DECRYPTION")
    tampered = _decoded(main)
    tampered[1][sealing.HEADER_IV] = core.flip(tampered[1][sealing.HEADER_IV], 11)
    add(signed_with(tampered), "IV altered: the AES-GCM tag fails", ["Tampered"], "DECRYPTION")
    tampered = _decoded(main)
    tampered[3][0][1][sealing.HEADER_EPHEMERAL][sealing.KEY_X] = bytes(32)
    add(signed_with(tampered), "ephemeral X25519 key of all zeros, a small-order point: the shared secret is zero", ["Tampered", "SmallOrderPoint"], "DECRYPTION")
    # RFC 7748 masks the top bit of a u-coordinate: set (and re-signed) it changes nothing (8.5.2).
    top_bit = _decoded(main)
    u = bytearray(top_bit[3][0][1][sealing.HEADER_EPHEMERAL][sealing.KEY_X])
    assert not u[31] & 0x80  # the issuer's encoding is canonical
    u[31] |= 0x80
    top_bit[3][0][1][sealing.HEADER_EPHEMERAL][sealing.KEY_X] = bytes(u)
    add(signed_with(top_bit, plaintext=main.plaintext), "the X25519 ephemeral key with its unused top bit set: RFC 7748 masks it, the templates decrypt as sealed",
        ["Valid", "Decrypted", "X25519", "NonCanonicalU"], keys=["mo-gate-x25519"], require=["face", "fingerprint"])
    tampered = _decoded(main)
    tampered[3][1][1][sealing.HEADER_EPHEMERAL][sealing.KEY_X] = _off_curve_x()
    add(signed_with(tampered), "ephemeral P-256 x-coordinate with no point on the curve", ["Tampered", "InvalidPoint"], "DECRYPTION", keys=["hk-gate-p256"])
    tampered = _decoded(issued("kid", "face-and-two-fingers", ["other-x25519"]))
    tampered[3][0][1][sealing.HEADER_KID] = credential.recipient_kid(RECIPIENTS["mo-gate-x25519"])
    add(signed_with(tampered), "the recipient names the gate's kid but wraps for another key", ["WrongKeyForKid"], "DECRYPTION")
    unpadded = cbor.encode(sealing._template_items(TEMPLATE_SETS["face-only"]))
    for label, plaintext, comment in (
        ("nomark", unpadded + bytes(-len(unpadded) % 64), "decrypted plaintext without the 80 padding mark"),
        ("order", _padded(cbor.encode([[2, 1, samples.synthetic_fingerprints(2)], [1, -1, samples.synthetic_face(128)]])), "decrypted templates out of modality order"),
        ("format", _padded(cbor.encode([[1, 1, samples.synthetic_face(128)]])), "a fingerprint format (1) used for a face template"),
        ("head", _padded(b"\x81\x83\x01\x20\x59\x00\x80" + samples.synthetic_face(128)), "decrypted CBOR with a non-shortest length head"),
        # Formats 8.5.3 does not register: 0, positive values past the registered ones, and below -65536.
        ("format-0", _padded(cbor.encode([[1, 0, samples.synthetic_face(128)]])), "a face template of format 0, which 8.5.3 does not register"),
        ("format-4", _padded(cbor.encode([[1, 4, samples.synthetic_face(128)]])), "a face template of format 4, which 8.5.3 does not register"),
        ("format-65537", _padded(cbor.encode([[1, -65537, samples.synthetic_face(128)]])), "a face template of format -65537, below the private range"),
    ):
        bound = "face-and-two-fingers" if label == "order" else "face-only"
        add(signed_with(encrypted(label, plaintext, ["mo-gate-x25519"]), bound, plaintext), comment, ["Plaintext"], "CLAIMS")
    add(issued("mismatch", "another-face", ["mo-gate-x25519"], bound_set="face-only"), "the decrypted face template is not the one the binding digest names", ["NotBound"], "BIOMETRIC_MISMATCH")

    # The clear structure, refused at step 15 by every verifier.
    base = _decoded(main)
    for comment, change in (
        ("COSE_Encrypt tagged 96: XC carries it untagged", lambda v: cbor.Tag(96, v)),
        ("content algorithm A256GCM (3) instead of A128GCM", lambda v: [b"\xa1\x01\x03", *v[1:]]),
        ("two recipients with one kid", lambda v: [*v[:3], [v[3][0], [v[3][1][0], {**v[3][1][1], 4: v[3][0][1][4]}, v[3][1][2]]]]),
        ("a recipient with ECDH-ES + A256KW (-31)", lambda v: [*v[:3], [[cbor.encode({1: -31}), *v[3][0][1:]], v[3][1]]]),
        ("an uncompressed P-256 ephemeral key", lambda v: [*v[:3], [v[3][0], [v[3][1][0], {**v[3][1][1], -1: {**v[3][1][1][-1], -3: bytes(32)}}, v[3][1][2]]]]),
        ("ciphertext one byte short of the padding grid", lambda v: [*v[:2], v[2][:-1], v[3]]),
    ):
        for keys in (None, ["mo-gate-x25519"]):
            add(signed_with(change(copy.deepcopy(base))), f"{comment} ({'with' if keys else 'without'} decryption keys)", ["Structure"], "CLAIMS", keys=keys)

    # Encrypt, then sign: a change after signing fails the signature before anything is decrypted.
    message = bytearray(credential.decode(main.text).cose)
    at = bytes(message).index(base[2][:16])
    message[at] ^= 1
    add(Case("", [], core.plain(bytes(message))), "ciphertext altered after signing: SIGNATURE, nothing is decrypted", ["EncryptThenSign"], "SIGNATURE")
    return out


NOTES = {
    "Valid": "The credential is valid for the verifier described; with Decrypted, the decrypted templates are given.",
    "Decrypted": "Step 21a ran: the verifier MUST return exactly the templates of `decrypted`, each matched to its binding digest. Catches a gate that returns templates without checking them, or in another form.",
    "X25519": "The gate decrypts with an X25519 key (the default curve).",
    "NonCanonicalU": "An X25519 ephemeral key with its top bit set, which RFC 7748 ignores: valid, the same templates. Catches a gate that refuses or misreads such a u-coordinate; issuers never produce one (8.5.6).",
    "P256": "The gate decrypts with a P-256 key; the ephemeral key is a compressed point. Catches mishandled point decompression or COSE_KDF_Context.",
    "TwoRecipients": "One content key wrapped for two authorities; each decrypts with its own key.",
    "SeveralGateKeys": "The gate holds keys the credential does not name: it picks the recipient by kid and tries nothing else.",
    "NoDecryptionKeys": "A verifier without decryption keys skips step 21a (templates skipped) and accepts a credential whose structure is valid.",
    "NoTemplates": "A credential without key 24 at a gate that decrypts but requires nothing: step 21a is skipped.",
    "Padding": "The plaintext is padded beyond what it needs (8.5.4); the reader strips zeros and the 80 mark. Catches padding read from the front or a fixed pad length.",
    "TemplatesRequired": "The gate requires templates (of given modalities) that the credential does not carry: TEMPLATES_REQUIRED.",
    "Limit": "A limit of section 10 on encrypted templates (recipients, ciphertext length) is exceeded: LIMIT before any key agreement or decryption.",
    "NotARecipient": "No recipient kid is one of the gate's keys: NOT_A_RECIPIENT. Catches a gate that tries its keys on every recipient.",
    "Tampered": "Encrypted bytes altered by the issuer's side (the credential is re-signed): the authenticated decryption fails, DECRYPTION.",
    "SmallOrderPoint": "X25519 with a small-order ephemeral point gives an all-zero shared secret, which MUST be refused (8.5.2).",
    "InvalidPoint": "A P-256 x-coordinate that is on no curve point: refused when the point is decompressed.",
    "WrongKeyForKid": "The recipient carries the gate's kid, but the content key is wrapped for another key: DECRYPTION, not a silent success.",
    "Plaintext": "The plaintext decrypts but breaks 8.5.3 or 8.5.4 (padding, order, format for the modality, deterministic CBOR): CLAIMS at step 21a.",
    "NotBound": "The decrypted template differs from the one the binding digest names: BIOMETRIC_MISMATCH. Catches a gate that trusts decryption alone.",
    "Structure": "The clear structure of key 24 breaks 8.5.2: CLAIMS at step 15, whether or not the verifier can decrypt.",
    "EncryptThenSign": "The signature covers the ciphertext: an alteration after signing is SIGNATURE at step 13, before any decryption.",
}


def recipient_entry(name: str) -> dict[str, Any]:
    key = RECIPIENTS[name]
    curve, authority = RECIPIENT_TABLE[name]
    return {
        "curve": curve,
        "authority": authority,
        "kid": credential.recipient_kid(key).hex(),
        "privateKeyPem": credential.decryption_key_to_pem(key).decode(),
        "publicKeyPem": credential.recipient_key_to_pem(key).decode(),
    }


def build_document() -> dict[str, Any]:
    tests = []
    for number, case in enumerate(cases(), start=1):
        verifier = {
            "now": core.NOW,
            "skew": core.SKEW,
            "keys": {name: core.KEY_TABLE[name][1] for name in core.TRUSTED},
            "destination": None,
            "channel": None,
            "revoked": [],
            "templates": None,
            "decryptionKeys": case.decryption_keys,
            "requireTemplates": case.require,
        }
        entry: dict[str, Any] = {"tcId": number, "comment": case.comment, "flags": case.flags, "text": case.text}
        entry["result"] = "valid" if case.error is None else "invalid"
        if case.error is not None:
            entry["error"] = case.error
        entry["verifier"] = verifier
        if case.issuance is not None:
            entry["issuance"] = case.issuance
        layers = core.layers_of(case.text)
        if layers is not None:
            claims = credential.decode(case.text).claims_cbor
            key24 = claims.get(model.XC_CLAIM, {}).get(24) if isinstance(claims, dict) else None
            layers["templates"] = cbor.encode(key24).hex() if key24 is not None else None
            layers["plaintext"] = case.plaintext.hex() if case.plaintext is not None else None
            entry["layers"] = layers
        if case.error is None:
            entry["claims"] = credential.decode(case.text).claims
            keys = [RECIPIENTS[k] for k in case.decryption_keys] if case.decryption_keys is not None else None
            trusted = [credential.TrustedKey(core.KEYS["hk-ed25519"].public_key(), frozenset({"HK"}))]
            verified = credential.verify(case.text, trusted, now=core.NOW, decryption_keys=keys, require_templates=case.require)
            entry.update({k: v for k, v in core.verified_members(verified).items() if k != "claims"})
            entry["decrypted"] = (
                {m: {"format": t.format, "data": t.data.hex()} for m, t in verified.templates.items()} if verified.templates is not None else None
            )
        tests.append(entry)
    return {
        "format": "XC1 encrypted template vectors",
        "formatVersion": 1,
        "schema": "../spec/templates-vectors.schema.json",
        "numberOfTests": len(tests),
        "notes": NOTES,
        "templates": {name: {m: {"format": t.format, "data": t.data.hex()} for m, t in ts.items()} for name, ts in TEMPLATE_SETS.items()},
        "keys": {name: core.key_entry(name) for name in core.KEY_TABLE},
        "recipientKeys": {name: recipient_entry(name) for name in RECIPIENT_TABLE},
        "tests": tests,
    }


def main(argv: list[str] | None = None) -> int:
    return core.write_or_check(argv, VECTORS, build_document())


if __name__ == "__main__":
    sys.exit(main())
