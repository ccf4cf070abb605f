"""credential.qr.scan_frame: camera frames as numpy arrays, raw bytes or PIL images, read in place."""

from __future__ import annotations

import array
import io
import random

import pytest
from PIL import Image

from credential import qr
from credential.qr import frames

RNG = random.Random(20261202)
TEXT = "XC1:" + "".join(RNG.choice(qr.ALPHANUMERIC) for _ in range(350))
WIDTH, HEIGHT = 640, 480
LEFT, TOP = 150, 60  # where the code's image sits in the frame


PNG = qr.render(TEXT, box=4)
CODE = Image.open(io.BytesIO(PNG)).convert("L")
CODE_SIDE = CODE.width
PICTURE = Image.new("L", (WIDTH, HEIGHT), 120)  # a grey frame with the rendered code pasted in
PICTURE.paste(CODE, (LEFT, TOP))
RAW = PICTURE.tobytes()


def test_raw_bytes_bytearray_memoryview() -> None:
    assert qr.scan_frame(RAW, WIDTH, HEIGHT) == TEXT
    assert qr.scan_frame(bytearray(RAW), WIDTH, HEIGHT) == TEXT
    assert qr.scan_frame(memoryview(RAW), WIDTH, HEIGHT) == TEXT
    # The Y plane of a YUV frame: a slice of a larger buffer, without copying.
    yuv = RAW + bytes(WIDTH * HEIGHT // 2)
    assert qr.scan_frame(memoryview(yuv)[: WIDTH * HEIGHT], WIDTH, HEIGHT) == TEXT


def test_two_dimensional_buffer_without_numpy() -> None:
    assert qr.scan_frame(memoryview(RAW).cast("B", (HEIGHT, WIDTH))) == TEXT
    assert qr.scan_frame(memoryview(array.array("B", RAW)).cast("B", (HEIGHT, WIDTH))) == TEXT


def test_pil_image_and_same_text_as_the_png_path() -> None:
    assert qr.scan_frame(PICTURE) == TEXT
    assert qr.scan_frame(PICTURE.convert("RGB")) == TEXT
    assert qr.scan(PNG) == qr.scan_frame(RAW, WIDTH, HEIGHT) == qr.scan_frame(CODE)


def test_numpy_array_read_in_place() -> None:
    np = pytest.importorskip("numpy", reason="numpy is in the bench extra: pip install -e '.[bench]'")
    pixels = np.frombuffer(RAW, dtype=np.uint8).reshape(HEIGHT, WIDTH)
    assert qr.scan_frame(pixels) == TEXT
    assert qr.scan_frame(pixels.reshape(HEIGHT, WIDTH, 1)) == TEXT
    view = frames.from_source(pixels)
    assert view.pixels.obj is pixels or np.shares_memory(np.asarray(view.pixels), pixels)  # no copy
    # A slice of a larger array (rows not contiguous) is read too.
    wider = np.full((HEIGHT + 20, WIDTH + 40), 120, dtype=np.uint8)
    wider[10 : 10 + HEIGHT, 20 : 20 + WIDTH] = pixels
    assert qr.scan_frame(wider[10 : 10 + HEIGHT, 20 : 20 + WIDTH]) == TEXT
    assert qr.scan_frame(wider) == TEXT


def test_region_of_interest() -> None:
    window = (LEFT - 20, TOP - 20, CODE_SIDE + 40, CODE_SIDE + 40)
    assert qr.scan_frame(RAW, WIDTH, HEIGHT, region=window) == TEXT
    assert qr.scan_frame(PICTURE, region=list(window)) == TEXT
    inner = frames.from_source(RAW, WIDTH, HEIGHT).region(window)
    assert (inner.offset, inner.width, inner.height, inner.stride) == ((TOP - 20) * WIDTH + LEFT - 20, CODE_SIDE + 40, CODE_SIDE + 40, WIDTH)
    assert inner.pixels.obj is RAW  # the region is a view of the caller's bytes
    with pytest.raises(qr.ScanError):  # a window beside the code
        qr.scan_frame(RAW, WIDTH, HEIGHT, region=(0, 0, LEFT - 10, HEIGHT))


@pytest.mark.parametrize(
    ("region", "error", "match"),
    [
        ((0, 0, WIDTH + 1, HEIGHT), ValueError, "outside the 640x480 frame"),
        ((WIDTH - 10, 0, 11, 10), ValueError, "outside"),
        ((0, HEIGHT, 10, 1), ValueError, "outside"),
        ((-1, 0, 10, 10), ValueError, "0 or more"),
        ((0, 0, 0, 10), ValueError, "1 or more"),
        ((0, 0, 10), TypeError, "left, top, width, height"),
        ("0,0,10,10", TypeError, "left, top, width, height"),
        ((0, 0, 10.0, 10), TypeError, "region width is a whole number"),
        ((True, 0, 10, 10), TypeError, "region left is a whole number"),
    ],
)
def test_bad_regions(region: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        qr.scan_frame(RAW, WIDTH, HEIGHT, region=region)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((RAW, WIDTH, HEIGHT - 1), ValueError, "not a 640x479 frame"),
        ((RAW + b"\0", WIDTH, HEIGHT), ValueError, "not a 640x480 frame"),
        ((RAW, WIDTH, None), TypeError, "both width and height"),
        ((RAW,), TypeError, "need width and height"),
        ((RAW, 0, HEIGHT), ValueError, "not a positive number"),
        ((RAW, float(WIDTH), HEIGHT), TypeError, "width is a whole number"),
        ((RAW, True, HEIGHT), TypeError, "width is a whole number"),
        ((PICTURE, WIDTH, HEIGHT), TypeError, "a PIL image has its own size"),
        ((memoryview(RAW).cast("B", (HEIGHT, WIDTH)), WIDTH, HEIGHT), TypeError, "2 dimensions"),
        (("not a frame",), TypeError, "not str"),
        ((12345,), TypeError, "not int"),
        ((memoryview(bytes(8)).cast("B", (2, 2, 2)),), ValueError, "shape"),
        ((memoryview(array.array("H", bytes(WIDTH * HEIGHT * 2))),), ValueError, "8-bit grey"),
        ((memoryview(array.array("f", bytes(WIDTH * HEIGHT * 4))), WIDTH, HEIGHT), ValueError, "8-bit grey"),
        ((bytes(10), 20_000, 2_001), ValueError, "larger than"),  # checked before the buffer's length
    ],
)
def test_bad_frames(args: tuple[object, ...], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        qr.scan_frame(*args)  # type: ignore[arg-type]


def test_numpy_bad_dtype_and_shape() -> None:
    np = pytest.importorskip("numpy", reason="numpy is in the bench extra: pip install -e '.[bench]'")
    with pytest.raises(ValueError, match="8-bit grey"):
        qr.scan_frame(np.zeros((HEIGHT, WIDTH), dtype=np.uint16))
    with pytest.raises(ValueError, match="8-bit grey"):
        qr.scan_frame(np.zeros((HEIGHT, WIDTH), dtype=np.float32))
    with pytest.raises(ValueError, match="shape"):
        qr.scan_frame(np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="empty frame"):
        qr.scan_frame(np.zeros((0, WIDTH), dtype=np.uint8))
    with pytest.raises(ValueError, match="strides"):
        qr.scan_frame(np.zeros((HEIGHT, WIDTH), dtype=np.uint8)[:, ::2])
    with pytest.raises(ValueError, match="strides"):
        qr.scan_frame(np.zeros((HEIGHT, WIDTH), dtype=np.uint8)[::-1])
    with pytest.raises(TypeError, match="raw bytes only"):
        qr.scan_frame(np.zeros((HEIGHT, WIDTH), dtype=np.uint8), WIDTH, HEIGHT)


def test_no_code_is_a_scan_error() -> None:
    with pytest.raises(qr.ScanError, match="no QR code"):
        qr.scan_frame(bytes(WIDTH * HEIGHT), WIDTH, HEIGHT)
    noise = random.Random(1).randbytes(WIDTH * HEIGHT)
    with pytest.raises(qr.ScanError):
        qr.scan_frame(noise, WIDTH, HEIGHT)


def test_only_the_qr_code_of_iso_18004_is_read() -> None:
    """Micro QR (little error correction, found by chance in blurred data areas) is never the answer."""
    import zxingcpp
    if not hasattr(zxingcpp, "create_barcode"):
        pytest.skip("zxing-cpp before 3 writes no Micro QR; its QRCode format is model 2 alone")
    micro = zxingcpp.write_barcode_to_image(zxingcpp.create_barcode("122131", zxingcpp.BarcodeFormat.MicroQRCode), scale=6)
    side = micro.shape[0]
    alone = Image.new("L", (WIDTH, HEIGHT), 255)
    alone.paste(Image.frombytes("L", (side, side), bytes(memoryview(micro).cast("B"))), (20, 20))
    assert zxingcpp.read_barcodes(alone), "zxing-cpp itself reads the Micro QR symbol"
    with pytest.raises(qr.ScanError):
        qr.scan_frame(alone)
    beside = PICTURE.copy()
    beside.paste(Image.frombytes("L", (side, side), bytes(memoryview(micro).cast("B"))), (20, 20))
    assert qr.scan_frame(beside) == TEXT


def test_a_readable_frame_costs_one_plain_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spec 7.3: the plain pass first, zxing-cpp's own retries and the preprocessed ones only after a miss."""
    import zxingcpp

    calls: list[dict[str, object]] = []
    original = zxingcpp.read_barcodes

    def counted(image: object, **options: object) -> object:
        calls.append(options)
        return original(image, **options)

    monkeypatch.setattr(zxingcpp, "read_barcodes", counted)
    assert qr.scan_frame(RAW, WIDTH, HEIGHT) == TEXT
    assert len(calls) == 1
    assert calls[0]["try_rotate"] is calls[0]["try_downscale"] is calls[0]["try_invert"] is False
    calls.clear()
    with pytest.raises(qr.ScanError):
        qr.scan_frame(bytes(WIDTH * HEIGHT), WIDTH, HEIGHT)
    assert [c.get("try_rotate", True) for c in calls[:3]] == [False, False, True]  # then zxing-cpp's defaults
    assert len(calls) > 3  # and the preprocessed retries


def test_without_retries_only_the_plain_passes_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import zxingcpp

    calls: list[dict[str, object]] = []
    original = zxingcpp.read_barcodes

    def counted(image: object, **options: object) -> object:
        calls.append(options)
        return original(image, **options)

    monkeypatch.setattr(zxingcpp, "read_barcodes", counted)
    assert qr.scan_frame(RAW, WIDTH, HEIGHT, retries=False) == TEXT
    with pytest.raises(qr.ScanError):
        qr.scan_frame(bytes(WIDTH * HEIGHT), WIDTH, HEIGHT, retries=False)
    assert len(calls) == 3 and all(c["try_rotate"] is False for c in calls)
    with pytest.raises(TypeError, match="retries is True or False"):
        qr.scan_frame(RAW, WIDTH, HEIGHT, retries=1)  # type: ignore[arg-type]
