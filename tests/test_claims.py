"""The claims model (spec 3): the table in both directions, cross-field rules, extensions."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from credential.base.errors import ClaimsError
from credential.claims import model as claims
from credential.issuer import samples
from credential.issuer.issue import complete


def _full() -> dict[str, Any]:
    return complete(samples.full(), samples.TEMPLATES)


def test_json_view_round_trips_through_cbor() -> None:
    view = _full()
    assert claims.from_cbor(claims.to_cbor(view)) == view


def test_integer_keys_and_compact_types() -> None:
    value = claims.to_cbor(_full())
    assert sorted(value, key=abs) == [1, 4, 6, 7, claims.XC_CLAIM]
    xc = value[claims.XC_CLAIM]
    assert xc[1] == 1 and xc[3] == 1 and xc[6] == 1  # enums are small integers
    assert xc[15] == 7441  # 1990-05-17 as days since 1970-01-01
    assert isinstance(value[7], bytes) and len(value[7]) == 8


def _mutated(path: str, value: Any) -> dict[str, Any]:
    view = copy.deepcopy(_full())
    target = view
    *parents, last = path.split(".")
    for name in parents:
        target = target[name]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return view


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        ("iss", "hk", "does not match"),
        ("exp", -1, "outside"),
        ("exp", 2**32, "outside"),
        ("cti", "00", "1 bytes"),
        ("xc.doc_number", "A123456(3)", "does not match"),
        ("xc.residency", "visitor", "not one of"),
        ("xc.destinations", [], "0 items"),
        ("xc.destinations", ["MO", "MO"], "repeated"),
        ("xc.destinations", ["TW"], "not a region of the spec's table"),
        ("xc.destinations", ["MO", "TW"], "not a region of the spec's table"),
        ("xc.birth_date", "2027-01-02", "after the day of issue"),
        ("xc.birth_date", "2027-02", "after the day of issue"),
        ("xc.birth_date", "2028", "after the day of issue"),
        ("xc.destinations", ["HK"], "includes the issuer"),
        ("xc.enrolment_expiry", "2031-02-30", "not a calendar date"),
        ("xc.enrolment_expiry", "1899-12-31", "outside"),
        ("xc.birth_date", "1990-13", "YYYY-MM"),
        ("xc.family_name", " CHAN", "space"),
        ("xc.family_name", "CHAN\u0007", "control"),
        ("xc.family_name", "Cafe\u0301", "normalization"),
        ("xc.family_name", "X" * 65, "length"),
        ("xc.stay_limit", "2028-01-01", "non-permanent"),
        ("xc.biometrics", {}, "empty"),
        ("xc.biometrics", {"face": "00" * 15}, "15 bytes"),
        ("xc.biometrics", {"voice": "00" * 16}, "unknown field"),
        ("xc.enrolment", None, "missing required field enrolment"),
        ("nbf", samples.ISSUED_AT, "not after iat"),
        ("exp", samples.ISSUED_AT, "not after the start"),
        ("xc.extensions", {"20": "01"}, "not an extension key"),
        ("xc.extensions", {"25": "1801"}, "not deterministic"),
        ("xc.extensions", {"24": "00"}, "assigned"),
    ],
)
def test_issuer_side_rejections(path: str, value: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        claims.to_cbor(_mutated(path, value))


def test_verifier_side_errors_name_the_field() -> None:
    value = claims.to_cbor(_full())
    value[claims.XC_CLAIM][12] = b"CHAN"
    with pytest.raises(ClaimsError) as caught:
        claims.from_cbor(value)
    assert caught.value.path == "xc.family_name"


def test_unknown_keys_critical_versus_extension() -> None:
    value = claims.to_cbor(_full())
    value[claims.XC_CLAIM][23] = 1
    with pytest.raises(ClaimsError, match="unknown key 23"):
        claims.from_cbor(value)
    del value[claims.XC_CLAIM][23]
    value[claims.XC_CLAIM][25] = [1, "x"]
    value[claims.XC_CLAIM][-3] = b"\x01"
    view = claims.from_cbor(value)
    assert view["xc"]["extensions"] == {"25": "82016178", "-3": "4101"}
    assert claims.to_cbor(view) == value


def test_unknown_top_level_claim_is_rejected() -> None:
    value = claims.to_cbor(_full())
    value[2] = "subject"  # CWT sub: not an XC claim
    with pytest.raises(ClaimsError, match="unknown key 2"):
        claims.from_cbor(value)


def test_non_permanent_resident_is_expressible() -> None:
    view = complete(samples.minimal(), samples.TEMPLATES)
    view["xc"].update(residency="non-permanent", stay_limit="2028-06-30", symbols=["C"])
    assert claims.from_cbor(claims.to_cbor(view))["xc"]["stay_limit"] == "2028-06-30"


@pytest.mark.parametrize("birth", ["1990", "1990-05", "1990-05-17"])
def test_birth_dates_full_or_partial(birth: str) -> None:
    view = _mutated("xc.birth_date", birth)
    assert claims.from_cbor(claims.to_cbor(view))["xc"]["birth_date"] == birth


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        ("xc.birth_date", "\u0661\u0669\u0669\u0660", "YYYY"),
        ("xc.enrolment_expiry", "\u0662031-06-30", "YYYY-MM-DD"),
        ("xc.residency", ["permanent"], "not one of"),
        ("xc.extensions", {"024": "01"}, "not an extension key"),
        ("xc.extensions", {}, "non-empty"),
        ("xc.given_name", "TAI\u200bMAN", "format"),
        ("xc.given_name", "TAI\u00a0MAN", "separator"),
        ("xc.given_name", "TAI\ue000", "private-use"),
    ],
)
def test_more_issuer_side_rejections(path: str, value: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        claims.to_cbor(_mutated(path, value))


def test_unassigned_code_points_are_not_refused() -> None:
    # A letter assigned by a later Unicode version must not split verifiers by their Unicode data.
    view = _mutated("xc.name_zh", "\U00031350\u9673")
    assert claims.from_cbor(claims.to_cbor(view))["xc"]["name_zh"] == "\U00031350\u9673"


@pytest.mark.parametrize("noncharacter", ["\ufdd0", "\ufffe", "\U0001ffff", "\U0010ffff"])
def test_noncharacters_are_refused(noncharacter: str) -> None:
    with pytest.raises(ValueError, match="noncharacter"):
        claims.to_cbor(_mutated("xc.name_zh", "\u9673" + noncharacter))
