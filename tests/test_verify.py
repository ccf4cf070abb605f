"""The verifier's procedure (spec 9.2, 9.3): order of the steps, the clock, the caller's mistakes."""

from __future__ import annotations

import datetime as dt

import pytest

import credential
from credential import samples
from credential.errors import ErrorCode

KEY = credential.generate_key()
TEXT = credential.issue(samples.minimal(), KEY, templates=samples.TEMPLATES)
NOW = samples.ISSUED_AT + 60


def _code(text: str | bytes, **kwargs: object) -> ErrorCode:
    options = {"now": NOW, **kwargs}
    with pytest.raises(credential.VerificationError) as caught:
        credential.verify(text, [KEY.public_key()], **options)  # type: ignore[arg-type]
    return caught.value.code


def test_now_as_datetime_or_epoch() -> None:
    moment = dt.datetime.fromtimestamp(NOW, dt.timezone(dt.timedelta(hours=8)))
    assert credential.verify(TEXT, [KEY.public_key()], now=moment).issuer == "HK"
    assert credential.verify(TEXT, [KEY.public_key()], now=float(NOW) + 0.9).issuer == "HK"


def test_caller_mistakes_are_not_verification_errors() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        credential.verify(TEXT, [KEY.public_key()], now=dt.datetime(2027, 1, 1))
    with pytest.raises(TypeError):
        credential.verify(TEXT, [KEY.public_key()], now="2027-01-01")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="skew"):
        credential.verify(TEXT, [KEY.public_key()], now=NOW, skew=-1)
    with pytest.raises(TypeError, match="credential is text"):
        credential.verify(12345, [KEY.public_key()], now=NOW)  # type: ignore[arg-type]


def test_bytes_input_is_the_same_text() -> None:
    assert credential.verify(TEXT.encode("ascii"), [KEY.public_key()], now=NOW).cti == bytes.fromhex(samples.minimal()["cti"])
    assert _code(TEXT.encode("ascii").replace(b"XC1:", b"XC1\xef")) is ErrorCode.PREFIX


def test_signature_is_checked_before_the_claims_are_read() -> None:
    # Time, revocation and entitlement are judged only for a credential whose signature verifies.
    other = credential.generate_key()
    with pytest.raises(credential.VerificationError) as caught:
        credential.verify(TEXT, [other.public_key()], now=0, destination="TW")
    assert caught.value.code is ErrorCode.UNKNOWN_KID


def test_time_checks_come_before_revocation_and_entitlement() -> None:
    cti = bytes.fromhex(samples.minimal()["cti"])
    assert _code(TEXT, now=samples.ISSUED_AT + samples.YEAR + 301, revoked={cti}, destination="TW") is ErrorCode.EXPIRED
    assert _code(TEXT, revoked={cti}, destination="TW") is ErrorCode.REVOKED
    assert _code(TEXT, destination="TW", templates={"face": b"x"}) is ErrorCode.NOT_ENTITLED


def test_issuer_binding() -> None:
    trusted = credential.TrustedKey(KEY.public_key(), frozenset({"MO"}))
    with pytest.raises(credential.VerificationError) as caught:
        credential.verify(TEXT, [trusted], now=NOW)
    assert caught.value.code is ErrorCode.ISSUER_NOT_AUTHORIZED
    assert credential.verify(TEXT, [credential.TrustedKey(KEY.public_key(), frozenset({"HK", "MO"}))], now=NOW)


def test_enrolment_expiry_ends_with_its_day_in_utc() -> None:
    claims = samples.minimal()
    claims["xc"]["enrolment_expiry"] = "2027-03-31"
    text = credential.issue(claims, KEY, templates=samples.TEMPLATES)
    end = int(dt.datetime(2027, 4, 1, tzinfo=dt.timezone.utc).timestamp())
    assert credential.verify(text, [KEY.public_key()], now=end - 1)
    assert _code(text, now=end) is ErrorCode.NOT_ENTITLED


def test_biometric_binding_per_modality() -> None:
    verified = credential.verify(TEXT, [KEY.public_key()], now=NOW, templates=samples.TEMPLATES)
    credential.check_biometrics(verified, {"face": samples.TEMPLATES["face"]})
    for wrong in ({"face": b"someone else"}, {"iris": b"not enrolled"}):
        with pytest.raises(credential.VerificationError) as caught:
            credential.check_biometrics(verified, wrong)
        assert caught.value.code is ErrorCode.BIOMETRIC_MISMATCH


def test_biometric_digests_differ_between_credentials() -> None:
    a = credential.bind_biometrics(samples.TEMPLATES, bytes(8))
    b = credential.bind_biometrics(samples.TEMPLATES, bytes(7) + b"\x01")
    assert a["face"] != b["face"] and len(bytes.fromhex(a["face"])) == 16


def test_decode_trusts_nothing_but_shows_everything() -> None:
    layers = credential.decode(TEXT)
    assert layers.prefix == "XC1:" and layers.deflated is None
    assert layers.to_be_signed.startswith(bytes.fromhex("846a5369676e617475726531"))  # ["Signature1", ...
    assert layers.claims is not None and layers.claims_error is None


def test_issue_forces_or_skips_deflate_on_request() -> None:
    forced = credential.issue(samples.minimal(), KEY, templates=samples.TEMPLATES, deflate=True)
    assert forced.startswith("XC1Z:") and credential.decode(forced).deflated is not None
    assert credential.verify(forced, [KEY.public_key()], now=NOW).claims == credential.verify(TEXT, [KEY.public_key()], now=NOW).claims


def test_issue_rejects_bad_input_as_caller_mistakes() -> None:
    with pytest.raises(TypeError):
        credential.issue(samples.minimal(), KEY.public_key(), templates=samples.TEMPLATES)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="either templates or xc.biometrics"):
        claims = samples.minimal()
        claims["xc"]["biometrics"] = {"face": "00" * 16}
        credential.issue(claims, KEY, templates=samples.TEMPLATES)
    with pytest.raises(ValueError, match="missing required field biometrics"):
        credential.issue(samples.minimal(), KEY)


def test_channel_of_the_gate() -> None:
    assert credential.verify(TEXT, [KEY.public_key()], now=NOW, channel="e-channel")
    assert _code(TEXT, channel="counter") is ErrorCode.NOT_ENTITLED


def test_empty_templates_are_a_caller_mistake() -> None:
    with pytest.raises(ValueError, match="empty"):
        credential.verify(TEXT, [KEY.public_key()], now=NOW, templates={})


def test_issuer_refuses_claims_beyond_the_verifier_limits() -> None:
    claims = samples.minimal()
    # Seven arrays deep is fine alone, but under the claims map and the XC map it is nine levels.
    claims["xc"]["extensions"] = {"24": "81" * 7 + "01"}
    with pytest.raises(ValueError, match="limits"):
        credential.issue(claims, KEY, templates=samples.TEMPLATES)
