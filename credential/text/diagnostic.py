"""CBOR diagnostic notation (RFC 8949 section 8) read straight from the bytes, for people.

Unlike ``cbor.decode`` this printer accepts what the XC subset refuses, so that a person sees why it
was refused: indefinite lengths are shown as ``[_ ...]``, ``(_ h'..', h'..')`` and ``"..."`` chunks,
arguments not in their shortest form carry the encoding indicator ``_0`` to ``_3`` (section 8.1),
floats and simple values are printed, and malformed input is printed up to the byte where it breaks,
followed by a comment saying why. It never raises on any bytes and its work is bounded: at most
``MAX_DEPTH`` levels and ``MAX_ITEMS`` items are shown.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass

MAX_DEPTH = 24
MAX_ITEMS = 4096
_ARG_BYTES = {24: 1, 25: 2, 26: 4, 27: 8}
_SIMPLE_NAMES = {20: "false", 21: "true", 22: "null", 23: "undefined"}
_INDENT = "  "
_INLINE_WIDTH = 72  # a container whose one-line form fits in this many characters stays on one line


@dataclass(frozen=True)
class Diagnosis:
    """The notation, and where and why reading stopped early (None when the bytes are one whole item)."""

    text: str
    error: str | None = None
    offset: int | None = None


class _Stop(Exception):
    """Reading stopped; ``partial`` is the notation of what was read up to there, built outwards."""

    def __init__(self, detail: str, offset: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.offset = offset
        self.partial = ""


def _layout(open_: str, marker: str, entries: list[str], close: str) -> str:
    one_line = f"{open_}{marker}{', '.join(entries)}{close}"
    if len(one_line) <= _INLINE_WIDTH and "\n" not in one_line:
        return one_line
    inner = ",\n".join(_INDENT + entry.replace("\n", "\n" + _INDENT) for entry in entries)
    return f"{open_}{marker.rstrip()}\n{inner}\n{close}"


class _Printer:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.items = 0

    def head(self, pos: int) -> tuple[int, int, int | None, str, int]:
        """(major, additional info, argument or None if indefinite, encoding indicator, next position)."""
        if pos >= len(self.data):
            raise _Stop("unexpected end of data", pos)
        self.items += 1
        if self.items > MAX_ITEMS:
            raise _Stop(f"more than {MAX_ITEMS} items; the rest is not shown", pos)
        initial = self.data[pos]
        major, info = initial >> 5, initial & 0x1F
        if info < 24:
            return major, info, info, "", pos + 1
        size = _ARG_BYTES.get(info)
        if size is not None:
            stop = pos + 1 + size
            if stop > len(self.data):
                raise _Stop("unexpected end of data in an argument", pos)
            argument = int.from_bytes(self.data[pos + 1 : stop], "big")
            shortest = argument < 24 if info == 24 else argument < 1 << (8 * size // 2)
            # Section 8.1: _n marks additional information 24+n; shown only where it is not the shortest
            # form, so that a deterministic item reads exactly as RFC 8949's own examples do.
            indicator = f"_{info - 24}" if shortest and major != 7 else ""
            return major, info, argument, indicator, stop
        if info == 31 and major in (2, 3, 4, 5, 7):
            return major, info, None, "", pos + 1
        raise _Stop(f"reserved additional information {info} for major type {major}", pos)

    def item(self, pos: int, depth: int) -> tuple[str, int]:
        if depth >= MAX_DEPTH:
            raise _Stop(f"nested deeper than {MAX_DEPTH} levels; the rest is not shown", pos)
        start = pos
        major, info, argument, indicator, pos = self.head(pos)
        if major == 0 and argument is not None:
            return f"{argument}{indicator}", pos
        if major == 1 and argument is not None:
            return f"{-1 - argument}{indicator}", pos
        if major in (2, 3):
            return self.string(major, argument, indicator, pos, depth)
        if major in (4, 5):
            return self.container(major, argument, indicator, pos, depth)
        if major == 6 and argument is not None:
            try:
                inner, pos = self.item(pos, depth + 1)
            except _Stop as stop:
                stop.partial = f"{argument}{indicator}({stop.partial}"
                raise
            return f"{argument}{indicator}({inner})", pos
        return self.simple(info, argument, start, pos)

    def string(self, major: int, argument: int | None, indicator: str, pos: int, depth: int) -> tuple[str, int]:
        if argument is None:
            chunks = []
            while True:
                if pos >= len(self.data):
                    raise _Stop("unexpected end of data in an indefinite-length string", pos)
                if self.data[pos] == 0xFF:
                    break
                chunk_start = pos
                chunk_major, _, chunk_length, chunk_indicator, pos = self.head(pos)
                if chunk_major != major or chunk_length is None:
                    raise _Stop("a chunk of an indefinite-length string is not a definite string of its type", chunk_start)
                text, pos = self.string(major, chunk_length, chunk_indicator, pos, depth)
                chunks.append(text)
            return f"(_ {', '.join(chunks)})" if chunks else ("''_" if major == 2 else '""_'), pos + 1
        if argument > len(self.data) - pos:
            raise _Stop(f"a string of {argument} bytes declared, {len(self.data) - pos} left", pos)
        raw = self.data[pos : pos + argument]
        if major == 2:
            return f"h'{raw.hex()}'{indicator}", pos + argument
        try:
            return json.dumps(raw.decode("utf-8"), ensure_ascii=False) + indicator, pos + argument
        except UnicodeDecodeError:
            raise _Stop("a text string that is not UTF-8", pos) from None

    def container(self, major: int, argument: int | None, indicator: str, pos: int, depth: int) -> tuple[str, int]:
        open_, close = ("[", "]") if major == 4 else ("{", "}")
        entries: list[str] = []
        marker = "_ " if argument is None else (indicator + " " if indicator else "")
        count = 0
        try:
            while argument is None or count < argument:
                if argument is None:
                    if pos >= len(self.data):
                        raise _Stop("unexpected end of data in an indefinite-length container", pos)
                    if self.data[pos] == 0xFF:
                        pos += 1
                        break
                entry, pos = self.item(pos, depth + 1)
                if major == 5:
                    try:
                        value, pos = self.item(pos, depth + 1)
                    except _Stop as stop:
                        stop.partial = f"{entry}: {stop.partial}"
                        raise
                    entry = f"{entry}: {value}"
                entries.append(entry)
                count += 1
        except _Stop as stop:
            stop.partial = _layout(open_, marker, entries + [stop.partial or "..."], "")
            raise
        return _layout(open_, marker, entries, close), pos

    def simple(self, info: int, argument: int | None, start: int, pos: int) -> tuple[str, int]:
        if argument is None:
            raise _Stop("a break code outside an indefinite-length item", start)
        if info < 24:
            return _SIMPLE_NAMES.get(argument, f"simple({argument})"), pos
        if info == 24:
            return f"simple({argument})", pos
        raw = self.data[start + 1 : pos]
        value = _half(raw) if info == 25 else struct.unpack(">f" if info == 26 else ">d", raw)[0]
        return _float(value) + f"_{info - 24}", pos


def _half(raw: bytes) -> float:
    return float(struct.unpack(">e", raw)[0])


def _float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def diagnose(data: bytes) -> Diagnosis:
    """The diagnostic notation of the CBOR item filling ``data``, or of as much of it as can be read."""
    printer = _Printer(data)
    try:
        text, pos = printer.item(0, 0)
    except _Stop as stop:
        shown = f"{stop.partial}\n" if stop.partial else ""
        return Diagnosis(f"{shown}/ unreadable from byte {stop.offset}: {stop.detail} /", stop.detail, stop.offset)
    except RecursionError:  # MAX_DEPTH keeps far below the interpreter's limit; this is a second fence
        return Diagnosis("/ nested too deeply to show /", "nested too deeply", 0)
    if pos < len(data):
        rest = len(data) - pos
        detail = f"{rest} byte{'s' if rest != 1 else ''} after the item"
        return Diagnosis(f"{text}\n/ {detail}: h'{data[pos:pos + 64].hex()}{'...' if rest > 64 else ''}' /", detail, pos)
    return Diagnosis(text)
