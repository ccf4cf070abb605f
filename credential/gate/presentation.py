"""Presentations (spec section 4.5): the holder's device signature around a credential, for one time
step and one destination, so that a copy of the code stops working within seconds.

    "XP1:" Base45( 18([ h'a10126', {}, payload, device signature ]) )     (or "XP1Z:" and raw DEFLATE)
    payload = [ credential message, time step, destination ]

The credential message is the issuer's COSE_Sign1 exactly as the credential text carries it (after
Base45 and, for "XC1Z:", inflating). The device signs the COSE Sig_structure of this COSE_Sign1, so
the signature covers the whole credential, the step and the destination.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..base import limits
from ..base.errors import ErrorCode, VerificationError
from ..base.times import MAX_TIME, epoch_seconds
from ..claims import device, model
from ..cose import sign1 as cose
from ..cose.keys import BY_NAME, PrivateKey, region_codes
from ..text import cbor
from ..text import wrap as textlayer

STEP_SECONDS = 10  # one time step, as TOTP's 30 s but shorter: the code on the phone changes this often
MAX_STEP = MAX_TIME // STEP_SECONDS
DEVICE_ALG = BY_NAME["ES256"]
PROTECTED = cbor.encode({cose.HEADER_ALG: DEVICE_ALG.cose_id})  # a1 01 26: alg ES256 and nothing else
_REGION = re.compile("[A-Z]{2}")


class Presentation(NamedTuple):
    """A parsed presentation; nothing in it is trusted until the device signature is checked."""

    payload: bytes
    signature: bytes
    credential: bytes  # the issuer's COSE_Sign1 message
    step: int
    destination: str

    @property
    def to_be_signed(self) -> bytes:
        return cose.to_be_signed(PROTECTED, self.payload)


def _error(detail: str) -> VerificationError:
    return VerificationError(ErrorCode.PRESENTATION, detail)


def step_of(seconds: int) -> int:
    """The time step a moment falls in: whole seconds since the epoch, divided by the step length."""
    return seconds // STEP_SECONDS


def payload_of(credential_message: bytes, step: int, destination: str) -> bytes:
    return cbor.encode([credential_message, step, destination])


def structure(outer: object) -> tuple[bytes, bytes]:
    """Steps 5a and 5b on the decoded presentation: (payload, signature), or PRESENTATION."""
    if not isinstance(outer, cbor.Tag) or outer.number != cose.TAG_SIGN1:
        raise _error("a presentation is a COSE_Sign1 message with tag 18")
    body = outer.value
    if not isinstance(body, list) or len(body) != 4:
        raise _error("the presentation is not an array of four items")
    protected, unprotected, payload, signature = body
    if not (isinstance(protected, bytes) and isinstance(unprotected, dict) and isinstance(payload, bytes) and isinstance(signature, bytes)):
        raise _error("the presentation's items are not byte string, map, byte string, byte string")
    if unprotected:
        raise _error("the presentation's unprotected header is not empty; nothing there is signed")
    if protected != PROTECTED:  # step 5b
        raise _error(f"the protected header is {protected.hex()}, not {PROTECTED.hex()} (alg ES256 and nothing else)")
    return payload, signature


def fields(content: object) -> tuple[bytes, int, str]:
    """Step 5d on the decoded payload: (credential message, step, destination), or PRESENTATION."""
    if not isinstance(content, list) or len(content) != 3:
        raise _error("the payload is not an array of three items: credential, step, destination")
    credential, step, destination = content
    if not isinstance(credential, bytes):
        raise _error("the credential is not a byte string")
    if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step <= MAX_STEP:
        raise _error(f"the time step is not an integer in 0..{MAX_STEP}")
    if not isinstance(destination, str) or not _REGION.fullmatch(destination):
        raise _error("the destination is not a region code")
    return credential, step, destination


def parse(message: bytes) -> Presentation:
    """Steps 5a to 5d of spec 9.2: the presentation's structure (PRESENTATION, or CBOR, LIMIT and
    NOT_DETERMINISTIC for its payload). The credential message inside is left to the steps after."""
    payload, signature = structure(cbor.decode(message))
    credential, step, destination = fields(cbor.decode(payload))  # step 5c, then 5d
    return Presentation(payload, signature, credential, step, destination)


def build(credential_message: bytes, step: int, destination: str, device_key: PrivateKey) -> bytes:
    """The presentation message, signed by the device key (deterministic ECDSA, low-S)."""
    payload = payload_of(credential_message, step, destination)
    signature = DEVICE_ALG.sign(device_key, cose.to_be_signed(PROTECTED, payload))
    return cose.build(PROTECTED, payload, signature)


def wrap(message: bytes, deflate: bool | None = None) -> str:
    """The presentation text: "XP1Z:" when DEFLATE makes it shorter (spec 6), else "XP1:"."""
    return textlayer.wrap(message, deflate, textlayer.PRESENTATION_PREFIXES)


def present(credential_text: str, device_key: PrivateKey, *, now: object, destination: str, deflate: bool | None = None) -> str:
    """The holder's presentation of a credential at ``now`` for a gate of region ``destination``.

    The credential must bind this device key (its ``cnf`` claim): presenting a credential with a key
    it does not bind, or one that binds none, is a mistake and raises ValueError. ``deflate`` None
    follows the spec (compress only when shorter); True or False force it, for testing verifiers.
    """
    key = device.check_device_key(device_key)
    (region,) = region_codes([destination], "destination")
    if not isinstance(credential_text, str):
        raise TypeError(f"a credential is text, not {type(credential_text).__name__}")
    seconds = epoch_seconds(now)  # type: ignore[arg-type]
    try:
        unwrapped = textlayer.unwrap(credential_text)
        if unwrapped.prefix in textlayer.PRESENTATION_PREFIXES:
            raise ValueError("this is already a presentation; present the credential itself")
        claims = model.from_cbor(cbor.decode(cose.parse(unwrapped.message).payload))
    except VerificationError as err:
        raise ValueError(f"not a credential that can be presented: {err}") from None
    if "cnf" not in claims:
        raise ValueError("the credential binds no device key (no cnf claim): show the credential itself")
    if claims["cnf"] != device.cnf_view(key):
        raise ValueError("the credential binds another device key")
    text = wrap(build(unwrapped.message, step_of(seconds), region, key), deflate)
    if len(text) > limits.MAX_TEXT_CHARS:
        raise ValueError(f"presentation of {len(text)} characters exceeds the limit of {limits.MAX_TEXT_CHARS}")
    return text


def window(step: int) -> tuple[int, int]:
    """The first second of a time step and the first second after it."""
    return step * STEP_SECONDS, (step + 1) * STEP_SECONDS


def replay_key(issuer: str, cti: bytes, step: int) -> str:
    """A presentation's identity for the replay cache (spec 9.6): issuer, cti and step, as text."""
    return f"{issuer}:{cti.hex()}:{step}"
