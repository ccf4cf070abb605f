"""QR codes (spec section 7.3): ``render`` makes one from credential text, ``scan`` reads one back
from an image and ``scan_frame`` from a camera frame."""

from .render import (
    ALPHANUMERIC,
    DEFAULT_BOX,
    DEFAULT_ECC,
    FORMATS,
    LEVELS,
    MAX_VERSION,
    MIN_QUIET_ZONE,
    MIN_VERSION,
    QUIET_ZONE,
    Symbol,
    build,
    capacity,
    render,
    version,
    version_for_length,
)
from .scan import IMAGE_FORMATS, MAX_IMAGE_PIXELS, MAX_SLOW_RETRY_PIXELS, ScanError, check_size, open_image, qr_model_2, scan, scan_frame

__all__ = [
    "ALPHANUMERIC",
    "DEFAULT_BOX",
    "DEFAULT_ECC",
    "FORMATS",
    "IMAGE_FORMATS",
    "LEVELS",
    "MAX_IMAGE_PIXELS",
    "MAX_SLOW_RETRY_PIXELS",
    "MAX_VERSION",
    "MIN_QUIET_ZONE",
    "MIN_VERSION",
    "QUIET_ZONE",
    "ScanError",
    "Symbol",
    "build",
    "capacity",
    "check_size",
    "open_image",
    "qr_model_2",
    "render",
    "scan",
    "scan_frame",
    "version",
    "version_for_length",
]
