"""Size of an XC credential at every layer, beside the same data as an EU-DCC-style and a SMART-Health-Card-style code.

    python bench/sizes.py

Prints Markdown. Every figure is measured: each message is built and signed here.

- XC: the package's own issue(), Ed25519; ES256 signatures are the same 64 bytes, but other bytes
  DEFLATE differently, so an ES256 total that differs is shown beside.
- XP1 presentation: the same claims with a device key bound (``cnf``, a fixed P-256 key), issued with
  Ed25519, then wrapped by the package's own present() for one time step and destination MO: what a
  holder's phone shows for a device-bound credential (spec 4.5), compressed by the same rule as a
  credential (only when shorter).
- EU-DCC style (HCERT): a CWT whose claim -260 holds {1: certificate}, the certificate a map with
  short *string* keys as HCERT's ("ver", "nam", "dob", ...) and values as the DCC writes them (dates
  as text, enumerations by name); COSE_Sign1 with ES256 and an 8-byte kid in the protected header;
  zlib (with its header, as HCERT), Base45, prefix "HC1:"; QR alphanumeric mode.
- SMART-Health-Card style: the same claims as JSON (our JSON names; digests in base64url), raw
  DEFLATE, compact JWS with ES256 and a kid that is a 43-character JWK thumbprint, then "shc:/" and
  two digits per JWS character; QR with a byte segment for the prefix and a numeric segment. The
  SHC FHIR content model and its https issuer URL are left out: this measures the encoding only.

QR versions: credential.qr for alphanumeric text, checked against segno; segno for the SHC segments.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import sys
import zlib
from typing import Any

import cbor2
import segno
import segno.consts
from common import RECOMMENDED_PADDING, completed, fixed_key, markdown_table, recipient_keys, template_set

import credential
from credential import qr
from credential.claims import model
from credential.issuer.issue import complete_claims as complete
from credential.text import base45, compress
from credential.text import wrap as textlayer

LEVELS = ("L", "M", "Q")


# --- worst-case claims, from the limits in credential/claims.py -------------------------------


def _max_repeat(regex: str) -> int:
    """The upper bound of the last {m,n} in a field's pattern, e.g. 16 for [A-Z0-9]{1,16}."""
    return int(re.findall(r"\{\d+,(\d+)\}", regex)[-1])


def worst_case(four_byte_names: bool = False, seed: int = 45) -> dict[str, Any]:
    """Every optional field present, at its longest, every number at its widest CBOR form.

    Text is drawn at random (seeded) from each field's alphabet, so DEFLATE finds little to squeeze,
    as it would not in real, varied names and numbers.
    """
    rng = random.Random(seed)
    xc = model.XC.by_name
    status = model.STATUS.by_name
    symbols_field = xc["symbols"].codec
    destinations_field = xc["destinations"].codec

    def draw(alphabet: str, count: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(count))

    upper, digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"
    if four_byte_names:  # letters outside the BMP: 4 bytes each in UTF-8 (mathematical bold, CJK extension B)
        latin = "".join(chr(c) for c in range(0x1D400, 0x1D434))
        han = "".join(chr(c) for c in range(0x20000, 0x20000 + 2000))
    else:
        latin, han = upper, "".join(chr(c) for c in range(0x4E00, 0x4E00 + 2000))
    symbol_len = _max_repeat(symbols_field.item.regex)
    symbols: list[str] = []
    while len(symbols) < symbols_field.max_items:
        candidate = draw(upper + digits + "*", symbol_len)
        if candidate not in symbols:
            symbols.append(candidate)
    # Every region of the spec's table but the issuer (the list type would hold up to 8).
    regions = sorted(set(model.REGIONS) - {"HK"})[: destinations_field.max_items]
    first = 4_000_000_000  # above 2^16: every time takes the 5-byte CBOR form
    last_date = model.LAST_DATE.isoformat()  # above 65535 days: 5-byte form too
    claims = {
        "iss": "HK",
        "iat": first,
        "nbf": first + 1,
        "exp": model.MAX_TIME,
        "cti": "ff" * model.CLAIMS.by_name["cti"].codec.high,
        "xc": {
            "doc_type": "travel-permit",
            "doc_number": draw(upper + digits, _max_repeat(xc["doc_number"].codec.regex)),
            "residency": "non-permanent",
            "symbols": symbols,
            "destinations": regions,
            "channel": "counter",
            "enrolment": draw(upper + digits + "-", _max_repeat(xc["enrolment"].codec.regex)),
            "enrolment_expiry": last_date,
            "stay_limit": last_date,
            "status": {"list": draw(upper.lower() + digits + "._~:/-", _max_repeat(status["list"].codec.regex)), "index": model.MAX_TIME},
            "family_name": draw(latin, xc["family_name"].codec.max_chars),
            "given_name": draw(latin, xc["given_name"].codec.max_chars),
            "name_zh": draw(han, xc["name_zh"].codec.max_chars),
            "birth_date": model.FIRST_DATE.isoformat(),
        },
    }
    templates = {name: f"{name} template".encode() for name in model.MODALITIES.values()}
    return complete(claims, templates)


