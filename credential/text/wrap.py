"""The text layer (spec sections 6 and 7): version prefix, optional DEFLATE, Base45.

    "XC1:"  Base45(COSE_Sign1)
    "XC1Z:" Base45(raw DEFLATE(COSE_Sign1))
    "XP1:"  Base45(presentation)                 (spec 4.5: the holder's device signature around a credential)
    "XP1Z:" Base45(raw DEFLATE(presentation))
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..base import limits
from ..base.errors import ErrorCode, VerificationError
from . import base45, compress

PREFIX = "XC1:"
PREFIX_DEFLATED = "XC1Z:"
PREFIX_PRESENTATION = "XP1:"
PREFIX_PRESENTATION_DEFLATED = "XP1Z:"
# Each prefix, and whether the Base45 under it is DEFLATE data (spec 7.1).
PREFIXES = {PREFIX: False, PREFIX_DEFLATED: True, PREFIX_PRESENTATION: False, PREFIX_PRESENTATION_DEFLATED: True}
PRESENTATION_PREFIXES = (PREFIX_PRESENTATION, PREFIX_PRESENTATION_DEFLATED)
_ANY_VERSION = re.compile(r"X([CP])([0-9]+)Z?:")


class Unwrapped(NamedTuple):
    prefix: str
    base45: str
    deflated: bytes | None
    message: bytes


def _base45_length(size: int) -> int:
    return 3 * (size // 2) + 2 * (size % 2)


def wrap(message: bytes, deflate: bool | None = None, prefixes: tuple[str, str] = (PREFIX, PREFIX_DEFLATED)) -> str:
    """The text of a message; ``deflate=None`` applies the rule of spec 6: compress only if the text
    gets shorter. ``prefixes`` are the plain and the deflated prefix (a credential's or a presentation's)."""
    plain, deflated = prefixes
    if deflate is not False:
        packed = compress.deflate(message)
        shorter = len(deflated) + _base45_length(len(packed)) < len(plain) + _base45_length(len(message))
        if deflate or shorter:
            return deflated + base45.encode(packed)
    return plain + base45.encode(message)


def check_length(length: int) -> None:
    """Step 1 of the procedure: LIMIT for a text longer than any QR code holds."""
    if length > limits.MAX_TEXT_CHARS:
        raise VerificationError(ErrorCode.LIMIT, f"text of {length} characters, more than {limits.MAX_TEXT_CHARS}")


def unwrap(text: str) -> Unwrapped:
    """Undo the text layer, with the codes LIMIT, PREFIX, VERSION, BASE45 and INFLATE."""
    check_length(len(text))
    colon = text.find(":", 0, 6)
    prefix = text[: colon + 1]
    if colon < 0 or prefix not in PREFIXES:
        match = _ANY_VERSION.match(text)
        if match:
            raise VerificationError(ErrorCode.VERSION, f"X{match.group(1)} version {match.group(2)} is not supported; this verifier reads XC1 and XP1")
        raise VerificationError(ErrorCode.PREFIX, f"text does not start with one of {', '.join(map(repr, PREFIXES))}")
    body = text[len(prefix) :]
    try:
        raw = base45.decode(body)
    except base45.Base45Error as err:
        raise VerificationError(ErrorCode.BASE45, str(err)) from None
    if not PREFIXES[prefix]:
        return Unwrapped(prefix, body, None, raw)
    try:
        message = compress.inflate(raw)
    except compress.InflateLimitError as err:
        raise VerificationError(ErrorCode.LIMIT, str(err)) from None
    except compress.InflateError as err:
        raise VerificationError(ErrorCode.INFLATE, str(err)) from None
    return Unwrapped(prefix, body, raw, message)
