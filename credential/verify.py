"""The verifier's configuration and its ordered procedure (spec section 9.2).

A ``Verifier`` is built once per gate and checked when it is built, so that an operator's mistake is
a ``ValueError`` or ``TypeError`` before any credential is read, never an error code blamed on a
traveller. ``Verifier.verify`` runs the steps of spec 9.2 in order; each step has one error code.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from cryptography.exceptions import InvalidSignature

from . import biometric, cbor, claims as model, cose, templates as sealing, text as textlayer
from .errors import ErrorCode, VerificationError
from .keys import BY_COSE_ID, KeySet, TrustedKey, region_codes

DEFAULT_SKEW = 300  # seconds; see spec section 9.3 for why five minutes
MAX_SKEW = 86400  # a day: more than that is a broken clock, not skew (spec 9.3)
# Verification times a verifier accepts: from the epoch to the last second a claims time can hold,
# plus the largest skew, so that every comparison of spec 9.3 stays meaningful.
LATEST_TIME = model.MAX_TIME + MAX_SKEW
# Dates in the claims are civil dates of the regions, which both keep UTC+08:00 all year (no daylight
# saving): a date ends at 24:00 there, 16:00 UTC (spec 9.3).
REGION_UTC_OFFSET = 8 * 3600
Clock = Union[_dt.datetime, int, float]
_CTI = re.compile("(?:[0-9a-f]{2}){8,16}")

# The optional checks, in the order of the procedure. A result names each as checked or skipped.
OPTIONAL_CHECKS = ("revocation", "destination", "channel", "biometrics", "templates")


@dataclass(frozen=True)
class VerifiedCredential:
    """A credential that passed every step: its claims (JSON view), what vouched for them, and which
    optional checks ran (``checked``) and which the configuration left out (``skipped``)."""

    claims: dict[str, Any]
    issuer: str
    kid: bytes
    alg: str
    cti: bytes
    checked: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    # The reference templates decrypted from xc.templates (step 21a), by modality; each has matched
    # its binding digest. None when the step did not run.
    templates: dict[str, sealing.Template] | None = None


def epoch_seconds(now: Clock) -> int:
    """The verification time as whole seconds; a naive datetime is a caller mistake."""
    if isinstance(now, _dt.datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be a timezone-aware datetime")
        seconds = math.floor(now.timestamp())
    elif isinstance(now, bool) or not isinstance(now, (int, float)):
        raise TypeError("now must be a timezone-aware datetime or epoch seconds")
    elif isinstance(now, float) and not math.isfinite(now):
        raise ValueError(f"now must be a finite time, not {now}")
    else:
        seconds = math.floor(now)
    if not 0 <= seconds <= LATEST_TIME:
        raise ValueError(f"now {seconds} is outside 0..{LATEST_TIME} epoch seconds")
    return seconds


def as_text(data: str | bytes) -> str:
    if isinstance(data, bytes):
        textlayer.check_length(len(data))  # before a text copy of the whole input is made (spec section 10)
        # Latin-1 maps every byte to one character, so non-ASCII bytes fail at PREFIX or BASE45.
        return data.decode("latin-1")
    if isinstance(data, str):
        return data
    raise TypeError(f"a credential is text (str or bytes), not {type(data).__name__}")


def _trust(keys: object) -> KeySet:
    return keys if isinstance(keys, KeySet) else KeySet(keys)  # type: ignore[arg-type]


def _revoked(values: object) -> frozenset[bytes] | None:
    """The deny-list as a set of cti bytes; each entry bytes or lowercase hex, as the claims show it."""
    if values is None:
        return None
    if isinstance(values, (str, bytes, bytearray)) or not isinstance(values, Iterable):
        raise TypeError(f"revoked is a collection of cti values (bytes or hex text), not {type(values).__name__}")
    out = set()
    for value in values:
        if isinstance(value, str):
            if not _CTI.fullmatch(value):
                raise ValueError(f"revoked: {value!r} is not a cti in lowercase hexadecimal (8 to 16 bytes)")
            value = bytes.fromhex(value)
        elif isinstance(value, (bytes, bytearray)):
            if not 8 <= len(value) <= 16:
                raise ValueError(f"revoked: a cti has 8 to 16 bytes, not {len(value)}")
            value = bytes(value)
        else:
            raise TypeError(f"revoked: a cti is bytes or hex text, not {type(value).__name__}")
        out.add(value)
    return frozenset(out)


def check_templates(templates: object) -> Mapping[str, bytes]:
    """The gate's enrolled reference templates for this traveller: a non-empty map of modality to bytes."""
    if not isinstance(templates, Mapping):
        raise TypeError(f"templates is a mapping of modality name to template bytes, not {type(templates).__name__}")
    if not templates:
        raise ValueError("templates is empty: a check of nothing would pass")
    for modality, template in templates.items():
        if modality not in model.MODALITIES.values():
            raise ValueError(f"templates: unknown modality {modality!r}; expected one of {sorted(model.MODALITIES.values())}")
        if not isinstance(template, (bytes, bytearray)) or not template:
            raise TypeError(f"templates: the {modality} template is a non-empty byte string")
    return templates


