"""Regressions for hostile inputs: each test names the flaw it once let through or misreported."""

from __future__ import annotations

import tracemalloc

import credential
from credential.base import limits
from credential.base.errors import ErrorCode
from credential.cose import sign1 as cose
from credential.text import cbor
from credential.text import wrap as textlayer

from .vectors import document, negative_counts, vectors

VALID = next(v for v in vectors() if v.valid and v.has_flag("Ed25519") and not v.has_flag("Deflated"))


def _code(text: str | bytes) -> ErrorCode:
    try:
        credential.verify(text, VALID.keyset(), now=VALID["verifier"]["now"])
    except credential.VerificationError as err:
        return err.code
    raise AssertionError("accepted")


def test_empty_protected_header_is_a_cose_error() -> None:
    """h'' is RFC 9052's encoding of an empty protected header: well-formed CBOR, but no alg (COSE, not CBOR)."""
    layers = credential.decode(VALID["text"])
    message = cbor.encode(cbor.Tag(cose.TAG_SIGN1, [b"", {}, layers.payload, layers.signature]))
    assert _code(textlayer.wrap(message, deflate=False)) is ErrorCode.COSE


def test_oversized_bytes_input_is_refused_before_it_is_copied() -> None:
    """A bytes input over the text limit is LIMIT without a text copy of the whole input being made."""
    data = b"X" * (8 * 1024 * 1024)
    tracemalloc.start()
    try:
        assert _code(data) is ErrorCode.LIMIT
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < len(data) // 8
    assert _code(b"X" * (limits.MAX_TEXT_CHARS + 1)) is ErrorCode.LIMIT


def test_every_error_code_has_three_negative_vectors() -> None:
    counts = negative_counts()
    thin = {code.value: counts.get(code.value, 0) for code in ErrorCode if counts.get(code.value, 0) < 3}
    assert not thin, f"codes with fewer than three negative vectors: {thin}"


def test_acceptable_vectors_name_the_code_they_are_generated_with() -> None:
    """An acceptable result lists every code a conforming verifier may give; the reference gives one of them."""
    for vector in vectors():
        if vector["result"] == "acceptable":
            assert len(vector["errors"]) >= 2 and vector.has_flag("Precedence"), vector.id


def test_string_chunks_count_against_the_item_limit() -> None:
    """Thousands of empty chunks in one indefinite-length string once cost 44x a valid verification."""
    for chunk in (b"\x40", b"\x41\x00"):
        data = b"\x5f" + chunk * (limits.MAX_ITEMS + 1) + b"\xff"
        try:
            cbor.decode(data)
        except cbor.CBORError as err:
            assert err.code is ErrorCode.LIMIT, err
        else:
            raise AssertionError("accepted")
    # At the limit, the flaw is the indefinite length itself.
    try:
        cbor.decode(b"\x5f" + b"\x40" * (limits.MAX_ITEMS - 1) + b"\xff")
    except cbor.CBORError as err:
        assert err.code is ErrorCode.NOT_DETERMINISTIC, err


def test_alg_null_is_an_unsupported_algorithm() -> None:
    """alg present as null is ALG (spec 4.1: whatever its type), not a missing alg (COSE)."""
    layers = credential.decode(VALID["text"])
    key = credential.load_private_key(document()["keys"]["hk-ed25519"]["privateKeyPem"])
    protected = cbor.encode({1: None, 4: layers.kid})
    signature = key.sign(cose.to_be_signed(protected, layers.payload))
    assert _code(textlayer.wrap(cose.build(protected, layers.payload, signature), deflate=False)) is ErrorCode.ALG
    protected = cbor.encode({4: layers.kid})
    signature = key.sign(cose.to_be_signed(protected, layers.payload))
    assert _code(textlayer.wrap(cose.build(protected, layers.payload, signature), deflate=False)) is ErrorCode.COSE
