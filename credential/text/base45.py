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
    groups = whole // 3
    # Each group is c0 + 45*c1 + 2025*c2. Placing the c0, c1 and c2 of all groups in 32-bit lanes of
    # three big integers lets one integer sum compute every group at C speed: no lane can carry into
    # the next, since the largest group, 91124, is far below 2**32.
    lanes = []
    for j in range(3):
        lane = bytearray(4 * groups)
        lane[3::4] = values[j:whole:3]
        lanes.append(int.from_bytes(lane, "big"))
    words = (lanes[0] + 45 * lanes[1] + 2025 * lanes[2]).to_bytes(4 * groups, "big")
    if words[0::4].count(0) != groups or words[1::4].count(0) != groups:
        index = next(i for i in range(groups) if words[4 * i] or words[4 * i + 1])
        value = int.from_bytes(words[4 * index : 4 * index + 4], "big")
        raise Base45Error(f"group at position {3 * index} encodes {value}, above 65535")
    packed = bytearray(2 * groups)
    packed[0::2] = words[2::4]
    packed[1::2] = words[3::4]
    out = bytes(packed)
    if whole != n:
        last = values[whole] + 45 * values[whole + 1]
        if last > 0xFF:
            raise Base45Error(f"final pair at position {whole} encodes {last}, above 255")
        out += bytes((last,))
    return out
