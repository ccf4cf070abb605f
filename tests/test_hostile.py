"""Regressions for hostile inputs: each test names the flaw it once let through or misreported."""

from __future__ import annotations

import tracemalloc

import credential
from credential import cbor, cose, limits, text as textlayer
from credential.errors import ErrorCode

from .vectors import vectors

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
