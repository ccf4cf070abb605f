"""Encrypted reference templates (spec section 8.5): XC key 24, a COSE_Encrypt to the gate authorities.

    [ h'a10101',                          / protected: {1: A128GCM} /
      {5: iv},                            / unprotected: 12-byte nonce /
      ciphertext,                         / AES-128-GCM of the padded plaintext, tag appended /
      [+ [ h'a101381c',                   / recipient protected: {1: ECDH-ES + A128KW} /
           {4: kid, -1: ephemeral key},   / the recipient's kid, the issuer's ephemeral COSE_Key /
           wrapped content key ]] ]       / AES key wrap of the 16-byte content key /

One random content key encrypts the templates once; each recipient authority gets that key wrapped
under a key agreed by ECDH-ES (X25519 or P-256) and HKDF-SHA-256 (RFC 9053). The plaintext is the
deterministic CBOR ``[+ [modality, format, template]]``, padded to a multiple of 64 bytes so that the
length reveals only the padded size. Every primitive is the ``cryptography`` package's.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Union

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from ..base import limits
from ..base.errors import ErrorCode, VerificationError
from ..text import cbor
from .enumerations import MODALITIES

RecipientPublicKey = Union[x25519.X25519PublicKey, ec.EllipticCurvePublicKey]
DecryptionKey = Union[x25519.X25519PrivateKey, ec.EllipticCurvePrivateKey]

# COSE identifiers (RFC 9052 / RFC 9053): header labels, algorithms, key parameters.
A128GCM = 1
A128KW = -3
ECDH_ES_A128KW = -29
HEADER_ALG, HEADER_KID, HEADER_IV, HEADER_EPHEMERAL = 1, 4, 5, -1
KTY_OKP, KTY_EC2 = 1, 2
CRV_P256, CRV_X25519 = 1, 4
KEY_KTY, KEY_CRV, KEY_X, KEY_Y = 1, -1, -2, -3

PROTECTED = cbor.encode({HEADER_ALG: A128GCM})  # a1 01 01
RECIPIENT_PROTECTED = cbor.encode({HEADER_ALG: ECDH_ES_A128KW})  # a1 01 38 1c
CEK_BYTES = 16
IV_BYTES = 12
TAG_BYTES = 16
WRAPPED_BYTES = CEK_BYTES + 8  # RFC 3394 adds one 64-bit block
KID_BYTES = 8
PAD_BLOCK = 64  # the padded plaintext is a multiple of this
PAD_MARK = 0x80  # padding is 80 00 .. 00 (ISO/IEC 7816-4), so its end is unambiguous
# The padded length an issuer uses unless told otherwise: one length for every credential within the
# recommended configuration of spec 8.5.7 (a 128-byte face and two fingerprints), so that key 24's
# length tells nothing about a holder's templates (8.5.4). Larger sets take the smallest length above.
DEFAULT_PADDED_SIZE = 384
_ISSUER = re.compile(r"[A-Z]{2}")

_NUMBERS = {name: number for number, name in MODALITIES.items()}

# Template formats (spec 8.5.3): registered values and the modality each is for. Negative values are
# agreed between two authorities and are for any modality.
FORMATS = {
    1: ("iso-19794-2-compact", "fingerprint"),
    2: ("iso-39794-2", "fingerprint"),
    3: ("iso-39794-5", "face"),
}
MAX_FORMAT_MAGNITUDE = 0xFFFF  # formats are -65536..-1 and the registered positive values


class TemplatesError(VerificationError):
    """A defect found at step 21a (8.5.5); its codes LIMIT and CLAIMS are shared with earlier steps,
    so the error names its step."""

    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(code, detail, step="21a")


@dataclass(frozen=True)
class Template:
    """One reference template: its format identifier (8.5.3) and its bytes."""

    format: int
    data: bytes

    def __post_init__(self) -> None:
        if isinstance(self.format, bool) or not isinstance(self.format, int):
            raise TypeError(f"a template format is an integer, not {type(self.format).__name__}")
        if not (self.format in FORMATS or -MAX_FORMAT_MAGNITUDE - 1 <= self.format <= -1):
            raise ValueError(f"template format {self.format} is neither registered ({sorted(FORMATS)}) nor negative (by agreement)")
        if not isinstance(self.data, (bytes, bytearray)) or not self.data:
            raise TypeError("a template's data is a non-empty byte string")
        object.__setattr__(self, "data", bytes(self.data))


@dataclass(frozen=True)
class Recipient:
    kid: bytes
    ephemeral: dict[int, Any]  # the COSE_Key as decoded
    wrapped: bytes


@dataclass(frozen=True)
class Sealed:
    """The clear structure of key 24: what anyone can see without a key."""

    iv: bytes
    ciphertext: bytes
    recipients: tuple[Recipient, ...]

    def describe(self) -> dict[str, Any]:
        """The structure without content: sizes and recipients (for inspection tools)."""
        return {
            "alg": "A128GCM",
            "iv_bytes": len(self.iv),
            "ciphertext_bytes": len(self.ciphertext),
            "padded_plaintext_bytes": len(self.ciphertext) - TAG_BYTES,
            "recipients": [
                {"alg": "ECDH-ES+A128KW", "kid": r.kid.hex(), "curve": _curve_name(r.ephemeral)} for r in self.recipients
            ],
        }


# --- recipient keys ------------------------------------------------------------------------------


def _public(key: object) -> RecipientPublicKey:
    public = key.public_key() if isinstance(key, (x25519.X25519PrivateKey, ec.EllipticCurvePrivateKey)) else key
    if isinstance(public, x25519.X25519PublicKey):
        return public
    if isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
        return public
    raise TypeError(f"a recipient key is an X25519 or P-256 key, not {type(key).__name__}")


def recipient_kid(key: RecipientPublicKey | DecryptionKey) -> bytes:
    """A recipient's kid: the first 8 bytes of SHA-256 over its DER SubjectPublicKeyInfo (as 4.3)."""
    spki = _public(key).public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()[:KID_BYTES]


