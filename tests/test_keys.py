"""Keys (spec 4.2, 4.3): PEM round trips, kid derivation, deterministic low-S ES256, key sets."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import credential
from credential import keys


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
