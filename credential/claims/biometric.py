"""Biometric binding (spec section 8): a keyed digest per modality ties the credential to templates.

    digest = HMAC-SHA-256(key = cti, message = "XC1 biometric" || modality || template)[:16]

The credential identifier keys the HMAC, so the same template gives unrelated digests in two
credentials, and the QR code reveals nothing that links them. The gate computes the same digest over
the reference template it matches against and compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from .enumerations import MODALITIES
from .model import DIGEST_BYTES

_LABEL = b"XC1 biometric"
_NUMBERS = {name: number for number, name in MODALITIES.items()}


def _number(modality: str) -> int:
    try:
        return _NUMBERS[modality]
    except KeyError:
        raise ValueError(f"unknown modality {modality!r}; expected one of {sorted(_NUMBERS)}") from None


def digest(modality: str, template: bytes, cti: bytes) -> bytes:
    """The binding digest of one reference template."""
    if not isinstance(template, (bytes, bytearray)) or not template:
        raise TypeError("a template is a non-empty byte string")
    message = _LABEL + bytes((_number(modality),)) + bytes(template)
    return hmac.new(bytes(cti), message, hashlib.sha256).digest()[:DIGEST_BYTES]


def bind(templates: Mapping[str, bytes], cti: bytes) -> dict[str, str]:
    """The ``biometrics`` claim (JSON view) for the given templates, keyed by modality name."""
    if not templates:
        raise ValueError("at least one template is needed to bind a credential")
    return {modality: digest(modality, template, cti).hex() for modality, template in templates.items()}


def mismatches(biometrics: Mapping[str, str], templates: Mapping[str, bytes], cti: bytes) -> list[str]:
    """The modalities among ``templates`` that the claim does not bind (absent, or another template)."""
    failed = []
    for modality, template in templates.items():
        bound = biometrics.get(modality)
        computed = digest(modality, template, cti)
        if bound is None or not hmac.compare_digest(bytes.fromhex(bound), computed):
            failed.append(modality)
    return failed
