"""credential.qr: the alphanumeric QR encoder, PNG and SVG output, and scanning with zxing-cpp."""

from __future__ import annotations

import io
import random
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from PIL import Image, ImageFilter

from credential import qr

# A full-profile credential's length (354 characters) with its alphabet; qr only sees text.
RNG = random.Random(20261125)
TEXT = "XC1:" + "".join(RNG.choice(qr.ALPHANUMERIC) for _ in range(350))


def _qrcode_reference(text: str, ecc: str) -> tuple[int, bytes]:
    """The qrcode library's symbol for the same text: version and modules, row by row."""
    import qrcode
    from qrcode.util import MODE_ALPHA_NUM, QRData

    code = qrcode.QRCode(version=None, error_correction=qr.ECC_LEVELS[ecc], border=0)
    code.add_data(QRData(text, mode=MODE_ALPHA_NUM))
    code.make(fit=True)
    return code.version, bytes(int(m) for row in code.modules for m in row)


@pytest.mark.parametrize("ecc", ["L", "M", "Q", "H"])
def test_round_trip_png(ecc: str) -> None:
    for box in (2, 4, 10):
        png = qr.render(TEXT, ecc=ecc, box=box)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert qr.scan(png) == TEXT


def test_png_geometry() -> None:
    symbol = qr.build(TEXT)
    image = Image.open(io.BytesIO(qr.render(TEXT, box=3, border=2)))
    assert image.size == ((symbol.size + 4) * 3,) * 2
    # Quiet zone light, top-left finder corner dark.
    assert image.convert("L").getpixel((5, 5)) == 255
    assert image.convert("L").getpixel((6, 6)) == 0


def test_scan_accepts_image_path_and_pil(tmp_path) -> None:  # type: ignore[no-untyped-def]
    png = qr.render(TEXT, box=4)
    path = tmp_path / "code.png"
    path.write_bytes(png)
    assert qr.scan(path) == TEXT
    assert qr.scan(str(path)) == TEXT
    assert qr.scan(Image.open(io.BytesIO(png))) == TEXT


def test_svg_is_xml_with_the_right_modules() -> None:
    border = 4
    symbol = qr.build(TEXT, "Q")
    root = ET.fromstring(qr.render(TEXT, "svg", ecc="Q", box=5, border=border))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    side = symbol.size + 2 * border
    assert root.get("viewBox") == f"0 0 {side} {side}"
    assert root.get("width") == str(side * 5)
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path is not None
    dark = bytearray(symbol.size * symbol.size)
    for part in path.get("d", "").split("z")[:-1]:
        head, _, _ = part[1:].partition("h")
        x, y = map(int, head.split())
        width = int(part.split("h")[1].split("v")[0])
        for col in range(x - border, x - border + width):
            assert not dark[(y - border) * symbol.size + col]
            dark[(y - border) * symbol.size + col] = 1
    assert bytes(dark) == symbol.modules


def test_version_is_the_smallest_that_fits() -> None:
    for ecc in "LMQH":
        for version in (1, 2, 6, 7, 9, 10, 11, 14, 26, 27, 40):
            chars = qr.capacity(version, ecc)
            assert qr.version("A" * chars, ecc) == version
            if version < 40:
                assert qr.version("A" * (chars + 1), ecc) == version + 1
            assert _qrcode_reference("A" * chars, ecc)[0] == version
    assert qr.capacity(40, "L") == 4296  # ISO/IEC 18004 table 7
    assert qr.capacity(1, "H") == 10
    with pytest.raises(ValueError):
        qr.version("A" * 4297, "L")


def test_same_symbol_as_the_qrcode_library() -> None:
    """Version, data, error correction, placement, mask choice and format bits, module for module."""
    rng = random.Random(7)
    for length in (1, 2, 5, 24, 77, 150, 313, 354, 620):
        for ecc in "LMQH":
            text = "".join(rng.choice(qr.ALPHANUMERIC) for _ in range(length))
            version, modules = _qrcode_reference(text, ecc)
            symbol = qr.build(text, ecc)
            assert (symbol.version, symbol.modules) == (version, modules), (length, ecc)


@pytest.mark.parametrize("mask", range(8))
def test_every_forced_mask_scans(mask: int) -> None:
    symbol = qr.build(TEXT, "M", mask=mask)
    assert symbol.mask == mask
    assert qr.scan(qr.render(TEXT, box=3, mask=mask)) == TEXT


def test_degraded_photo_still_scans() -> None:
    """A phone photo of a screen, roughly: small, rotated, on a grey desk, blurred, dimmed, JPEG."""
    code = Image.open(io.BytesIO(qr.render(TEXT, ecc="M", box=3))).convert("L")
    code = code.rotate(11, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    scene = Image.new("L", (code.width + 80, code.height + 60), 110)
    scene.paste(code, (45, 25))
    scene = scene.filter(ImageFilter.GaussianBlur(0.9)).point(lambda v: 60 + v * 150 // 255)
    out = io.BytesIO()
    scene.convert("RGB").save(out, format="JPEG", quality=45)
    assert qr.scan(out.getvalue()) == TEXT


def test_low_contrast_photo_needs_and_gets_a_retry() -> None:
    """Grey on grey (12 levels apart) with sensor noise: a plain zxing-cpp pass misses it, qr.scan's retries read it."""
    import zxingcpp
    from PIL import ImageChops

    code = Image.open(io.BytesIO(qr.render(TEXT, ecc="M", box=3))).convert("L").point(lambda v: 147 if v else 135)
    rng = random.Random(1)
    noise = Image.frombytes("L", code.size, rng.randbytes(code.width * code.height)).point(lambda v: v % 6)
    photo = ImageChops.add(code, noise)
    assert not zxingcpp.read_barcodes(photo, formats=zxingcpp.BarcodeFormat.QRCode)
    assert qr.scan(photo) == TEXT
    assert qr.scan(photo.convert("RGB")) == TEXT
    assert qr.scan(photo.convert("P")) == TEXT


def test_scan_errors() -> None:
    blank = io.BytesIO()
    Image.new("L", (200, 200), 255).save(blank, format="PNG")
    with pytest.raises(qr.ScanError):
        qr.scan(blank.getvalue())
    noise = Image.frombytes("L", (120, 120), random.Random(3).randbytes(120 * 120))
    with pytest.raises(qr.ScanError):
        qr.scan(noise)
    with pytest.raises(qr.ScanError):
        qr.scan(b"this is not an image")
    with pytest.raises(qr.ScanError):
        qr.scan(qr.render(TEXT)[:200])  # a truncated PNG
    assert issubclass(qr.ScanError, ValueError)


def test_render_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="format"):
        qr.render(TEXT, "gif")
    with pytest.raises(ValueError, match="error-correction"):
        qr.render(TEXT, ecc="X")
    with pytest.raises(ValueError, match="error-correction"):
        qr.version(TEXT, "m")
    with pytest.raises(ValueError, match="alphanumeric"):
        qr.render("xc1:lowercase")
    with pytest.raises(ValueError):
        qr.render(TEXT, box=0)
    with pytest.raises(ValueError):
        qr.render(TEXT, border=-1)
    with pytest.raises(ValueError, match="quiet zone"):
        qr.render(TEXT, border=1)
    with pytest.raises(ValueError):
        qr.build(TEXT, mask=8)
    with pytest.raises(ValueError):
        qr.build(TEXT, "M", version=qr.version(TEXT, "M") - 1)


def test_import_credential_leaves_imaging_libraries_unloaded() -> None:
    code = "import sys, credential; print(sorted(m for m in ('PIL', 'zxingcpp', 'qrcode') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