def profiles() -> dict[str, dict[str, Any]]:
    return {
        "minimal (2 modalities)": completed("minimal"),
        "full (2 modalities)": completed("full"),
        "worst case (Latin names ASCII, Chinese 3-byte)": worst_case(False),
        "worst case (every name character 4-byte UTF-8)": worst_case(True),
    }


# --- the three encodings ----------------------------------------------------------------------


def _versions_alphanumeric(text: str) -> dict[str, int]:
    out = {}
    for level in LEVELS:
        ours = qr.version(text, level)
        theirs = segno.make(text, error=level.lower(), mode="alphanumeric", boost_error=False, micro=False).version
        if ours != theirs:
            raise AssertionError(f"credential.qr says version {ours}, segno {theirs} for {len(text)} characters at {level}")
        out[level] = ours
    return out


def _device_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.derive_private_key(0xDE71CE0DE71CE0DE71CE0DE71CE0DE71CE0DE71CE0DE71CE0DE71CE0DE71CE0D, ec.SECP256R1())


def xp_layers(claims: dict[str, Any]) -> dict[str, Any]:
    device_key = _device_key()
    bound = dict(claims, cnf=credential.device_cnf(device_key))
    issued = credential.issue(bound, fixed_key("Ed25519"), policy=None)
    text = credential.present(issued, device_key, now=bound["iat"] + 5, destination="MO")
    unwrapped = textlayer.unwrap(text)
    return {
        "payload": len(credential.decode(issued).payload),
        "signed": len(unwrapped.message),
        "compressed": f"{len(compress.deflate(unwrapped.message))} ({'used' if unwrapped.deflated is not None else 'not used'})",
        "text_encoding": len(unwrapped.base45),
        "total": len(text),
        "versions": _versions_alphanumeric(text),
    }


def xc_layers(claims: dict[str, Any]) -> dict[str, Any]:
    texts = {alg: credential.issue(claims, fixed_key(alg), policy=None) for alg in ("Ed25519", "ES256")}
    text = texts["Ed25519"]
    es256 = len(texts["ES256"])
    layers = credential.decode(text)
    deflated = compress.deflate(layers.cose)
    return {
        "payload": len(layers.payload),
        "signed": len(layers.cose),
        "compressed": f"{len(deflated)} ({'used' if layers.deflated is not None else 'not used'})",
        "text_encoding": len(layers.base45),
        "total": str(len(text)) if es256 == len(text) else f"{len(text)} (ES256: {es256})",
        "versions": _versions_alphanumeric(text),
    }


