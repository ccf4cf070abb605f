"""The issuer's procedure (spec section 9.1)."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from . import biometric, cbor, claims as model, cose, text as textlayer
from .errors import VerificationError
from .keys import PrivateKey, algorithm_for, kid_of

CTI_BYTES = 8


def complete(claims: Mapping[str, Any], templates: Mapping[str, bytes] | None = None) -> dict[str, Any]:
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
        xc["biometrics"] = biometric.bind(templates, bytes.fromhex(out["cti"]))
        out["xc"] = xc
    return out


def issue(
    claims: Mapping[str, Any],
    key: PrivateKey,
    *,
    templates: Mapping[str, bytes] | None = None,
    deflate: bool | None = None,
) -> str:
    """Sign the claims and return the credential text.

    ``templates`` (modality name to reference template) computes ``xc.biometrics``. ``deflate``
    None follows the spec (compress only when shorter); True or False force it, for testing verifiers.
    """
    alg = algorithm_for(key)
    if not hasattr(key, "private_bytes"):
        raise TypeError("issuing needs a private key")
    payload = cbor.encode(model.to_cbor(complete(claims, templates)))
    protected = cose.protected_header(alg.cose_id, kid_of(key))
    signature = alg.sign(key, cose.to_be_signed(protected, payload))
    text = textlayer.wrap(cose.build(protected, payload, signature), deflate)
    check_result(text)
    return text


def check_result(text: str) -> None:
    """Step 11 of spec 9.1: run the verifier's own steps on the text, so that no limit a verifier
    enforces (the text length, the inflated size, the CBOR limits of every decoded item) and no rule
    of the claims can refuse what this issuer emits. Only the steps that need trust are left out."""
    try:
        message = textlayer.unwrap(text).message
        model.from_cbor(cbor.decode(cose.parse(message).payload))
    except VerificationError as err:
        raise ValueError(f"a verifier would refuse this credential ({err.code.value}: {err.detail}); an issuer emits only what passes the limits of spec section 10 and the rules of section 3") from None
