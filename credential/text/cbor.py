"""Deterministic CBOR (RFC 8949 section 4.2.1), spec section 5.

``encode`` produces the one deterministic encoding of a value. ``decode`` is a strict decoder of the
XC subset (unsigned and negative integers, byte and text strings, arrays, maps with integer or text
keys, tags, false, true, null): it first requires the whole item to be well-formed and within the
limits, then requires it to be in deterministic form, and reports the first flaw with its error code.
Two readers do this: a fast one that accepts only the plain case, and a careful one that runs when the
fast one gives up and names the flaw; they never disagree on what they accept.

A general codec cannot serve here: cbor2 accepts duplicate keys (last wins), trailing bytes,
indefinite lengths, non-minimal heads and unsorted keys without telling, and sorts ``canonical``
keys length-first rather than bytewise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..base import limits
from ..base.errors import ErrorCode, VerificationError


@dataclass(frozen=True)
class Tag:
    """A tagged item; only the COSE_Sign1 tag is expected, everything else is rejected by its reader."""

    number: int
    value: Any


class CBORError(VerificationError):
    """CBOR that is malformed (CBOR), outside the limits (LIMIT) or not deterministic (NOT_DETERMINISTIC)."""

    def __init__(self, code: ErrorCode, detail: str, offset: int) -> None:
        super().__init__(code, f"{detail} at byte {offset}")
        self.offset = offset


def head(major: int, argument: int) -> bytes:
    """The shortest head for a major type and argument (RFC 8949 section 3)."""
    if argument < 24:
        return bytes((major << 5 | argument,))
    for info, size in _ARG_BYTES.items():
        if argument < 1 << (8 * size):
            return bytes((major << 5 | info,)) + argument.to_bytes(size, "big")
    raise ValueError(f"argument {argument} does not fit in 64 bits")


def _encode(value: Any, out: list[bytes]) -> None:
    kind = type(value)
    if kind is int:
        out.append(head(0, value) if value >= 0 else head(1, -1 - value))
    elif kind is bytes:
        out.append(head(2, len(value)))
        out.append(value)
    elif kind is str:
        raw = value.encode("utf-8")
        out.append(head(3, len(raw)))
        out.append(raw)
    elif kind is list or kind is tuple:
        out.append(head(4, len(value)))
        for item in value:
            _encode(item, out)
    elif kind is dict:
        out.append(head(5, len(value)))
        # Bytewise order of the encoded keys (RFC 8949 4.2.1), not the length-first order of RFC 7049.
        for key, item in sorted((encode(k), v) for k, v in value.items()):
            out.append(key)
            _encode(item, out)
    elif kind is Tag:
        out.append(head(6, value.number))
        _encode(value.value, out)
    elif value is False or value is True or value is None:
        out.append(_SIMPLE_BYTES[value])
    else:
        raise TypeError(f"{kind.__name__} is not in the XC subset of CBOR")


def encode(value: Any) -> bytes:
    """The deterministic encoding (RFC 8949 section 4.2.1) of a value of the XC subset."""
    out: list[bytes] = []
    _encode(value, out)
    return b"".join(out)


# Argument sizes for additional information 24..27, and the smallest value each may carry.
_ARG_BYTES = {24: 1, 25: 2, 26: 4, 27: 8}
_ARG_MIN = {24: 24, 25: 0x100, 26: 0x10000, 27: 0x100000000}
_SIMPLE = {20: False, 21: True, 22: None}
_SIMPLE_BYTES = {False: b"\xf4", True: b"\xf5", None: b"\xf6"}


class _Decoder:
    __slots__ = ("data", "end", "items", "max_items", "flaw")

    def __init__(self, data: bytes, max_items: int = limits.MAX_ITEMS) -> None:
        self.data = data
        self.end = len(data)
        self.items = 0
        self.max_items = max_items
        # The first determinism flaw, reported only once the whole item is known to be well-formed.
        self.flaw: tuple[str, int] | None = None

    def fail(self, detail: str, offset: int, code: ErrorCode = ErrorCode.CBOR) -> CBORError:
        return CBORError(code, detail, offset)

    def note(self, detail: str, offset: int) -> None:
        if self.flaw is None:
            self.flaw = (detail, offset)

    def head(self, pos: int) -> tuple[int, int, int | None, int]:
        """Read an initial byte and argument: (major, info, argument or None if indefinite, next pos)."""
        if pos >= self.end:
            raise self.fail("unexpected end of data", pos)
        initial = self.data[pos]
        major, info = initial >> 5, initial & 0x1F
        if info < 24:
            return major, info, info, pos + 1
        size = _ARG_BYTES.get(info)
        if size is not None:
            stop = pos + 1 + size
            if stop > self.end:
                raise self.fail("unexpected end of data in an argument", pos)
            arg = int.from_bytes(self.data[pos + 1 : stop], "big")
            if arg < _ARG_MIN[info] and not (major == 7 and info == 24):
                self.note(f"argument {arg} not in its shortest form", pos)
            return major, info, arg, stop
        if info == 31 and major in (2, 3, 4, 5, 7):
            return major, info, None, pos + 1
        raise self.fail(f"reserved additional information {info} for major type {major}", pos)

    def item(self, pos: int, depth: int) -> tuple[Any, int]:
        self.items += 1
        if self.items > self.max_items:
            raise self.fail(f"more than {self.max_items} items", pos, ErrorCode.LIMIT)
        start = pos
        major, info, arg, pos = self.head(pos)
        if major == 0:
            return arg, pos
        if major == 1:
            return -1 - arg, pos  # type: ignore[operator]
        if major in (2, 3):
            if arg is None:
                self.note("indefinite-length string", start)
                chunks = []
                while True:
                    if pos < self.end and self.data[pos] == 0xFF:
                        pos += 1
                        break
                    # Each chunk is a data item of its own and counts against the item limit.
                    self.items += 1
                    if self.items > self.max_items:
                        raise self.fail(f"more than {self.max_items} items", pos, ErrorCode.LIMIT)
                    m, _, n, after = self.head(pos)
                    if m != major or n is None:
                        raise self.fail("chunk of an indefinite-length string has the wrong type", pos)
                    chunks.append(self.string(major, n, after))
                    pos = after + n
                return (b"" if major == 2 else "").join(chunks), pos
            return self.string(major, arg, pos, start), pos + arg
        if major == 7:
            if arg is None:
                raise self.fail("break outside an indefinite-length item", start)
            if info in (25, 26, 27):
                raise self.fail("floating-point numbers are not used by XC", start)
            if info == 24 and arg < 32:
                raise self.fail(f"simple value {arg} in two bytes", start)
            if arg not in _SIMPLE:
                raise self.fail(f"simple value {arg} is not used by XC", start)
            return _SIMPLE[arg], pos
        # Only containers and tags nest; strings and simple values at the deepest level are fine.
        if depth >= limits.MAX_DEPTH:
            raise self.fail(f"nesting deeper than {limits.MAX_DEPTH}", start, ErrorCode.LIMIT)
        if major == 4:
            out: list[Any] = []
            if arg is None:
                self.note("indefinite-length array", start)
            else:
                self.count(arg, pos, start)
            while arg is None or len(out) < arg:
                if arg is None and self.at_break(pos):
                    pos += 1
                    break
                if arg is None:
                    self.room(len(out), pos)
                value, pos = self.item(pos, depth + 1)
                out.append(value)
            return out, pos
        if major == 5:
            return self.map(arg, pos, start, depth)
        value, pos = self.item(pos, depth + 1)  # major type 6, a tag
        return Tag(arg, value), pos  # type: ignore[arg-type]

    def at_break(self, pos: int) -> bool:
        if pos >= self.end:
            raise self.fail("unexpected end of data before break", pos)
        return self.data[pos] == 0xFF

    def room(self, entries: int, pos: int) -> None:
        """Before an indefinite-length container's next entry (a map's key): LIMIT if it would be the 65th.

        Checked where the entry begins, before a byte of it is read, so that a defect inside the
        65th entry (or its key or value) never decides the code (spec 5.3)."""
        if entries >= limits.MAX_CONTAINER_LENGTH:
            raise self.fail(f"more than {limits.MAX_CONTAINER_LENGTH} entries", pos, ErrorCode.LIMIT)

    def count(self, n: int, pos: int, start: int) -> None:
        """A definite-length head: its entries (pairs, for a map, not twice the pairs) against 64, then
        against the bytes that remain after the head (spec 5.3)."""
        if n > limits.MAX_CONTAINER_LENGTH:
            raise self.fail(f"{n} entries, more than {limits.MAX_CONTAINER_LENGTH}", start, ErrorCode.LIMIT)
        if n > self.end - pos:
            raise self.fail(f"{n} entries declared but only {self.end - pos} bytes remain", start)

    def string(self, major: int, n: int, pos: int, start: int | None = None) -> Any:
        if n > self.end - pos:
            raise self.fail(f"string of {n} bytes declared but only {self.end - pos} remain", pos if start is None else start)
        raw = self.data[pos : pos + n]
        if major == 2:
            return raw
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("text string is not valid UTF-8", pos if start is None else start) from None

    def map(self, n: int | None, pos: int, start: int, depth: int) -> tuple[dict[Any, Any], int]:
        out: dict[Any, Any] = {}
        if n is None:
            self.note("indefinite-length map", start)
        else:
            self.count(n, pos, start)
        previous = b""
        i = 0
        while n is None or i < n:
            if n is None and self.at_break(pos):
                pos += 1
                break
            if n is None:
                self.room(i, pos)
            key_start = pos
            key, pos = self.item(pos, depth + 1)
            if type(key) is not int and type(key) is not str:
                raise self.fail("map key is not an integer or text string", key_start)
            encoded = self.data[key_start:pos]
            if key in out:
                # Also catches one key in two encodings, such as 01 and 18 01.
                self.note(f"duplicate map key {key!r}", key_start)
            elif i and encoded <= previous:
                self.note(f"map key {key!r} out of order", key_start)
            previous = encoded
            out[key], pos = self.item(pos, depth + 1)
            i += 1
        return out, pos


class _Irregular(Exception):
    """Raised by the fast reader on anything outside the plain case; the careful reader takes over."""


def _fast(data: bytes, max_items: int = limits.MAX_ITEMS) -> Any:
    """Read the plain case only: deterministic, well-formed, within the limits, no indefinite lengths,
    floats or unusual simple values. Anything else raises _Irregular, never a wrong value, so that
    ``_Decoder`` (which names each flaw) runs only for inputs that are going to be rejected."""
    end = len(data)
    max_depth, max_length = limits.MAX_DEPTH, limits.MAX_CONTAINER_LENGTH
    items = 0

    def item(pos: int, depth: int) -> tuple[Any, int]:
        nonlocal items
        items += 1
        if items > max_items or pos >= end:
            raise _Irregular
        initial = data[pos]
        major, arg = initial >> 5, initial & 0x1F
        pos += 1
        if arg >= 24:
            if arg > 27:
                raise _Irregular
            size = 1 << (arg - 24)
            floor = _ARG_MIN[arg]
            arg = int.from_bytes(data[pos : pos + size], "big")
            pos += size
            if arg < floor or pos > end:
                raise _Irregular
        if major == 0:
            return arg, pos
        if major == 1:
            return -1 - arg, pos
        if major == 2 or major == 3:
            stop = pos + arg
            if stop > end:
                raise _Irregular
            if major == 2:
                return data[pos:stop], stop
            try:
                return data[pos:stop].decode("utf-8"), stop
            except UnicodeDecodeError:
                raise _Irregular from None
        if major == 7:
            if arg in _SIMPLE:
                return _SIMPLE[arg], pos
            raise _Irregular
        if depth >= max_depth or arg > max_length:
            raise _Irregular
        if major == 4:
            out = []
            for _ in range(arg):
                value, pos = item(pos, depth + 1)
                out.append(value)
            return out, pos
        if major == 5:
            mapping: dict[Any, Any] = {}
            previous = b""
            for _ in range(arg):
                key_start = pos
                key, pos = item(pos, depth + 1)
                kind = type(key)
                encoded = data[key_start:pos]
                if (kind is not int and kind is not str) or encoded <= previous:
                    raise _Irregular
                previous = encoded
                mapping[key], pos = item(pos, depth + 1)
            return mapping, pos
        value, pos = item(pos, depth + 1)
        return Tag(arg, value), pos

    value, pos = item(0, 0)
    if pos != end:
        raise _Irregular
    return value


def decode(data: bytes, *, max_items: int = limits.MAX_ITEMS) -> Any:
    """Decode exactly one deterministic CBOR item filling ``data``; raise CBORError otherwise.

    ``max_items`` is the data-item budget: the limit of section 10 unless a structure states its own
    (a trust list, spec section 16)."""
    try:
        return _fast(data, max_items)
    except (_Irregular, RecursionError):
        pass
    decoder = _Decoder(data, max_items)
    value, pos = decoder.item(0, 0)
    if pos != len(data):
        raise decoder.fail(f"{len(data) - pos} bytes after the item", pos)
    if decoder.flaw is not None:
        raise decoder.fail(*decoder.flaw, code=ErrorCode.NOT_DETERMINISTIC)
    return value
