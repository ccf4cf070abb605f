"""The issuer's eligibility policy (spec 9.5): each rule of each table, and how issue applies it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import credential
from credential.issuer import eligibility, samples

KEY = credential.generate_key()
TRUST = [credential.TrustedKey(KEY.public_key(), {"HK", "MO"})]
START = dt.date(2027, 1, 1)  # samples.ISSUED_AT at UTC+08:00 (08:00 local)


def _born_years_before(years: int, day: dt.date = START) -> str:
    return day.replace(year=day.year - years).isoformat()


def _hk(**xc: Any) -> dict[str, Any]:
    claims = credential.complete_claims(samples.minimal("HK"), samples.TEMPLATES)
    claims["xc"].update(xc)
    return claims


def _issue(claims: dict[str, Any], **options: Any) -> str:
    return credential.issue(claims, KEY, **options)


def _refused(claims: dict[str, Any], **options: Any) -> credential.IneligibleError:
    with pytest.raises(credential.IneligibleError) as caught:
        _issue(claims, **options)
    return caught.value


def test_the_sample_holder_is_eligible_in_both_regions() -> None:
    assert _issue(_hk(), birth_date=samples.BIRTH_DATE).startswith("XC1")
    mo = samples.minimal("MO")
    mo["xc"]["destinations"] = ["HK"]
    assert _issue(mo, templates=samples.TEMPLATES).startswith("XC1")  # MO's first phase has no age rule


@pytest.mark.parametrize("birth,eligible", [
    (_born_years_before(11), True),  # the 11th birthday is the first day of validity
    ((START.replace(year=START.year - 11) + dt.timedelta(days=1)).isoformat(), False),  # one day short
    (_born_years_before(8), False),  # the 8-year-old of the issue
    (_born_years_before(40), True),
    ("2016", False),  # only the year: taken as 31 December 2016, aged 10 on 1 January 2027
    ("2015", True),  # 31 December 2015: 11 on 1 January 2027
    ("2015-12", True),
    ("2016-01", False),
])
def test_hk_age_rule(birth: str, eligible: bool) -> None:
    if eligible:
        assert _issue(_hk(), birth_date=birth)
    else:
        assert _refused(_hk(), birth_date=birth).rule == "age"


def test_age_is_judged_on_the_first_day_of_validity_in_the_regions() -> None:
    claims = _hk()
    # Born 2016-01-02: 11 on 2027-01-02 local. nbf at 2027-01-01T16:00Z is 2027-01-02T00:00+08:00.
    claims["nbf"] = samples.ISSUED_AT + 16 * 3600
    assert _issue(claims, birth_date="2016-01-02")
    claims["nbf"] = samples.ISSUED_AT + 16 * 3600 - 1
    assert _refused(claims, birth_date="2016-01-02").rule == "age"


def test_birthday_on_29_february() -> None:
    assert eligibility.age_on(dt.date(2016, 2, 29), dt.date(2027, 2, 28)) == 10
    assert eligibility.age_on(dt.date(2016, 2, 29), dt.date(2027, 3, 1)) == 11
    assert eligibility.age_on(dt.date(2016, 2, 29), dt.date(2028, 2, 29)) == 12


def test_age_rule_needs_a_birth_date_and_never_writes_it() -> None:
    refused = _refused(_hk())
    assert refused.rule == "age" and "birth date is not known" in str(refused)
    text = _issue(_hk(), birth_date=dt.date(1990, 5, 17))
    assert "birth_date" not in credential.decode(text).claims["xc"], "the minimal profile stays minimal"
    full = credential.complete_claims(samples.full(), samples.TEMPLATES)
    assert _issue(full)  # xc.birth_date of the full profile serves
    with pytest.raises(ValueError, match="differs from xc.birth_date"):
        _issue(full, birth_date="1991-05-17")
    with pytest.raises(ValueError, match="is not a date"):
        _issue(_hk(), birth_date="17/05/1990")
    with pytest.raises(TypeError):
        _issue(_hk(), birth_date=19900517)


def test_hk_document_rule() -> None:
    assert _refused(_hk(doc_type="passport"), birth_date=samples.BIRTH_DATE).rule == "document"


@pytest.mark.parametrize("symbols,eligible", [(["*"], True), (["***"], True), (["R"], True), (["C", "R"], True), (["C"], False), (["A", "Z"], False), (None, False)])
def test_hk_card_rule_for_non_permanent_cards(symbols: list[str] | None, eligible: bool) -> None:
    claims = _hk(residency="non-permanent")
    if symbols is not None:
        claims["xc"]["symbols"] = symbols
    if eligible:
        assert _issue(claims, birth_date=samples.BIRTH_DATE)
    else:
        assert _refused(claims, birth_date=samples.BIRTH_DATE).rule == "status"


def test_a_destination_outside_the_region_table_is_refused_before_the_policy() -> None:
    # Without MO among them, HK's destinations could only name regions outside the table (spec 3.3).
    with pytest.raises(ValueError, match="not a region of the spec's table"):
        _issue(_hk(destinations=["AE"]), birth_date=samples.BIRTH_DATE)


@pytest.mark.parametrize("change", [
    {"channel": "counter"},
    {"enrolment_expiry": "2026-12-31"},  # expired the day before the first day of validity
])
def test_hk_clearance_rule(change: dict[str, Any]) -> None:
    assert _refused(_hk(**change), birth_date=samples.BIRTH_DATE).rule == "clearance"
    assert _issue(_hk(enrolment_expiry="2027-01-01"), birth_date=samples.BIRTH_DATE)  # valid through that day


def test_mo_first_phase_is_permanent_residents() -> None:
    mo = credential.complete_claims(samples.minimal("MO"), samples.TEMPLATES)
    mo["xc"].update(destinations=["HK"], residency="non-permanent")
    assert _refused(mo).rule == "status"
    assert _issue(mo, policy=credential.NON_PERMANENT_PHASE)


def test_non_permanent_phase_tables() -> None:
    claims = _hk(residency="non-permanent", symbols=["C"], stay_limit="2027-12-31")
    assert _issue(claims, birth_date=samples.BIRTH_DATE, policy=credential.NON_PERMANENT_PHASE)
    assert _refused(claims, birth_date=_born_years_before(10), policy=credential.NON_PERMANENT_PHASE).rule == "age"
    assert _refused(_hk(channel="counter"), birth_date=samples.BIRTH_DATE, policy=credential.NON_PERMANENT_PHASE).rule == "clearance"
    assert set(credential.PHASES) == {"first", "non-permanent"}
    for table in credential.PHASES.values():
        assert sorted(table) == sorted(credential.base.regions.REGIONS)


def test_policy_is_the_callers_choice() -> None:
    young = _born_years_before(8)
    assert _issue(_hk(), birth_date=young, policy=None), "explicitly no policy"
    own = credential.Policy("HK pilot", "HK", (credential.Rule("age", "aged 18 or over", eligibility.minimum_age(18)),))
    assert _refused(_hk(), birth_date=_born_years_before(17), policy=own).policy == "HK pilot"
    assert _issue(_hk(channel="counter"), birth_date=_born_years_before(18), policy=own)
    with pytest.raises(ValueError, match="the policy is HK's"):
        mo = samples.minimal("MO")
        mo["xc"]["destinations"] = ["HK"]
        _issue(mo, templates=samples.TEMPLATES, policy=own)
    with pytest.raises(TypeError):
        _issue(_hk(), birth_date=samples.BIRTH_DATE, policy="first")
    with pytest.raises(ValueError, match="no policy for issuer 'AE'"):
        other = _hk(destinations=["MO"])
        other["iss"] = "AE"
        _issue(other)


def test_verifiers_do_not_check_eligibility() -> None:
    text = _issue(_hk(), birth_date=_born_years_before(8), policy=None)
    assert credential.verify(text, TRUST, now=samples.ISSUED_AT + 60, destination="MO").issuer == "HK"


def test_refusal_names_policy_rule_and_requirement() -> None:
    message = str(_refused(_hk(), birth_date=_born_years_before(8)))
    assert message == "eligibility (HK first phase): age: aged 11 or over on the first day of validity; aged 8 on 2027-01-01"
    assert isinstance(_refused(_hk(), birth_date=_born_years_before(8)), ValueError)


def test_cli_applies_the_policy_unless_told_otherwise(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from credential.cli import main as cli

    key = tmp_path / "hk.pem"
    key.write_bytes(credential.private_key_to_pem(KEY))
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps(_hk()))
    base = ["issue", str(claims), "--key", str(key), "--out", str(tmp_path / "cred.txt")]
    assert cli.main(base) == 2
    assert "eligibility (HK first phase): age:" in capsys.readouterr().err
    assert cli.main([*base, "--birth-date", _born_years_before(8)]) == 2
    assert "aged 8 on 2027-01-01" in capsys.readouterr().err
    assert cli.main([*base, "--birth-date", samples.BIRTH_DATE]) == 0
    assert cli.main([*base, "--birth-date", _born_years_before(8), "--policy", "none"]) == 0
    claims.write_text(json.dumps(_hk(residency="non-permanent", symbols=["C"])))
    assert cli.main([*base, "--birth-date", samples.BIRTH_DATE]) == 2
    assert "status" in capsys.readouterr().err
    assert cli.main([*base, "--birth-date", samples.BIRTH_DATE, "--policy", "non-permanent"]) == 0


def test_batch_applies_the_policy_per_line() -> None:
    import json

    from credential.issuer.batch import issue_lines

    young, adult = _born_years_before(8), samples.BIRTH_DATE
    lines = [json.dumps({"claims": _hk(), "birth_date": born}) for born in (adult, young, adult)]
    results = list(issue_lines(lines, KEY, jobs=1))
    assert [result.error is None for result in results] == [True, False, True]
    assert "aged 8" in str(results[1].error)
    assert all(result.error is None for result in issue_lines(lines, KEY, jobs=1, phase=None))
    with pytest.raises(ValueError, match="phase"):
        list(issue_lines(lines, KEY, jobs=1, phase="second"))
