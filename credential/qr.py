"""QR codes (spec section 7.3): render a credential in alphanumeric mode, scan one back with zxing-cpp.

The encoder is our own, for one job: credential text (the QR alphanumeric alphabet) in a single
alphanumeric segment. It follows ISO/IEC 18004 and produces, module for module, the symbol the
``qrcode`` library makes for the same text (tests compare the two), in a fraction of the time:

- the version comes straight from the text length and a capacity table, not a fitting loop;
- Reed-Solomon remainders use one precomputed table per generator, shifting a Python integer;
- the data modules are laid out once per version; each of the 8 masks is then one XOR of big
  integers, and its penalty (ISO rules N1 to N4, as ``qrcode`` scores them) is a few dozen shifts,
  ANDs and bit counts over the whole matrix instead of module-by-module loops.

So every symbol still gets the mask of least penalty, for about 0.3 ms instead of 13 ms.

Heavy imports (Pillow, zxing-cpp) happen inside the functions that need them, so ``import credential``
stays light for a verifier that is given text.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from collections.abc import Callable
from typing import Any

# Format-information bits of each level (ISO/IEC 18004 table 12); the same numbers as qrcode.constants.
ECC_LEVELS = {"L": 1, "M": 0, "Q": 3, "H": 2}
DEFAULT_ECC = "M"
QUIET_ZONE = 4  # modules, the minimum ISO/IEC 18004 asks for
MIN_QUIET_ZONE = 2  # spec 7.3: none fails on a dark background, one module read everywhere measured
DEFAULT_BOX = 8  # pixels per module in rendered images
FORMATS = ("png", "svg")
ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
MIN_VERSION, MAX_VERSION = 1, 40

# Error-correction codewords per block and number of blocks, per level and version (index 0 unused).
_ECC_PER_BLOCK = {
    "L": (0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
    "M": (0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28),
    "Q": (0, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
    "H": (0, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
}
_BLOCKS = {
    "L": (0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25),
    "M": (0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49),
    "Q": (0, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68),
    "H": (0, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81),
}
_MODE_ALPHANUMERIC = 0b0010
_PAD = (0xEC, 0x11)
_TO_ASCII_BITS = bytes.maketrans(b"\x00\x01", b"01")
_FROM_ASCII_BITS = bytes.maketrans(b"01", b"\x00\x01")
_ALNUM_VALUE = {c: i for i, c in enumerate(ALPHANUMERIC)}


class ScanError(ValueError):
    """No QR code could be read from the image."""


@dataclass(frozen=True)
class Symbol:
    """A QR code: its version, level, mask and modules (row by row, ``size * size`` bytes, 1 dark)."""

    text: str
    version: int
    ecc: str
    mask: int
    modules: bytes

    @property
    def size(self) -> int:
        """Modules per side, without the quiet zone."""
        return 4 * self.version + 17

    def rows(self) -> list[bytes]:
        n = self.size
        return [self.modules[i : i + n] for i in range(0, n * n, n)]

    def dark(self, row: int, col: int) -> bool:
        return self.modules[row * self.size + col] == 1


# --- capacity ---------------------------------------------------------------------------------


def _raw_modules(version: int) -> int:
    """Modules left for data and error correction once the function patterns are placed."""
    result = (16 * version + 128) * version + 64
    if version >= 2:
        aligns = version // 7 + 2
        result -= (25 * aligns - 10) * aligns - 55
        if version >= 7:
            result -= 36
    return result


def _data_codewords(version: int, ecc: str) -> int:
    return _raw_modules(version) // 8 - _ECC_PER_BLOCK[ecc][version] * _BLOCKS[ecc][version]


def _count_bits(version: int) -> int:
    return 9 if version <= 9 else 11 if version <= 26 else 13


def _segment_bits(length: int, version: int) -> int:
    return 4 + _count_bits(version) + 11 * (length // 2) + 6 * (length % 2)


def _check_ecc(ecc: str) -> None:
    if ecc not in ECC_LEVELS:
        raise ValueError(f"unknown error-correction level {ecc!r}; expected one of {sorted(ECC_LEVELS)}")


def capacity(version: int, ecc: str = DEFAULT_ECC) -> int:
    """The most alphanumeric characters a symbol of ``version`` at ``ecc`` holds."""
    _check_ecc(ecc)
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise ValueError(f"version {version} is outside {MIN_VERSION}..{MAX_VERSION}")
    bits = _data_codewords(version, ecc) * 8 - 4 - _count_bits(version)
    return 2 * (bits // 11) + (1 if bits % 11 >= 6 else 0)


@lru_cache(maxsize=None)
def _capacities(ecc: str) -> tuple[int, ...]:
    return tuple(capacity(v, ecc) for v in range(MIN_VERSION, MAX_VERSION + 1))


def version_for_length(length: int, ecc: str = DEFAULT_ECC) -> int:
    """The smallest version whose alphanumeric capacity at ``ecc`` holds ``length`` characters."""
    _check_ecc(ecc)
    for index, chars in enumerate(_capacities(ecc)):
        if length <= chars:
            return index + MIN_VERSION
    raise ValueError(f"{length} characters do not fit any QR version at level {ecc} (at most {_capacities(ecc)[-1]})")


def _check_text(text: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"text is a str, not {type(text).__name__}")
    if text.strip(ALPHANUMERIC):
        bad = next(c for c in text if c not in _ALNUM_VALUE)
        raise ValueError(f"character {bad!r} is not in the QR alphanumeric set")


def version(text: str, ecc: str = DEFAULT_ECC) -> int:
    """The QR version (1 to 40) that ``text`` needs at ``ecc``."""
    _check_text(text)
    return version_for_length(len(text), ecc)


# --- data codewords and Reed-Solomon ----------------------------------------------------------


def _gf_tables() -> tuple[list[int], list[int]]:
    exp = [0] * 512
    log = [0] * 256
    value = 1
    for i in range(255):
        exp[i] = value
        log[value] = i
        value <<= 1
        if value & 0x100:
            value ^= 0x11D
    for i in range(255, 512):
        exp[i] = exp[i - 255]
    return exp, log


_EXP, _LOG = _gf_tables()


@lru_cache(maxsize=None)
def _rs_table(degree: int) -> tuple[int, ...]:
    """For each byte f, the generator polynomial (without its leading 1) times f, as one integer."""
    generator = [1]
    for i in range(degree):  # multiply by (x - alpha^i)
        nxt = [0] * (len(generator) + 1)
        for j, coef in enumerate(generator):
            nxt[j] ^= coef
            if coef:
                nxt[j + 1] ^= _EXP[_LOG[coef] + i]
        generator = nxt
    tail = generator[1:]
    table = [0]
    for f in range(1, 256):
        lf = _LOG[f]
        table.append(int.from_bytes(bytes(_EXP[lf + _LOG[g]] if g else 0 for g in tail), "big"))
    return tuple(table)


def _rs_remainder(data: bytes, degree: int) -> bytes:
    table = _rs_table(degree)
    shift = 8 * (degree - 1)
    full = (1 << (8 * degree)) - 1
    rem = 0
    for byte in data:
        rem = ((rem << 8) & full) ^ table[byte ^ (rem >> shift)]
    return rem.to_bytes(degree, "big")


def _codewords(text: str, version: int, ecc: str) -> bytes:
    """Data bits (mode, count, characters, terminator, padding), split in blocks, with their ECC, interleaved."""
    capacity_bits = _data_codewords(version, ecc) * 8
    values = [_ALNUM_VALUE[c] for c in text]
    acc = (_MODE_ALPHANUMERIC << _count_bits(version)) | len(text)
    it = iter(values)
    for first, second in zip(it, it):
        acc = (acc << 11) | (first * 45 + second)
    if len(values) % 2:
        acc = (acc << 6) | values[-1]
    length = _segment_bits(len(text), version)
    if length > capacity_bits:
        raise ValueError(f"{len(text)} characters do not fit version {version} at level {ecc}")
    terminator = min(4, capacity_bits - length)
    length += terminator
    pad_to_byte = -length % 8
    acc <<= terminator + pad_to_byte
    length += pad_to_byte
    data = acc.to_bytes(length // 8, "big")
    fill = capacity_bits // 8 - len(data)
    data += bytes(_PAD * (fill // 2 + 1))[:fill]

    blocks = _BLOCKS[ecc][version]
    degree = _ECC_PER_BLOCK[ecc][version]
    raw = _raw_modules(version) // 8
    short_len = raw // blocks - degree  # data codewords in a short block
    n_short = blocks - raw % blocks
    data_blocks = []
    offset = 0
    for index in range(blocks):
        size = short_len + (0 if index < n_short else 1)
        data_blocks.append(data[offset : offset + size])
        offset += size
    ecc_blocks = [_rs_remainder(block, degree) for block in data_blocks]
    out = bytearray()
    for i in range(short_len + 1):
        for block in data_blocks:
            if i < len(block):
                out.append(block[i])
    for i in range(degree):
        for block in ecc_blocks:
            out.append(block[i])
    return bytes(out)


# --- layout and masks -------------------------------------------------------------------------


def _alignment_positions(version: int) -> list[int]:
    if version == 1:
        return []
    count = version // 7 + 2
    size = 4 * version + 17
    step = 26 if version == 32 else (version * 4 + count * 2 + 1) // (count * 2 - 2) * 2
    return [6] + [size - 7 - i * step for i in range(count - 2, -1, -1)]


_MASKS: tuple[Callable[[int, int], bool], ...] = (
    lambda r, c: (r + c) % 2 == 0,
    lambda r, c: r % 2 == 0,
    lambda r, c: c % 3 == 0,
    lambda r, c: (r + c) % 3 == 0,
    lambda r, c: (r // 2 + c // 3) % 2 == 0,
    lambda r, c: (r * c) % 2 + (r * c) % 3 == 0,
    lambda r, c: ((r * c) % 2 + (r * c) % 3) % 2 == 0,
    lambda r, c: ((r + c) % 2 + (r * c) % 3) % 2 == 0,
)


@dataclass(frozen=True)
class _Layout:
    """What every symbol of one version shares, computed once.

    Matrices are Python integers, one bit per module, row by row with one always-zero bit after
    each row (stride ``size + 1``), the first module in the most significant bit: so a shift by 1
    moves to the neighbour on the right, a shift by the stride to the one below, and no run or
    pattern wraps from one row into the next.
    """

    size: int
    stride: int
    template: int  # function patterns; format, version and dark-module areas light
    gather: Any  # itemgetter: from the data bits (plus a trailing 0) to the bit string of the matrix
    masks: tuple[int, ...]  # each mask pattern over the data modules
    modules: int  # every module of the symbol (the padding bits clear)
    valid_2x2: int  # top-left modules of the 2x2 blocks, for rule N2
    format_cells: tuple[tuple[int, ...], tuple[int, ...]]  # row-major indexes of format bits 0..14, two copies
    version_cells: tuple[tuple[int, ...], tuple[int, ...]]  # row-major indexes of version bits 0..17, two copies
    data_modules: int


def _bits_of(flags: bytes | bytearray) -> int:
    return int(bytes(flags).translate(_TO_ASCII_BITS), 2)


@lru_cache(maxsize=None)
def _layout(version: int) -> _Layout:
    n = 4 * version + 17
    s = n + 1
    dark = bytearray(n * s)
    function = bytearray(n * s)

    def put(r: int, c: int, value: bool) -> None:
        dark[r * s + c] = 1 if value else 0
        function[r * s + c] = 1

    for top, left in ((0, 0), (0, n - 7), (n - 7, 0)):  # finders with their separators
        for dr in range(-1, 8):
            for dc in range(-1, 8):
                r, c = top + dr, left + dc
                if 0 <= r < n and 0 <= c < n:
                    ring = max(abs(dr - 3), abs(dc - 3))
                    put(r, c, ring in (0, 1, 3))
    for i in range(8, n - 8):  # timing patterns
        put(6, i, i % 2 == 0)
        put(i, 6, i % 2 == 0)
    positions = _alignment_positions(version)
    last = len(positions) - 1
    for i, r in enumerate(positions):
        for j, c in enumerate(positions):
            if (i, j) in ((0, 0), (0, last), (last, 0)):
                continue  # the finder corners
            for dr in range(-2, 3):
                for dc in range(-2, 3):
                    put(r + dr, c + dc, max(abs(dr), abs(dc)) != 1)
    # Format information: 15 bits twice, bit 0 first in each list (ISO/IEC 18004 figure 25).
    first = [(i, 8) for i in range(6)] + [(7, 8), (8, 8), (8, 7)] + [(8, 14 - i) for i in range(9, 15)]
    second = [(8, n - 1 - i) for i in range(8)] + [(n - 15 + i, 8) for i in range(8, 15)]
    for r, c in first + second:
        put(r, c, False)
    put(n - 8, 8, False)  # the dark module, set last
    version_a: list[tuple[int, int]] = []
    version_b: list[tuple[int, int]] = []
    if version >= 7:
        for i in range(18):
            a, b = n - 11 + i % 3, i // 3
            version_a.append((a, b))
            version_b.append((b, a))
            put(a, b, False)
            put(b, a, False)
    for r in range(n):
        function[r * s + n] = 1  # the padding bit

    order: list[int] = []  # data modules in placement order (ISO/IEC 18004 section 7.7.3)
    right = n - 1
    while right >= 1:
        if right == 6:
            right = 5
        upward = ((right + 1) & 2) == 0
        for vert in range(n):
            r = n - 1 - vert if upward else vert
            for c in (right, right - 1):
                if not function[r * s + c]:
                    order.append(r * s + c)
        right -= 2
    sentinel = len(order)
    source = [sentinel] * (n * s)
    for position, index in enumerate(order):
        source[index] = position
    masks = []
    for fn in _MASKS:
        pattern = bytearray(n * s)
        for index in order:
            if fn(*divmod(index, s)):
                pattern[index] = 1
        masks.append(_bits_of(pattern))
    everything = bytearray(n * s)
    blocks = bytearray(n * s)
    for r in range(n):
        for c in range(n):
            everything[r * s + c] = 1
            if r < n - 1 and c < n - 1:
                blocks[r * s + c] = 1

    def flat(cells: list[tuple[int, int]]) -> tuple[int, ...]:
        return tuple(r * n + c for r, c in cells)

    return _Layout(
        size=n,
        stride=s,
        template=_bits_of(dark),
        gather=itemgetter(*source),
        masks=tuple(masks),
        modules=_bits_of(everything),
        valid_2x2=_bits_of(blocks),
        format_cells=(flat(first), flat(second)),
        version_cells=(flat(version_a), flat(version_b)),
        data_modules=len(order),
    )


def _bch(value: int, generator: int, degree: int) -> int:
    rem = value << degree
    top = generator.bit_length() - 1
    while rem.bit_length() > degree:
        rem ^= generator << (rem.bit_length() - 1 - top)
    return (value << degree) | rem


def format_bits(ecc: str, mask: int) -> int:
    """The 15 format-information bits for a level and mask, BCH(15,5) coded and masked with 0x5412."""
    return _bch((ECC_LEVELS[ecc] << 3) | mask, 0x537, 10) ^ 0x5412


def version_bits(version: int) -> int:
    """The 18 version-information bits (versions 7 and up), BCH(18,6) coded."""
    return _bch(version, 0x1F25, 12)


def _runs(line: int, step: int) -> int:
    """Rule N1 along one direction for one colour: 3 for each run of 5, one more per extra module."""
    five = line & (line << step) & (line << 2 * step) & (line << 3 * step) & (line << 4 * step)
    starts = five & ~(line >> step)
    return five.bit_count() + 2 * starts.bit_count()


def _finder_like(dark: int, light: int, step: int) -> int:
    """Rule N3 along one direction: 1:1:3:1:1 dark-light patterns with 4 light modules on one side."""
    d = [dark << k * step for k in range(11)]
    w = [light << k * step for k in range(11)]
    core = d[0] & w[1] & d[2] & d[3] & d[4] & w[5] & d[6]  # 1011101 then 0000
    before = w[0] & w[1] & w[2] & w[3] & d[4] & w[5] & d[6] & d[7] & d[8] & w[9] & d[10]  # 0000 then 1011101
    return (core & w[7] & w[8] & w[9] & w[10]).bit_count() + before.bit_count()


def _penalty(matrix: int, layout: _Layout) -> int:
    """The mask penalty (ISO/IEC 18004 section 7.8.3, rules N1 to N4 as the qrcode library scores them)."""
    s = layout.stride
    dark = matrix
    light = layout.modules & ~matrix
    score = _runs(dark, 1) + _runs(light, 1) + _runs(dark, s) + _runs(light, s)
    score += 40 * (_finder_like(dark, light, 1) + _finder_like(dark, light, s))
    same_right = ~(dark ^ (dark << 1))
    same_below = ~(dark ^ (dark << s))
    score += 3 * (same_right & (same_right << s) & same_below & layout.valid_2x2).bit_count()
    n = layout.size
    score += int(abs(dark.bit_count() / (n * n) * 100 - 50) / 5) * 10
    return score


def penalty(symbol: Symbol) -> int:
    """The mask penalty of a built symbol, with its format and version information as placed."""
    layout = _layout(symbol.version)
    padded = b"".join(row + b"\x00" for row in symbol.rows())
    return _penalty(_bits_of(padded), layout)


def build(text: str, ecc: str = DEFAULT_ECC, *, mask: int | None = None, version: int | None = None) -> Symbol:
    """The smallest QR code for ``text`` in alphanumeric mode at level ``ecc``.

    ``mask`` None picks the mask of least penalty as ISO/IEC 18004 asks, scoring each mask with the
    format and version information still blank (as the qrcode library does); 0 to 7 forces one.
    ``version`` None picks the smallest that fits; a larger one may be forced.
    """
    _check_ecc(ecc)
    _check_text(text)
    smallest = version_for_length(len(text), ecc)
    if version is None:
        version = smallest
    elif isinstance(version, bool) or not isinstance(version, int) or not smallest <= version <= MAX_VERSION:
        raise ValueError(f"version {version!r}: the text needs {smallest}..{MAX_VERSION} at level {ecc}")
    if mask is not None and (isinstance(mask, bool) or mask not in range(8)):
        raise ValueError(f"mask {mask!r} is not 0..7")
    layout = _layout(version)
    n, s = layout.size, layout.stride
    codewords = _codewords(text, version, ecc)
    bits = bin(int.from_bytes(codewords, "big") | (1 << (8 * len(codewords))))[3:].encode()
    bits = bits.translate(_FROM_ASCII_BITS) + bytes(layout.data_modules - len(bits) + 1)  # remainder, sentinel
    unmasked = layout.template | _bits_of(bytes(layout.gather(bits)))
    if mask is None:
        scores = [_penalty(unmasked ^ m, layout) for m in layout.masks]
        mask = scores.index(min(scores))
    chosen = bin((unmasked ^ layout.masks[mask]) | (1 << (n * s)))[3:].encode().translate(_FROM_ASCII_BITS)
    modules = bytearray(b"".join([chosen[i : i + n] for i in range(0, n * s, s)]))
    fmt = format_bits(ecc, mask)
    for cells in layout.format_cells:
        for i, index in enumerate(cells):
            modules[index] = (fmt >> i) & 1
    modules[(n - 8) * n + 8] = 1
    if version >= 7:
        info = version_bits(version)
        for cells in layout.version_cells:
            for i, index in enumerate(cells):
                modules[index] = (info >> i) & 1
    return Symbol(text, version, ecc, mask, bytes(modules))


# --- output -----------------------------------------------------------------------------------


def _png(symbol: Symbol, box: int, border: int) -> bytes:
    from PIL import Image

    n = symbol.size
    side = n + 2 * border
    light = b"\xff" * side
    margin = b"\xff" * border
    pixels = bytearray()
    for _ in range(border):
        pixels += light
    to_grey = bytes.maketrans(b"\x00\x01", b"\xff\x00")
    for row in symbol.rows():
        pixels += margin + row.translate(to_grey) + margin
    for _ in range(border):
        pixels += light
    image = Image.frombytes("L", (side, side), bytes(pixels))
    if box != 1:
        image = image.resize((side * box, side * box), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.convert("1", dither=Image.Dither.NONE).save(out, format="PNG")
    return out.getvalue()


def _svg(symbol: Symbol, box: int, border: int) -> bytes:
    side = symbol.size + 2 * border
    path = []
    for r, row in enumerate(symbol.rows()):
        for run in re.finditer(rb"\x01+", row):
            path.append(f"M{run.start() + border} {r + border}h{run.end() - run.start()}v1h-{run.end() - run.start()}z")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{side * box}" height="{side * box}" '
        f'viewBox="0 0 {side} {side}" shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(path)}"/></svg>\n'
    ).encode("ascii")


def render(
    text: str,
    fmt: str = "png",
    *,
    ecc: str = DEFAULT_ECC,
    box: int = DEFAULT_BOX,
    border: int = QUIET_ZONE,
    mask: int | None = None,
) -> bytes:
    """The QR code of ``text`` as PNG or SVG bytes, ``box`` pixels per module, ``border`` modules of quiet zone."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected 'png' or 'svg'")
    if isinstance(box, bool) or not isinstance(box, int) or box < 1:
        raise ValueError(f"box {box!r} is not a positive whole number of pixels")
    if isinstance(border, bool) or not isinstance(border, int) or border < MIN_QUIET_ZONE:
        raise ValueError(f"border {border!r}: spec 7.3 asks for a quiet zone of at least {MIN_QUIET_ZONE} whole modules")
    symbol = build(text, ecc, mask=mask)
    return _png(symbol, box, border) if fmt == "png" else _svg(symbol, box, border)


