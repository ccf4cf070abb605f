"""Every layer of a credential, decoded without trusting any of it (for inspection and vectors)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..base.errors import VerificationError
from ..claims import model
from ..cose import sign1 as cose
from ..text import cbor
from ..text import wrap as textlayer
from . import presentation as presentation_layer
from .verify import as_text


@dataclass(frozen=True)
class Layers:
    """The layers from the outside in. ``claims`` is None when the payload is not valid claims."""

    text: str
    prefix: str
    base45: str
    deflated: bytes | None
    cose: bytes
    protected: bytes
    alg: object
    kid: bytes
    payload: bytes
    signature: bytes
    to_be_signed: bytes
    claims_cbor: Any
    claims: dict[str, Any] | None
    claims_error: VerificationError | None
    # For a presentation (XP1:, XP1Z:): its own layers. ``cose`` and the fields after it are then the
    # layers of the credential message it carries; ``deflated`` is the presentation's DEFLATE bytes.
    presentation: presentation_layer.Presentation | None = None


def decode(data: str | bytes) -> Layers:
    """Peel the layers; raise VerificationError where a layer cannot be read at all.

    The signature is not checked. A payload that is CBOR but not valid claims is returned with
    ``claims`` None and the reason in ``claims_error``.
    """
    text = as_text(data)
    unwrapped = textlayer.unwrap(text)
    message = unwrapped.message
    shown = None
    if unwrapped.prefix in textlayer.PRESENTATION_PREFIXES:
        shown = presentation_layer.parse(message)
        message = shown.credential
    sign1 = cose.parse(message)
    claims_cbor = cbor.decode(sign1.payload)
    try:
        claims, error = model.from_cbor(claims_cbor), None
    except VerificationError as err:
        claims, error = None, err
    return Layers(
        text=text,
        prefix=unwrapped.prefix,
        base45=unwrapped.base45,
        deflated=unwrapped.deflated,
        cose=message,
        protected=sign1.protected,
        alg=sign1.alg,
        kid=sign1.kid,
        payload=sign1.payload,
        signature=sign1.signature,
        to_be_signed=cose.to_be_signed(sign1.protected, sign1.payload),
        claims_cbor=claims_cbor,
        claims=claims,
        claims_error=error,
        presentation=shown,
    )
