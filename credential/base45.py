"""Base45 (RFC 9285), spec section 7: the text layer that keeps a credential in the QR alphanumeric set.

Decoding is strict: only the 45 characters of the alphabet (so no lowercase), no dangling single
character, no triplet above 65535 and no final pair above 255. Every input has one decoding and every
byte string one encoding.
"""

from __future__ import annotations

import sys
from array import array

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INVALID = 0xFF
_DECODE_TABLE = bytes(ALPHABET.index(chr(b)) if chr(b) in ALPHABET else _INVALID for b in range(256))
_SWAP = sys.byteorder == "little"


class Base45Error(ValueError):
    """The text is not strict Base45."""


def encode(data: bytes) -> str:
    """Encode bytes as Base45: each pair of bytes is three characters, a final odd byte two."""
    alphabet = ALPHABET
    even = len(data) & ~1
    words = array("H", data[:even])
    if _SWAP:
        words.byteswap()
    out = []
    for n in words:
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        out.append(alphabet[c] + alphabet[d] + alphabet[e])
    if even != len(data):
        d, c = divmod(data[-1], 45)
        out.append(alphabet[c] + alphabet[d])
    return "".join(out)


def decode(text: str) -> bytes:
    """Decode strict Base45 text; raise Base45Error naming the first flaw."""
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError as err:
        raise Base45Error(f"non-ASCII character at position {err.start}") from None
    values = raw.translate(_DECODE_TABLE)
    bad = values.find(_INVALID)
    if bad >= 0:
        raise Base45Error(f"character {text[bad]!r} at position {bad} is not in the Base45 alphabet")
    n = len(values)
    if n % 3 == 1:
        raise Base45Error(f"length {n} leaves a single character after the last group")
    whole = n - n % 3
    words = [a + 45 * b + 2025 * c for a, b, c in zip(values[0:whole:3], values[1:whole:3], values[2:whole:3])]
    if words and max(words) > 0xFFFF:
        index = next(i for i, w in enumerate(words) if w > 0xFFFF)
        raise Base45Error(f"group at position {3 * index} encodes {words[index]}, above 65535")
    packed = array("H", words)
    if _SWAP:
        packed.byteswap()
    out = packed.tobytes()
    if whole != n:
        last = values[whole] + 45 * values[whole + 1]
        if last > 0xFF:
            raise Base45Error(f"final pair at position {whole} encodes {last}, above 255")
        out += bytes((last,))
    return out
