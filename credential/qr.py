"""QR codes (spec section 7.3): render a credential in alphanumeric mode, scan one back with zxing-cpp.

Rendering is segno's: one alphanumeric segment, the smallest version at the chosen level (never raised
to a higher level: ``boost_error=False``), and the mask of least penalty by the rules of ISO/IEC
18004:2015 section 7.8.3 as segno evaluates them (spec 7.3 states them). segno writes PNG and SVG
itself, so rendering needs no imaging library. Scanning is zxing-cpp's: ``scan_frame`` reads a
camera frame (an array, raw grey bytes or a PIL image) where it lies, ``scan`` an image file that
Pillow decodes; both make a cheap first pass and pay for the costlier ones only when it finds nothing.

segno, Pillow and zxing-cpp are imported inside the functions that need them, so ``import
credential`` stays light for a verifier that is given text.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import frames

LEVELS = ("L", "M", "Q", "H")
DEFAULT_ECC = "M"
QUIET_ZONE = 4  # modules, the minimum ISO/IEC 18004 asks for
MIN_QUIET_ZONE = 2  # spec 7.3: none fails on a dark background, one module read everywhere measured
DEFAULT_BOX = 8  # pixels per module in rendered images
FORMATS = ("png", "svg")
ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
MIN_VERSION, MAX_VERSION = 1, 40
_ALPHANUMERIC_SET = frozenset(ALPHANUMERIC)


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


# The passes over a frame, cheapest first; each runs only when those before it found nothing.
# zxing-cpp's own retries (90 and 270 degree turns, downscaled copies, inverted images) are off in
# the first two: a camera frame with a code in it rarely needs them, and they cost more than half a
# pass's time. The global-histogram binarizer thresholds the whole frame at once, in about a third
# of the time of the local one, and reads most frames; it misses low contrast and strong defocus,
# which the local binarizer reads. Then zxing-cpp's defaults (what scan did before, so no image it
# read is missed now), then the preprocessed retries. Measured on 1080p frames in bench/frames.py.
_PASSES = (("GlobalHistogram", False), ("LocalAverage", False), ("LocalAverage", True))  # (binarizer, zxing-cpp's retries)


def qr_model_2() -> Any:
    """zxing-cpp's format filter for the QR code of ISO/IEC 18004 (model 2) alone.

    From zxing-cpp 3, ``BarcodeFormat.QRCode`` names the whole family, Micro QR and rMQR included.
    The smallest Micro QR symbols carry almost no error correction, and the global binarizer finds
    one in the data area of a blurred credential (an image of bench/robustness.py): its few digits
    would end the scan with a wrong text. Before zxing-cpp 3, ``QRCode`` is model 2 alone.
    """
    import zxingcpp

    return zxingcpp.BarcodeFormats(getattr(zxingcpp.BarcodeFormat, "QRCodeModel2", zxingcpp.BarcodeFormat.QRCode))


def _read(frame: frames.Frame) -> str:
    """The text of the first QR code zxing-cpp finds in ``frame``, the cheapest pass first."""
    import zxingcpp

    qr_only = qr_model_2()
    view = frame.view()
    found = []
    for binarizer, more in _PASSES:
        found = zxingcpp.read_barcodes(
            view, formats=qr_only, binarizer=getattr(zxingcpp.Binarizer, binarizer), try_rotate=more, try_downscale=more, try_invert=more
        )
        if found:
            break
    if not found:
        from PIL import Image

        grey = Image.frombytes("L", (frame.width, frame.height), frame.rows())
        for how in _RETRIES:
            retried = _retry(grey, how)
            if retried is not None:
                found = zxingcpp.read_barcodes(retried, formats=qr_only)
                if found:
                    break
    if not found:
        raise ScanError("no QR code found in the image")
    return str(found[0].text)


def scan(image: Any) -> str:
    """The text of the QR code in ``image`` (PIL image, PNG or JPEG bytes, or a path).

    The image is decoded, then read as ``scan_frame`` reads a frame.
    """
    from PIL import Image

    try:
        picture = _image(image)
        picture.load()
    except (OSError, Image.DecompressionBombError, SyntaxError, ValueError) as err:
        raise ScanError(f"not a readable image ({err})") from None
    try:
        frame = frames.from_image(picture)
    except ValueError as err:
        raise ScanError(str(err)) from None
    return _read(frame)


def scan_frame(frame: Any, width: int | None = None, height: int | None = None, *, region: Any = None) -> str:
    """The text of the QR code in a camera frame of 8-bit grey pixels, read where it lies.

    ``frame`` is a numpy array (or any buffer) of shape (height, width), raw bytes with ``width``
    and ``height`` (a YUV frame's Y plane), or a PIL image. ``region`` (left, top, width, height)
    limits the scan to the gate's scanner window. Arrays and bytes are not copied. A frame that is
    not one of these, or a region outside it, is a caller error (TypeError or ValueError) raised
    before any scanning; a frame without a readable code is a ``ScanError``.
    """
    view = frames.from_source(frame, width, height)
    if region is not None:
        view = view.region(region)
    return _read(view)