def _decryption_keys(keys: object) -> sealing.DecryptionKeys | None:
    if keys is None or isinstance(keys, sealing.DecryptionKeys):
        return keys
    return sealing.DecryptionKeys(keys)  # type: ignore[arg-type]


def _required(modalities: object, keys: sealing.DecryptionKeys | None) -> frozenset[str] | None:
    """The modalities whose templates the credential must carry for this gate (step 21a)."""
    if modalities is None:
        return None
    if isinstance(modalities, (str, bytes)) or not isinstance(modalities, Iterable):
        raise TypeError(f"require_templates is a collection of modality names such as {{'face'}}, not {type(modalities).__name__}")
    names = frozenset(modalities)
    if not names:
        raise ValueError("require_templates is empty: name the modalities this gate matches")
    unknown = sorted(str(n) for n in names if n not in model.MODALITIES.values())
    if unknown:
        raise ValueError(f"require_templates: unknown modality {', '.join(unknown)}; expected some of {sorted(model.MODALITIES.values())}")
    if keys is None:
        raise ValueError("require_templates needs decryption_keys: without them no template can be read")
    return names


@dataclass(frozen=True)
class Verifier:
    """A verifier's whole configuration (the inputs of spec 9.2 that do not change per traveller).

    ``trust``: the trusted keys (a ``KeySet`` or an iterable of ``TrustedKey``). ``destination``: this
    gate's own region code. ``channel``: this gate's clearance channel. ``skew``: the clock-skew
    allowance in seconds (9.3). ``revoked``: a deny-list of ``cti`` values (bytes or hex text).
    ``decryption_keys``: this gate's X25519 or P-256 private keys for the encrypted templates (8.5).
    ``require_templates``: modality names whose encrypted templates a credential must carry here.
    A check whose configuration is None is skipped, and the result says so.
    """

    trust: KeySet
    destination: str | None = None
    channel: str | None = None
    skew: int = DEFAULT_SKEW
    revoked: frozenset[bytes] | None = None
    decryption_keys: sealing.DecryptionKeys | None = None
    require_templates: frozenset[str] | None = None
    _optional: tuple[tuple[str, bool], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "trust", _trust(self.trust))
        if self.destination is not None:
            region_codes([self.destination], "destination")
        if self.channel is not None and self.channel not in model.CHANNELS.values():
            raise ValueError(f"channel {self.channel!r} is not one of {sorted(model.CHANNELS.values())}")
        if isinstance(self.skew, bool) or not isinstance(self.skew, int):
            raise TypeError("skew is a whole number of seconds")
        if not 0 <= self.skew <= MAX_SKEW:
            raise ValueError(f"skew {self.skew} is outside 0..{MAX_SKEW} seconds")
        object.__setattr__(self, "revoked", _revoked(self.revoked))
        object.__setattr__(self, "decryption_keys", _decryption_keys(self.decryption_keys))
        object.__setattr__(self, "require_templates", _required(self.require_templates, self.decryption_keys))
        configured = {
            "revocation": self.revoked is not None,
            "destination": self.destination is not None,
            "channel": self.channel is not None,
            "templates": self.decryption_keys is not None,
        }
        object.__setattr__(self, "_optional", tuple(configured.items()))

    def verify(self, data: str | bytes, *, now: Clock, templates: Mapping[str, bytes] | None = None) -> VerifiedCredential:
        """Run the procedure of spec 9.2; return the verified credential or raise VerificationError.

        ``templates`` are this traveller's enrolled reference templates from the gate's own records
        (not a live capture): each must be bound by the credential (step 21).
        """
        seconds = epoch_seconds(now)
        if templates is not None:
            check_templates(templates)
        text = as_text(data)

        # Steps 1 to 13: text, message, protected header, key and signature.
        message = textlayer.unwrap(text).message
        sign1 = cose.parse(message)
        alg = BY_COSE_ID.get(sign1.alg) if isinstance(sign1.alg, int) and not isinstance(sign1.alg, bool) else None
        if alg is None:
            raise VerificationError(ErrorCode.ALG, f"alg {sign1.alg!r} is not Ed25519 (-8) or ES256 (-7)")
        trusted = self.trust.get(sign1.kid)
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

        # Steps 14 and 15: the claims, read only now that the signature vouches for them.
        claims = model.from_cbor(cbor.decode(sign1.payload))
        issuer = claims["iss"]

        # Step 16: the key vouches for this issuer.
        if issuer not in trusted.issuers:
            raise VerificationError(
                ErrorCode.ISSUER_NOT_AUTHORIZED, f"key {sign1.kid.hex()} may sign for {sorted(trusted.issuers)}, not {issuer}"
            )

        # Steps 17 and 18: validity period (9.3).
        start = claims.get("nbf", claims["iat"])
        if seconds + self.skew < start:
            raise VerificationError(ErrorCode.NOT_YET_VALID, f"valid from {start}, now is {seconds} (skew {self.skew} s)")
        if seconds - self.skew >= claims["exp"]:
            raise VerificationError(ErrorCode.EXPIRED, f"expired at {claims['exp']}, now is {seconds} (skew {self.skew} s)")

        # Step 19: revocation.
        cti = bytes.fromhex(claims["cti"])
        if self.revoked is not None and cti in self.revoked:
            raise VerificationError(ErrorCode.REVOKED, f"credential {claims['cti']} is revoked")

        # Step 20: entitlement at this gate today.
        xc = claims["xc"]
        if self.destination is not None and self.destination not in xc["destinations"]:
            raise VerificationError(ErrorCode.NOT_ENTITLED, f"admits to {xc['destinations']}, not {self.destination}")
        if self.channel is not None and self.channel != xc["channel"]:
            raise VerificationError(ErrorCode.NOT_ENTITLED, f"issued for the {xc['channel']} channel, not {self.channel}")
        today = _today(seconds)
        for name in ("enrolment_expiry", "stay_limit"):
            if name in xc and xc[name] < today:
                raise VerificationError(ErrorCode.NOT_ENTITLED, f"{name} {xc[name]} has passed (today is {today} at UTC+08:00)")

        # Step 21: biometric binding of the gate's reference templates.
        if templates is not None:
            _check_binding(xc["biometrics"], templates, cti)

        # Step 21a: encrypted templates (8.5.5). Limits, then this gate's recipient entry, then
        # decryption; every decrypted template must match its binding digest before it is returned.
        decrypted = None
        if self.decryption_keys is not None:
            decrypted = self._open_templates(xc, cti)

        ran = dict(self._optional)
        ran["biometrics"] = templates is not None
        ran["templates"] = decrypted is not None
        return VerifiedCredential(
            claims,
            issuer,
            sign1.kid,
            alg.name,
            cti,
            checked=tuple(name for name in OPTIONAL_CHECKS if ran[name]),
            skipped=tuple(name for name in OPTIONAL_CHECKS if not ran[name]),
            templates=decrypted,
        )

    def _open_templates(self, xc: Mapping[str, Any], cti: bytes) -> dict[str, sealing.Template] | None:
        assert self.decryption_keys is not None
        required = self.require_templates or frozenset()
        if "templates" not in xc:
            if required:
                raise VerificationError(ErrorCode.TEMPLATES_REQUIRED, f"this gate requires {', '.join(sorted(required))} templates; the credential carries none", step="21a")
            return None
        sealed = sealing.parse(cbor.decode(bytes.fromhex(xc["templates"])))
        opened = sealing.open_sealed(sealed, self.decryption_keys, cti)
        _check_binding(xc["biometrics"], {m: t.data for m, t in opened.items()}, cti, step="21a")
        missing = sorted(required - set(opened))
        if missing:
            raise VerificationError(ErrorCode.TEMPLATES_REQUIRED, f"this gate requires {', '.join(missing)} templates; the credential carries {', '.join(sorted(opened))}", step="21a")
        return opened


