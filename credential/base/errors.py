"""Error codes of the verification procedure (spec section 9) and the exception that carries them."""

from __future__ import annotations

import enum


class ErrorCode(str, enum.Enum):
    """One code per failure of the verifier's ordered procedure, in the order the steps run."""

    LIMIT = "LIMIT"
    PREFIX = "PREFIX"
    VERSION = "VERSION"
    BASE45 = "BASE45"
    INFLATE = "INFLATE"
    CBOR = "CBOR"
    NOT_DETERMINISTIC = "NOT_DETERMINISTIC"
    PRESENTATION = "PRESENTATION"
    COSE = "COSE"
    ALG = "ALG"
    UNKNOWN_KID = "UNKNOWN_KID"
    TRUST_STALE = "TRUST_STALE"
    SIGNATURE = "SIGNATURE"
    CLAIMS = "CLAIMS"
    ISSUER_NOT_AUTHORIZED = "ISSUER_NOT_AUTHORIZED"
    KEY_WITHDRAWN = "KEY_WITHDRAWN"
    SIGNING_PERIOD = "SIGNING_PERIOD"
    NOT_YET_VALID = "NOT_YET_VALID"
    EXPIRED = "EXPIRED"
    PRESENTATION_REQUIRED = "PRESENTATION_REQUIRED"
    NOT_BOUND = "NOT_BOUND"
    DEVICE_SIGNATURE = "DEVICE_SIGNATURE"
    PRESENTATION_NOT_YET_VALID = "PRESENTATION_NOT_YET_VALID"
    PRESENTATION_EXPIRED = "PRESENTATION_EXPIRED"
    DESTINATION_MISMATCH = "DESTINATION_MISMATCH"
    REVOKED = "REVOKED"
    NO_STATUS = "NO_STATUS"
    STATUS_UNAVAILABLE = "STATUS_UNAVAILABLE"
    STATUS_LIST_INVALID = "STATUS_LIST_INVALID"
    STATUS_STALE = "STATUS_STALE"
    STATUS_INDEX = "STATUS_INDEX"
    SUSPENDED = "SUSPENDED"
    NOT_ENTITLED = "NOT_ENTITLED"
    BIOMETRIC_MISMATCH = "BIOMETRIC_MISMATCH"
    NOT_A_RECIPIENT = "NOT_A_RECIPIENT"
    DECRYPTION = "DECRYPTION"
    TEMPLATES_REQUIRED = "TEMPLATES_REQUIRED"
    REPLAY = "REPLAY"
    REPLAY_CACHE_FULL = "REPLAY_CACHE_FULL"
    REPLAY_CACHE_UNAVAILABLE = "REPLAY_CACHE_UNAVAILABLE"

    def __str__(self) -> str:
        return self.value


class VerificationError(Exception):
    """A credential failed a step of the procedure; ``code`` names the failure, ``detail`` says why.

    ``step`` is the number of the step of spec 9.2 that failed, where the raise site knows it and the
    code alone does not tell (a code some later step shares with an earlier one); otherwise None, and
    ``credential.steps.step_of`` finds the step from the code and what passed before.
    """

    def __init__(self, code: ErrorCode, detail: str, *, step: str | None = None) -> None:
        super().__init__(f"{code.value}: {detail}")
        self.code = code
        self.detail = detail
        self.step = step


class StoreError(RuntimeError):
    """A store of state (a gate's replay cache, an issuer's status database) failed, could not be
    reached, or did not answer in time. Nothing was accepted, and nothing was half-written; the
    operator has a store to repair, and the same call succeeds again once it is back."""


class UnavailableError(VerificationError):
    """The gate's own state could not be read or written (its replay cache failed, could not be
    reached or did not answer in time): nothing was accepted, and the credential was not judged, so
    the traveller is not to blame. The command line exits 4 for it, not 1."""


class ClaimsError(VerificationError):
    """The claims are not what the claims model allows; ``path`` names the offending field."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(ErrorCode.CLAIMS, f"{path}: {detail}")
        self.path = path
