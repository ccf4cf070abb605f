"""The inspector: every layer of a credential, and the verdict of every step of spec 9.2.

``inspect`` decodes the layers one step at a time with the same functions the verifier uses, so it
can show each layer (in CBOR diagnostic notation where it is CBOR) and say exactly where a damaged
input stops being readable. The decision itself is the verifier's: with a ``Verifier`` the inspector
runs ``Verifier.verify`` and attributes its outcome to steps through the table of
``credential.steps``; without one, the steps that need trusted keys are reported as not checked and
nothing is presented as verified (spec 12.10). It never raises on any text or bytes.

Inspecting is looking, not admitting: a presentation is checked against the gate's replay cache
but never recorded in it, so a presentation inspected can still be presented at the gate.
Steps for presentations only are reported as not applying to a bare credential, apart from the
steps that were not checked because their input was not configured. Beside the engineer's detail,
each report has a sentence for the officer at the gate (``reasons``).
"""

from __future__ import annotations

import copy
import datetime as _dt
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..base.errors import ErrorCode, VerificationError
from ..base.steps import STEPS, Step, step_of
from ..base.times import Clock, epoch_seconds
from ..claims import model
from ..cose import sign1 as cose
from ..cose.keys import BY_COSE_ID
from ..claims import device as device_key
from ..gate import presentation as presentation_layer
from ..gate.replay import Outcome, ReplayCache
from ..gate.verify import Verifier, as_text, check_templates
from ..text import base45, cbor
from ..text import wrap as textlayer
from ..text.diagnostic import diagnose
from . import reasons

PASSED = "passed"
FAILED = "failed"
NOT_CHECKED = "not checked"
NOT_REACHED = "not reached"
DOES_NOT_APPLY = "does not apply"

VALID = "valid"
INVALID = "invalid"
NOT_VERIFIED = "not verified"

_SHOWN_TEXT = 120  # characters of an over-long input that the report repeats


@dataclass
class Layer:
    """One layer from the outside in: what it holds (``fields``), its CBOR in diagnostic notation,
    and, when it could not be read, the error with the step it fails."""

    name: str
    title: str
    steps: tuple[str, ...]
    fields: dict[str, Any] = field(default_factory=dict)
    diagnostic: str | None = None
    error: dict[str, Any] | None = None


@dataclass(frozen=True)
class StepResult:
    number: str
    check: str
    codes: tuple[str, ...]
    reference: str
    verdict: str
    code: str | None = None
    detail: str | None = None


@dataclass
class Report:
    """Everything the inspector found; ``as_dict`` is its JSON form (``credential inspect --json``)."""

    verdict: str
    summary: str
    layers: list[Layer]
    steps: list[StepResult]
    claims: dict[str, Any] | None
    claims_verified: bool
    configuration: dict[str, Any] | None
    first_failure: StepResult | None = None
    reason: str = ""  # the verdict in an officer's words (``reasons``); ``summary`` is the engineer's
    form: str = "credential"  # or "presentation" (XP1:, XP1Z:)
    device: dict[str, Any] | None = None  # the device key the credential binds (``cnf``), summarized
    device_checked: bool = False  # the presentation's device signature verified with that key (step 18b)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _error(err: VerificationError, step: Step | None) -> dict[str, Any]:
    return {
        "code": err.code.value,
        "detail": err.detail,
        "step": step.number if step else None,
        "reference": step.reference if step else None,
    }


class _Peel:
    """Runs the decoding steps one at a time, recording the layers and the outcome of each step."""

    def __init__(self) -> None:
        self.layers: list[Layer] = []
        self.outcomes: dict[str, tuple[str, VerificationError | None]] = {}
        self.claims: dict[str, Any] | None = None
        self.presentation = False  # the text is a presentation (XP1:, XP1Z:): steps 5a.. apply

    @property
    def passed(self) -> set[str]:
        return {number for number, (verdict, _) in self.outcomes.items() if verdict == PASSED}

    def run(self, layer: Layer, steps: tuple[str, ...], action: Callable[[], Any]) -> tuple[bool, Any]:
        """Run ``action``, which checks ``steps``: (True, its result), or (False, None) with the
        failure recorded on ``layer`` and against its step."""
        try:
            result = action()
        except VerificationError as err:
            step = step_of(err, self.passed, self.presentation)
            layer.error = _error(err, step)
            for number in steps:
                if step is not None and number == step.number:
                    self.outcomes[number] = (FAILED, err)
                    break
                self.outcomes[number] = (PASSED, None)
            return False, None
        for number in steps:
            self.outcomes[number] = (PASSED, None)
        return True, result


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN_TEXT else text[:_SHOWN_TEXT] + f"... ({len(text)} characters)"


