"""credential.qr: rendering with segno (spec 7.3), PNG and SVG output, and scanning with zxing-cpp."""

from __future__ import annotations

import io
import random
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from PIL import Image, ImageFilter

from credential import qr

# A full-profile credential's length (354 characters) with its alphabet; qr only sees text.
RNG = random.Random(20261125)
TEXT = "XC1:" + "".join(RNG.choice(qr.ALPHANUMERIC) for _ in range(350))


@pytest.mark.parametrize("ecc", ["L", "M", "Q", "H"])
def test_round_trip_png(ecc: str) -> None:
    for box in (2, 4, 10):
        png = qr.render(TEXT, ecc=ecc, box=box)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert qr.scan(png) == TEXT


def modules_of_png(png: bytes, size: int, box: int, border: int) -> bytes:
    """The modules of a rendered PNG, read at the centre of each module's square."""
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.size == ((size + 2 * border) * box,) * 2
    centre = box // 2
    return bytes(
        1 if image.getpixel(((border + c) * box + centre, (border + r) * box + centre)) < 128 else 0
        for r in range(size)
        for c in range(size)
    )


def test_png_geometry_and_modules() -> None:
    symbol = qr.build(TEXT)
    png = qr.render(TEXT, box=3, border=2)
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.size == ((symbol.size + 4) * 3,) * 2
    # Quiet zone white, top-left finder corner black.
    assert image.getpixel((0, 0)) == 255 and image.getpixel((5, 5)) == 255
    assert image.getpixel((6, 6)) == 0
    assert modules_of_png(png, symbol.size, 3, 2) == symbol.modules


def test_scan_accepts_image_path_and_pil(tmp_path) -> None:  # type: ignore[no-untyped-def]
    png = qr.render(TEXT, box=4)
    path = tmp_path / "code.png"
    path.write_bytes(png)
    assert qr.scan(path) == TEXT
    assert qr.scan(str(path)) == TEXT
    assert qr.scan(Image.open(io.BytesIO(png))) == TEXT


def _svg_dark_modules(svg: bytes, size: int, border: int, box: int) -> bytes:
    """The dark modules drawn by segno's SVG: one stroked path of horizontal runs, in module units."""
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert root.get("width") == root.get("height") == str((size + 2 * border) * box)
    paths = root.findall(f"{ns}g/{ns}path")
    background = [p for p in paths if p.get("fill") == "#fff"]
    assert background and background[0].get("d") == f"M0 0h{size + 2 * border}v{size + 2 * border}h-{size + 2 * border}z"
    (line,) = [p for p in paths if p.get("stroke") == "#000"]
    dark = bytearray(size * size)
    x = y = 0.0
    for command, numbers in re.findall(r"([Mmh])([-0-9. ]+)", line.get("d", "")):
        values = [float(v) for v in numbers.split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        else:
            row = int(y - 0.5) - border
            for col in range(int(x) - border, int(x + values[0]) - border):
                assert not dark[row * size + col]
                dark[row * size + col] = 1
            x += values[0]
    return bytes(dark)


def test_svg_is_xml_with_the_right_modules_on_white() -> None:
    symbol = qr.build(TEXT, "Q")
    svg = qr.render(TEXT, "svg", ecc="Q", box=5, border=4)
    assert _svg_dark_modules(svg, symbol.size, 4, 5) == symbol.modules


def test_version_is_the_smallest_that_fits() -> None:
    for ecc in "LMQH":
        for version in (1, 2, 6, 7, 9, 10, 11, 14, 26, 27, 40):
            chars = qr.capacity(version, ecc)
            assert qr.version("A" * chars, ecc) == version
            assert qr.build("A" * chars, ecc).version == version
            if version < 40:
                assert qr.version("A" * (chars + 1), ecc) == version + 1
                assert qr.build("A" * (chars + 1), ecc).version == version + 1
    # ISO/IEC 18004 table 7, alphanumeric capacity: the corners of the table.
    assert [qr.capacity(1, ecc) for ecc in "LMQH"] == [25, 20, 16, 10]
    assert [qr.capacity(40, ecc) for ecc in "LMQH"] == [4296, 3391, 2420, 1852]
    with pytest.raises(ValueError):
        qr.version("A" * 4297, "L")


def test_level_is_never_raised_above_the_one_asked_for() -> None:
    # segno would by default raise the level when the text still fits the version; spec 7.3 asks for M.
    short = "XC1:" + "A" * 10
    assert qr.build(short, "M").ecc == "M"
    import zxingcpp

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.render(short))))
    assert found[0].ec_level == "M"


