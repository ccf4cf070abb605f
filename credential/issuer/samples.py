"""Sample claims for the demo, the vectors and the benchmarks: one minimal and one full profile."""

from __future__ import annotations

import hashlib
from typing import Any

ISSUED_AT = 1798761600  # 2027-01-01T00:00:00Z
YEAR = 365 * 86400

TEMPLATES = {
    "face": b"sample face reference template, as enrolled for automated clearance",
    "fingerprint": b"sample fingerprint reference template, as enrolled for automated clearance",
}


# The sample holder's date of birth, from the issuer's records: the age rule of the eligibility
# policy (spec 9.5) needs it even for the minimal profile, which does not carry it.
BIRTH_DATE = "1990-05-17"


def minimal(issuer: str = "HK") -> dict[str, Any]:
    """What a gate needs and no more: a Hong Kong permanent resident enrolled for Macau's e-Channel."""
    return {
        "iss": issuer,
        "iat": ISSUED_AT,
        "exp": ISSUED_AT + YEAR,
        "cti": "5f1e0c7a9b3d2468",
        "xc": {
            "doc_type": "identity-card",
            "doc_number": "A1234563",
            "residency": "permanent",
            "destinations": ["MO"],
            "channel": "e-channel",
            "enrolment": "MO26000123",
            "enrolment_expiry": "2031-06-30",
        },
    }


def full(issuer: str = "HK") -> dict[str, Any]:
    """The minimal claims plus names in Latin and Chinese script and the date of birth."""
    claims = minimal(issuer)
    claims["xc"].update(
        symbols=["***", "A", "Z"],
        family_name="CHAN",
        given_name="TAI MAN",
        name_zh="陳大文",
        birth_date=BIRTH_DATE,
    )
    return claims


# Synthetic reference templates for tests, vectors and size measurements: bytes of the right shape
# drawn from SHA-256 in counter mode, never real biometric data.
MINUTIAE = 40  # a typical count for a good-quality fingerprint


def _stream(label: str, size: int) -> bytes:
    out = b"".join(hashlib.sha256(f"{label} {i}".encode()).digest() for i in range(-(-size // 32)))
    return out[:size]


def synthetic_face(size: int, seed: str = "face") -> bytes:
    """A stand-in for a compact face template (a vendor feature vector) of ``size`` bytes."""
    return _stream(f"XC1 synthetic face {seed}", size)


def synthetic_fingerprints(fingers: int, minutiae: int = MINUTIAE, seed: str = "fingerprint") -> bytes:
    """Format 1 of spec 8.5.3: per finger, its position (right thumb 1, right index 2, ...), the
    minutiae count, then 3 bytes per minutia (x, y, then type in 2 bits and angle in 6, as in the
    ISO/IEC 19794-2 compact card format)."""
    out = bytearray()
    for finger in range(1, fingers + 1):
        out += bytes((finger, minutiae))
        raw = _stream(f"XC1 synthetic minutiae {seed} {finger}", 3 * minutiae)
        for i in range(minutiae):
            x, y, t = raw[3 * i : 3 * i + 3]
            out += bytes((x, y, (1 + t % 2) << 6 | t % 64))
    return bytes(out)
