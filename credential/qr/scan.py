"""Reading a QR code (spec section 7.3) with zxing-cpp: ``scan_frame`` reads a camera frame (an
array, raw grey bytes or a PIL image) where it lies, ``scan`` an image file that Pillow decodes.
Both make a cheap first pass and pay for the costlier ones only when it finds nothing.

Pillow and zxing-cpp are imported inside the functions that need them, so ``import credential``
stays light for a verifier that is given text.
"""

from __future__ import annotations

import io
import os
from typing import Any

from . import frames


class ScanError(ValueError):
    """No QR code could be read from the image."""


# The encoded formats read: what phones and screenshots produce. Pillow's other decoders (ICO, PSD,
# TGA, ...) are not reached, so a container cannot smuggle a large image past the pixel check.
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
# A 40-megapixel photo is larger than any camera frame a code is read from; beyond it, the decoded
# image alone would take hundreds of megabytes. Checked from the header, before a pixel is decoded.
MAX_IMAGE_PIXELS = frames.MAX_FRAME_PIXELS  # one bound for images and camera frames: 40 megapixels


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


def _read(frame: frames.Frame, retries: bool = True) -> str:
    """The text of the first QR code zxing-cpp finds in ``frame``, the cheapest pass first."""
    import zxingcpp

    qr_only = qr_model_2()
    view = frame.view()
    found = []
    for binarizer, more in _PASSES if retries else _PASSES[:2]:
        found = zxingcpp.read_barcodes(
            view, formats=qr_only, binarizer=getattr(zxingcpp.Binarizer, binarizer), try_rotate=more, try_downscale=more, try_invert=more
        )
        if found:
            break
    if not found and retries:
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
    """The text of the QR code in ``image`` (PIL image, encoded bytes in one of ``IMAGE_FORMATS``, or a path).

    An image of more than ``MAX_IMAGE_PIXELS`` pixels is refused from its header, before it is decoded.
    The image is decoded, then read as ``scan_frame`` reads a frame.
    """
    from PIL import Image

    try:
        picture = _image(image)
        check_size(picture)
        picture.load()
    except ScanError:
        raise
    except (OSError, Image.DecompressionBombError, SyntaxError, ValueError) as err:
        raise ScanError(f"not a readable image ({err})") from None
    try:
        frame = frames.from_image(picture)
    except ValueError as err:
        raise ScanError(str(err)) from None
    return _read(frame)


def scan_frame(frame: Any, width: int | None = None, height: int | None = None, *, region: Any = None, retries: bool = True) -> str:
    """The text of the QR code in a camera frame of 8-bit grey pixels, read where it lies.

    ``frame`` is a numpy array (or any buffer) of shape (height, width), raw bytes with ``width``
    and ``height`` (a YUV frame's Y plane), or a PIL image. ``region`` (left, top, width, height)
    limits the scan to the gate's scanner window. Arrays and bytes are not copied. A frame that is
    not one of these, or a region outside it, is a caller error (TypeError or ValueError) raised
    before any scanning; a frame without a readable code is a ``ScanError``.

    ``retries=False`` makes the two plain passes only: a frame without a code then costs a few
    milliseconds, not tens (zxing-cpp's defaults and the preprocessed retries all run and find
    nothing), for a gate reading a camera stream, where the next frame is the retry.
    """
    if not isinstance(retries, bool):
        raise TypeError(f"retries is True or False, not {type(retries).__name__}")
    view = frames.from_source(frame, width, height)
    if region is not None:
        view = view.region(region)
    return _read(view, retries)
