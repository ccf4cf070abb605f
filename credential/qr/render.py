"""Rendering a credential as a QR code (spec section 7.3), in alphanumeric mode.

Rendering is segno's: one alphanumeric segment, the smallest version at the chosen level (never raised
to a higher level: ``boost_error=False``), and the mask of least penalty by the rules of ISO/IEC
18004:2015 section 7.8.3 as segno evaluates them (spec 7.3 states them). segno writes PNG and SVG
itself, so rendering needs no imaging library. segno is imported inside the functions that need it,
so ``import credential`` stays light for a verifier that is given text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

LEVELS = ("L", "M", "Q", "H")
DEFAULT_ECC = "M"
QUIET_ZONE = 4  # modules, the minimum ISO/IEC 18004 asks for
MIN_QUIET_ZONE = 2  # spec 7.3: none fails on a dark background, one module read everywhere measured
DEFAULT_BOX = 8  # pixels per module in rendered images
FORMATS = ("png", "svg")
ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
MIN_VERSION, MAX_VERSION = 1, 40
_ALPHANUMERIC_SET = frozenset(ALPHANUMERIC)


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


def _check_ecc(ecc: str) -> None:
    if ecc not in LEVELS:
        raise ValueError(f"unknown error-correction level {ecc!r}; expected one of {list(LEVELS)}")


def _check_text(text: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"text is a str, not {type(text).__name__}")
    if not _ALPHANUMERIC_SET.issuperset(text):
        bad = next(c for c in text if c not in _ALPHANUMERIC_SET)
        raise ValueError(f"character {bad!r} is not in the QR alphanumeric set")


def capacity(version: int, ecc: str = DEFAULT_ECC) -> int:
    """The most alphanumeric characters a symbol of ``version`` at ``ecc`` holds (ISO/IEC 18004 table 7)."""
    _check_ecc(ecc)
    if isinstance(version, bool) or not isinstance(version, int) or not MIN_VERSION <= version <= MAX_VERSION:
        raise ValueError(f"version {version!r} is outside {MIN_VERSION}..{MAX_VERSION}")
    return _capacities(ecc)[version - MIN_VERSION]


@lru_cache(maxsize=None)
def _capacities(ecc: str) -> tuple[int, ...]:
    from segno import consts

    level = consts.ERROR_MAPPING[ecc]
    table: dict[int, dict[int, int]] = consts.SYMBOL_CAPACITY  # type: ignore[assignment]  # ISO/IEC 18004 table 7: data bits
    out = []
    for version in range(MIN_VERSION, MAX_VERSION + 1):
        count_bits = 9 if version <= 9 else 11 if version <= 26 else 13
        bits = table[version][level] - 4 - count_bits  # data bits less mode and count
        out.append(2 * (bits // 11) + (1 if bits % 11 >= 6 else 0))  # 11 bits per pair, 6 for a last one
    return tuple(out)


def version_for_length(length: int, ecc: str = DEFAULT_ECC) -> int:
    """The smallest version whose alphanumeric capacity at ``ecc`` holds ``length`` characters."""
    _check_ecc(ecc)
    for index, chars in enumerate(_capacities(ecc)):
        if length <= chars:
            return index + MIN_VERSION
    raise ValueError(f"{length} characters do not fit any QR version at level {ecc} (at most {_capacities(ecc)[-1]})")


def version(text: str, ecc: str = DEFAULT_ECC) -> int:
    """The QR version (1 to 40) that ``text`` needs at ``ecc``."""
    _check_text(text)
    return version_for_length(len(text), ecc)


def _segno(text: str, ecc: str, mask: int | None) -> Any:
    """segno's QR code of ``text``: alphanumeric mode, level ``ecc`` exactly, the smallest version."""
    _check_ecc(ecc)
    _check_text(text)
    if mask is not None and (isinstance(mask, bool) or not isinstance(mask, int) or mask not in range(8)):
        raise ValueError(f"mask {mask!r} is not 0..7")
    version_for_length(len(text), ecc)  # a clear error for text longer than any version holds
    import segno

    return segno.make_qr(text, error=ecc, mode="alphanumeric", mask=mask, boost_error=False)


def build(text: str, ecc: str = DEFAULT_ECC, *, mask: int | None = None) -> Symbol:
    """The smallest QR code for ``text`` in alphanumeric mode at level ``ecc``.

    ``mask`` None picks the mask of least penalty (spec 7.3); 0 to 7 forces one.
    """
    code = _segno(text, ecc, mask)
    modules = b"".join(bytes(row) for row in code.matrix)
    return Symbol(text, code.version, ecc, code.mask, modules)


def render(
    text: str,
    fmt: str = "png",
    *,
    ecc: str = DEFAULT_ECC,
    box: int = DEFAULT_BOX,
    border: int = QUIET_ZONE,
    mask: int | None = None,
) -> bytes:
    """The QR code of ``text`` as PNG or SVG bytes, ``box`` pixels per module, ``border`` modules of quiet zone.

    Dark modules black on white, the quiet zone white too (an app's dark background must not show
    through it, spec 7.3). PNG is 1 bit per pixel.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected 'png' or 'svg'")
    if isinstance(box, bool) or not isinstance(box, int) or box < 1:
        raise ValueError(f"box {box!r} is not a positive whole number of pixels")
    if isinstance(border, bool) or not isinstance(border, int) or border < MIN_QUIET_ZONE:
        raise ValueError(f"border {border!r}: spec 7.3 asks for a quiet zone of at least {MIN_QUIET_ZONE} whole modules")
    code = _segno(text, ecc, mask)
    out = io.BytesIO()
    code.save(out, kind=fmt, scale=box, border=border, dark="#000", light="#fff")
    return out.getvalue()