def _algorithm(alg: object) -> Any:
    """Step 10: the algorithm an ``alg`` value names, or ALG (as ``Verifier.verify`` decides it)."""
    found = BY_COSE_ID.get(alg) if isinstance(alg, int) and not isinstance(alg, bool) else None
    if found is None:
        raise VerificationError(ErrorCode.ALG, f"alg {alg!r} is not Ed25519 (-8) or ES256 (-7)")
    return found


def _peel(data: str | bytes) -> _Peel:
    peel = _Peel()
    given = Layer("text", "Credential text", ("1",), {"type": "bytes" if isinstance(data, bytes) else "text", "length": len(data)})
    peel.layers.append(given)

    def read_text() -> str:
        text = as_text(data)
        textlayer.check_length(len(text))
        return text

    ok, text = peel.run(given, ("1",), read_text)
    if not ok:
        return peel
    given.fields["text"] = _shown(text)

    prefix = Layer("prefix", "Prefix, Base45 and compression", ("2", "3", "4"))
    peel.layers.append(prefix)
    ok, unwrapped = peel.run(prefix, ("2", "3", "4"), lambda: textlayer.unwrap(text))
    if not ok:
        _explain_text_layers(prefix, text)
        return peel
    prefix.fields["prefix"] = unwrapped.prefix
    prefix.fields["compressed"] = unwrapped.deflated is not None
    prefix.fields["base45 characters"] = len(unwrapped.base45)
    if unwrapped.deflated is not None:
        prefix.fields["deflated bytes"] = len(unwrapped.deflated)
        prefix.fields["inflated bytes"] = len(unwrapped.message)
    if unwrapped.prefix in textlayer.PRESENTATION_PREFIXES:
        peel.presentation = True
        credential = _peel_presentation(peel, unwrapped.message)
        if credential is not None:
            _peel_message(peel, credential, decode_step="5e")
        return peel
    _peel_message(peel, unwrapped.message)
    return peel


def _peel_presentation(peel: _Peel, message: bytes) -> bytes | None:
    """Steps 5 and 5a to 5d: the presentation around the credential; its credential message, or None."""
    layer = Layer("presentation", "Presentation (device-signed COSE_Sign1)", ("5", "5a", "5b"), {"bytes": len(message), "hex": message.hex()})
    layer.diagnostic = diagnose(message).text
    peel.layers.append(layer)
    ok, outer = peel.run(layer, ("5",), lambda: cbor.decode(message))
    if not ok:
        return None
    ok, parts = peel.run(layer, ("5a", "5b"), lambda: presentation_layer.structure(outer))
    if not ok:
        return None
    payload, signature = parts
    layer.fields["device signature"] = signature.hex()
    layer.fields["to be signed by the device (Sig_structure)"] = cose.to_be_signed(presentation_layer.PROTECTED, payload).hex()
    body = Layer("presentation payload", "Presentation payload: credential, time step, destination", ("5c", "5d"), {"bytes": len(payload)})
    body.diagnostic = diagnose(payload).text
    peel.layers.append(body)
    ok, content = peel.run(body, ("5c",), lambda: cbor.decode(payload))
    if not ok:
        return None
    ok, found = peel.run(body, ("5d",), lambda: presentation_layer.fields(content))
    if not ok:
        return None
    credential, step, destination = found
    body.fields.update({"time step": step, "step starts": step * presentation_layer.STEP_SECONDS, "destination": destination})
    return credential  # type: ignore[no-any-return]


def _explain_text_layers(layer: Layer, text: str) -> None:
    """After a failure in steps 2 to 4, show as much of the text layer as could be read."""
    for prefix in (textlayer.PREFIX_DEFLATED, textlayer.PREFIX):
        if text.startswith(prefix):
            layer.fields["prefix"] = prefix
            try:
                raw = base45.decode(text[len(prefix) :])
            except base45.Base45Error:
                return
            layer.fields["base45 bytes"] = len(raw)
            layer.fields["hex"] = raw.hex()
            return


