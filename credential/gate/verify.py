"""The verifier's configuration and its ordered procedure (spec section 9.2).

A ``Verifier`` is built once per gate and checked when it is built, so that an operator's mistake is
a ``ValueError`` or ``TypeError`` before any credential is read, never an error code blamed on a
traveller. ``Verifier.verify`` runs the steps of spec 9.2 in order; each step has one error code.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature

from ..base import regions
from ..base.errors import ErrorCode, UnavailableError, VerificationError
from ..base.times import MAX_SKEW, Clock, epoch_seconds, iso_time
from ..claims import biometric, device, enumerations, model
from ..claims import templates as sealing
from ..cose import sign1 as cose
from ..cose.keys import BY_COSE_ID, KeyLookup, KeySet, TrustedKey, region_codes
from ..lists.status_list import REVOKED, SUSPENDED, StatusList, read_token
from ..text import cbor
from ..text import wrap as textlayer
from . import presentation
from .replay import MAX_PRESENTATION_SKEW as MAX_PRESENTATION_SKEW  # the bound of presentation_skew (spec 9.6)
from .replay import Outcome, ReplayCache, ReplayCacheError
from .status_cache import StatusCache

DEFAULT_SKEW = 300  # seconds; see spec section 9.3 for why five minutes
# Dates in the claims are civil dates of the regions (spec 9.3).
REGION_UTC_OFFSET = regions.REGION_UTC_OFFSET
_CTI = re.compile("(?:[0-9a-f]{2}){8,16}")
# Presentation clock-skew allowance (spec 9.6): the holder's phone and the gate each keep their own time.
DEFAULT_PRESENTATION_SKEW = 20

# The optional checks, in the order of the procedure. A result names each as checked or skipped.
OPTIONAL_CHECKS = ("device", "revocation", "status", "destination", "channel", "biometrics", "templates", "replay")
# What a verified text was (spec 9.2 step 2): a credential itself, or a holder's presentation of one.
FORMS = ("credential", "presentation")

DEFAULT_STATUS_MAX_AGE = 86400  # seconds; see spec 17.5 for why a day
MAX_STATUS_AGE = 30 * 86400  # a month: older revocation data is not revocation data (spec 17.5)
# What a set entry of a status list means at step 19a; 0 is valid, 3 is undefined (spec 17.3).
_STATUS_CODES = {REVOKED: ErrorCode.REVOKED, SUSPENDED: ErrorCode.SUSPENDED}
status_log = logging.getLogger("credential.status")
trust_log = logging.getLogger("credential.trust")  # the logger of credential.lists.trust, by its name


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
    form: str = "credential"
    step: int | None = None  # for a presentation: its time step (spec 9.6)
    # The reference templates decrypted from xc.templates (step 21a), by modality; each has matched
    # its binding digest. None when the step did not run.
    templates: dict[str, sealing.Template] | None = None


def as_text(data: str | bytes) -> str:
    if isinstance(data, bytes):
        textlayer.check_length(len(data))  # before a text copy of the whole input is made (spec section 10)
        # Latin-1 maps every byte to one character, so non-ASCII bytes fail at PREFIX or BASE45.
        return data.decode("latin-1")
    if isinstance(data, str):
        return data
    raise TypeError(f"a credential is text (str or bytes), not {type(data).__name__}")


def _trust(keys: object) -> KeyLookup:
    """A key set or a trust store as given; an iterable of TrustedKey becomes a key set. Either must
    hold at least one key, or it would turn every traveller away."""
    from ..lists.trust import TrustStore

    if isinstance(keys, TrustStore):
        if not len(keys):
            raise ValueError("the trust store holds no keys: load a trust list into it first")
        return keys
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
        if modality not in enumerations.MODALITIES.values():
            raise ValueError(f"templates: unknown modality {modality!r}; expected one of {', '.join(sorted(enumerations.MODALITIES.values()))}")
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
    unknown = sorted(str(n) for n in names if n not in enumerations.MODALITIES.values())
    if unknown:
        raise ValueError(f"require_templates: unknown modality {', '.join(unknown)}; expected some of {', '.join(sorted(enumerations.MODALITIES.values()))}")
    if keys is None:
        raise ValueError("require_templates needs decryption_keys: without them no template can be read")
    return names


@dataclass(frozen=True)
class Verifier:
    """A verifier's whole configuration (the inputs of spec 9.2 that do not change per traveller).

    ``trust``: the trusted keys: a ``TrustStore`` of signed trust lists (spec 16), or for tests and
    simple setups a ``KeySet`` or an iterable of ``TrustedKey``. ``destination``: this
    gate's own region code. ``channel``: this gate's clearance channel. ``skew``: the clock-skew
    allowance in seconds (9.3). ``revoked``: a deny-list of ``cti`` values (bytes or hex text).
    ``status``: the gate's ``StatusCache`` of status lists (step 19a), with ``status_max_age`` (seconds
    since a list's ``iat``, default a day) and ``status_grace`` (seconds a stale list is still used,
    with a logged warning; default 0), both only with ``status``.
    ``replay``: the gate's replay cache for presentations (9.6). ``presentation_skew``: the clock-skew
    allowance for a presentation's time step, in seconds (9.6). ``require_presentation``: refuse a
    credential shown without a presentation, even one that binds no device key.
    ``decryption_keys``: this gate's X25519 or P-256 private keys for the encrypted templates (8.5).
    ``require_templates``: modality names whose encrypted templates a credential must carry here.
    A check whose configuration is None is skipped, and the result says so.
    """

    trust: KeyLookup
    destination: str | None = None
    channel: str | None = None
    skew: int = DEFAULT_SKEW
    revoked: frozenset[bytes] | None = None
    status: StatusCache | None = None
    status_max_age: int | None = None
    status_grace: int | None = None
    replay: ReplayCache | None = None
    presentation_skew: int = DEFAULT_PRESENTATION_SKEW
    require_presentation: bool = False
    decryption_keys: sealing.DecryptionKeys | None = None
    require_templates: frozenset[str] | None = None
    _optional: tuple[tuple[str, bool], ...] = field(init=False, repr=False)
    # Each held list checked once against this configuration's trust: (issuer, list) -> ((digest, trust
    # generation), result). A trust store's generation changes with every list it loads (17.4: checked
    # again whenever the token or the trusted keys change).
    _status_checked: dict[tuple[str, str], tuple[tuple[bytes, int], StatusList | VerificationError]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    # Per list, the iat and digest of the newest token this verifier has used at step 19a: a token the
    # cache file holds later that is older, or of the same moment with other content, is a rollback of
    # the file under the running verifier (spec 17.5).
    _status_high: dict[tuple[str, str], tuple[int, bytes]] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "trust", _trust(self.trust))
        if self.destination is not None:
            region_codes([self.destination], "destination")
        if self.channel is not None and self.channel not in enumerations.CHANNELS.values():
            raise ValueError(f"channel {self.channel!r} is not one of {', '.join(sorted(enumerations.CHANNELS.values()))}")
        if isinstance(self.skew, bool) or not isinstance(self.skew, int):
            raise TypeError("skew is a whole number of seconds")
        if not 0 <= self.skew <= MAX_SKEW:
            raise ValueError(f"skew {self.skew} is outside 0..{MAX_SKEW} seconds")
        object.__setattr__(self, "revoked", _revoked(self.revoked))
        if self.replay is not None and not isinstance(self.replay, ReplayCache):
            raise TypeError(f"replay is a replay cache (MemoryReplayCache, SqliteReplayCache or RedisReplayCache), not {type(self.replay).__name__}")
        if isinstance(self.presentation_skew, bool) or not isinstance(self.presentation_skew, int):
            raise TypeError("presentation_skew is a whole number of seconds")
        if not 0 <= self.presentation_skew <= MAX_PRESENTATION_SKEW:
            raise ValueError(f"presentation_skew {self.presentation_skew} is outside 0..{MAX_PRESENTATION_SKEW} seconds")
        if not isinstance(self.require_presentation, bool):
            raise TypeError("require_presentation is True or False")
        self._check_status_configuration()
        object.__setattr__(self, "decryption_keys", _decryption_keys(self.decryption_keys))
        object.__setattr__(self, "require_templates", _required(self.require_templates, self.decryption_keys))
        configured = {
            "revocation": self.revoked is not None,
            "status": self.status is not None,
            "destination": self.destination is not None,
            "channel": self.channel is not None,
            "templates": self.decryption_keys is not None,
        }
        object.__setattr__(self, "_optional", tuple(configured.items()))

    def _check_status_configuration(self) -> None:
        if self.status is None:
            for name in ("status_max_age", "status_grace"):
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} is given without status lists (status): it would configure nothing")
            return
        if not isinstance(self.status, StatusCache):
            raise TypeError(f"status is a StatusCache of the gate's status lists, not {type(self.status).__name__}")
        defaults = {"status_max_age": (DEFAULT_STATUS_MAX_AGE, 1), "status_grace": (0, 0)}
        for name, (default, low) in defaults.items():
            value = getattr(self, name)
            if value is None:
                object.__setattr__(self, name, default)
            elif isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} is a whole number of seconds")
            elif not low <= value <= MAX_STATUS_AGE:
                raise ValueError(f"{name} {value} is outside {low}..{MAX_STATUS_AGE} seconds")

    def verify(self, data: str | bytes, *, now: Clock, templates: Mapping[str, bytes] | None = None) -> VerifiedCredential:
        """Run the procedure of spec 9.2; return the verified credential or raise VerificationError.

        ``templates`` are this traveller's enrolled reference templates from the gate's own records
        (not a live capture): each must be bound by the credential (step 21).
        """
        seconds = epoch_seconds(now)
        if templates is not None:
            check_templates(templates)
        text = as_text(data)

        # Steps 1 to 5: text and message. For a presentation (XP1:, XP1Z:), steps 5a to 5d read its structure,
        # and the credential message it carries is the message of the steps that follow (5e onwards).
        unwrapped = textlayer.unwrap(text)
        message = unwrapped.message
        shown: presentation.Presentation | None = None
        if unwrapped.prefix in textlayer.PRESENTATION_PREFIXES:
            shown = presentation.parse(message)
            message = shown.credential

        # Steps 6 to 13: the credential's structure, protected header, key and signature.
        sign1 = cose.parse(message)
        alg = BY_COSE_ID.get(sign1.alg) if isinstance(sign1.alg, int) and not isinstance(sign1.alg, bool) else None
        if alg is None:
            raise VerificationError(ErrorCode.ALG, f"alg {sign1.alg!r} is not Ed25519 (-8) or ES256 (-7)")
        trusted = self.trust.get(sign1.kid)
        if trusted is None:
            raise VerificationError(ErrorCode.UNKNOWN_KID, f"no trusted key has kid {sign1.kid.hex()}")
        # Step 11a: the trust list that vouches for the key is current (spec 16.5); a key set never goes stale.
        if trusted.trusted_until is not None and seconds >= trusted.trusted_until:
            raise VerificationError(
                ErrorCode.TRUST_STALE, f"the trust list holding key {sign1.kid.hex()} is stale since {trusted.trusted_until}; now is {seconds}"
            )
        if trusted.list_due is not None and seconds >= trusted.list_due:  # within the grace: logged (16.5, 16.8)
            trust_log.warning(
                "trust list %s is %d s past its next update (due at %d); key %s used within the grace of %d s",
                trusted.listed_by, seconds - trusted.list_due, trusted.list_due, sign1.kid.hex(), trusted.trusted_until - trusted.list_due,  # type: ignore[operator]
            )
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
        decoded = cbor.decode(sign1.payload)
        claims = model.from_cbor(decoded)
        issuer = claims["iss"]

        # Step 16: the key vouches for this issuer, these destinations and this profile.
        trusted.check_authorized(issuer, claims["xc"]["destinations"], model.profile_of(claims["xc"]))
        # Step 16a: the key could have signed at iat: before a compromise, within its signing period.
        trusted.check_signed_at(claims["iat"])

        # Steps 17 and 18: validity period (9.3).
        start = claims.get("nbf", claims["iat"])
        if seconds + self.skew < start:
            raise VerificationError(ErrorCode.NOT_YET_VALID, f"valid from {iso_time(start)}, now is {iso_time(seconds)} (skew {self.skew} s)")
        if seconds - self.skew >= claims["exp"]:
            raise VerificationError(ErrorCode.EXPIRED, f"expired at {iso_time(claims['exp'])}, now is {iso_time(seconds)} (skew {self.skew} s)")

        # Step 18a: device binding (9.6). A credential that binds a device key is accepted only inside a
        # presentation signed by that key, for a time step in the window, made for this gate's region.
        self._check_device(claims, shown, seconds)

        # Step 19: revocation.
        cti = bytes.fromhex(claims["cti"])
        if self.revoked is not None and cti in self.revoked:
            raise VerificationError(ErrorCode.REVOKED, f"credential {claims['cti']} is revoked")

        # Step 19a: the status list the credential names (spec 17.5).
        if self.status is not None:
            self._check_status(claims, issuer, seconds)

        # Step 20: entitlement at this gate today.
        xc = claims["xc"]
        if self.destination is not None and self.destination not in xc["destinations"]:
            raise VerificationError(ErrorCode.NOT_ENTITLED, f"admits to {', '.join(xc['destinations'])}, not {self.destination}")
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
            decrypted = self._open_templates(xc, decoded[model.XC_CLAIM].get(model.TEMPLATES_KEY), issuer, cti)

        # Step 21b, last: the replay cache, so that only a presentation that passed everything is recorded.
        if shown is not None and self.replay is not None:
            self._check_replay(self.replay, issuer, cti, shown.step, seconds)

        ran = dict(self._optional)
        ran["biometrics"] = templates is not None
        ran["device"] = shown is not None
        ran["replay"] = shown is not None and self.replay is not None
        ran["templates"] = decrypted is not None
        return VerifiedCredential(
            claims,
            issuer,
            sign1.kid,
            alg.name,
            cti,
            checked=tuple(name for name in OPTIONAL_CHECKS if ran[name]),
            skipped=tuple(name for name in OPTIONAL_CHECKS if not ran[name]),
            form="credential" if shown is None else "presentation",
            step=None if shown is None else shown.step,
            templates=decrypted,
        )

    def _open_templates(self, xc: Mapping[str, Any], value: Any, issuer: str, cti: bytes) -> dict[str, sealing.Template] | None:
        """Step 21a on ``value``, key 24 as decoded (its shape already passed step 15)."""
        assert self.decryption_keys is not None
        required = self.require_templates or frozenset()
        if value is None:
            if required:
                raise VerificationError(ErrorCode.TEMPLATES_REQUIRED, f"this gate requires {', '.join(sorted(required))} templates; the credential carries none", step="21a")
            return None
        sealed = sealing.parse(value)
        opened = sealing.open_sealed(sealed, self.decryption_keys, cti, issuer=issuer)
        _check_binding(xc["biometrics"], {m: t.data for m, t in opened.items()}, cti, step="21a")
        missing = sorted(required - set(opened))
        if missing:
            raise VerificationError(ErrorCode.TEMPLATES_REQUIRED, f"this gate requires {', '.join(missing)} templates; the credential carries {', '.join(sorted(opened))}", step="21a")
        return opened

    def _check_device(self, claims: Mapping[str, Any], shown: presentation.Presentation | None, seconds: int) -> None:
        """Step 18a: the bare-credential rule, then the device signature, the time window, the destination."""
        if shown is None:
            if "cnf" in claims:
                raise VerificationError(ErrorCode.PRESENTATION_REQUIRED, "the credential binds a device key: only a presentation by that key is accepted")
            if self.require_presentation:
                raise VerificationError(ErrorCode.PRESENTATION_REQUIRED, "this gate accepts presentations only")
            return
        if "cnf" not in claims:
            raise VerificationError(ErrorCode.NOT_BOUND, "the presented credential binds no device key, so the presentation proves nothing")
        if len(shown.signature) != presentation.DEVICE_ALG.signature_bytes:
            raise VerificationError(ErrorCode.DEVICE_SIGNATURE, f"device signature of {len(shown.signature)} bytes, expected 64")
        try:
            presentation.DEVICE_ALG.verify(device.from_view(claims["cnf"]), shown.signature, shown.to_be_signed)
        except InvalidSignature as err:
            reason = str(err) or "does not verify with the device key the credential binds"
            raise VerificationError(ErrorCode.DEVICE_SIGNATURE, reason) from None
        start, end = presentation.window(shown.step)
        if seconds + self.presentation_skew < start:
            raise VerificationError(
                ErrorCode.PRESENTATION_NOT_YET_VALID, f"time step {shown.step} starts at {start}, now is {seconds} (skew {self.presentation_skew} s)"
            )
        if seconds - self.presentation_skew >= end:
            raise VerificationError(
                ErrorCode.PRESENTATION_EXPIRED, f"time step {shown.step} ended at {end}, now is {seconds} (skew {self.presentation_skew} s)"
            )
        if self.destination is not None and shown.destination != self.destination:
            raise VerificationError(ErrorCode.DESTINATION_MISMATCH, f"presented for {shown.destination}, this gate is in {self.destination}")

    def _check_replay(self, cache: ReplayCache, issuer: str, cti: bytes, step: int, seconds: int) -> None:
        """Step 21b: refuse a presentation this gate has accepted before; otherwise record it."""
        key = presentation.replay_key(issuer, cti, step)
        # The entry lives as long as the window of 18a could still accept this step at any gate sharing
        # the cache, whatever presentation skew that gate uses (spec 9.6).
        expires = presentation.window(step)[1] + MAX_PRESENTATION_SKEW
        try:
            outcome = cache.check_and_record(key, seconds, expires)
        except ReplayCacheError as err:  # fail closed: a replay cannot be told, so nothing is accepted
            raise UnavailableError(ErrorCode.REPLAY_CACHE_UNAVAILABLE, f"{err}; the presentation is not accepted") from None
        if outcome is Outcome.SEEN:
            raise VerificationError(ErrorCode.REPLAY, f"presentation {key} was accepted at this gate before")
        if outcome is Outcome.FULL:
            raise VerificationError(ErrorCode.REPLAY_CACHE_FULL, f"the replay cache holds {cache.capacity} live entries; cannot record {key}")
    def _held_list(self, issuer: str, list_id: str) -> tuple[bytes, StatusList]:
        """The list held under this name, checked against this configuration's trust once per token."""
        assert self.status is not None
        name = f"{issuer}/{list_id}"
        digest = self.status.digest(issuer, list_id)
        generation = getattr(self.trust, "generation", 0)  # a KeySet never changes
        memo = self._status_checked.get((issuer, list_id))
        if digest is not None and (memo is None or memo[0] != (digest, generation)):
            held = self.status.get(issuer, list_id)
            if held is not None:  # else removed since the digest was read
                result: StatusList | VerificationError
                try:
                    result = read_token(held.token, self.trust)
                except VerificationError as err:
                    result = err  # remembered too, so a bad token costs its check once, not once per traveller
                memo = self._status_checked[(issuer, list_id)] = ((held.digest, generation), result)
            digest = None if held is None else held.digest
        if digest is None or memo is None:
            raise _status_error(ErrorCode.STATUS_UNAVAILABLE, f"this gate holds no status list {name}")
        if isinstance(memo[1], VerificationError):
            raise _status_error(ErrorCode.STATUS_LIST_INVALID, f"status list {name}: {memo[1].detail}")
        return memo[0][0], memo[1]

    def _check_status(self, claims: Mapping[str, Any], issuer: str, seconds: int) -> None:
        """Step 19a after its first two checks: the held list, its freshness, the entry (spec 17.5)."""
        reference = claims["xc"].get("status")
        if reference is None:
            raise _status_error(ErrorCode.NO_STATUS, "the credential names no status list, and this gate requires one")
        list_id, index = reference["list"], reference["index"]
        digest, held = self._held_list(issuer, list_id)
        name = f"{issuer}/{list_id}"
        if held.issuer != issuer or held.list_id != list_id:
            raise _status_error(ErrorCode.STATUS_LIST_INVALID, f"the list held as {name} is {held.issuer}/{held.list_id}")
        if held.issued_at > seconds + self.skew:
            raise _status_error(
                ErrorCode.STATUS_LIST_INVALID, f"status list {name} is issued at {held.issued_at}, after now {seconds} (skew {self.skew} s)"
            )
        high = self._status_high.get((issuer, list_id))
        if high is not None and (held.issued_at, digest) != high and held.issued_at <= high[0]:
            raise _status_error(
                ErrorCode.STATUS_LIST_INVALID,
                f"status list {name} held now is issued at {held.issued_at}; this gate has used one issued at {high[0]}: the cache was rolled back",
            )
        if high is None or held.issued_at > high[0]:
            self._status_high[(issuer, list_id)] = (held.issued_at, digest)
        assert self.status_max_age is not None and self.status_grace is not None
        # How far past each freshness bound the list is (positive: stale); the grace covers both.
        late = max(seconds - held.issued_at - self.status_max_age, seconds - self.skew - held.expires + 1)
        if late > self.status_grace:
            raise _status_error(
                ErrorCode.STATUS_STALE,
                f"status list {name} issued at {held.issued_at}, expiring at {held.expires}, is too old at {seconds} "
                f"(maximum age {self.status_max_age} s, skew {self.skew} s, grace {self.status_grace} s)",
            )
        if late > 0:
            status_log.warning(
                "status list %s is stale by %d s (issued at %d, expires at %d); used within the grace of %d s",
                name, late, held.issued_at, held.expires, self.status_grace,
            )
        if index >= held.size:
            raise _status_error(ErrorCode.STATUS_INDEX, f"index {index} is outside status list {name} of {held.size} entries")
        value = held.status(index)
        if value:
            code = _STATUS_CODES.get(value)
            if code is None:
                raise _status_error(ErrorCode.STATUS_LIST_INVALID, f"status list {name} has the undefined value {value} at {index}")
            raise _status_error(code, f"credential {claims['cti']} is {code.value.lower()} in status list {name}")


def _status_error(code: ErrorCode, detail: str) -> VerificationError:
    """A failure of step 19a, named as such: REVOKED alone would point to the deny-list (step 19)."""
    return VerificationError(code, detail, step="19a")


def _today(seconds: int) -> str:
    """The regions' civil date (UTC+08:00) of an epoch time, as the claims view writes dates."""
    return model.date_text((seconds + REGION_UTC_OFFSET) // 86400)


def _check_binding(biometrics: Mapping[str, str], templates: Mapping[str, bytes], cti: bytes, step: str | None = None) -> None:
    failed = biometric.mismatches(biometrics, templates, cti)
    if failed:
        raise VerificationError(ErrorCode.BIOMETRIC_MISMATCH, f"templates not bound by this credential: {', '.join(failed)}", step=step)


def verify(
    data: str | bytes,
    trust: Verifier | KeyLookup | Iterable[TrustedKey],
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
