"""Deterministic CBOR (spec 5): the encoder's order and the strict decoder's codes and precedence."""

from __future__ import annotations

import cbor2
import pytest

from credential.base import limits
from credential.base.errors import ErrorCode
from credential.text import cbor


def test_keys_sort_bytewise_not_length_first() -> None:
    # RFC 8949 4.2.1: 10 (0a) < 100 (1864) < -1 (20); RFC 7049 canonical would put -1 before 100.
    assert cbor.encode({10: 1, -1: 2, 100: 3}).hex() == "a30a011864032002"
    assert cbor2.dumps({10: 1, -1: 2, 100: 3}, canonical=True).hex() != cbor.encode({10: 1, -1: 2, 100: 3}).hex()


def test_round_trip_of_the_subset() -> None:
    value = {1: "HK", -65537: {1: [b"\x00", "\u9673", True, False, None]}, "k": -(2**64), 2: 2**64 - 1, 3: cbor.Tag(18, [])}
    assert cbor.decode(cbor.encode(value)) == value


@pytest.mark.parametrize(
    ("hex_", "code", "reason"),
    [
        ("1817", ErrorCode.NOT_DETERMINISTIC, "shortest form"),
        ("190017", ErrorCode.NOT_DETERMINISTIC, "shortest form"),
        ("9f01ff", ErrorCode.NOT_DETERMINISTIC, "indefinite-length array"),
        ("5f4101ff", ErrorCode.NOT_DETERMINISTIC, "indefinite-length string"),
        ("bf0101ff", ErrorCode.NOT_DETERMINISTIC, "indefinite-length map"),
        ("a202010101", ErrorCode.NOT_DETERMINISTIC, "out of order"),
        ("a201010101", ErrorCode.NOT_DETERMINISTIC, "duplicate map key"),
        ("a2010118010102", ErrorCode.CBOR, "after the item"),
        ("0102", ErrorCode.CBOR, "after the item"),
        ("f97c00", ErrorCode.CBOR, "floating-point"),
        ("f7", ErrorCode.CBOR, "simple value 23"),
        ("f818", ErrorCode.CBOR, "two bytes"),
        ("1c", ErrorCode.CBOR, "reserved"),
        ("ff", ErrorCode.CBOR, "break outside"),
        ("62c328", ErrorCode.CBOR, "UTF-8"),
        ("a1818001", ErrorCode.CBOR, "map key"),
        ("8201", ErrorCode.CBOR, "only 1 bytes remain"),
        ("5a7fffffff", ErrorCode.CBOR, "declared"),
        ("9b0fffffffffffffff", ErrorCode.LIMIT, "more than 64"),
        ("98", ErrorCode.CBOR, "end of data"),
    ],
)
def test_rejections(hex_: str, code: ErrorCode, reason: str) -> None:
    with pytest.raises(cbor.CBORError, match=reason) as caught:
        cbor.decode(bytes.fromhex(hex_))
    assert caught.value.code is code


def test_well_formedness_takes_precedence_over_determinism() -> None:
    # A non-minimal head first, then the data ends early: the whole item is malformed, so CBOR.
    with pytest.raises(cbor.CBORError) as caught:
        cbor.decode(bytes.fromhex("821801"))
    assert caught.value.code is ErrorCode.CBOR


def test_depth_limit() -> None:
    nested = bytes.fromhex("81" * limits.MAX_DEPTH + "01")
    assert cbor.decode(nested) is not None
    with pytest.raises(cbor.CBORError) as caught:
        cbor.decode(bytes.fromhex("81" * (limits.MAX_DEPTH + 1) + "01"))
    assert caught.value.code is ErrorCode.LIMIT


def test_item_limit() -> None:
    arrays = [[0] * 60 for _ in range(5)]
    with pytest.raises(cbor.CBORError) as caught:
        cbor.decode(cbor.encode(arrays))
    assert caught.value.code is ErrorCode.LIMIT


@pytest.mark.parametrize("n", [0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1])
def test_head_is_shortest(n: int) -> None:
    assert cbor.head(0, n) == cbor2.dumps(n)
    assert cbor.decode(cbor.head(0, n)) == n


def test_sig_structure_matches_the_generic_encoding() -> None:
    from credential.cose import sign1 as cose

    for size in (0, 23, 24, 300):
        protected, payload = bytes(range(size % 50)), bytes(size)
        assert cose.to_be_signed(protected, payload) == cbor.encode(["Signature1", protected, b"", payload])


def test_simple_values_and_strings_at_the_deepest_level_are_fine() -> None:
    for leaf in ("f5", "f6", "4100", "6161", "01"):
        assert cbor.decode(bytes.fromhex("81" * limits.MAX_DEPTH + leaf)) is not None


