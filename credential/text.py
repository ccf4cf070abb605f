"""The text layer (spec sections 6 and 7): version prefix, optional DEFLATE, Base45.

    "XC1:"  Base45(COSE_Sign1)
    "XC1Z:" Base45(raw DEFLATE(COSE_Sign1))
    "XP1:"  Base45(presentation)            (spec 4.5: the holder's device signature around a credential)
"""

from __future__ import annotations

import re
from typing import NamedTuple

from . import base45, compress, limits
from .errors import ErrorCode, VerificationError

PREFIX = "XC1:"
PREFIX_DEFLATED = "XC1Z:"
PREFIX_PRESENTATION = "XP1:"
_ANY_VERSION = re.compile(r"X(?:C([0-9]+)Z?|P([0-9]+)):")


class Unwrapped(NamedTuple):
    prefix: str
    base45: str
    deflated: bytes | None
    message: bytes


def _base45_length(size: int) -> int:
    return 3 * (size // 2) + 2 * (size % 2)


def wrap(message: bytes, deflate: bool | None = None) -> str:
    """The credential text; ``deflate=None`` applies the issuer rule: compress only if the text gets shorter."""
    if deflate is not False:
        packed = compress.deflate(message)
        shorter = len(PREFIX_DEFLATED) + _base45_length(len(packed)) < len(PREFIX) + _base45_length(len(message))
        if deflate or shorter:
            return PREFIX_DEFLATED + base45.encode(packed)
    return PREFIX + base45.encode(message)


def check_length(length: int) -> None:
    """Step 1 of the procedure: LIMIT for a text longer than any QR code holds."""
    if length > limits.MAX_TEXT_CHARS:
        raise VerificationError(ErrorCode.LIMIT, f"text of {length} characters, more than {limits.MAX_TEXT_CHARS}")


def unwrap(text: str) -> Unwrapped:
    """Undo the text layer, with the codes LIMIT, PREFIX, VERSION, BASE45 and INFLATE."""
    check_length(len(text))
    if text.startswith(PREFIX):
        prefix = PREFIX
    elif text.startswith(PREFIX_DEFLATED):
        prefix = PREFIX_DEFLATED
    elif text.startswith(PREFIX_PRESENTATION):
        prefix = PREFIX_PRESENTATION
    else:
        match = _ANY_VERSION.match(text)
        if match:
            version = match.group(1) or match.group(2)
            raise VerificationError(ErrorCode.VERSION, f"version {version} is not supported; this verifier reads XC1 and XP1")
        raise VerificationError(ErrorCode.PREFIX, f"text does not start with {PREFIX!r}, {PREFIX_DEFLATED!r} or {PREFIX_PRESENTATION!r}")
    body = text[len(prefix) :]
    try:
        raw = base45.decode(body)
    except base45.Base45Error as err:
        raise VerificationError(ErrorCode.BASE45, str(err)) from None
    if prefix != PREFIX_DEFLATED:
        return Unwrapped(prefix, body, None, raw)
    try:
        message = compress.inflate(raw)
    except compress.InflateLimitError as err:
        raise VerificationError(ErrorCode.LIMIT, str(err)) from None
    except compress.InflateError as err:
        raise VerificationError(ErrorCode.INFLATE, str(err)) from None
    return Unwrapped(prefix, body, raw, message)