def generate_decryption_key(curve: str = "X25519") -> DecryptionKey:
    """A new authority decryption key: "X25519" (the default) or "P-256"."""
    if curve == "X25519":
        return x25519.X25519PrivateKey.generate()
    if curve == "P-256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unknown curve {curve!r}; expected 'X25519' or 'P-256'")


def load_decryption_key(pem: bytes | str) -> DecryptionKey:
    key = serialization.load_pem_private_key(pem.encode("ascii") if isinstance(pem, str) else pem, password=None)
    _public(key)
    return key  # type: ignore[return-value]


def load_recipient_key(pem: bytes | str) -> RecipientPublicKey:
    key = serialization.load_pem_public_key(pem.encode("ascii") if isinstance(pem, str) else pem)
    return _public(key)


def decryption_key_to_pem(key: DecryptionKey) -> bytes:
    """PKCS#8 PEM, unencrypted: protect the file, not the bytes."""
    _public(key)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def recipient_key_to_pem(key: RecipientPublicKey | DecryptionKey) -> bytes:
    return _public(key).public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _curve_name(cose_key: Mapping[int, Any]) -> str:
    return "X25519" if cose_key.get(KEY_KTY) == KTY_OKP else "P-256"


def _cose_key(public: RecipientPublicKey) -> dict[int, Any]:
    """The ephemeral public key as a COSE_Key: X25519 as OKP, P-256 as EC2 with a compressed point."""
    if isinstance(public, x25519.X25519PublicKey):
        return {KEY_KTY: KTY_OKP, KEY_CRV: CRV_X25519, KEY_X: public.public_bytes_raw()}
    point = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    return {KEY_KTY: KTY_EC2, KEY_CRV: CRV_P256, KEY_X: point[1:], KEY_Y: point[0] == 3}


# --- key agreement and wrapping (RFC 9053 sections 5 and 6.3) -------------------------------------


def _kdf_context() -> bytes:
    """COSE_KDF_Context for ECDH-ES + A128KW: the key wrap algorithm, no party info, 128 bits, the
    recipient's protected header."""
    return cbor.encode([A128KW, [None, None, None], [None, None, None], [CEK_BYTES * 8, RECIPIENT_PROTECTED]])


def _kek(shared: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=CEK_BYTES, salt=None, info=_kdf_context()).derive(shared)


