"""Reading a QR code back from an image (spec section 7.3) with zxing-cpp, on images Pillow decodes,
with a few preprocessed retries when a first pass finds nothing.

Pillow and zxing-cpp are imported inside the functions that need them, so ``import credential``
stays light for a verifier that is given text.
"""

from __future__ import annotations

import io
import os
from typing import Any


class ScanError(ValueError):
    """No QR code could be read from the image."""


# The encoded formats read: what phones and screenshots produce. Pillow's other decoders (ICO, PSD,
# TGA, ...) are not reached, so a container cannot smuggle a large image past the pixel check.
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
# A 40-megapixel photo is larger than any camera frame a code is read from; beyond it, the decoded
# image alone would take hundreds of megabytes. Checked from the header, before a pixel is decoded.
MAX_IMAGE_PIXELS = 40_000_000


def check_size(picture: Any) -> None:
    """Refuse an image (opened, not yet decoded) larger than ``MAX_IMAGE_PIXELS``: ``ScanError``."""
    width, height = picture.size
    if width * height > MAX_IMAGE_PIXELS:
        raise ScanError(f"an image of {width}x{height} pixels is larger than the {MAX_IMAGE_PIXELS:,} pixels read")


def open_image(data: bytes) -> Any:
    """Encoded image bytes opened lazily (header only) in one of ``IMAGE_FORMATS``, size checked."""
    import warnings

    from PIL import Image

    with warnings.catch_warnings():
        # Pillow warns of a large image from its header; check_size refuses it with a clearer message.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        picture = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
    check_size(picture)
    return picture


def _image(image: Any) -> Any:
    from PIL import Image

    if isinstance(image, Image.Image):
        return image
    if isinstance(image, (bytes, bytearray, memoryview)):
        return open_image(bytes(image))
    if isinstance(image, (str, os.PathLike)):
        with open(image, "rb") as handle:
            return open_image(handle.read())
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
    """The text of the QR code in ``image`` (PIL image, encoded bytes in one of ``IMAGE_FORMATS``, or a path).

    An image of more than ``MAX_IMAGE_PIXELS`` pixels is refused from its header, before it is decoded.

    One zxing-cpp pass with its default options reads clean renders and most photos; when it finds
    nothing, a few preprocessed retries follow (see ``_RETRIES``), so only a failure pays for them.
    """
    import zxingcpp
    from PIL import Image

    try:
        picture = _image(image)
        check_size(picture)
        picture.load()
    except ScanError:
        raise
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
