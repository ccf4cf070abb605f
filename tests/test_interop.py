"""Interop in both directions with two independent COSE implementations, pycose and python-cwt."""

from __future__ import annotations

import pytest
from cwt import COSE, COSEKey
from pycose.algorithms import EdDSA, Es256
from pycose.headers import KID, Algorithm
from pycose.keys import CoseKey
from pycose.messages import Sign1Message

import credential
from credential.cose import keys
from credential.cose import sign1 as cose
from credential.issuer import samples
from credential.text import wrap as textlayer

ALGS = ["Ed25519", "ES256"]
COSE_NAMES = {"Ed25519": "EdDSA", "ES256": "ES256"}
NOW = samples.ISSUED_AT + 60
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _ours(alg: str) -> tuple[keys.PrivateKey, credential.Layers]:
    key = credential.generate_key(alg)
    text = credential.issue(samples.full(), key, templates=samples.TEMPLATES)
    return key, credential.decode(text)


def _low_s(message: bytes) -> bytes:
    """Peers sign ECDSA with either s; XC issuers normalize to low-S, which needs no private key."""
    sign1 = cose.parse(message)
    s = int.from_bytes(sign1.signature[32:], "big")
    if s <= N // 2:
        return message
    return cose.build(sign1.protected, sign1.payload, sign1.signature[:32] + (N - s).to_bytes(32, "big"))


@pytest.mark.parametrize("alg", ALGS)
def test_pycose_verifies_ours(alg: str) -> None:
    key, layers = _ours(alg)
    message = Sign1Message.decode(layers.cose)
    message.key = CoseKey.from_pem_public_key(credential.public_key_to_pem(key).decode())
    assert message.verify_signature()
    assert message.payload == layers.payload


@pytest.mark.parametrize("alg", ALGS)
def test_cwt_verifies_ours(alg: str) -> None:
    key, layers = _ours(alg)
    public = COSEKey.from_pem(credential.public_key_to_pem(key), kid=credential.kid_of(key))
    assert COSE.new().decode(layers.cose, public) == layers.payload


@pytest.mark.parametrize("alg", ALGS)
def test_we_verify_pycose(alg: str) -> None:
    key, layers = _ours(alg)
    message = Sign1Message(
        phdr={Algorithm: EdDSA if alg == "Ed25519" else Es256, KID: credential.kid_of(key)}, uhdr={}, payload=layers.payload
    )
    message.key = CoseKey.from_pem_private_key(credential.private_key_to_pem(key).decode())
    peer = _low_s(message.encode(tag=True)) if alg == "ES256" else message.encode(tag=True)
    verified = credential.verify(textlayer.wrap(peer), [credential.TrustedKey(key.public_key(), {"HK"})], now=NOW)
    assert verified.claims == layers.claims


@pytest.mark.parametrize("alg", ALGS)
def test_we_verify_cwt(alg: str) -> None:
    key, layers = _ours(alg)
    private = COSEKey.from_pem(credential.private_key_to_pem(key), kid=credential.kid_of(key), alg=COSE_NAMES[alg])
    peer = COSE.new().encode_and_sign(
        layers.payload, private, protected={"alg": COSE_NAMES[alg], "kid": credential.kid_of(key)}, unprotected={}
    )
    peer = _low_s(peer) if alg == "ES256" else peer
    assert credential.verify(textlayer.wrap(peer), [credential.TrustedKey(key.public_key(), {"HK"})], now=NOW).claims == layers.claims


def test_high_s_from_a_peer_is_refused_until_normalized() -> None:
    key, layers = _ours("ES256")
    ours = cose.parse(layers.cose)
    s = int.from_bytes(ours.signature[32:], "big")
    high = cose.build(ours.protected, ours.payload, ours.signature[:32] + (N - s).to_bytes(32, "big"))
    with pytest.raises(credential.VerificationError) as caught:
        credential.verify(textlayer.wrap(high), [credential.TrustedKey(key.public_key(), {"HK"})], now=NOW)
    assert caught.value.code is credential.ErrorCode.SIGNATURE
    assert "low-S" in caught.value.detail
    assert credential.verify(textlayer.wrap(_low_s(high)), [credential.TrustedKey(key.public_key(), {"HK"})], now=NOW).alg == "ES256"


def test_peer_bytes_equal_ours_for_ed25519() -> None:
    """Same header, payload and key: pycose's Ed25519 output is byte-identical to ours."""
    key, layers = _ours("Ed25519")
    message = Sign1Message(phdr={Algorithm: EdDSA, KID: credential.kid_of(key)}, uhdr={}, payload=layers.payload)
    message.key = CoseKey.from_pem_private_key(credential.private_key_to_pem(key).decode())
    assert message.encode(tag=True) == layers.cose
