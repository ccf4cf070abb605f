"""Base45 (spec 7.2): the RFC 9285 examples and the strict decoding rules."""

from __future__ import annotations

import os

import pytest

from credential.text import base45

RFC_9285 = [(b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"), (b"ietf!", "QED8WEX0"), (b"", "")]


@pytest.mark.parametrize(("raw", "text"), RFC_9285)
def test_rfc_examples(raw: bytes, text: str) -> None:
    assert base45.encode(raw) == text
    assert base45.decode(text) == raw


@pytest.mark.parametrize("size", [1, 2, 3, 64, 255, 1000])
def test_round_trip(size: int) -> None:
    data = os.urandom(size)
    assert base45.decode(base45.encode(data)) == data


def test_extremes() -> None:
    assert base45.encode(b"\xff\xff") == "FGW"
    assert base45.decode("FGW") == b"\xff\xff"
    assert base45.encode(b"\xff") == "U5"
    assert base45.decode("U5") == b"\xff"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("GGW", "above 65535"),
        ("V5", "above 255"),
        ("ABCD", "single character"),
        ("bb8", "not in the Base45 alphabet"),
        ("BB8=", "not in the Base45 alphabet"),
        ("BB\n", "not in the Base45 alphabet"),
        ("BBé", "non-ASCII"),
    ],
)
def test_strict_rejections(text: str, reason: str) -> None:
    with pytest.raises(base45.Base45Error, match=reason):
        base45.decode(text)