def _peel_message(peel: _Peel, message: bytes, decode_step: str = "5") -> None:
    layer = Layer("message", "COSE_Sign1 message", (decode_step, "6"), {"bytes": len(message), "hex": message.hex()})
    layer.diagnostic = diagnose(message).text
    peel.layers.append(layer)
    ok, outer = peel.run(layer, (decode_step,), lambda: cbor.decode(message))
    if not ok:
        return
    ok, parts = peel.run(layer, ("6",), lambda: cose.structure(outer))
    if not ok:
        return
    protected, payload, signature = parts

    header = Layer("protected", "Protected header", ("7", "8", "9", "10"), {"bytes": len(protected), "hex": protected.hex()})
    header.diagnostic = diagnose(protected).text
    peel.layers.append(header)
    sign = Layer("signature", "Signature", ("11", "12", "13"), {"bytes": len(signature), "hex": signature.hex()})
    sign.fields["to be signed (Sig_structure)"] = cose.to_be_signed(protected, payload).hex()
    peel.layers.append(sign)
    _peel_header(peel, header, protected)

    # The payload is shown even when the header fails: the procedure stops there, a person need not.
    body = Layer("payload", "Payload (claims as CBOR)", ("14",), {"bytes": len(payload), "hex": payload.hex()})
    body.diagnostic = diagnose(payload).text
    peel.layers.append(body)
    ok, value = peel.run(body, ("14",), lambda: cbor.decode(payload))
    if not ok:
        return
    claims = Layer("claims", "Claims (JSON view)", ("15",))
    peel.layers.append(claims)
    ok, peel.claims = peel.run(claims, ("15",), lambda: model.from_cbor(value))
    claims.fields = dict(peel.claims) if ok else _named(value)


def _peel_header(peel: _Peel, layer: Layer, protected: bytes) -> None:
    """Steps 7 to 10, one after the other."""
    ok, _ = peel.run(layer, ("7",), lambda: cose.check_protected_size(protected))
    if not ok:
        return
    ok, header = peel.run(layer, ("8",), lambda: cbor.decode(protected))
    if not ok:
        return
    ok, fields = peel.run(layer, ("9",), lambda: cose.header_fields(header))
    if not ok:
        return
    alg, kid = fields
    layer.fields["alg"] = alg if isinstance(alg, (int, str, bool)) or alg is None else repr(alg)
    layer.fields["kid"] = kid.hex()
    ok, algorithm = peel.run(layer, ("10",), lambda: _algorithm(alg))
    if ok:
        layer.fields["algorithm"] = algorithm.name


def _named(value: Any) -> dict[str, Any]:
    """Claims that broke section 3, with the JSON names of the keys this version knows."""
    if not isinstance(value, dict):
        return {"(not a map)": diagnose(cbor.encode(value)).text if _encodable(value) else repr(value)}
    out: dict[str, Any] = {}
    for key, item in value.items():
        known = model.CLAIMS.by_key.get(key)
        name = known.name if known is not None else f"(key {key!r})"
        if key == model.XC_CLAIM and isinstance(item, dict):
            out[name] = {
                (model.XC.by_key[k].name if k in model.XC.by_key else f"(key {k!r})"): _plain(v) for k, v in item.items()
            }
        else:
            out[name] = _plain(item)
    return out


def _encodable(value: Any) -> bool:
    try:
        cbor.encode(value)
    except (TypeError, ValueError):
        return False
    return True