def _careful(data: bytes) -> object:
    decoder = cbor._Decoder(data)
    value, pos = decoder.item(0, 0)
    assert pos == len(data) and decoder.flaw is None
    return value


def test_fast_reader_accepts_only_what_the_careful_reader_accepts() -> None:
    """The fast reader may hand anything to the careful one, but must never accept more or differ."""
    import random

    from credential.claims.model import to_cbor
    from credential.issuer import samples
    from credential.issuer.issue import complete

    rng = random.Random(1)
    seeds = [cbor.encode(to_cbor(complete(samples.full(), samples.TEMPLATES))), bytes.fromhex("d28443a10127a04101" + "4100")]
    checked = 0
    for _ in range(4000):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(data))
            data[i] = rng.choice([rng.randrange(256), data[i] ^ (1 << rng.randrange(8))])
        try:
            fast = cbor._fast(bytes(data))
        except cbor._Irregular:
            continue
        assert _careful(bytes(data)) == fast
        checked += 1
    assert checked > 100


def test_encoder_agrees_with_cbor2_where_cbor2_is_deterministic() -> None:
    values = [0, 23, 24, 255, 256, 2**32, 2**64 - 1, -1, -24, -25, -(2**64), b"", b"\x00" * 300, "", "陳大文" * 30,
              [], [1, [2, [3]]], True, False, None, {1: {2: 3}}, {"a": 1}]
    for value in values:
        assert cbor.encode(value) == cbor2.dumps(value), value
    assert cbor.encode(cbor.Tag(18, [])) == cbor2.dumps(cbor2.CBORTag(18, []))


@pytest.mark.parametrize("value", [2**64, -(2**64) - 1, 1.5, {1, 2}, object()])
def test_encoder_refuses_values_outside_the_subset(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        cbor.encode(value)


_PAIRS = b"".join(cbor.encode(i) + b"\x00" for i in range(limits.MAX_CONTAINER_LENGTH))


@pytest.mark.parametrize(
    ("data", "code"),
    [
        # Spec Appendix B.3, trace by trace.
        (b"\x9f" + b"\x00" * 64 + b"\x1c", ErrorCode.LIMIT),
        (b"\xbf" + _PAIRS + b"\x18\x40\x1c", ErrorCode.LIMIT),
        (b"\xbf" + _PAIRS + b"\xff", ErrorCode.NOT_DETERMINISTIC),
        (bytes.fromhex("a801818181818181818100"), ErrorCode.LIMIT),
        (bytes.fromhex("ab01818181818181818100"), ErrorCode.CBOR),
        (bytes.fromhex("9f0018ff"), ErrorCode.CBOR),
        # The 65th entry of an indefinite container: LIMIT whatever is wrong inside it (spec 5.3 step 4).
        (b"\xbf" + _PAIRS + b"\x1c\x00", ErrorCode.LIMIT),
        (b"\xbf" + _PAIRS + b"\x18\x40", ErrorCode.LIMIT),
        (b"\x9f" + b"\x00" * 64 + b"\x5f", ErrorCode.LIMIT),
        (b"\xbf" + _PAIRS, ErrorCode.CBOR),
        (b"\x9f" + b"\x00" * 64, ErrorCode.CBOR),
    ],
)
def test_decoder_state_traces(data: bytes, code: ErrorCode) -> None:
    with pytest.raises(cbor.CBORError) as caught:
        cbor.decode(data)
    assert caught.value.code is code, caught.value


def test_a_tag_and_its_content_are_two_items() -> None:
    # [[1(0) x 63], [1(0) x 63], 0] is 1 + 2 * (1 + 2 * 63) + 1 = 256 items; 1(0) for the last 0 is 257.
    tags = bytes.fromhex("983f") + b"\xc1\x00" * 63
    assert len(cbor.decode(b"\x83" + tags + tags + b"\x00")) == 3
    with pytest.raises(cbor.CBORError) as caught:
        cbor.decode(b"\x83" + tags + tags + b"\xc1\x00")
    assert caught.value.code is ErrorCode.LIMIT and "more than 256 items" in caught.value.detail


def test_a_map_count_is_compared_with_the_bytes_left_as_pairs() -> None:
    # 8 pairs, 8 bytes after the head: not CBOR at the head, so the reading goes on to its end.
    with pytest.raises(cbor.CBORError) as caught:
        cbor.decode(bytes.fromhex("a8") + b"\x01\x00" * 4)
    assert caught.value.code is ErrorCode.CBOR and "unexpected end" in caught.value.detail
    with pytest.raises(cbor.CBORError) as caught:
        cbor.decode(bytes.fromhex("a9") + b"\x01\x00" * 4)
    assert "9 entries declared but only 8 bytes remain" in caught.value.detail
