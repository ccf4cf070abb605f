"""The inspector's verdict in the words of an officer at a gate: one sentence per error code.

The engineer's detail (``Report.summary``, the steps) says what the procedure computed; these say
what it means for the traveller in front of the officer and what to do. Times are the civil time of
Hong Kong and Macau (UTC+08:00, spec 3.4), where the gates are. A sentence names only what the step
that failed has established: the claims appear only once the signature vouched for them.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from ..base.errors import ErrorCode
from ..base.regions import REGION_UTC_OFFSET, REGIONS
from ..gate.verify import Verifier

E = ErrorCode
SUPERVISOR = "Call a supervisor: the gate's own data needs attention, not the traveller."

REASONS: dict[ErrorCode, str] = {
    E.LIMIT: "The code holds more data than a credential may. It is not a credential.",
    E.PREFIX: "This is not a Crossing Credential: the text does not begin with XC1: or XP1:.",
    E.VERSION: "This credential is of a version this gate does not read.",
    E.BASE45: "The code is damaged: it holds characters a credential cannot. Scan it again.",
    E.INFLATE: "The code is damaged and cannot be unpacked. Scan it again.",
    E.CBOR: "The code is damaged: its contents cannot be read. Scan it again.",
    E.NOT_DETERMINISTIC: "The credential is not encoded the one permitted way: it was altered or badly made.",
    E.PRESENTATION: "The code from the phone is malformed and cannot be read.",
    E.COSE: "The credential's signed envelope is malformed and cannot be read.",
    E.ALG: "The credential is signed with a method this gate does not accept.",
    E.UNKNOWN_KID: "The credential was signed with a key this gate does not trust.",
    E.TRUST_STALE: "This gate's list of trusted keys is out of date, so the credential cannot be checked. " + SUPERVISOR,
    E.SIGNATURE: "The issuer's signature does not match: the credential was altered or forged.",
    E.CLAIMS: "The credential's contents break the rules for credentials: it was altered or badly made.",
    E.ISSUER_NOT_AUTHORIZED: "The key that signed this credential is not allowed to issue credentials like it.",
    E.KEY_WITHDRAWN: "The key that signed this credential had been withdrawn when the credential was issued.",
    E.SIGNING_PERIOD: "The credential was signed outside the period its issuer's key may sign in.",
    E.NOT_YET_VALID: "The credential is not valid yet: it is valid from {start} (Hong Kong and Macau time).",
    E.EXPIRED: "The credential expired on {exp} (Hong Kong and Macau time).",
    E.PRESENTATION_REQUIRED: "Only a live code from the holder's phone app is accepted here, not a copy of the credential.",
    E.NOT_BOUND: "The phone showed a credential that is tied to no phone, so its code proves nothing.",
    E.DEVICE_SIGNATURE: "The phone's signature does not match the phone the credential is tied to: this may be a copy.",
    E.PRESENTATION_NOT_YET_VALID: "The phone's code is dated ahead ({step}, Hong Kong and Macau time): check the phone's clock and the gate's.",
    E.PRESENTATION_EXPIRED: "The phone's code is out of date (made for {step}, Hong Kong and Macau time): ask the traveller to show a fresh one.",
    E.DESTINATION_MISMATCH: "The phone's code was made for {shown_for}, not for this gate in {gate}: ask the traveller to show one for {gate}.",
    E.REVOKED: "The issuer has revoked this credential.",
    E.NO_STATUS: "The credential names no status list, so this gate cannot tell whether it was revoked.",
    E.STATUS_UNAVAILABLE: "This gate holds no current status list for this credential, so it cannot tell whether it was revoked. " + SUPERVISOR,
    E.STATUS_LIST_INVALID: "The status list this gate holds for this credential is not valid. " + SUPERVISOR,
    E.STATUS_STALE: "The status list this gate holds for this credential is out of date. " + SUPERVISOR,
    E.STATUS_INDEX: "The credential points outside its issuer's status list.",
    E.SUSPENDED: "The issuer has suspended this credential.",
    E.NOT_ENTITLED: "The credential does not admit the holder at this gate today: {entitlement}.",
    E.BIOMETRIC_MISMATCH: "The holder's enrolled biometric records do not match the ones the credential is bound to.",
    E.NOT_A_RECIPIENT: "The credential's encrypted biometric templates are not for this gate.",
    E.DECRYPTION: "The credential's encrypted biometric templates cannot be opened: they were altered.",
    E.TEMPLATES_REQUIRED: "The credential lacks the encrypted biometric templates this gate requires.",
    E.REPLAY: "This code from the phone was already accepted at this gate, and a code is accepted once: ask the traveller to show a fresh one.",
    E.REPLAY_CACHE_FULL: "This gate cannot record another code right now, so it cannot accept this one. " + SUPERVISOR,
    E.REPLAY_CACHE_UNAVAILABLE: "This gate cannot reach its record of used codes, so it cannot accept any code right now; "
    "the traveller's code was not judged and is not at fault. " + SUPERVISOR,
}

VALID = "The credential is genuine and in date{entitled}."
VALID_PRESENTATION = "The credential is genuine and in date{entitled}, and the phone that shows it is the one it is tied to."
NOT_VERIFIED = "Not checked: this page has no trusted keys, so nothing shown here is vouched for."
UNKNOWN = "The credential was refused ({code})."


def local_time(seconds: int) -> str:
    """Epoch seconds as the civil time of Hong Kong and Macau: "2027-03-01 at 08:00"."""
    try:
        moment = _dt.datetime.fromtimestamp(seconds + REGION_UTC_OFFSET, _dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return str(seconds)
    return f"{moment:%Y-%m-%d} at {moment:%H:%M}"


def _region(code: object) -> str:
    return REGIONS.get(str(code), str(code))


def _entitlement(claims: dict[str, Any], verifier: Verifier | None) -> str:
    """Which part of step 20 refused, in words."""
    xc = claims.get("xc") or {}
    destinations = xc.get("destinations") or []
    if verifier is not None and verifier.destination is not None and verifier.destination not in destinations:
        return f"it admits to {', '.join(_region(d) for d in destinations)} only, not {_region(verifier.destination)}"
    if verifier is not None and verifier.channel is not None and verifier.channel != xc.get("channel"):
        return f"it is for the {xc.get('channel')} channel, not this gate's {verifier.channel} channel"
    passed = [f"{label} {xc[name]}" for name, label in (("enrolment_expiry", "enrolment expired on"), ("stay_limit", "limit of stay was")) if name in xc]
    return "its " + " or ".join(passed) if passed else "its entitlement has passed"


class _Context(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "(not known)"


def sentence(
    code: str | None,
    *,
    presentation: bool,
    claims: dict[str, Any] | None,
    presented: dict[str, Any],
    verifier: Verifier | None,
) -> str:
    """The officer's sentence for a verdict: ``code`` is the error code of the failed step, or None
    for a credential that passed (with a ``verifier``) or was only decoded (without).

    ``claims`` are given only when the issuer's signature vouched for them (step 13 passed): before
    that they say nothing. ``presented`` holds the presentation payload's fields.
    """
    context = _Context()
    if claims is not None:
        context["exp"] = local_time(claims["exp"])
        context["start"] = local_time(claims.get("nbf", claims["iat"]))
        context["entitlement"] = _entitlement(claims, verifier)
        gate = verifier.destination if verifier is not None else None
        context["entitled"] = f", and admits the holder to {_region(gate)}" if gate else ""
    if "step starts" in presented:
        context["step"] = local_time(presented["step starts"])
        context["shown_for"] = _region(presented.get("destination"))
    if verifier is not None and verifier.destination is not None:
        context["gate"] = _region(verifier.destination)
    if code is None:
        if verifier is None:
            return NOT_VERIFIED
        return (VALID_PRESENTATION if presentation else VALID).format_map(context)
    try:
        template = REASONS[ErrorCode(code)]
    except (KeyError, ValueError):
        return UNKNOWN.format(code=code)
    return template.format_map(context)