_DCC_KEYS = {
    "doc_type": "dt",
    "doc_number": "dn",
    "residency": "rs",
    "symbols": "sy",
    "destinations": "de",
    "channel": "ch",
    "enrolment": "en",
    "enrolment_expiry": "ee",
    "stay_limit": "sl",
    "status": "st",
}


def dcc_style(claims: dict[str, Any]) -> dict[str, Any]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    xc = claims["xc"]
    certificate: dict[str, Any] = {"ver": "1.0.0"}
    names = {k: xc[j] for k, j in (("fnt", "family_name"), ("gnt", "given_name"), ("fn", "name_zh")) if j in xc}
    if names:
        certificate["nam"] = names
    if "birth_date" in xc:
        certificate["dob"] = xc["birth_date"]
    entry: dict[str, Any] = {short: xc[name] for name, short in _DCC_KEYS.items() if name in xc}
    if "status" in entry:
        entry["st"] = {"li": xc["status"]["list"], "ix": xc["status"]["index"]}
    entry["bio"] = {modality: bytes.fromhex(d) for modality, d in xc["biometrics"].items()}
    entry["ci"] = claims["cti"]  # the DCC's unique certificate identifier is text
    certificate["xc"] = [entry]  # as the DCC's "v", "t" and "r" arrays
    cwt = {1: claims["iss"], 6: claims["iat"], 4: claims["exp"], -260: {1: certificate}}
    if "nbf" in claims:
        cwt[5] = claims["nbf"]
    payload = cbor2.dumps(cwt)
    key = fixed_key("ES256")
    protected = cbor2.dumps({1: -7, 4: credential.kid_of(key)})
    to_sign = cbor2.dumps(["Signature1", protected, b"", payload])
    r, s = decode_dss_signature(key.sign(to_sign, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)))
    message = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, r.to_bytes(32, "big") + s.to_bytes(32, "big")]))
    packed = zlib.compress(message, 9)
    body = base45.encode(packed)
    text = "HC1:" + body
    return {
        "payload": len(payload),
        "signed": len(message),
        "compressed": f"{len(packed)} (zlib, always)",
        "text_encoding": len(body),
        "total": len(text),
        "versions": _versions_alphanumeric(text),
    }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def shc_style(claims: dict[str, Any]) -> dict[str, Any]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key = fixed_key("ES256")
    numbers = key.public_key().public_numbers()
    jwk = {"crv": "P-256", "kty": "EC", "x": _b64url(numbers.x.to_bytes(32, "big")), "y": _b64url(numbers.y.to_bytes(32, "big"))}
    kid = _b64url(hashlib.sha256(json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()).digest())  # RFC 7638
    subject = dict(claims["xc"])
    subject["biometrics"] = {m: _b64url(bytes.fromhex(d)) for m, d in subject["biometrics"].items()}
    body: dict[str, Any] = {"iss": claims["iss"], "nbf": claims.get("nbf", claims["iat"]), "iat": claims["iat"], "exp": claims["exp"]}
    body["jti"] = _b64url(bytes.fromhex(claims["cti"]))
    body["vc"] = {"type": ["xc"], "credentialSubject": subject}
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = deflater.compress(payload) + deflater.flush()
    header = json.dumps({"zip": "DEF", "alg": "ES256", "kid": kid}, separators=(",", ":")).encode()
    signing_input = _b64url(header) + "." + _b64url(packed)
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256(), deterministic_signing=True)))
    jws = signing_input + "." + _b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    digits = "".join(f"{ord(c) - 45:02d}" for c in jws)
    versions = {}
    for level in LEVELS:
        symbol = segno.make(
            [("shc:/", segno.consts.MODE_BYTE), (digits, segno.consts.MODE_NUMERIC)],
            error=level.lower(),
            boost_error=False,
            micro=False,
        )
        versions[level] = symbol.version
    return {
        "payload": len(payload),
        "signed": len(jws),
        "compressed": f"{len(packed)} (raw DEFLATE, always)",
        "text_encoding": len(digits),
        "total": len("shc:/") + len(digits),
        "versions": versions,
    }


