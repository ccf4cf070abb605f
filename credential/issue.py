"""The issuer's procedure (spec section 9.1)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from typing import Any, Union

from . import biometric, cbor, claims as model, cose, limits, templates as sealing, text as textlayer
from .keys import PrivateKey, algorithm_for, kid_of

TemplateInput = Mapping[str, Union[bytes, sealing.Template]]

CTI_BYTES = 8


def _template_bytes(templates: TemplateInput) -> dict[str, bytes]:
    if not isinstance(templates, Mapping):
        raise TypeError(f"templates is a mapping of modality name to template bytes or Template, not {type(templates).__name__}")
    return {m: t.data if isinstance(t, sealing.Template) else t for m, t in templates.items()}


def complete(claims: Mapping[str, Any], templates: TemplateInput | None = None) -> dict[str, Any]:
    """Fill what an issuer may leave out: a random ``cti``, ``iat`` now, and the biometric binding."""
    if not isinstance(claims, Mapping):
        raise TypeError("claims are a mapping in the JSON view (see spec section 3)")
    out = dict(claims)
    out.setdefault("cti", os.urandom(CTI_BYTES).hex())
    out.setdefault("iat", int(time.time()))
    if templates is not None:
        xc = dict(out.get("xc", {}))
        if "biometrics" in xc:
            raise ValueError("give either templates or xc.biometrics, not both")
        if not isinstance(out["cti"], str):
            raise ValueError("cti: expected lowercase hexadecimal text")
        xc["biometrics"] = biometric.bind(_template_bytes(templates), bytes.fromhex(out["cti"]))
        out["xc"] = xc
    return out


def issue(
    claims: Mapping[str, Any],
    key: PrivateKey,
    *,
    templates: TemplateInput | None = None,
    recipients: Iterable[sealing.RecipientPublicKey] | None = None,
    padded_size: int | None = None,
    deflate: bool | None = None,
) -> str:
    """Sign the claims and return the credential text.

    ``templates`` (modality name to reference template: bytes, or ``Template(format, data)``)
    computes ``xc.biometrics``. With ``recipients`` (the public keys of the authorities whose gates
    read them), the templates are also encrypted into ``xc.templates`` (spec 8.5); ``padded_size``
    then fixes the padded plaintext length (a multiple of 64), which an issuer keeps the same for all
    its credentials so that the length tells nothing. ``deflate`` None follows the spec (compress only
    when shorter); True or False force it, for testing verifiers.
    """
    alg = algorithm_for(key)
    if not hasattr(key, "private_bytes"):
        raise TypeError("issuing needs a private key")
    completed = complete(claims, templates)
    if recipients is not None:
        if templates is None:
            raise ValueError("recipients without templates: there is nothing to encrypt")
        xc = dict(completed["xc"])
        if "templates" in xc:
            raise ValueError("give either recipients or xc.templates, not both")
        if not isinstance(completed["cti"], str):
            raise ValueError("cti: expected lowercase hexadecimal text")
        sealed = sealing.seal(templates, recipients, bytes.fromhex(completed["cti"]), padded_size)  # type: ignore[arg-type]
        xc["templates"] = sealed.hex()
        completed["xc"] = xc
    elif padded_size is not None:
        raise ValueError("padded_size without recipients: nothing is encrypted")
    payload = cbor.encode(model.to_cbor(completed))
    try:
        cbor.decode(payload)  # extensions may nest or count past the limits every verifier enforces
    except cbor.CBORError as err:
        raise ValueError(f"claims exceed the limits of spec section 10: {err.detail}") from None
    protected = cose.protected_header(alg.cose_id, kid_of(key))
    signature = alg.sign(key, cose.to_be_signed(protected, payload))
    text = textlayer.wrap(cose.build(protected, payload, signature), deflate)
    if len(text) > limits.MAX_TEXT_CHARS:
        raise ValueError(f"credential of {len(text)} characters exceeds the limit of {limits.MAX_TEXT_CHARS}")
    return text
