"""QR codes (spec section 7.3): ``render`` makes one from credential text, ``scan`` reads one back."""

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
from .scan import MAX_SLOW_RETRY_PIXELS, ScanError, scan

__all__ = [
    "ALPHANUMERIC",
    "DEFAULT_BOX",
    "DEFAULT_ECC",
    "FORMATS",
    "LEVELS",
    "MAX_SLOW_RETRY_PIXELS",
    "MAX_VERSION",
    "MIN_QUIET_ZONE",
    "MIN_VERSION",
    "QUIET_ZONE",
    "ScanError",
    "Symbol",
    "build",
    "capacity",
    "render",
    "scan",
    "version",
    "version_for_length",
]