def _today(seconds: int) -> str:
    """The regions' civil date (UTC+08:00) of an epoch time, as the claims view writes dates."""
    return model.date_text((seconds + REGION_UTC_OFFSET) // 86400)


def _check_binding(biometrics: Mapping[str, str], templates: Mapping[str, bytes], cti: bytes, step: str | None = None) -> None:
    failed = biometric.mismatches(biometrics, templates, cti)
    if failed:
        raise VerificationError(ErrorCode.BIOMETRIC_MISMATCH, f"templates not bound by this credential: {', '.join(failed)}", step=step)


def verify(
    data: str | bytes,
    trust: Verifier | KeySet | Iterable[TrustedKey],
    *,
    now: Clock,
    templates: Mapping[str, bytes] | None = None,
    **options: Any,
) -> VerifiedCredential:
    """Verify one credential: ``trust`` is a ready ``Verifier``, or the trusted keys with the other
    settings of ``Verifier`` as keyword ``options``."""
    if isinstance(trust, Verifier):
        if options:
            raise TypeError(f"the Verifier already holds its configuration; unexpected {', '.join(sorted(options))}")
        verifier = trust
    else:
        verifier = Verifier(trust, **options)  # type: ignore[arg-type]
    return verifier.verify(data, now=now, templates=templates)


def check_biometrics(verified: VerifiedCredential, templates: Mapping[str, bytes]) -> None:
    """Raise BIOMETRIC_MISMATCH unless every given template is one the credential binds."""
    _check_binding(verified.claims["xc"]["biometrics"], check_templates(templates), verified.cti)