def table() -> str:
    rows = []
    for profile, claims in profiles().items():
        encodings = (
            ("**XC** (CBOR, COSE, Base45)", xc_layers),
            ("**XP1** presentation (XC with cnf, device-signed)", xp_layers),
            ("EU-DCC style", dcc_style),
            ("SMART Health Card style", shc_style),
        )
        for name, build in encodings:
            m = build(claims)
            cells = [f"v{m['versions'][lvl]} ({4 * m['versions'][lvl] + 17})" for lvl in LEVELS]
            rows.append([profile, name, m["payload"], m["signed"], m["compressed"], m["text_encoding"], m["total"], *cells])
    header = [
        "claims",
        "encoding",
        "payload bytes",
        "signed message",
        "compressed bytes",
        "text-encoded chars",
        "total chars",
        "QR L: version (modules)",
        "QR M",
        "QR Q",
    ]
    notes = (
        "\n\nColumns: payload is the claims CBOR (XC, DCC) or JSON (SHC); signed message is the COSE_Sign1 in bytes "
        "(XC, DCC), the presentation's COSE_Sign1 (XP1, around the credential's message) "
        "or the compact JWS in characters (SHC); compressed is DEFLATE of the COSE message (XC: raw, "
        "kept only when shorter) or zlib of it (DCC) or raw DEFLATE of the JSON payload before signing (SHC); "
        "text-encoded is the Base45 (XC, DCC) or the digit string (SHC, 2 digits per JWS character, QR numeric mode); "
        "total adds the prefix. Modules are per side, without the quiet zone (add 8 for 4 modules each side).\n"
    )
    return markdown_table(header, rows) + notes


# --- encrypted templates (spec 8.5.7) --------------------------------------------------------------

TEMPLATE_CONFIGS = (  # (face template bytes, fingerprints of 40 minutiae), each with 1 and 2 recipients
    (128, 0),
    (512, 0),
    (0, 1),
    (0, 2),
    (128, 1),
    (128, 2),
    (512, 2),
)


def _signed_text(claims_map: dict[Any, Any]) -> str:
    from credential.cose import sign1 as cose
    from credential.text import wrap as textlayer

    key = fixed_key("Ed25519")
    alg = credential.cose.keys.algorithm_for(key)
    payload = credential.text.cbor.encode(claims_map)
    protected = cose.protected_header(alg.cose_id, credential.kid_of(key))
    return textlayer.wrap(cose.build(protected, payload, alg.sign(key, cose.to_be_signed(protected, payload))))


def _with_templates(templates: dict[str, Any], recipients: int, padded: int | None, pq: bool = False) -> tuple[str, int, int]:
    """The minimal-profile credential with these templates encrypted (fixed material, so every run
    gives the same bytes): its text, the padded plaintext length and the key 24 value's length."""
    from cryptography.hazmat.primitives.asymmetric import x25519

    from credential.claims import templates as sealing

    claims = complete(samples_minimal(), {m: t.data for m, t in templates.items()})
    cti = bytes.fromhex(claims["cti"])
    ephemeral = [x25519.X25519PrivateKey.from_private_bytes(bytes([0x40 + i]) * 32) for i in range(recipients)]
    plaintext = sealing._pad(credential.text.cbor.encode(sealing._template_items(templates)), padded)
    value = sealing._encrypt(plaintext, recipient_keys(recipients), cti, _filler("cek", 16), _filler("iv", 12), ephemeral, issuer="HK")
    if pq:  # each recipient as COSE-HPKE key encryption would carry it: the hybrid encapsulation and a sealed key
        size = _pq_encapsulation_length()
        value[3] = [[r[0], {4: r[1][4], -4: _filler(f"enc {i}", size)}, _filler(f"sealed {i}", 32)] for i, r in enumerate(value[3])]
    claims_map = model.to_cbor(claims)
    claims_map[model.XC_CLAIM][24] = value
    return _signed_text(claims_map), len(plaintext), len(credential.text.cbor.encode(value))


