"""Raw DEFLATE (RFC 1951), spec section 6: used only when it makes the message shorter."""

from __future__ import annotations

import zlib

from ..base import limits

_RAW = -15  # wbits for raw DEFLATE: no zlib header or checksum, 6 bytes fewer than RFC 1950.


class InflateError(ValueError):
    """The compressed bytes are not one complete raw DEFLATE stream."""


class InflateLimitError(InflateError):
    """The stream inflates to more than MAX_INFLATED_BYTES."""


def deflate(data: bytes) -> bytes:
    """Compress at level 9 with zlib's default strategy and window, the inputs of the issuance vectors."""
    # One-shot compression gives the same bytes as a compressobj at these settings, 8 times faster here.
    return zlib.compress(data, 9, _RAW)


ZLIB = 15  # wbits for the zlib format (RFC 1950), which status lists carry (spec section 17)


def inflate(data: bytes, cap: int = limits.MAX_INFLATED_BYTES, wbits: int = _RAW) -> bytes:
    """Inflate one complete stream (raw DEFLATE unless ``wbits`` says otherwise), never producing more
    than ``cap`` bytes: InflateLimitError past the cap, InflateError for anything else wrong.

    zlib enforces exactly the validity rules of spec section 6 (at most 30 distance codes, complete
    Huffman codes but for a single one-bit code, and the rest), so nothing is checked here besides."""
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, cap)
        # Output stopped at the cap: one byte more tells a bomb from a stream that ends exactly there.
        if len(out) == cap and inflater.decompress(inflater.unconsumed_tail, 1):
            raise InflateLimitError(f"inflates to more than {cap} bytes")
    except zlib.error as err:
        raise InflateError(f"invalid DEFLATE data ({err})") from None
    if not inflater.eof:
        raise InflateError("DEFLATE stream is truncated")
    if inflater.unused_data:
        raise InflateError(f"{len(inflater.unused_data)} bytes after the end of the DEFLATE stream")
    return out