def _plain(value: Any) -> Any:
    """A decoded CBOR value as JSON can hold it (bytes as hex), for the named view of bad claims."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (int, str, bool)) or value is None:
        return value
    return diagnose(cbor.encode(value)).text if _encodable(value) else repr(value)


def _configured(verifier: Verifier, templates: Mapping[str, bytes] | None) -> dict[str, bool]:
    configured = dict(getattr(verifier, "_optional", ()))
    configured["biometrics"] = templates is not None
    configured["replay"] = getattr(verifier, "replay", None) is not None
    return configured


_PRESENTATIONS_ONLY = "applies to presentations (XP1:, XP1Z:) only; this is a bare credential"
_NOT_RECORDED = "checked, not recorded: inspecting never records a presentation in the gate's replay cache"


def _settled(step: Step, configured: dict[str, bool], presentation: bool = True) -> tuple[str, str | None]:
    """The verdict of a step that ran without failing, given which optional inputs were configured."""
    if step.presentation and not presentation:
        return DOES_NOT_APPLY, _PRESENTATIONS_ONLY
    if step.number == "21b" and configured.get("replay"):
        return PASSED, _NOT_RECORDED
    absent = [name for name in step.optional if not configured.get(name, True)]
    if not absent:
        return PASSED, None
    note = f"not configured: {', '.join(absent)}"
    if step.always:
        return PASSED, f"{note} (the rest of the step ran)"
    return (PASSED, None) if len(absent) < len(step.optional) else (NOT_CHECKED, note)


def _configuration(verifier: Verifier, seconds: int, templates: Mapping[str, bytes] | None) -> dict[str, Any]:
    keys = []
    for key in getattr(verifier.trust, "__iter__", lambda: iter(()))():
        keys.append(
            {
                "kid": getattr(key, "kid", b"").hex(),
                "alg": getattr(getattr(key, "algorithm", None), "name", None),
                "issuers": sorted(getattr(key, "issuers", ())),
            }
        )
    return {
        "keys": keys,
        "now": seconds,
        "now_utc": _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).isoformat().replace("+00:00", "Z"),
        "skew": verifier.skew,
        "destination": verifier.destination,
        "channel": verifier.channel,
        "revoked": None if verifier.revoked is None else len(verifier.revoked),
        "templates": sorted(templates) if templates is not None else None,
        "presentation_skew": verifier.presentation_skew,
        "require_presentation": verifier.require_presentation,
        "replay": None if verifier.replay is None else type(verifier.replay).__name__,
    }


def _result(step: Step, verdict: str, detail: str | None = None, err: VerificationError | None = None) -> StepResult:
    return StepResult(
        step.number,
        step.check,
        tuple(code.value for code in step.codes),
        step.reference,
        verdict,
        err.code.value if err is not None else None,
        err.detail if err is not None else detail,
    )


def inspect(
    data: str | bytes,
    verifier: Verifier | None = None,
    *,
    now: Clock | None = None,
    templates: Mapping[str, bytes] | None = None,
) -> Report:
    """Inspect one credential. With a ``verifier`` (and ``now``, required then) every step is
    checked; without, the steps that need trusted keys are reported as not checked.

    The configuration is checked first and a mistake in it raises ``ValueError`` or ``TypeError``, as
    ``Verifier.verify`` does; after that no text or bytes make this raise.
    """
    if verifier is not None and not isinstance(verifier, Verifier):
        raise TypeError(f"verifier is a Verifier or None, not {type(verifier).__name__}")
    if verifier is None and (now is not None or templates is not None):
        raise ValueError("now and templates are used only with a verifier: give the trusted keys too")
    if verifier is not None and now is None:
        raise ValueError("a verifier needs the verification time now")
    if not isinstance(data, (str, bytes)):
        raise TypeError(f"a credential is text (str or bytes), not {type(data).__name__}")
    seconds = epoch_seconds(now) if now is not None else None
    if templates is not None:
        check_templates(templates)

    peel = _peel(data)
    if verifier is None or seconds is None:
        return _unverified(peel)
    configuration = _configuration(verifier, seconds, templates)
    try:
        _looking(verifier).verify(data, now=seconds, templates=templates)
    except VerificationError as err:
        return _explained(_refused(peel, err, configuration, _configured(verifier, templates)), peel, verifier)
    configured = _configured(verifier, templates)
    steps = [_result(step, *_settled(step, configured, peel.presentation)) for step in STEPS]
    skipped = [s.number for s in steps if s.verdict == NOT_CHECKED]
    summary = "valid: every step passed" + (f"; not checked (not configured): steps {', '.join(skipped)}" if skipped else "")
    return _explained(Report(VALID, summary, peel.layers, steps, peel.claims, True, configuration), peel, verifier)


class _LookOnly(ReplayCache):
    """The gate's replay cache, read and never written: what inspecting a presentation consults."""

    def __init__(self, cache: ReplayCache) -> None:
        self.cache, self.capacity = cache, cache.capacity

    def check_and_record(self, key: str, now: int, expires: int) -> Outcome:
        return self.cache.peek(key, now)