# --- the mask rule of spec 7.3, implemented here independently of segno ------------------------


def _blank_format_and_version(symbol: qr.Symbol) -> list[list[int]]:
    """The symbol as it is scored: format and version information areas (and the dark module) light."""
    n = symbol.size
    m = [list(row) for row in symbol.rows()]
    cells = [(8, c) for c in range(9)] + [(r, 8) for r in range(9)]
    cells += [(8, n - 1 - i) for i in range(8)] + [(n - 1 - i, 8) for i in range(8)]
    if symbol.version >= 7:
        cells += [(r, n - 11 + c) for r in range(6) for c in range(3)]
        cells += [(n - 11 + r, c) for r in range(3) for c in range(6)]
    for r, c in cells:
        if (r, c) not in ((6, 8), (8, 6)):  # the timing patterns cross there
            m[r][c] = 0
    return m


def _penalty(m: list[list[int]]) -> int:
    """N1 + N2 + N3 + N4 as spec 7.3 states them."""
    n = len(m)
    lines = m + [list(col) for col in zip(*m)]
    score = 0
    for line in lines:
        run = 1
        for a, b in zip(line, line[1:]):
            if a == b:
                run += 1
            else:
                score += run - 2 if run >= 5 else 0
                run = 1
        score += run - 2 if run >= 5 else 0
        padded = [0] * 4 + line + [0] * 4
        i = 0
        while i <= n - 7:
            if line[i : i + 7] == [1, 0, 1, 1, 1, 0, 1] and (
                not any(padded[i : i + 4]) or not any(padded[i + 11 : i + 15])
            ):
                score += 40
                i += 7
            else:
                i += 1
    score += 3 * sum(
        1 for r in range(n - 1) for c in range(n - 1) if m[r][c] == m[r][c + 1] == m[r + 1][c] == m[r + 1][c + 1]
    )
    dark = sum(map(sum, m))
    score += 10 * (abs(100 * dark - 50 * n * n) // (5 * n * n))
    return score


@pytest.mark.parametrize("length,ecc", [(20, "M"), (150, "L"), (294, "M"), (354, "M"), (354, "Q"), (620, "H")])
def test_mask_is_the_least_penalty_of_spec_7_3(length: int, ecc: str) -> None:
    text = "XC1:" + "".join(random.Random(length).choice(qr.ALPHANUMERIC) for _ in range(length - 4))
    scores = [_penalty(_blank_format_and_version(qr.build(text, ecc, mask=mask))) for mask in range(8)]
    assert qr.build(text, ecc).mask == scores.index(min(scores))


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
    with pytest.raises(ValueError, match="do not fit"):
        qr.render("A" * 1853, ecc="H")


def test_import_credential_leaves_imaging_libraries_unloaded() -> None:
    code = "import sys, credential; print(sorted(m for m in ('PIL', 'zxingcpp', 'segno') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` 1-bit pixels and holds none: what a header reader sees of a bomb."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def ico_around(png: bytes) -> bytes:
    """An ICO file whose one entry is ``png`` (ICO may hold PNG images of any size)."""
    import struct

    return struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(png), 22) + png


def test_scan_refuses_an_image_too_large_in_pixels_before_decoding(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    def never(self: Image.Image) -> None:
        raise AssertionError("the image was decoded")

    bomb = png_header(13000, 13000)
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb)
    monkeypatch.setattr(Image.Image, "load", never)
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile.ImageFile, "load", never)
    for given in (bomb, path, str(path)):
        with pytest.raises(qr.ScanError, match="13000x13000 pixels is larger than the 40,000,000 pixels read"):
            qr.scan(given)
    assert 6000 * 6000 <= qr.MAX_IMAGE_PIXELS < 13000 * 13000


def test_scan_reads_the_six_formats_only() -> None:
    code = Image.open(io.BytesIO(qr.render(TEXT, box=4))).convert("L")
    for name in qr.IMAGE_FORMATS:
        out = io.BytesIO()
        code.save(out, format=name, **({"quality": 95} if name == "JPEG" else {}))
        assert qr.scan(out.getvalue()) == TEXT, name
    with pytest.raises(qr.ScanError, match="not a readable image"):
        qr.scan(ico_around(qr.render(TEXT)))  # ICO is not read, even around a PNG
    with pytest.raises(qr.ScanError, match="not a readable image"):
        qr.scan(ico_around(png_header(13000, 13000)))
    other = io.BytesIO()
    code.save(other, format="TGA")
    with pytest.raises(qr.ScanError, match="not a readable image"):
        qr.scan(other.getvalue())
