"""Keys (spec 4.2, 4.3): PEM round trips, kid derivation, deterministic low-S ES256, key sets."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

import credential
from credential.cose import keys

from .vectors import document


@pytest.mark.parametrize("alg", ["Ed25519", "ES256"])
def test_pem_round_trip_and_kid(alg: str) -> None:
    key = credential.generate_key(alg)
    again = credential.load_private_key(credential.private_key_to_pem(key))
    public = credential.load_public_key(credential.public_key_to_pem(key))
    spki = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert credential.kid_of(again) == credential.kid_of(public) == hashlib.sha256(spki).digest()[:8]


def test_es256_is_deterministic_and_low_s() -> None:
    key = credential.generate_key("ES256")
    alg = keys.BY_NAME["ES256"]
    half = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551 // 2
    for i in range(40):
        message = f"message {i}".encode()
        signature = alg.sign(key, message)
        assert signature == alg.sign(key, message)
        assert len(signature) == 64 and int.from_bytes(signature[32:], "big") <= half
        alg.verify(key.public_key(), signature, message)


def test_unsupported_keys_are_caller_mistakes() -> None:
    with pytest.raises(ValueError, match="unknown algorithm"):
        credential.generate_key("RS256")
    with pytest.raises(TypeError, match="unsupported key type"):
        credential.kid_of(rsa.generate_private_key(65537, 2048).public_key())
    with pytest.raises(TypeError, match="unsupported key type"):
        credential.kid_of(ec.generate_private_key(ec.SECP384R1()).public_key())


def test_key_set_refuses_duplicates_and_private_keys() -> None:
    key = credential.generate_key()
    with pytest.raises(ValueError, match="share kid"):
        credential.KeySet([credential.TrustedKey(key.public_key(), {"HK"}), credential.TrustedKey(credential.public_key_to_pem(key), {"MO"})])
    with pytest.raises(TypeError, match="public keys"):
        credential.TrustedKey(key, {"HK"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="iterable"):
        credential.KeySet(credential.public_key_to_pem(key))  # type: ignore[arg-type]


def test_key_set_accepts_objects_and_pem_in_trusted_keys() -> None:
    a, b, c = (credential.generate_key() for _ in range(3))
    keyset = credential.KeySet(
        [
            credential.TrustedKey(a.public_key(), {"HK"}),
            credential.TrustedKey(credential.public_key_to_pem(b).decode(), ["HK", "MO"]),
            credential.TrustedKey(c.public_key(), frozenset({"MO"})),
        ]
    )
    assert len(keyset) == 3
    assert [k.issuers for k in keyset] == [frozenset({"HK"}), frozenset({"HK", "MO"}), frozenset({"MO"})]
    trusted = keyset.get(credential.kid_of(c))
    assert trusted is not None and trusted.issuers == frozenset({"MO"})


def test_trust_names_its_issuers() -> None:
    public = credential.generate_key().public_key()
    with pytest.raises(TypeError, match="TrustedKey"):
        credential.KeySet([public])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        credential.TrustedKey(public)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="empty"):
        credential.TrustedKey(public, frozenset())
    with pytest.raises(TypeError, match="not str"):
        credential.TrustedKey(public, "MO")  # type: ignore[arg-type]
    for bad in ({"mo"}, {"XX"}, {"HK", "hk"}):
        with pytest.raises(ValueError, match="region code"):
            credential.TrustedKey(public, bad)
    with pytest.raises(TypeError, match="strings"):
        credential.TrustedKey(public, {b"HK"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        credential.KeySet([])


REFUSED = document()["refusedKeys"]


@pytest.mark.parametrize("entry", REFUSED, ids=[f"refusedKeys#{e['tcId']}" for e in REFUSED])
def test_key_set_refuses_weak_ed25519_keys(entry: dict[str, Any]) -> None:
    """Spec 4.2: small-order and non-canonical public keys are a configuration error, from PEM or object."""
    with pytest.raises(ValueError, match="Ed25519 public key is"):
        credential.KeySet([credential.TrustedKey(entry["publicKeyPem"], frozenset({"HK"}))])
    public = ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(entry["publicKey"]))
    with pytest.raises(ValueError, match="a key set refuses it"):
        credential.TrustedKey(public, frozenset({"HK", "MO"}))


@pytest.mark.parametrize("entry", [e for e in REFUSED if "forgery" in e], ids=lambda e: f"refusedKeys#{e['tcId']}")
def test_the_forgeries_verify_under_the_raw_library(entry: dict[str, Any]) -> None:
    """Why the key set refuses them: the library loads these keys and accepts a signature by no one."""
    public = ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(entry["publicKey"]))
    layers = credential.decode(entry["forgery"])
    assert layers.signature == bytes.fromhex("01" + "00" * 63)
    public.verify(layers.signature, layers.to_be_signed)


def test_point_defects_are_byte_tests() -> None:
    p = 2**255 - 19
    for y in (p, p + 1, 2**255 - 1):
        for sign in (0, 1 << 255):
            assert "y >= p" in str(keys.ed25519_point_defect((y | sign).to_bytes(32, "little")))
    for point in keys.ED25519_SMALL_ORDER:
        assert keys.ed25519_point_defect(point) == "a point of small order"
    ordinary = credential.generate_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert keys.ed25519_point_defect(ordinary) is None


def test_small_order_r_is_refused_although_the_library_accepts_it() -> None:
    """R = identity with S = k * a satisfies the cofactorless equation; spec 4.2 refuses it anyway."""
    seed = hashlib.sha256(b"a test key for small-order R").digest()
    private = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key()
    a_bytes = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    h = hashlib.sha512(seed).digest()
    a = (int.from_bytes(h[:32], "little") & ((1 << 254) - 8)) | (1 << 254)
    order = 2**252 + 27742317777372353535851937790883648493
    r = bytes.fromhex("01" + "00" * 31)
    message = b"any message"
    k = int.from_bytes(hashlib.sha512(r + a_bytes + message).digest(), "little") % order
    signature = r + (k * a % order).to_bytes(32, "little")
    public.verify(signature, message)  # the library: valid
    with pytest.raises(InvalidSignature, match="small order"):
        keys.BY_NAME["Ed25519"].verify(public, signature, message)
