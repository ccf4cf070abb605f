"""The verifier's procedure (spec 9.2, 9.3): order of the steps, the clock, the caller's mistakes."""

from __future__ import annotations

import datetime as dt

import pytest

import credential
from credential.base.errors import ErrorCode
from credential.issuer import samples

KEY = credential.generate_key()
TEXT = credential.issue(samples.minimal(), KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)
NOW = samples.ISSUED_AT + 60
TRUST = [credential.TrustedKey(KEY.public_key(), {"HK"})]


def _code(text: str | bytes, **kwargs: object) -> ErrorCode:
    options = {"now": NOW, **kwargs}
    with pytest.raises(credential.VerificationError) as caught:
        credential.verify(text, TRUST, **options)  # type: ignore[arg-type]
    return caught.value.code


def test_now_as_datetime_or_epoch() -> None:
    moment = dt.datetime.fromtimestamp(NOW, dt.timezone(dt.timedelta(hours=8)))
    assert credential.verify(TEXT, TRUST, now=moment).issuer == "HK"
    assert credential.verify(TEXT, TRUST, now=float(NOW) + 0.9).issuer == "HK"


def test_caller_mistakes_are_not_verification_errors() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        credential.verify(TEXT, TRUST, now=dt.datetime(2027, 1, 1))
    with pytest.raises(TypeError):
        credential.verify(TEXT, TRUST, now="2027-01-01")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="skew"):
        credential.verify(TEXT, TRUST, now=NOW, skew=-1)
    with pytest.raises(TypeError, match="credential is text"):
        credential.verify(12345, TRUST, now=NOW)  # type: ignore[arg-type]


def test_bytes_input_is_the_same_text() -> None:
    assert credential.verify(TEXT.encode("ascii"), TRUST, now=NOW).cti == bytes.fromhex(samples.minimal()["cti"])
    assert _code(TEXT.encode("ascii").replace(b"XC1:", b"XC1\xef")) is ErrorCode.PREFIX


def test_signature_is_checked_before_the_claims_are_read() -> None:
    # Time, revocation and entitlement are judged only for a credential whose signature verifies.
    other = credential.generate_key()
    with pytest.raises(credential.VerificationError) as caught:
        credential.verify(TEXT, [credential.TrustedKey(other.public_key(), {"HK"})], now=0, destination="MO")
    assert caught.value.code is ErrorCode.UNKNOWN_KID


def test_time_checks_come_before_revocation_and_entitlement() -> None:
    cti = bytes.fromhex(samples.minimal()["cti"])
    assert _code(TEXT, now=samples.ISSUED_AT + samples.YEAR + 301, revoked={cti}, destination="HK") is ErrorCode.EXPIRED
    assert _code(TEXT, revoked={cti}, destination="HK") is ErrorCode.REVOKED
    assert _code(TEXT, destination="HK", templates={"face": b"x"}) is ErrorCode.NOT_ENTITLED


def test_issuer_binding() -> None:
    trusted = credential.TrustedKey(KEY.public_key(), frozenset({"MO"}))
    with pytest.raises(credential.VerificationError) as caught:
        credential.verify(TEXT, [trusted], now=NOW)
    assert caught.value.code is ErrorCode.ISSUER_NOT_AUTHORIZED
    assert credential.verify(TEXT, [credential.TrustedKey(KEY.public_key(), frozenset({"HK", "MO"}))], now=NOW)


REGION_TIME = dt.timezone(dt.timedelta(hours=8))  # Hong Kong and Macau, no daylight saving


def test_dates_end_at_midnight_in_the_regions_not_utc() -> None:
    claims = samples.minimal()
    claims["xc"]["enrolment_expiry"] = "2027-03-31"
    text = credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)
    end = dt.datetime(2027, 4, 1, tzinfo=REGION_TIME)
    assert end == dt.datetime(2027, 3, 31, 16, tzinfo=dt.timezone.utc)
    assert credential.verify(text, TRUST, now=end - dt.timedelta(seconds=1))
    assert _code(text, now=end) is ErrorCode.NOT_ENTITLED
    assert _code(text, now=dt.datetime(2027, 3, 31, 23, 59, 59, tzinfo=dt.timezone.utc)) is ErrorCode.NOT_ENTITLED


def test_limit_of_stay_ends_at_local_midnight() -> None:
    claims = samples.minimal()
    claims["xc"].update(residency="non-permanent", stay_limit="2027-12-31", symbols=["C"])
    text = credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE, policy=credential.NON_PERMANENT_PHASE)
    end = dt.datetime(2028, 1, 1, tzinfo=REGION_TIME)
    assert credential.verify(text, TRUST, now=end - dt.timedelta(seconds=1))
    with pytest.raises(credential.VerificationError, match="stay_limit 2027-12-31 has passed") as caught:
        credential.verify(text, TRUST, now=end)
    assert caught.value.code is ErrorCode.NOT_ENTITLED


def test_biometric_binding_per_modality() -> None:
    verified = credential.verify(TEXT, TRUST, now=NOW, templates=samples.TEMPLATES)
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
    forced = credential.issue(samples.minimal(), KEY, templates=samples.TEMPLATES, deflate=True, birth_date=samples.BIRTH_DATE)
    assert forced.startswith("XC1Z:") and credential.decode(forced).deflated is not None
    assert credential.verify(forced, TRUST, now=NOW).claims == credential.verify(TEXT, TRUST, now=NOW).claims


def test_issue_rejects_bad_input_as_caller_mistakes() -> None:
    with pytest.raises(TypeError):
        credential.issue(samples.minimal(), KEY.public_key(), templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="either templates or xc.biometrics"):
        claims = samples.minimal()
        claims["xc"]["biometrics"] = {"face": "00" * 16}
        credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)
    with pytest.raises(ValueError, match="missing required field biometrics"):
        credential.issue(samples.minimal(), KEY, birth_date=samples.BIRTH_DATE)