def _looking(verifier: Verifier) -> Verifier:
    """``verifier`` with its replay cache read only: the same configuration otherwise."""
    if verifier.replay is None:
        return verifier
    looking = copy.copy(verifier)
    object.__setattr__(looking, "replay", _LookOnly(verifier.replay))  # a frozen dataclass's copy
    return looking


def _explained(report: Report, peel: _Peel, verifier: Verifier | None) -> Report:
    """``report`` with the officer's sentence and the device key."""
    report.form = "presentation" if peel.presentation else "credential"
    cnf = (report.claims or {}).get("cnf") if report.claims is not None else None
    if cnf is not None:
        report.device = device_key.summary(cnf)
    passed = {s.number for s in report.steps if s.verdict == PASSED}
    report.device_checked = "18b" in passed
    failure = report.first_failure
    report.reason = reasons.sentence(
        failure.code if failure is not None else None,
        presentation=peel.presentation,
        claims=report.claims if "13" in passed else None,  # only what the issuer's signature vouches for
        presented=_presented(peel),
        verifier=verifier if report.verdict != NOT_VERIFIED else None,
    )
    return report


def _presented(peel: _Peel) -> dict[str, Any]:
    """What the presentation layer says (time step start, destination), for the officer's sentence."""
    for layer in peel.layers:
        if layer.name == "presentation payload":
            return layer.fields
    return {}


def _refused(peel: _Peel, err: VerificationError, configuration: dict[str, Any], configured: dict[str, bool]) -> Report:
    failed = step_of(err, peel.passed, peel.presentation)
    steps: list[StepResult] = []
    reached = True
    for step in STEPS:
        if failed is not None and step.number == failed.number:
            steps.append(_result(step, FAILED, err=err))
            reached = False
        elif step.presentation and not peel.presentation:
            steps.append(_result(step, DOES_NOT_APPLY, detail=_PRESENTATIONS_ONLY))
        elif reached and failed is not None:
            steps.append(_result(step, *_settled(step, configured, peel.presentation)))
        else:
            steps.append(_result(step, NOT_REACHED))
    first = next((s for s in steps if s.verdict == FAILED), None)
    where = f" at {failed.reference}" if failed is not None else " (a code no step of the table lists)"
    summary = f"invalid: {err.code.value}{where}: {err.detail}"
    return Report(INVALID, summary, peel.layers, steps, peel.claims, False, configuration, first)


def _unverified(peel: _Peel) -> Report:
    steps: list[StepResult] = []
    first: StepResult | None = None
    for step in STEPS:
        verdict, err = peel.outcomes.get(step.number, (NOT_CHECKED, None))
        if step.presentation and not peel.presentation and verdict != FAILED:
            steps.append(_result(step, DOES_NOT_APPLY, detail=_PRESENTATIONS_ONLY))
        elif first is not None:
            steps.append(_result(step, NOT_REACHED))
        elif verdict == FAILED:
            first = _result(step, FAILED, err=err)
            steps.append(first)
        elif verdict == PASSED:
            steps.append(_result(step, PASSED))
        else:
            steps.append(_result(step, NOT_CHECKED, detail="needs the verifier's configuration (trusted keys and time)"))
    if first is not None:
        summary = f"invalid: {first.code} at {next(s for s in STEPS if s.number == first.number).reference}: {first.detail}"
        return _explained(Report(INVALID, summary, peel.layers, steps, peel.claims, False, None, first), peel, None)
    summary = "not verified: no trusted keys were given, so the signature was not checked; nothing shown is vouched for"
    return _explained(Report(NOT_VERIFIED, summary, peel.layers, steps, peel.claims, False, None), peel, None)


__all__ = ["DOES_NOT_APPLY", "FAILED", "INVALID", "NOT_CHECKED", "NOT_REACHED", "NOT_VERIFIED", "PASSED", "VALID", "Layer", "Report", "StepResult", "inspect"]
