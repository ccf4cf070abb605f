"""QR codes (spec section 7.3): render a credential in alphanumeric mode, scan one back with zxing-cpp."""

from __future__ import annotations

import io
import os
from typing import Any

import qrcode
import qrcode.image.svg
import zxingcpp
from PIL import Image
from qrcode.util import MODE_ALPHA_NUM, QRData

ECC_LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}
DEFAULT_ECC = "M"
QUIET_ZONE = 4  # modules, the minimum ISO/IEC 18004 asks for
DEFAULT_BOX = 8  # pixels per module in rendered images


class ScanError(ValueError):
    """No QR code could be read from the image."""


def build(text: str, ecc: str = DEFAULT_ECC) -> qrcode.QRCode:
    """The smallest QR code for ``text`` in alphanumeric mode at level ``ecc``."""
    if ecc not in ECC_LEVELS:
        raise ValueError(f"unknown error-correction level {ecc!r}; expected one of {sorted(ECC_LEVELS)}")
    code = qrcode.QRCode(version=None, error_correction=ECC_LEVELS[ecc], border=QUIET_ZONE, box_size=DEFAULT_BOX)
    code.add_data(QRData(text, mode=MODE_ALPHA_NUM))
    code.make(fit=True)
    return code


def version(text: str, ecc: str = DEFAULT_ECC) -> int:
    """The QR version (1 to 40) that ``text`` needs at ``ecc``."""
    return int(build(text, ecc).version)


def render(text: str, fmt: str = "png", *, ecc: str = DEFAULT_ECC, box: int = DEFAULT_BOX) -> bytes:
    """The QR code of ``text`` as PNG or SVG bytes, ``box`` pixels (PNG) per module, quiet zone included."""
    code = build(text, ecc)
    code.box_size = box
    out = io.BytesIO()
    if fmt == "png":
        code.make_image().save(out, kind="PNG")
    elif fmt == "svg":
        code.make_image(image_factory=qrcode.image.svg.SvgPathImage).save(out)
    else:
        raise ValueError(f"unknown format {fmt!r}; expected 'png' or 'svg'")
    return out.getvalue()


def _image(image: Any) -> Image.Image:
    if isinstance(image, Image.Image):
        return image
    if isinstance(image, (bytes, bytearray)):
        return Image.open(io.BytesIO(image))
    if isinstance(image, (str, os.PathLike)):
        with open(image, "rb") as handle:
            return Image.open(io.BytesIO(handle.read()))
    raise TypeError("image is a PIL image, encoded image bytes or a file path")


def scan(image: Any) -> str:
    """The text of the QR code in ``image`` (PIL image, PNG or JPEG bytes, or a path)."""
    try:
        picture = _image(image)
        picture.load()
    except (OSError, Image.DecompressionBombError, SyntaxError) as err:
        raise ScanError(f"not a readable image ({err})") from None
    if picture.mode not in ("L", "RGB"):
        picture = picture.convert("L")
    found = zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormat.QRCode)
    if not found:
        raise ScanError("no QR code found in the image")
    return str(found[0].text)
