"""What the issuer accepts beyond the exact JSON view (spec 9.1), and complete_claims."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from typing import Any

import pytest

import credential
from credential.base.errors import ErrorCode
from credential.issuer import samples

KEY = credential.generate_key()
TRUST = [credential.TrustedKey(KEY.public_key(), {"HK"})]
NOW = samples.ISSUED_AT + 60
REGION_TIME = dt.timezone(dt.timedelta(hours=8))


def _claims(issued: str) -> dict[str, Any]:
    return credential.verify(issued, TRUST, now=NOW).claims


def test_destinations_are_sorted_by_the_issuer() -> None:
    claims = samples.minimal()
    # Only MO is a destination an HK credential can name (spec 3.3): the order is seen before issuing.
    claims["xc"]["destinations"] = ["MO", "AE"]
    assert credential.complete_claims(claims, samples.TEMPLATES)["xc"]["destinations"] == ["AE", "MO"]
    assert claims["xc"]["destinations"] == ["MO", "AE"], "the caller's claims are not changed"
    with pytest.raises(ValueError, match="not a region of the spec's table"):
        credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)
    claims["xc"]["destinations"] = ["MO", "MO"]
    with pytest.raises(ValueError, match="repeated item"):
        credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)


def test_times_accept_aware_datetimes_only() -> None:
    claims = samples.minimal()
    by_seconds = credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)
    claims["iat"] = dt.datetime.fromtimestamp(samples.ISSUED_AT, REGION_TIME)
    claims["exp"] = dt.datetime.fromtimestamp(samples.ISSUED_AT + samples.YEAR, dt.timezone.utc) + dt.timedelta(microseconds=999_999)
    assert credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE) == by_seconds
    claims["nbf"] = dt.datetime(2027, 1, 1, 9, tzinfo=REGION_TIME)  # 01:00 UTC
    assert credential.decode(credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)).claims["nbf"] == samples.ISSUED_AT + 3600
    claims["exp"] = dt.datetime(2028, 1, 1)
    with pytest.raises(ValueError, match="^exp: a naive datetime"):
        credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)
    claims["exp"] = dt.date(2028, 1, 1)
    with pytest.raises(TypeError, match="^exp: a date has no time of day"):
        credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)


def test_dates_accept_date_objects() -> None:
    claims = samples.full()
    claims["xc"].update(enrolment_expiry=dt.date(2031, 6, 30), birth_date=dt.date(1990, 5, 17))
    assert credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE) == credential.issue(samples.full(), KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)
    claims["xc"]["enrolment_expiry"] = dt.datetime(2031, 6, 30, tzinfo=REGION_TIME)
    with pytest.raises(TypeError, match="^xc.enrolment_expiry: give a datetime.date"):
        credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)


def test_names_are_normalized_to_nfc() -> None:
    claims = samples.full()
    claims["xc"]["given_name"] = unicodedata.normalize("NFD", "JOSÉ")
    claims["xc"]["family_name"] = unicodedata.normalize("NFD", "CONCEIÇÃO")
    assert claims["xc"]["given_name"] != "JOSÉ"
    xc = _claims(credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE))["xc"]
    assert (xc["given_name"], xc["family_name"]) == ("JOSÉ", "CONCEIÇÃO")
    claims["xc"]["given_name"] = " JOSÉ"
    with pytest.raises(ValueError, match="leading or trailing space"):
        credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)


@pytest.mark.parametrize(
    "printed,stored,issuer",
    [("A123456(3)", "A1234563", "HK"), ("AB987654(A)", "AB987654A", "HK"), ("1234567(8)", "12345678", "MO"), ("A1234563", "A1234563", "HK")],
)
def test_document_numbers_as_printed_lose_their_brackets(printed: str, stored: str, issuer: str) -> None:
    claims = samples.minimal(issuer)
    claims["xc"]["destinations"] = ["HK" if issuer == "MO" else "MO"]
    claims["xc"]["doc_number"] = printed
    trust = [credential.TrustedKey(KEY.public_key(), {issuer})]
    text = credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)
    assert credential.verify(text, trust, now=NOW).claims["xc"]["doc_number"] == stored


@pytest.mark.parametrize("bad", ["1234567(89)", "(8)", "1234567 (8)", "1234567(8", "1/234567/8", "a123456(3)"])
def test_other_punctuation_is_still_refused(bad: str) -> None:
    claims = samples.minimal()
    claims["xc"]["doc_number"] = bad
    with pytest.raises(ValueError, match="^xc.doc_number: "):
        credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)


def test_error_messages_name_the_field_once() -> None:
    claims = samples.minimal()
    del claims["exp"]
    with pytest.raises(ValueError) as caught:
        credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)
    assert str(caught.value) == "claims: missing required field exp"
    claims = samples.minimal()
    claims["xc"]["channel"] = "gate"
    with pytest.raises(ValueError) as caught:
        credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)
    assert str(caught.value) == "xc.channel: 'gate' is not one of ['counter', 'e-channel']"


def test_cli_issue_error_names_the_file_and_field_once(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from credential.cli import main as cli

    key = tmp_path / "hk.pem"
    key.write_bytes(credential.private_key_to_pem(KEY))
    claims = credential.complete_claims(samples.minimal(), samples.TEMPLATES)
    del claims["exp"]
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(claims))
    assert cli.main(["issue", str(path), "--key", str(key)]) == 2
    message = capsys.readouterr().err
    assert f"{path}: claims: missing required field exp" in message
    assert "claims: claims:" not in message and message.count("exp") == 1


def test_expiry_details_are_iso_8601() -> None:
    text = credential.issue(samples.minimal(), KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)
    with pytest.raises(credential.VerificationError) as caught:
        credential.verify(text, TRUST, now=samples.ISSUED_AT + samples.YEAR, skew=0)
    assert caught.value.code is ErrorCode.EXPIRED
    assert caught.value.detail == "expired at 2028-01-01T00:00:00Z, now is 2028-01-01T00:00:00Z (skew 0 s)"
    with pytest.raises(credential.VerificationError) as caught:
        credential.verify(text, TRUST, now=samples.ISSUED_AT - 301)
    assert caught.value.code is ErrorCode.NOT_YET_VALID
    assert caught.value.detail == "valid from 2027-01-01T00:00:00Z, now is 2026-12-31T23:54:59Z (skew 300 s)"


def test_complete_claims_gives_the_cti_before_issuing() -> None:
    given = samples.full()
    del given["cti"]
    given["xc"]["destinations"] = ["MO"]
    completed = credential.complete_claims(given, samples.TEMPLATES)
    assert "cti" not in given and len(bytes.fromhex(completed["cti"])) == 8
    assert set(completed["xc"]["biometrics"]) == set(samples.TEMPLATES)
    text = credential.issue(completed, KEY, birth_date=samples.BIRTH_DATE)
    verified = credential.verify(text, TRUST, now=NOW, templates=samples.TEMPLATES)
    assert verified.cti.hex() == completed["cti"]
    assert verified.claims == completed


def test_issue_of_completed_claims_is_issue_of_the_claims() -> None:
    for claims in (samples.minimal(), samples.full()):
        claims["iat"] = dt.datetime.fromtimestamp(samples.ISSUED_AT, dt.timezone.utc)
        claims["xc"]["enrolment_expiry"] = dt.date(2031, 6, 30)
        direct = credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)
        assert credential.issue(credential.complete_claims(claims, samples.TEMPLATES), KEY, birth_date=samples.BIRTH_DATE) == direct
        assert credential.verify(direct, TRUST, now=NOW).claims == credential.complete_claims(claims, samples.TEMPLATES)


def test_complete_claims_refuses_what_it_does_not_understand() -> None:
    with pytest.raises(TypeError):
        credential.complete_claims([("iss", "HK")])  # type: ignore[arg-type]
    claims = samples.minimal()
    claims["xc"]["biometrics"] = {"face": "00" * 16}
    with pytest.raises(ValueError, match="either templates or xc.biometrics"):
        credential.complete_claims(claims, samples.TEMPLATES)