def _filler(label: str, size: int) -> bytes:
    """Fixed bytes that look random (DEFLATE finds nothing in them, as in real keys and ciphertext)."""
    return b"".join(hashlib.sha256(f"{label} {i}".encode()).digest() for i in range(-(-size // 32)))[:size]


def _pq_encapsulation_length() -> int:
    """The length of a real ML-KEM-768 + X25519 HPKE encapsulation (RFC 9180 with the hybrid KEM)."""
    from cryptography.hazmat.primitives import hpke
    from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

    key = hpke.MLKEM768X25519PrivateKey(mlkem.MLKEM768PrivateKey.from_seed_bytes(bytes(64)), x25519.X25519PrivateKey.from_private_bytes(bytes([9]) * 32))
    suite = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)
    sealed = suite.encrypt(bytes(16), key.public_key())
    size = hpke.KEM.MLKEM768_X25519.enc_length()
    assert len(sealed) == size + 16 + 16  # encapsulation, then the sealed 16-byte key and its tag
    return size


def samples_minimal() -> dict[str, Any]:
    from credential.issuer import samples

    return samples.minimal()


def templates_table() -> str:
    rows = []
    bound = {m: t.data for m, t in template_set(128, 2).items()}
    base = credential.issue(complete(samples_minimal(), bound), fixed_key("Ed25519"), policy=None)
    rows.append(["none (face and fingerprint digests only)", "-", "-", "-", "-", len(base), *[f"v{qr.version(base, ecc=l)}" for l in LEVELS]])
    configs = [(face, fingers, n, None, False) for face, fingers in TEMPLATE_CONFIGS for n in (1, 2)]
    configs.append((128, 2, 2, RECOMMENDED_PADDING, False))
    configs += [(128, 2, 1, RECOMMENDED_PADDING, True), (128, 2, 2, RECOMMENDED_PADDING, True)]
    for face, fingers, n, padded, pq in configs:
        text, plaintext, sealed = _with_templates(template_set(face, fingers), n, padded, pq)
        label = " + ".join(x for x in (f"face {face} B" if face else "", f"{fingers} fingerprint{'s' if fingers > 1 else ''}" if fingers else "") if x)
        recipients = f"{n}{' ML-KEM-768+X25519 (projected)' if pq else ''}"
        versions = [f"v{qr.version(text, ecc=l)}" if _fits(text, l) else "does not fit" for l in LEVELS]
        rows.append([label, recipients, plaintext, sealed, f"{'fixed ' if padded else ''}{padded or 'smallest'}", len(text), *versions])
    header = ["templates", "recipients", "padded plaintext", "key 24 bytes", "padding", "total chars", "QR L", "QR M", "QR Q"]
    notes = (
        "\n\nMinimal profile, Ed25519, synthetic templates (credential.samples): a face template of the given size "
        "(format -1, agreed between authorities) and fingerprints in format 1 (ISO/IEC 19794-2 compact card "
        "minutiae, 40 per finger, 3 bytes each plus a 2-byte finger header). X25519 recipients. The projected "
        "post-quantum rows replace each recipient's ephemeral key with a real 1,120-byte ML-KEM-768 + X25519 HPKE "
        "encapsulation and the wrapped key with a 32-byte sealed key; version 1 does not define them (spec 8.5.8).\n"
    )
    return markdown_table(header, rows) + notes


def _fits(text: str, level: str) -> bool:
    try:
        qr.version(text, ecc=level)
    except ValueError:
        return False
    return True


def main() -> None:
    print("## Sizes: XC against EU-DCC-style and SMART-Health-Card-style encodings of the same claims\n")
    print(table())
    print("## Sizes with encrypted reference templates (spec 8.5.7)\n")
    print(templates_table())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