# --- scanning ---------------------------------------------------------------------------------


def _image(image: Any) -> Any:
    from PIL import Image

    if isinstance(image, Image.Image):
        return image
    if isinstance(image, (bytes, bytearray, memoryview)):
        return Image.open(io.BytesIO(image))
    if isinstance(image, (str, os.PathLike)):
        with open(image, "rb") as handle:
            return Image.open(io.BytesIO(handle.read()))
    raise TypeError("image is a PIL image, encoded image bytes or a file path")


# Retries when a first zxing-cpp pass (default options) finds nothing, cheapest first. Each one was
# kept because it read images the ones before it did not, in bench/robustness.py (bench/results.md):
# stretching the grey levels reads low-contrast photos; equalizing reads screen photos with moire;
# an unsharp mask reads defocused ones; a 2x upscale, with the levels stretched or not, reads codes
# of under about 2 camera pixels per module and low-contrast ones. Choosing another zxing-cpp
# binarizer alone recovered little.
MAX_SLOW_RETRY_PIXELS = 2_000_000  # larger images skip the sharpen and upscale retries: too slow for a gate
_RETRIES = ("autocontrast", "equalize", "sharpen", "upscale+autocontrast", "upscale")


def _retry(picture: Any, how: str) -> Any:
    """``picture`` (mode L) prepared for retry ``how``, or None when that retry does not apply."""
    from PIL import Image, ImageFilter, ImageOps

    if how == "autocontrast":
        return ImageOps.autocontrast(picture, cutoff=1)
    if how == "equalize":
        return ImageOps.equalize(picture)
    if picture.width * picture.height > MAX_SLOW_RETRY_PIXELS:
        return None
    if how == "sharpen":
        return picture.filter(ImageFilter.UnsharpMask(radius=2, percent=200, threshold=0))
    larger = picture.resize((picture.width * 2, picture.height * 2), Image.Resampling.BICUBIC)
    return ImageOps.autocontrast(larger, cutoff=1) if how == "upscale+autocontrast" else larger


def scan(image: Any) -> str:
    """The text of the QR code in ``image`` (PIL image, PNG or JPEG bytes, or a path).

    One zxing-cpp pass with its default options reads clean renders and most photos; when it finds
    nothing, a few preprocessed retries follow (see ``_RETRIES``), so only a failure pays for them.
    """
    from PIL import Image
    import zxingcpp

    try:
        picture = _image(image)
        picture.load()
    except (OSError, Image.DecompressionBombError, SyntaxError, ValueError) as err:
        raise ScanError(f"not a readable image ({err})") from None
    if picture.mode not in ("L", "RGB"):
        picture = picture.convert("L")
    qr_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    found = zxingcpp.read_barcodes(picture, formats=qr_only)
    if not found:
        grey = picture.convert("L") if picture.mode != "L" else picture
        for how in _RETRIES:
            retried = _retry(grey, how)
            if retried is not None:
                found = zxingcpp.read_barcodes(retried, formats=qr_only)
                if found:
                    break
    if not found:
        raise ScanError("no QR code found in the image")
    return str(found[0].text)
