"""The verifier's ordered procedure (spec section 9). Each step has one error code."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Union

from cryptography.exceptions import InvalidSignature

from . import biometric, cbor, claims as model, cose, text as textlayer
from .errors import ErrorCode, VerificationError
from .keys import BY_COSE_ID, KeyLike, KeySet

DEFAULT_SKEW = 300  # seconds; see spec section 9.3 for why five minutes
Clock = Union[_dt.datetime, int, float]


@dataclass(frozen=True)
class VerifiedCredential:
    """A credential that passed every step: its claims (JSON view) and what vouched for them."""

    claims: dict[str, Any]
    issuer: str
    kid: bytes
    alg: str
    cti: bytes


def epoch_seconds(now: Clock) -> int:
    """The verification time as whole seconds; a naive datetime is a caller mistake."""
    if isinstance(now, _dt.datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be a timezone-aware datetime")
        return int(now.timestamp() // 1)
    if isinstance(now, bool) or not isinstance(now, (int, float)):
        raise TypeError("now must be a timezone-aware datetime or epoch seconds")
    return int(now // 1)


def as_text(data: str | bytes) -> str:
    if isinstance(data, bytes):
        textlayer.check_length(len(data))  # before a text copy of the whole input is made (spec section 10)
        # Latin-1 maps every byte to one character, so non-ASCII bytes fail at PREFIX or BASE45.
        return data.decode("latin-1")
    if isinstance(data, str):
        return data
    raise TypeError(f"a credential is text (str or bytes), not {type(data).__name__}")


def as_keyset(keys: KeySet | Iterable[KeyLike]) -> KeySet:
    return keys if isinstance(keys, KeySet) else KeySet(keys)


def _today(seconds: int) -> str:
    """The UTC calendar date of an epoch time, as the claims view writes dates."""
    return model.date_text(seconds // 86400)


def verify(
    data: str | bytes,
    keys: KeySet | Iterable[KeyLike],
    *,
    now: Clock,
    skew: int = DEFAULT_SKEW,
    destination: str | None = None,
    channel: str | None = None,
    revoked: Container[bytes] = (),
    templates: Mapping[str, bytes] | None = None,
) -> VerifiedCredential:
    """Run the whole procedure; return the verified credential or raise VerificationError."""
    text = as_text(data)
    keyset = as_keyset(keys)
    seconds = epoch_seconds(now)
    if isinstance(skew, bool) or not isinstance(skew, int) or skew < 0:
        raise ValueError("skew is a non-negative whole number of seconds")
    if templates is not None:
        _require_templates(templates)

    message = textlayer.unwrap(text).message
    sign1 = cose.parse(message)
    alg = BY_COSE_ID.get(sign1.alg) if isinstance(sign1.alg, int) and not isinstance(sign1.alg, bool) else None
    if alg is None:
        raise VerificationError(ErrorCode.ALG, f"alg {sign1.alg!r} is not Ed25519 (-8) or ES256 (-7)")
    trusted = keyset.get(sign1.kid)
    if trusted is None:
        raise VerificationError(ErrorCode.UNKNOWN_KID, f"no trusted key has kid {sign1.kid.hex()}")
    if trusted.algorithm is not alg:
        raise VerificationError(ErrorCode.ALG, f"alg {alg.name} does not match the {trusted.algorithm.name} key {sign1.kid.hex()}")
    if len(sign1.signature) != alg.signature_bytes:
        raise VerificationError(ErrorCode.SIGNATURE, f"{alg.name} signature of {len(sign1.signature)} bytes, expected {alg.signature_bytes}")
    try:
        alg.verify(trusted.key, sign1.signature, cose.to_be_signed(sign1.protected, sign1.payload))
    except InvalidSignature as err:
        reason = str(err) or "signature does not verify"
        raise VerificationError(ErrorCode.SIGNATURE, f"{reason} (key {sign1.kid.hex()})") from None

    claims = model.from_cbor(cbor.decode(sign1.payload))
    issuer = claims["iss"]
    if trusted.issuers and issuer not in trusted.issuers:
        raise VerificationError(
            ErrorCode.ISSUER_NOT_AUTHORIZED, f"key {sign1.kid.hex()} may sign for {sorted(trusted.issuers)}, not {issuer}"
        )
    start = claims.get("nbf", claims["iat"])
    if seconds + skew < start:
        raise VerificationError(ErrorCode.NOT_YET_VALID, f"valid from {start}, now is {seconds} (skew {skew} s)")
    if seconds - skew >= claims["exp"]:
        raise VerificationError(ErrorCode.EXPIRED, f"expired at {claims['exp']}, now is {seconds} (skew {skew} s)")
    cti = bytes.fromhex(claims["cti"])
    if cti in revoked:
        raise VerificationError(ErrorCode.REVOKED, f"credential {claims['cti']} is revoked")
    xc = claims["xc"]
    if destination is not None and destination not in xc["destinations"]:
        raise VerificationError(ErrorCode.NOT_ENTITLED, f"admits to {xc['destinations']}, not {destination}")
    if channel is not None and channel != xc["channel"]:
        raise VerificationError(ErrorCode.NOT_ENTITLED, f"issued for the {xc['channel']} channel, not {channel}")
    today = _today(seconds)
    for field in ("enrolment_expiry", "stay_limit"):
        if field in xc and xc[field] < today:
            raise VerificationError(ErrorCode.NOT_ENTITLED, f"{field} {xc[field]} has passed (today is {today} UTC)")
    verified = VerifiedCredential(claims, issuer, sign1.kid, alg.name, cti)
    if templates is not None:
        check_biometrics(verified, templates)
    return verified


def _require_templates(templates: Mapping[str, bytes]) -> None:
    if not templates:
        raise ValueError("templates is empty: a check of nothing would pass")


def check_biometrics(verified: VerifiedCredential, templates: Mapping[str, bytes]) -> None:
    """Raise BIOMETRIC_MISMATCH unless every given template is one the credential binds."""
    _require_templates(templates)
    failed = biometric.mismatches(verified.claims["xc"]["biometrics"], templates, verified.cti)
    if failed:
        raise VerificationError(ErrorCode.BIOMETRIC_MISMATCH, f"templates not bound by this credential: {', '.join(failed)}")
