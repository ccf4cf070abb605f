"""The COSE_Sign1 profile (RFC 9052), spec section 4: one shape, no options.

    18([ bstr .cbor {1: alg, 4: kid}, {}, bstr .cbor claims, bstr signature ])

The protected header holds exactly ``alg`` and ``kid``; the unprotected header is empty, because
nothing in it would be covered by the signature.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..base import limits
from ..base.errors import ErrorCode, VerificationError
from ..text import cbor
from .keys import KID_BYTES

TAG_SIGN1 = 18
HEADER_ALG = 1
HEADER_KID = 4
_CONTEXT = "Signature1"


class Sign1(NamedTuple):
    """A parsed COSE_Sign1 message; nothing in it is trusted until its signature is checked."""

    protected: bytes
    alg: object  # checked against the algorithm table by the verifier (ALG)
    kid: bytes
    payload: bytes
    signature: bytes


def _error(detail: str) -> VerificationError:
    return VerificationError(ErrorCode.COSE, detail)


def protected_header(alg: int, kid: bytes) -> bytes:
    return cbor.encode({HEADER_ALG: alg, HEADER_KID: kid})


_MESSAGE_START = cbor.head(6, TAG_SIGN1) + b"\x84"  # tag 18, then an array of four items
_SIG_STRUCTURE_START = b"\x84" + cbor.encode(_CONTEXT)  # an array of four items, then the context


def to_be_signed(protected: bytes, payload: bytes) -> bytes:
    """The Sig_structure of RFC 9052 section 4.4, with empty external AAD, assembled without a CBOR encoder."""
    return b"".join((_SIG_STRUCTURE_START, cbor.head(2, len(protected)), protected, b"\x40", cbor.head(2, len(payload)), payload))


def build(protected: bytes, payload: bytes, signature: bytes) -> bytes:
    """The tagged message, assembled from its parts: 18([protected, {}, payload, signature])."""
    return b"".join(
        (_MESSAGE_START, cbor.head(2, len(protected)), protected, b"\xa0", cbor.head(2, len(payload)), payload,
         cbor.head(2, len(signature)), signature)
    )


def parse(message: bytes) -> Sign1:
    """Check the message against the profile; raise CBOR, NOT_DETERMINISTIC, LIMIT or COSE errors."""
    protected, payload, signature = structure(cbor.decode(message))
    check_protected_size(protected)
    alg, kid = header_fields(cbor.decode(protected))
    return Sign1(protected, alg, kid, payload, signature)


def structure(outer: Any) -> tuple[bytes, bytes, bytes]:
    """Step 6 of spec 9.2 on the decoded message: (protected, payload, signature), or COSE."""
    if not isinstance(outer, cbor.Tag):
        raise _error("message is not tagged; XC requires COSE_Sign1 tag 18")
    if outer.number != TAG_SIGN1:
        raise _error(f"tag {outer.number} is not the COSE_Sign1 tag 18")
    body = outer.value
    if not isinstance(body, list) or len(body) != 4:
        raise _error("COSE_Sign1 is not an array of four items")
    protected, unprotected, payload, signature = body
    if not isinstance(protected, bytes):
        raise _error("protected header is not a byte string")
    if not isinstance(unprotected, dict):
        raise _error("unprotected header is not a map")
    if unprotected:
        raise _error(f"unprotected header is not empty (labels {sorted(map(repr, unprotected))}); nothing there is signed")
    if not isinstance(payload, bytes):
        raise _error("payload is not a byte string (detached payloads are not used)")
    if not isinstance(signature, bytes):
        raise _error("signature is not a byte string")
    if not protected:
        # RFC 9052 encodes an empty protected header as h'': well-formed, but without alg and kid.
        raise _error("protected header is empty; alg and kid are required")
    return protected, payload, signature


def check_protected_size(protected: bytes) -> None:
    """Step 7: LIMIT for a protected header far larger than alg and kid need."""
    if len(protected) > limits.MAX_PROTECTED_BYTES:
        raise VerificationError(ErrorCode.LIMIT, f"protected header of {len(protected)} bytes")


def header_fields(header: Any) -> tuple[object, bytes]:
    """Step 9 on the decoded protected header: (alg, kid), or COSE."""
    if not isinstance(header, dict):
        raise _error("protected header is not a map")
    extra = sorted(repr(label) for label in header if label not in (HEADER_ALG, HEADER_KID))  # repr: never raw input in a message
    if extra:
        raise _error(f"protected header has labels other than alg and kid: {', '.join(extra)}")
    alg, kid = header.get(HEADER_ALG), header.get(HEADER_KID)
    # A present alg of any value, null included, is for the verifier to judge (ALG); only absence is COSE.
    if HEADER_ALG not in header:
        raise _error("protected header has no alg")
    if HEADER_KID not in header:
        raise _error("protected header has no kid")
    if not isinstance(kid, bytes) or len(kid) != KID_BYTES:
        raise _error(f"kid is not a byte string of {KID_BYTES} bytes")
    return alg, kid
