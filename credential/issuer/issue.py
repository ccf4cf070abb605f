"""The issuer's procedure (spec section 9.1)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from typing import Any, Union

from ..base.errors import VerificationError
from ..claims import biometric, model
from ..claims import templates as sealing
from ..cose import sign1 as cose
from ..cose.keys import SigningKey, signer_for
from ..text import cbor
from ..text import wrap as textlayer
from . import eligibility
from .input import normalize

CTI_BYTES = 8
TemplateInput = Mapping[str, Union[bytes, sealing.Template]]


def _template_bytes(templates: TemplateInput) -> dict[str, bytes]:
    if not isinstance(templates, Mapping):
        raise TypeError(f"templates is a mapping of modality name to template bytes or Template, not {type(templates).__name__}")
    return {m: t.data if isinstance(t, sealing.Template) else t for m, t in templates.items()}


def complete_claims(claims: Mapping[str, Any], templates: TemplateInput | None = None) -> dict[str, Any]:
    """The claims exactly as ``issue`` will sign them, in the JSON view (spec 9.1 steps 1 to 4).

    Values given in another accepted form are put in the view's form (``issuer_input``); then what an
    issuer may leave out is filled in: a random ``cti``, ``iat`` now, and ``xc.biometrics`` bound to
    ``templates``. An issuer calls this to learn the ``cti`` (to record it, or revoke it later) before
    it issues, without decoding the text: ``issue(complete_claims(c, t), key)`` is ``issue(c, key,
    templates=t)`` whenever ``c`` has its ``cti`` and ``iat``. The result is not checked yet; ``issue``
    checks it.
    """
    out = normalize(claims)
    out.setdefault("cti", os.urandom(CTI_BYTES).hex())
    out.setdefault("iat", int(time.time()))
    if templates is not None:
        xc = dict(out.get("xc", {}))
        if "biometrics" in xc:
            raise ValueError("xc.biometrics: give either templates or xc.biometrics, not both")
        if not isinstance(out["cti"], str):
            raise ValueError("cti: expected lowercase hexadecimal text")
        xc["biometrics"] = biometric.bind(_template_bytes(templates), bytes.fromhex(out["cti"]))
        out["xc"] = xc
    return out


complete = complete_claims


def issue(
    claims: Mapping[str, Any],
    key: SigningKey,
    *,
    templates: TemplateInput | None = None,
    recipients: Iterable[sealing.RecipientPublicKey] | None = None,
    padded_size: int | None = None,
    deflate: bool | None = None,
    policy: eligibility.PolicyArg = eligibility.DEFAULT_POLICY,
    birth_date: Any = None,
) -> str:
    """Sign the claims and return the credential text.

    ``templates`` (modality name to reference template: bytes, or ``Template(format, data)``)
    computes ``xc.biometrics``. With ``recipients`` (the public keys of the authorities whose gates
    read them), the templates are also encrypted into ``xc.templates`` (spec 8.5); ``padded_size``
    then fixes the padded plaintext length (a multiple of 64), which an issuer keeps the same for all
    its credentials so that the length tells nothing. ``deflate`` None follows the spec (compress only
    when shorter); True or False force it, for testing verifiers.
    ``policy`` is the issuer's eligibility policy (spec 9.5): by default the first-phase table of the
    claims' issuer; a ``Policy``, another table by region, or None for no check. ``birth_date`` (a
    date, or YYYY-MM-DD, YYYY-MM or YYYY text) is the holder's, from the issuer's records, for the
    age rule; it is not put in the credential.
    """
    signer = signer_for(key, "issuing")  # a private key, or a key in a token (pkcs11.TokenKey)
    completed = complete_claims(claims, templates)
    if recipients is not None:
        completed = _with_encrypted_templates(completed, templates, recipients, padded_size)
    elif padded_size is not None:
        raise ValueError("padded_size without recipients: nothing is encrypted")
    cbor_claims = model.to_cbor(completed)
    eligibility.apply(policy, completed, birth_date)
    payload = cbor.encode(cbor_claims)
    protected = cose.protected_header(signer.algorithm.cose_id, signer.kid)
    signature = signer.sign(cose.to_be_signed(protected, payload))
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


def _with_encrypted_templates(
    completed: dict[str, Any], templates: TemplateInput | None, recipients: Iterable[sealing.RecipientPublicKey], padded_size: int | None
) -> dict[str, Any]:
    """Spec 9.1 step 4b: the templates encrypted to the recipients, bound to this credential's iss and cti."""
    if templates is None:
        raise ValueError("recipients without templates: there is nothing to encrypt")
    xc = dict(completed["xc"])
    if "templates" in xc:
        raise ValueError("xc.templates: give either recipients or xc.templates, not both")
    if not isinstance(completed["cti"], str):
        raise ValueError("cti: expected lowercase hexadecimal text")
    sealed = sealing.seal(templates, recipients, bytes.fromhex(completed["cti"]), padded_size, issuer=completed["iss"])  # type: ignore[arg-type]
    xc["templates"] = sealed.hex()
    return {**completed, "xc": xc}