def test_channel_of_the_gate() -> None:
    assert credential.verify(TEXT, TRUST, now=NOW, channel="e-channel")
    assert _code(TEXT, channel="counter") is ErrorCode.NOT_ENTITLED


def test_empty_templates_are_a_caller_mistake() -> None:
    with pytest.raises(ValueError, match="empty"):
        credential.verify(TEXT, TRUST, now=NOW, templates={})


def test_issuer_refuses_claims_beyond_the_verifier_limits() -> None:
    claims = samples.minimal()
    # Seven arrays deep is fine alone, but under the claims map and the XC map it is nine levels.
    claims["xc"]["extensions"] = {"25": "81" * 7 + "01"}
    with pytest.raises(ValueError, match="limits"):
        credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)


def test_configuration_is_checked_before_any_credential_is_read() -> None:
    # Each of these is the operator's mistake: it must never surface as an error code for a traveller.
    mistakes: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"channel": "bogus"}, ValueError, "channel"),
        ({"destination": "hk"}, ValueError, "region code"),
        ({"destination": "XX"}, ValueError, "region code"),
        ({"destination": ["MO"]}, TypeError, "strings"),
        ({"skew": -5}, ValueError, "skew"),
        ({"skew": 10**30}, ValueError, "skew"),
        ({"skew": 1.5}, TypeError, "skew"),
        ({"skew": True}, TypeError, "skew"),
        ({"revoked": b"\x01" * 8}, TypeError, "collection"),
        ({"revoked": samples.minimal()["cti"]}, TypeError, "collection"),
        ({"revoked": {"C66440EBE7E8657F"}}, ValueError, "hexadecimal"),
        ({"revoked": {b"short"}}, ValueError, "8 to 16"),
        ({"revoked": {12345}}, TypeError, "cti"),
        ({"destinations": "MO"}, TypeError, "destinations"),
    ]
    for options, error, match in mistakes:
        with pytest.raises(error, match=match):
            credential.Verifier(TRUST, **options)  # type: ignore[arg-type]
        with pytest.raises(error, match=match):
            credential.verify("not even a credential", TRUST, now=NOW, **options)


def test_caller_clock_mistakes_are_value_errors() -> None:
    for now in (float("inf"), float("nan"), -1, 10**20):
        with pytest.raises(ValueError, match="now"):
            credential.verify(TEXT, TRUST, now=now)


def test_revocation_accepts_bytes_or_hex_text() -> None:
    cti = samples.minimal()["cti"]
    assert _code(TEXT, revoked={cti}) is ErrorCode.REVOKED
    assert _code(TEXT, revoked=[bytes.fromhex(cti)]) is ErrorCode.REVOKED
    assert credential.verify(TEXT, TRUST, now=NOW, revoked={"00" * 8}).issuer == "HK"


def test_a_verifier_is_built_once_and_holds_its_configuration() -> None:
    gate = credential.Verifier(credential.KeySet(TRUST), destination="MO", channel="e-channel", revoked=())
    assert gate.verify(TEXT, now=NOW).issuer == "HK"
    with pytest.raises(TypeError, match="already holds"):
        credential.verify(TEXT, gate, now=NOW, destination="MO")


def test_result_says_which_optional_checks_ran() -> None:
    bare = credential.verify(TEXT, TRUST, now=NOW)
    assert bare.checked == () and bare.skipped == credential.OPTIONAL_CHECKS
    full = credential.verify(TEXT, TRUST, now=NOW, destination="MO", channel="e-channel", revoked=(), templates=samples.TEMPLATES)
    # A credential shown by itself has no device signature and nothing to record (tests/test_present.py);
    # TEXT names no status list, so status is not checked even at a gate with status lists (tests/test_status.py);
    # no decryption keys are configured, so step 21a does not run (tests/test_templates.py).
    not_run = ("device", "status", "templates", "replay")
    assert full.checked == tuple(c for c in credential.OPTIONAL_CHECKS if c not in not_run)
    assert full.skipped == tuple(c for c in credential.OPTIONAL_CHECKS if c in not_run) and full.form == "credential"
    some = credential.verify(TEXT, TRUST, now=NOW, destination="MO")
    assert some.checked == ("destination",) and "biometrics" in some.skipped


def test_templates_are_checked_as_configuration() -> None:
    with pytest.raises(ValueError, match="modality"):
        credential.verify(TEXT, TRUST, now=NOW, templates={"bogus": b"x"})
    with pytest.raises(TypeError, match="byte string"):
        credential.verify(TEXT, TRUST, now=NOW, templates={"face": b""})
    with pytest.raises(TypeError, match="mapping"):
        credential.verify(TEXT, TRUST, now=NOW, templates=[("face", b"x")])  # type: ignore[arg-type]


def test_error_details_never_carry_raw_header_text() -> None:
    # Header labels come from unauthenticated input: a library caller printing err.detail must not
    # pass terminal control sequences through.
    from credential.cose import sign1 as cose
    from credential.text import base45, cbor

    hostile = "\x1b[2J\x07\u202e"
    protected = cbor.encode({1: -8, 4: bytes(8), hostile: 0})
    for message in (cose.build(protected, b"\xa0", bytes(64)), cose.build(cose.protected_header(-8, bytes(8)), b"\xa0", bytes(64)).replace(b"\xa0", cbor.encode({hostile: 1}), 1)):
        with pytest.raises(credential.VerificationError) as caught:
            credential.verify("XC1:" + base45.encode(message), TRUST, now=NOW)
        assert caught.value.code is ErrorCode.COSE
        assert not any(c in caught.value.detail for c in "\x1b\x07\u202e"), caught.value.detail
