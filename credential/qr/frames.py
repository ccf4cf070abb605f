"""Camera frames for ``qr.scan_frame``: checked once, then read by zxing-cpp in place.

A gate's camera hands over 8-bit grey pixels: a numpy array (or any object with the buffer
protocol) of shape (height, width), raw bytes with the width and height beside them (the Y plane
of a YUV frame is such bytes), or a PIL image. A frame is described here by its bytes, where its
first pixel is, its size and its row stride, so that the frame and a region of interest in it are
zxing-cpp ImageViews over the same memory: no pixel is copied. The exceptions, each a single copy:
a PIL image (Pillow exposes no buffer of its pixels), and an array whose rows are not contiguous
(a slice of a larger array).

numpy is never imported: arrays are read through the buffer protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# A 40-megapixel frame is larger than any gate camera sends, and zxing-cpp's time grows with the
# pixels it is given; scan.MAX_IMAGE_PIXELS, the bound of encoded images, is this one.
MAX_FRAME_PIXELS = 40_000_000
REGION_FIELDS = ("left", "top", "width", "height")


@dataclass(frozen=True)
class Frame:
    """8-bit grey pixels: row ``r`` of the frame starts at ``offset + r * stride`` in ``pixels``."""

    pixels: memoryview  # one-dimensional, format B; kept referenced while zxing-cpp reads it
    offset: int
    width: int
    height: int
    stride: int

    def view(self) -> Any:
        """A zxing-cpp ImageView of the frame over its pixels (zxing-cpp keeps no reference: hold the frame)."""
        import zxingcpp

        start = self.pixels[self.offset :]  # any buffer: the stub says ndarray, nanobind takes the buffer protocol
        return zxingcpp.ImageView(start, self.width, self.height, zxingcpp.ImageFormat.Lum, row_stride=self.stride)  # type: ignore[arg-type, unused-ignore]  # the error shows only where numpy is installed

    def rows(self) -> bytes:
        """The pixels, row after row without padding (a copy: for the preprocessed retries only)."""
        if self.stride == self.width:
            return bytes(self.pixels[self.offset : self.offset + self.width * self.height])
        return b"".join(bytes(self.pixels[self.offset + r * self.stride : self.offset + r * self.stride + self.width]) for r in range(self.height))

    def region(self, region: object) -> Frame:
        """The part of the frame inside ``region`` (left, top, width, height), over the same pixels."""
        left, top, width, height = _region(region, self.width, self.height)
        return Frame(self.pixels, self.offset + top * self.stride + left, width, height, self.stride)


def _size(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} is a whole number of pixels, not {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} {value} is not a positive number of pixels")
    return value


def _checked_size(width: int, height: int) -> None:
    if width * height > MAX_FRAME_PIXELS:
        raise ValueError(f"a frame of {width}x{height} pixels is larger than the {MAX_FRAME_PIXELS:,} pixels scanned")


def _region(region: object, frame_width: int, frame_height: int) -> tuple[int, int, int, int]:
    if not isinstance(region, (tuple, list)) or len(region) != 4:
        raise TypeError("region is (left, top, width, height) in pixels")
    for name, value in zip(REGION_FIELDS, region):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"region {name} is a whole number of pixels, not {type(value).__name__}")
    left, top, width, height = region
    if left < 0 or top < 0 or width < 1 or height < 1:
        raise ValueError(f"region {tuple(region)}: left and top are 0 or more, width and height 1 or more")
    if left + width > frame_width or top + height > frame_height:
        raise ValueError(f"region {tuple(region)} reaches outside the {frame_width}x{frame_height} frame")
    return left, top, width, height


def from_image(picture: Any) -> Frame:
    """A decoded PIL image as a frame: its grey levels, copied once (Pillow exposes no buffer)."""
    grey = picture if picture.mode == "L" else picture.convert("L")
    width, height = grey.size
    _checked_size(width, height)
    return Frame(memoryview(grey.tobytes()), 0, width, height, width)


def _from_buffer(source: object) -> memoryview:
    try:
        return memoryview(source)  # type: ignore[arg-type]  # anything with the buffer protocol
    except TypeError:
        raise TypeError(
            f"a frame is a numpy array or other buffer of 8-bit grey pixels, raw bytes with width and height, or a PIL image; not {type(source).__name__}"
        ) from None


def from_source(source: object, width: object = None, height: object = None) -> Frame:
    """The frame ``source`` holds: checked, and viewed in place whenever its rows are contiguous."""
    from PIL import Image

    if isinstance(source, Image.Image):
        if width is not None or height is not None:
            raise TypeError("width and height are given with raw bytes only; a PIL image has its own size")
        return from_image(source)
    buffer = _from_buffer(source)
    if buffer.itemsize != 1 or buffer.format not in ("B", "c"):
        raise ValueError(f"a frame holds 8-bit grey pixels (uint8); this buffer's items are {buffer.format!r} of {buffer.itemsize} bytes")
    if width is not None or height is not None:
        return _raw(buffer, width, height)
    return _array(buffer)


def _raw(buffer: memoryview, width: object, height: object) -> Frame:
    if width is None or height is None:
        raise TypeError("raw bytes need both width and height")
    w, h = _size(width, "width"), _size(height, "height")
    _checked_size(w, h)
    if buffer.ndim > 1:
        raise TypeError(f"width and height are given with raw bytes only; this buffer has {buffer.ndim} dimensions, which give the size")
    if not buffer.contiguous:
        raise ValueError("raw bytes are one contiguous buffer")
    if buffer.nbytes != w * h:
        raise ValueError(f"{buffer.nbytes} bytes are not a {w}x{h} frame of one byte per pixel ({w * h} bytes)")
    return Frame(buffer.cast("B"), 0, w, h, w)


def _array(buffer: memoryview) -> Frame:
    if buffer.ndim == 1:
        raise TypeError("raw bytes need width and height (encoded images such as PNG or JPEG go to qr.scan)")
    shape = buffer.shape or ()
    if not (buffer.ndim == 2 or (buffer.ndim == 3 and shape[2] == 1)):
        raise ValueError(f"a frame is one grey channel of shape (height, width); this one has shape {tuple(shape)}")
    h, w = shape[0], shape[1]
    if w < 1 or h < 1:
        raise ValueError(f"an empty frame of shape {tuple(shape)}")
    _checked_size(w, h)
    if buffer.c_contiguous:
        return Frame(buffer.cast("B"), 0, w, h, w)
    strides = buffer.strides or ()
    if strides[1] != 1 or strides[0] < w:
        raise ValueError(f"a frame's pixels are adjacent in each row and its rows run downwards; strides {tuple(strides)}")
    return Frame(memoryview(buffer.tobytes()), 0, w, h, w)  # rows not contiguous: one copy
