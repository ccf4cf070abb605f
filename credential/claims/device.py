"""The holder's device key (spec section 3.1, claim ``cnf``): a P-256 public key as a COSE_Key.

    cnf = {1: COSE_Key}        ; RFC 8747 confirmation method "COSE_Key"
    COSE_Key = {1: 2, -1: 1, -2: x, -3: y-is-odd}

The point is always in compressed form: ``x`` is 32 bytes and ``y`` the boolean that says whether the
y-coordinate is odd (SEC 1 section 2.3.3: prefix 03 for true, 02 for false). One key has one encoding,
and it costs 42 bytes instead of 73.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ..cose.keys import PrivateKey, PublicKey

CNF_CLAIM = 8  # RFC 8747 section 3.1
CNF_COSE_KEY = 1  # RFC 8747 section 3.2: the confirmation method that carries the key itself
KTY_EC2 = 2
CRV_P256 = 1
COORDINATE_BYTES = 32


def _public(key: PrivateKey | PublicKey) -> ec.EllipticCurvePublicKey:
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(public.curve, ec.SECP256R1):
        raise TypeError(f"a device key is a P-256 key (spec 3.1), not {type(public).__name__}")
    return public


def cnf_view(key: PrivateKey | PublicKey) -> dict[str, Any]:
    """The JSON view of the ``cnf`` claim binding this device key (what an issuer puts in the claims)."""
    point = _public(key).public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    return {"cose_key": {"kty": "EC2", "crv": "P-256", "x": point[1:].hex(), "y": point[0] == 3}}


def point(x: bytes, y_odd: bool) -> ec.EllipticCurvePublicKey:
    """The public key of a compressed point; ValueError when it is not a point of P-256."""
    if len(x) != COORDINATE_BYTES:
        raise ValueError(f"x has {len(x)} bytes, expected {COORDINATE_BYTES}")
    return _decompressed(bytes((3 if y_odd else 2,)) + x)


# One verify of a presentation needs the device key twice: the claims model checks that cnf holds a
# point of P-256 when it reads the claims (step 15), and step 18a verifies the device signature with
# it. Decompressing a point (a square root modulo p) costs about 16 us, so the key decoded at step 15
# is the one step 18a uses. Keys are immutable; the memo holds the last few travellers' keys only,
# and a point that is not on the curve raises, so it is never held.
@lru_cache(maxsize=16)
def _decompressed(encoded: bytes) -> ec.EllipticCurvePublicKey:
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), encoded)


def from_view(cnf: Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
    """The device key of a ``cnf`` claim in the JSON view (already checked by the claims model)."""
    cose_key = cnf["cose_key"]
    return point(bytes.fromhex(cose_key["x"]), cose_key["y"])


def check_device_key(key: object) -> ec.EllipticCurvePrivateKey:
    """A holder's private device key: P-256 only (spec 3.1)."""
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise TypeError(f"a device key is a P-256 private key (spec 3.1), not {type(key).__name__}")
    return key


def summary(cnf: Mapping[str, Any]) -> dict[str, Any]:
    """The device key of a ``cnf`` claim (JSON view) as a person compares it: its type and its
    RFC 7638 JWK thumbprint (SHA-256, base64url), the name wallets and key tools show for a key."""
    import base64
    import hashlib
    import json

    def b64(value: int) -> str:
        return base64.urlsafe_b64encode(value.to_bytes(COORDINATE_BYTES, "big")).rstrip(b"=").decode("ascii")

    numbers = from_view(cnf).public_numbers()
    # RFC 7638 section 3: the required members in lexicographic order, no white space.
    members = json.dumps({"crv": "P-256", "kty": "EC", "x": b64(numbers.x), "y": b64(numbers.y)}, separators=(",", ":"), sort_keys=True)
    thumbprint = base64.urlsafe_b64encode(hashlib.sha256(members.encode("ascii")).digest()).rstrip(b"=").decode("ascii")
    return {"kty": "EC2", "crv": "P-256", "thumbprint": thumbprint}