def _agree(private: DecryptionKey, public: RecipientPublicKey) -> bytes:
    if isinstance(private, x25519.X25519PrivateKey) and isinstance(public, x25519.X25519PublicKey):
        return private.exchange(public)  # refuses a low-order point (all-zero result) with ValueError
    if isinstance(private, ec.EllipticCurvePrivateKey) and isinstance(public, ec.EllipticCurvePublicKey):
        return private.exchange(ec.ECDH(), public)
    raise ValueError("the ephemeral key is not on the curve of the decryption key")


def _ephemeral_public(cose_key: Mapping[int, Any]) -> RecipientPublicKey:
    if cose_key[KEY_KTY] == KTY_OKP:
        return x25519.X25519PublicKey.from_public_bytes(cose_key[KEY_X])
    prefix = b"\x03" if cose_key[KEY_Y] else b"\x02"
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), prefix + cose_key[KEY_X])


# --- plaintext and padding -----------------------------------------------------------------------


def _template_items(templates: Mapping[str, Template]) -> list[list[Any]]:
    if not isinstance(templates, Mapping) or not templates:
        raise ValueError("encrypting needs at least one template")
    items = []
    for modality, template in templates.items():
        if modality not in _NUMBERS:
            raise ValueError(f"unknown modality {modality!r}; expected one of {sorted(_NUMBERS)}")
        if not isinstance(template, Template):
            raise TypeError(f"the {modality} template to encrypt is a Template(format, data), so the gate knows how to read it")
        registered = FORMATS.get(template.format)
        if registered is not None and registered[1] != modality:
            raise ValueError(f"format {template.format} ({registered[0]}) is for {registered[1]}, not {modality}")
        items.append([_NUMBERS[modality], template.format, template.data])
    return sorted(items)


def padded_length(templates: Mapping[str, Template]) -> int:
    """The smallest padded plaintext length that holds these templates."""
    return _round_up(len(cbor.encode(_template_items(templates))) + 1)


