"""The steps of the verifier's procedure (spec section 9.2) as data: number, check, codes, sections.

This table is what tools read to say which step a credential failed and where the spec states the
rule behind it; ``Verifier.verify`` does not consult it (its hot path raises the code and nothing
else). A test compares this table with the one in spec 9.2, row by row: a step added to the spec
needs its row here, in the same place.

A code names its step on its own unless several steps share it (``LIMIT``, ``CBOR``, ``COSE``,
``ALG`` ...). Then the step is the first one with that code that is not already known to have
passed: ``step_of`` takes the steps a caller saw pass (the inspector checks the decoding steps one by
one). A raise site whose step cannot be told that way (a later step reusing an earlier step's code)
names it: ``VerificationError(code, detail, step="18a")``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from . import limits
from .errors import ErrorCode, VerificationError

E = ErrorCode


@dataclass(frozen=True)
class Step:
    """One row of the table of spec 9.2.

    ``number``: the step number as the spec writes it ("16a" for inserted steps). ``check``: what
    the step checks, in a few words. ``codes``: the error codes it may fail with. ``sections``:
    where the spec states the rule, beside 9.2 itself. ``optional``: the names of the optional
    checks (``OPTIONAL_CHECKS``) whose absent input leaves the step out; ``always``: whether part of
    the step runs whatever is configured. ``presentation``: the step runs for presentations
    (``XP1:``, ``XP1Z:``) only (spec 4.5, 9.6).
    """

    number: str
    check: str
    codes: tuple[ErrorCode, ...]
    sections: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    always: bool = True
    presentation: bool = False

    @property
    def reference(self) -> str:
        """Where a reader finds the rule: "spec 9.2 step 18 (9.3)"."""
        where = f" ({', '.join(self.sections)})" if self.sections else ""
        return f"spec 9.2 step {self.number}{where}"


STEPS: tuple[Step, ...] = (
    Step("1", f"text length at most {limits.MAX_TEXT_CHARS} characters", (E.LIMIT,), ("10",)),
    Step("2", "prefix XC1:, XC1Z:, XP1: or XP1Z:", (E.VERSION, E.PREFIX), ("7.1",)),
    Step("3", "strict Base45", (E.BASE45,), ("7.2",)),
    Step("4", "XC1Z: and XP1Z: only: one complete raw DEFLATE stream of at most 4096 bytes", (E.INFLATE, E.LIMIT), ("6", "10")),
    Step("5", "message is one deterministic CBOR item within the limits", (E.CBOR, E.LIMIT, E.NOT_DETERMINISTIC), ("5.3", "10")),
    Step("5a", "presentation: COSE_Sign1 shape, tag 18, four items, empty unprotected header", (E.PRESENTATION,), ("4.5",), presentation=True),
    Step("5b", "presentation: protected header exactly a1 01 26", (E.PRESENTATION,), ("4.5",), presentation=True),
    Step("5c", "presentation: payload is one deterministic CBOR item within the limits", (E.CBOR, E.LIMIT, E.NOT_DETERMINISTIC), ("5.3",), presentation=True),
    Step("5d", "presentation: payload is [credential message, step, destination]", (E.PRESENTATION,), ("4.5",), presentation=True),
    Step("5e", "presentation: the credential message is one deterministic CBOR item within the limits", (E.CBOR, E.LIMIT, E.NOT_DETERMINISTIC), ("5.3",), presentation=True),
    Step("6", "COSE_Sign1 shape: tag 18, four items, empty unprotected header", (E.COSE,), ("4.1", "4.4")),
    Step("7", "protected header at most 64 bytes", (E.LIMIT,), ("10",)),
    Step("8", "protected header is one deterministic CBOR item within the limits", (E.CBOR, E.LIMIT, E.NOT_DETERMINISTIC), ("5.3",)),
    Step("9", "protected header holds exactly alg and an 8-byte kid", (E.COSE,), ("4.1",)),
    Step("10", "alg is -8 (EdDSA) or -7 (ES256)", (E.ALG,), ("4.2",)),
    Step("11", "a trusted key has this kid", (E.UNKNOWN_KID,), ("4.3", "16.8")),
    Step("11a", "the trust list that holds the key is current", (E.TRUST_STALE,), ("16.8",)),
    Step("12", "alg is the algorithm of that key", (E.ALG,), ("4.2", "12.4")),
    Step("13", "signature length, low-S, and verification over the Sig_structure", (E.SIGNATURE,), ("4.1", "4.2")),
    Step("14", "payload is one deterministic CBOR item within the limits", (E.CBOR, E.LIMIT, E.NOT_DETERMINISTIC), ("5.3",)),
    Step("15", "claims satisfy section 3", (E.CLAIMS,), ("3",)),
    Step("16", "the key vouches for iss, the destinations and the profile", (E.ISSUER_NOT_AUTHORIZED,), ("12.2", "16.8")),
    Step("16a", "iat before a withdrawn key's compromise and within the key's signing period", (E.KEY_WITHDRAWN, E.SIGNING_PERIOD), ("16.2", "16.8")),
    Step("17", "now + skew >= start of validity", (E.NOT_YET_VALID,), ("9.3",)),
    Step("18", "now - skew < exp", (E.EXPIRED,), ("9.3",)),
    Step("18a", "a bound credential only inside a presentation; a presentation only around a bound credential", (E.PRESENTATION_REQUIRED, E.NOT_BOUND), ("9.6",)),
    Step("18b", "presentation: the device signature verifies with the key of cnf", (E.DEVICE_SIGNATURE,), ("4.5",), presentation=True),
    Step("18c", "presentation: now + presentation skew >= start of its time step", (E.PRESENTATION_NOT_YET_VALID,), ("9.6",), presentation=True),
    Step("18d", "presentation: now - presentation skew < end of its time step", (E.PRESENTATION_EXPIRED,), ("9.6",), presentation=True),
    Step("18e", "presentation: made for the gate's destination", (E.DESTINATION_MISMATCH,), (), ("destination",), always=False, presentation=True),
    Step("19", "cti not on the deny-list", (E.REVOKED,), (), ("revocation",), always=False),
    Step(
        "19a",
        "the status list entry the credential names is 0, in a held list that is valid and fresh",
        (E.NO_STATUS, E.STATUS_UNAVAILABLE, E.STATUS_LIST_INVALID, E.STATUS_STALE, E.STATUS_INDEX, E.REVOKED, E.SUSPENDED),
        ("17.5",),
        ("status",),
        always=False,
    ),
    Step("20", "destination, channel, enrolment expiry and limit of stay", (E.NOT_ENTITLED,), ("9.3",), ("destination", "channel")),
    Step("21", "the credential binds the gate's reference templates", (E.BIOMETRIC_MISMATCH,), ("8.2",), ("biometrics",), always=False),
    Step(
        "21a",
        "encrypted templates: present when required, within the limits, for this gate, decrypt, well-formed, bound",
        (E.TEMPLATES_REQUIRED, E.LIMIT, E.NOT_A_RECIPIENT, E.DECRYPTION, E.CLAIMS, E.BIOMETRIC_MISMATCH),
        ("8.5", "10"),
        ("templates",),
        always=False,
    ),
    Step("21b", "presentation: not accepted before at this gate, and recorded", (E.REPLAY, E.REPLAY_CACHE_FULL, E.REPLAY_CACHE_UNAVAILABLE), ("9.6",), ("replay",), always=False, presentation=True),
)

BY_NUMBER = {step.number: step for step in STEPS}


def step_of(error: VerificationError, passed: Collection[str] = (), presentation: bool = True) -> Step | None:
    """The step an error ends the procedure at: the one its raise site named, else the first step
    with its code that is not in ``passed`` (and, for a text that is not a presentation, that is not
    for presentations only). None for a code no step lists (a table out of date)."""
    if error.step is not None:
        return BY_NUMBER.get(error.step)
    for step in STEPS:
        if error.code in step.codes and step.number not in passed and (presentation or not step.presentation):
            return step
    return None