def _round_up(n: int) -> int:
    return -(-n // PAD_BLOCK) * PAD_BLOCK


def _pad(encoded: bytes, size: int | None) -> bytes:
    needed = _round_up(len(encoded) + 1)
    if size is None:
        size = needed
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError("the padded size is a whole number of bytes")
    if size % PAD_BLOCK or not needed <= size <= limits.MAX_TEMPLATE_PLAINTEXT:
        raise ValueError(
            f"padded size {size} must be a multiple of {PAD_BLOCK} from {needed} (what these templates need) "
            f"to {limits.MAX_TEMPLATE_PLAINTEXT} (spec section 10)"
        )
    return encoded + bytes((PAD_MARK,)) + bytes(size - len(encoded) - 1)


def _unpad(padded: bytes) -> bytes:
    body = padded.rstrip(b"\x00")
    if len(padded) % PAD_BLOCK or not body or body[-1] != PAD_MARK:
        raise TemplatesError(ErrorCode.CLAIMS, "xc.templates: the decrypted plaintext is not padded as 8.5.4 requires")
    return body[:-1]


# --- sealing (issuer) ----------------------------------------------------------------------------


def _recipients(keys: Iterable[object]) -> list[RecipientPublicKey]:
    if isinstance(keys, (bytes, str)) or not isinstance(keys, Iterable):
        raise TypeError("recipients is a collection of X25519 or P-256 public keys")
    out = [_public(k) for k in keys]
    if not out:
        raise ValueError("recipients is empty: no authority could read the templates")
    if len(out) > limits.MAX_RECIPIENTS:
        raise ValueError(f"{len(out)} recipients, more than {limits.MAX_RECIPIENTS} (spec section 10)")
    kids = [recipient_kid(k) for k in out]
    if len(set(kids)) != len(kids):
        raise ValueError("a recipient is named twice")
    return out


def seal(
    templates: Mapping[str, Template],
    recipients: Iterable[RecipientPublicKey],
    cti: bytes,
    padded_size: int | None = None,
    *,
    issuer: str,
) -> bytes:
    """Encrypt ``templates`` to every recipient for the credential ``issuer`` signs with ``cti``; the
    encoded structure for XC key 24.

    ``padded_size``: the padded plaintext length; by default DEFAULT_PADDED_SIZE, or the smallest
    length that holds larger templates (spec 8.5.4). A fresh content key, nonce and ephemeral key per
    recipient come from the operating system's random generator; nothing here is ever reused.
    """
    keys = _recipients(recipients)
    if padded_size is None:
        padded_size = max(DEFAULT_PADDED_SIZE, padded_length(templates))
    ephemeral: list[DecryptionKey] = [
        x25519.X25519PrivateKey.generate() if isinstance(k, x25519.X25519PublicKey) else ec.generate_private_key(ec.SECP256R1())
        for k in keys
    ]
    return _seal_from_parts(templates, keys, cti, os.urandom(CEK_BYTES), os.urandom(IV_BYTES), ephemeral, padded_size, issuer=issuer)


def _seal_from_parts(
    templates: Mapping[str, Template],
    recipients: Iterable[RecipientPublicKey],
    cti: bytes,
    cek: bytes,
    iv: bytes,
    ephemeral: list[DecryptionKey],
    padded_size: int | None = None,
    *,
    issuer: str,
) -> bytes:
    """The deterministic core of ``seal``, for test vectors only: an issuer that fixes the content
    key, the nonce or an ephemeral key breaks the encryption (spec 8.5.6). ``padded_size`` None is
    the smallest length that holds the templates."""
    keys = _recipients(recipients)
    plaintext = _pad(cbor.encode(_template_items(templates)), padded_size)
    return cbor.encode(_encrypt(plaintext, keys, cti, cek, iv, ephemeral, issuer=issuer))


def _encrypt(
    plaintext: bytes, keys: list[RecipientPublicKey], cti: bytes, cek: bytes, iv: bytes, ephemeral: list[DecryptionKey], *, issuer: str
) -> list[Any]:
    """The COSE_Encrypt array for an already padded plaintext (the vectors also build flawed ones)."""
    if len(ephemeral) != len(keys) or len(cek) != CEK_BYTES or len(iv) != IV_BYTES:
        raise ValueError("one ephemeral key per recipient, a 16-byte content key and a 12-byte nonce")
    ciphertext = AESGCM(cek).encrypt(iv, plaintext, enc_structure(issuer, cti))
    out = []
    for public, private in zip(keys, ephemeral):
        wrapped = aes_key_wrap(_kek(_agree(private, public)), cek)
        header = {HEADER_KID: recipient_kid(public), HEADER_EPHEMERAL: _cose_key(_public(private))}
        out.append([RECIPIENT_PROTECTED, header, wrapped])
    return [PROTECTED, {HEADER_IV: iv}, ciphertext, out]


def external_aad(issuer: str, cti: bytes) -> bytes:
    """The external AAD (spec 8.5.2): the deterministic encoding of [iss, cti]. A cti is unique only per
    issuer, so both name the credential a ciphertext was made for."""
    if not isinstance(issuer, str) or not _ISSUER.fullmatch(issuer):
        raise ValueError(f"issuer {issuer!r} is not a region code")
    if not isinstance(cti, (bytes, bytearray)):
        raise TypeError(f"cti is bytes, not {type(cti).__name__}")
    return cbor.encode([issuer, bytes(cti)])


def enc_structure(issuer: str, cti: bytes) -> bytes:
    """The AEAD's associated data (RFC 9052 section 5.3), with the credential's iss and cti as external AAD."""
    return cbor.encode(["Encrypt", PROTECTED, external_aad(issuer, cti)])


# --- the clear structure (step 15) ---------------------------------------------------------------


class ShapeError(Exception):
    def __init__(self, path: str, detail: str) -> None:
        super().__init__(path, detail)
        self.path = path
        self.detail = detail


def _check_key(value: Any, path: str) -> dict[int, Any]:
    okp = {KEY_KTY: KTY_OKP, KEY_CRV: CRV_X25519}
    ec2 = {KEY_KTY: KTY_EC2, KEY_CRV: CRV_P256}
    if not isinstance(value, dict):
        raise ShapeError(path, "the ephemeral key is not a COSE_Key map")
    fixed = {k: value.get(k) for k in (KEY_KTY, KEY_CRV)}
    x = value.get(KEY_X)
    if fixed == okp and set(value) == {KEY_KTY, KEY_CRV, KEY_X} and isinstance(x, bytes) and len(x) == 32:
        return value
    if fixed == ec2 and set(value) == {KEY_KTY, KEY_CRV, KEY_X, KEY_Y} and isinstance(x, bytes) and len(x) == 32 and isinstance(value[KEY_Y], bool):
        return value
    raise ShapeError(path, "the ephemeral key is neither an X25519 OKP key nor a compressed P-256 EC2 key (8.5.2)")


def parse(value: Any, path: str = "xc.templates") -> Sealed:
    """Check the clear structure of key 24 (8.5.2) and return it; ShapeError names what is wrong."""
    if not isinstance(value, list) or len(value) != 4:
        raise ShapeError(path, "expected the four-element COSE_Encrypt array, untagged")
    protected, unprotected, ciphertext, recipients = value
    if protected != PROTECTED:
        raise ShapeError(path, f"the protected header must be {PROTECTED.hex()} ({{1: A128GCM}})")
    if not isinstance(unprotected, dict) or set(unprotected) != {HEADER_IV} or not isinstance(unprotected[HEADER_IV], bytes) or len(unprotected[HEADER_IV]) != IV_BYTES:
        raise ShapeError(path, "the unprotected header must hold exactly the 12-byte IV (label 5)")
    if not isinstance(ciphertext, bytes) or len(ciphertext) < TAG_BYTES + PAD_BLOCK or (len(ciphertext) - TAG_BYTES) % PAD_BLOCK:
        raise ShapeError(path, f"the ciphertext must be {TAG_BYTES} bytes longer than a non-zero multiple of {PAD_BLOCK}")
    if not isinstance(recipients, list) or not recipients:
        raise ShapeError(path, "expected a non-empty array of recipients")
    out = []
    for i, recipient in enumerate(recipients):
        where = f"{path}.recipients[{i}]"
        if not isinstance(recipient, list) or len(recipient) != 3:
            raise ShapeError(where, "expected a three-element COSE_recipient array")
        r_protected, r_unprotected, wrapped = recipient
        if r_protected != RECIPIENT_PROTECTED:
            raise ShapeError(where, f"the protected header must be {RECIPIENT_PROTECTED.hex()} ({{1: ECDH-ES + A128KW}})")
        if not isinstance(r_unprotected, dict) or set(r_unprotected) != {HEADER_KID, HEADER_EPHEMERAL}:
            raise ShapeError(where, "the unprotected header must hold exactly kid (4) and the ephemeral key (-1)")
        kid = r_unprotected[HEADER_KID]
        if not isinstance(kid, bytes) or len(kid) != KID_BYTES:
            raise ShapeError(where, f"kid must be a byte string of {KID_BYTES} bytes")
        if not isinstance(wrapped, bytes) or len(wrapped) != WRAPPED_BYTES:
            raise ShapeError(where, f"the wrapped content key must be {WRAPPED_BYTES} bytes")
        out.append(Recipient(kid, _check_key(r_unprotected[HEADER_EPHEMERAL], where), wrapped))
    if len({r.kid for r in out}) != len(out):
        raise ShapeError(path, "two recipients share a kid")
    return Sealed(unprotected[HEADER_IV], ciphertext, tuple(out))


# --- opening (gate, step 21a) --------------------------------------------------------------------


class DecryptionKeys:
    """A gate's decryption keys, indexed by recipient kid; checked when built."""

    def __init__(self, keys: Iterable[DecryptionKey]) -> None:
        if isinstance(keys, (bytes, str)) or not isinstance(keys, Iterable):
            raise TypeError("decryption_keys is a collection of X25519 or P-256 private keys")
        self._by_kid: dict[bytes, DecryptionKey] = {}
        for key in keys:
            if not isinstance(key, (x25519.X25519PrivateKey, ec.EllipticCurvePrivateKey)):
                raise TypeError(f"a decryption key is an X25519 or P-256 private key, not {type(key).__name__}")
            kid = recipient_kid(key)
            if kid in self._by_kid:
                raise ValueError(f"two decryption keys share kid {kid.hex()}")
            self._by_kid[kid] = key
        if not self._by_kid:
            raise ValueError("decryption_keys is empty: it could never decrypt")

    def __len__(self) -> int:
        return len(self._by_kid)

    def kids(self) -> list[bytes]:
        return list(self._by_kid)

    def find(self, sealed: Sealed) -> tuple[Recipient, DecryptionKey] | None:
        """The first recipient, in the order of the array, that names one of these keys."""
        for recipient in sealed.recipients:
            key = self._by_kid.get(recipient.kid)
            if key is not None:
                return recipient, key
        return None


def open_sealed(sealed: Sealed, keys: DecryptionKeys, cti: bytes, *, issuer: str) -> dict[str, Template]:
    """Step 21a up to the binding check: limits, recipient, unwrap, decrypt, unpad, read; for the
    credential ``issuer`` signed with ``cti``."""
    if len(sealed.recipients) > limits.MAX_RECIPIENTS:
        raise TemplatesError(ErrorCode.LIMIT, f"{len(sealed.recipients)} recipients, more than {limits.MAX_RECIPIENTS}")
    if len(sealed.ciphertext) > limits.MAX_TEMPLATE_PLAINTEXT + TAG_BYTES:
        raise TemplatesError(ErrorCode.LIMIT, f"ciphertext of {len(sealed.ciphertext)} bytes, more than {limits.MAX_TEMPLATE_PLAINTEXT + TAG_BYTES}")
    found = keys.find(sealed)
    if found is None:
        named = ", ".join(r.kid.hex() for r in sealed.recipients)
        raise TemplatesError(ErrorCode.NOT_A_RECIPIENT, f"templates are encrypted to {named}; none is a key of this gate")
    recipient, key = found
    try:
        kek = _kek(_agree(key, _ephemeral_public(recipient.ephemeral)))
        cek = aes_key_unwrap(kek, recipient.wrapped)
        padded = AESGCM(cek).decrypt(sealed.iv, sealed.ciphertext, enc_structure(issuer, cti))
    except (ValueError, InvalidUnwrap, InvalidTag):
        raise TemplatesError(ErrorCode.DECRYPTION, f"the templates do not decrypt with key {recipient.kid.hex()}") from None
    return read_padded(padded)


def read_padded(padded: bytes) -> dict[str, Template]:
    """The templates of a decrypted plaintext, padding and all (8.5.4): what any COSE library's
    decryption of key 24 gives, read. CLAIMS for a plaintext that is not padded or not templates."""
    return read_plaintext(_unpad(padded))


def read_plaintext(encoded: bytes) -> dict[str, Template]:
    """The decrypted templates, by modality name; CLAIMS for anything but the shape of 8.5.4."""
    path = "xc.templates (decrypted)"
    try:
        items = cbor.decode(encoded)
    except cbor.CBORError as err:
        raise TemplatesError(ErrorCode.CLAIMS, f"{path}: {err.detail}") from None
    if not isinstance(items, list) or not 1 <= len(items) <= len(MODALITIES):
        raise TemplatesError(ErrorCode.CLAIMS, f"{path}: expected an array of 1..{len(MODALITIES)} templates")
    out: dict[str, Template] = {}
    previous = 0
    for i, item in enumerate(items):
        if not (isinstance(item, list) and len(item) == 3 and type(item[0]) is int and type(item[1]) is int and isinstance(item[2], bytes)):
            raise TemplatesError(ErrorCode.CLAIMS, f"{path}[{i}]: expected [modality, format, template bytes]")
        number, fmt, data = item
        if number not in MODALITIES or number <= previous:
            raise TemplatesError(ErrorCode.CLAIMS, f"{path}[{i}]: modality {number} unknown, repeated or out of order")
        previous = number
        try:
            template = Template(fmt, data)
        except (TypeError, ValueError) as err:
            raise TemplatesError(ErrorCode.CLAIMS, f"{path}[{i}]: {err}") from None
        registered = FORMATS.get(fmt)
        if registered is not None and registered[1] != MODALITIES[number]:
            raise TemplatesError(ErrorCode.CLAIMS, f"{path}[{i}]: format {fmt} is for {registered[1]}, not {MODALITIES[number]}")
        out[MODALITIES[number]] = template
    return out
