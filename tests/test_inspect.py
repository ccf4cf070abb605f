"""The inspector: every vector's outcome attributed to the right step of spec 9.2, and no input makes it raise."""

from __future__ import annotations

import re
import sys
import zlib
from typing import Any

import cbor_diag
import pytest
from cddl_verifier import cbor as strict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import credential
from credential.base import limits, steps
from credential.base.errors import ErrorCode
from credential.text import base45
from credential.text.diagnostic import diagnose
from credential.tools import conformance, reasons
from credential.tools.inspect import DOES_NOT_APPLY, FAILED, INVALID, NOT_CHECKED, NOT_REACHED, NOT_VERIFIED, PASSED, VALID, inspect

from .vectors import ROOT, Vector, vectors

VECTORS = vectors()
sys.path.insert(0, str(ROOT / "conformance"))
import adapter  # noqa: E402  # the one place that turns a case's verifier member into a Verifier

sys.path.pop(0)
# Every credential case of every vector file: (id, shared members, case). Cases without a text
# (trust.json's list cases) load a trust list rather than verify a credential.
CASES = [
    (f"{f.name}#{t['tcId']}", f.shared, t) for f in conformance.load([ROOT / "test-vectors"]) for t in f.tests if "text" in t
]
SPEC = (ROOT / "spec" / "xc-v1.md").read_text(encoding="utf-8")
SECTIONS = set(re.findall(r"^#{2,3} ([0-9]+[A-Z]?(?:\.[0-9]+)?) ", SPEC, re.MULTILINE))  # section numbers such as "9" and "17.5"


def _spec_table() -> list[tuple[str, str, set[str]]]:
    """Rows of the table of spec 9.2: (step, check text, codes)."""
    section = SPEC[SPEC.index("### 9.2 ") : SPEC.index("### 9.3 ")]
    rows = re.findall(r"^\| ([0-9]+[a-z]?) \| (.+) \| (.+) \|$", section, re.MULTILINE)
    return [(number, check, set(re.findall(r"`([A-Z][A-Z0-9_]*)`", codes))) for number, check, codes in rows]


def test_step_table_is_the_spec_table() -> None:
    spec = _spec_table()
    assert [row[0] for row in spec] == [step.number for step in steps.STEPS], "steps.STEPS must list the steps of spec 9.2 in order"
    for (number, check, codes), step in zip(spec, steps.STEPS):
        assert codes == {code.value for code in step.codes}, f"step {number}: codes"
        cited = re.findall(r"\(([0-9][0-9A-Z., ]*(?:(?:to|and) [0-9A-Z.]+)?)\)", check)  # "(4.1, 4.4)", "(3.1 to 3.4)", "(17.5)"
        for section in re.findall(r"[0-9]+[A-Z]?(?:\.[0-9]+)?", " ".join(cited)):
            assert any(section == mine or section.startswith(mine + ".") for mine in step.sections), f"step {number} cites {section}"
        for mine in step.sections:
            assert mine in SECTIONS, f"step {number}: section {mine} is not a section of the spec"


def test_every_error_code_belongs_to_a_step() -> None:
    listed = {code for step in steps.STEPS for code in step.codes}
    assert listed == set(credential.ErrorCode)


# An oracle that does not use the inspector: which step a negative vector fails, worked out from its
# text with an independent strict CBOR decoder and the rules of spec 9.2 and 10.
def _clean(data: bytes) -> bool:
    """One deterministic CBOR item of the XC subset within the limits of section 10."""
    try:
        value = strict.decode(data, require_deterministic=True)
    except Exception:
        return False
    items = 0

    def walk(item: Any, depth: int) -> bool:
        nonlocal items
        items += 1
        if isinstance(item, strict.CBORTag):
            return depth < limits.MAX_DEPTH and walk(item.value, depth + 1)
        if isinstance(item, (list, dict)):
            if depth >= limits.MAX_DEPTH or len(item) > limits.MAX_CONTAINER_LENGTH:
                return False
            if isinstance(item, dict):
                return all(type(k) in (int, str) and walk(k, depth + 1) and walk(v, depth + 1) for k, v in item.items())
            return all(walk(v, depth + 1) for v in item)
        return type(item) in (int, bytes, str, bool) or item is None

    return walk(value, 0) and items <= limits.MAX_ITEMS


def _expected_step(vector: dict[str, Any]) -> str:
    code = vector["error"]
    # Step 21a runs only at a gate with decryption keys (templates.json). There, a code it shares with
    # earlier steps (LIMIT, CLAIMS, BIOMETRIC_MISMATCH) is its own once the claims are valid (step 15).
    decrypting = bool(vector["verifier"].get("decryptionKeys"))
    owners = [step.number for step in steps.STEPS if code in {c.value for c in step.codes} and (decrypting or step.number != "21a")]
    if decrypting and "21a" in owners and len(owners) > 1:
        if credential.decode(vector["text"]).claims is not None:
            return "21a"
        owners.remove("21a")
    if len(owners) == 1:
        return owners[0]
    if code == "REVOKED":  # the deny-list (19) or a status list entry (19a)
        cti = credential.decode(vector["text"]).claims["cti"]  # type: ignore[index]
        return "19" if cti in vector["verifier"]["revoked"] else "19a"
    text: str = vector["text"]
    if code == "LIMIT" and len(text.encode("latin-1", "replace")) > limits.MAX_TEXT_CHARS:
        return "1"
    prefix = "XC1Z:" if text.startswith("XC1Z:") else "XC1:"
    raw = base45.decode(text[len(prefix) :])
    if prefix == "XC1Z:":
        inflater = zlib.decompressobj(-15)
        message = inflater.decompress(raw, limits.MAX_INFLATED_BYTES + 1)
        if code == "LIMIT" and len(message) > limits.MAX_INFLATED_BYTES:
            return "4"
    else:
        message = raw
    if not _clean(message):
        return "5"
    outer = strict.decode(message)
    body = outer.value if isinstance(outer, strict.CBORTag) and outer.tag == 18 else None
    shaped = (
        isinstance(body, list) and len(body) == 4 and type(body[0]) is bytes and body[0] != b""
        and body[1] == {} and type(body[2]) is bytes and type(body[3]) is bytes
    )
    if code == "COSE":
        return "9" if shaped else "6"
    assert shaped, vector["tcId"]
    protected, payload = body[0], body[2]  # type: ignore[index]
    if code == "LIMIT" and len(protected) > limits.MAX_PROTECTED_BYTES:
        return "7"
    if not _clean(protected):
        return "8"
    if code == "ALG":
        alg = strict.decode(protected).get(1)
        return "12" if type(alg) is int and alg in (-8, -7) else "10"
    assert not _clean(payload), vector["tcId"]
    return "14"


def _config(shared: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    verifier, now, templates = adapter.configuration(shared, case)
    return {"verifier": verifier, "now": now, "templates": templates}


@pytest.mark.parametrize(("ident", "shared", "case"), CASES, ids=[c[0] for c in CASES])
def test_every_vector_is_explained(ident: str, shared: dict[str, Any], case: dict[str, Any]) -> None:
    report = inspect(case["text"], **_config(shared, case))
    verdicts = [s.verdict for s in report.steps]
    if case["result"] == "valid":
        assert report.verdict == VALID and report.claims == case["claims"] and report.claims_verified
        assert set(verdicts) <= {PASSED, NOT_CHECKED, DOES_NOT_APPLY}
        assert report.reason.startswith("The credential is genuine and in date")
        return
    assert report.verdict == INVALID and not report.claims_verified
    assert verdicts.count(FAILED) == 1, verdicts
    failed = verdicts.index(FAILED)
    assert set(verdicts[:failed]) <= {PASSED, NOT_CHECKED, DOES_NOT_APPLY} and set(verdicts[failed + 1 :]) <= {NOT_REACHED, DOES_NOT_APPLY}
    first = report.first_failure
    assert first is not None and first == report.steps[failed]
    assert _filled(reasons.REASONS[ErrorCode(first.code)], report.reason), report.reason
    assert "(not known)" not in report.reason
    expected = case["errors"] if case["result"] == "acceptable" else [case["error"]]
    assert first.code in expected and first.code in first.codes
    if case["result"] == "invalid":
        assert first.number == _expected_step(case), f"{ident}: {first.detail}"
    assert f"step {first.number}" in report.summary and first.reference in report.summary
    assert all(section in SECTIONS for section in steps.BY_NUMBER[first.number].sections)


def _filled(template: str, sentence: str) -> bool:
    """Whether ``sentence`` is ``template`` with its fields filled in."""
    pieces = re.split(r"\{\w+\}", template)
    pattern = ".+".join(re.escape(piece) for piece in pieces)
    return re.fullmatch(pattern, sentence) is not None


@pytest.mark.parametrize("vector", VECTORS[::7], ids=[v.id for v in VECTORS[::7]])
def test_without_configuration_nothing_is_vouched_for(vector: Vector) -> None:
    report = inspect(vector["text"])
    assert not report.claims_verified and report.configuration is None
    assert report.verdict in (NOT_VERIFIED, INVALID)
    by_number = {s.number: s.verdict for s in report.steps}
    if report.verdict == NOT_VERIFIED:
        assert by_number["13"] == NOT_CHECKED and FAILED not in by_number.values()
    else:
        assert list(by_number.values()).count(FAILED) == 1


def test_layers_of_a_valid_credential() -> None:
    vector = VECTORS[0]
    report = inspect(vector["text"], vector.verifier(), now=vector["verifier"]["now"])
    layers = {layer.name: layer for layer in report.layers}
    assert list(layers) == ["text", "prefix", "message", "protected", "signature", "payload", "claims"]
    assert all(layer.error is None for layer in report.layers)
    assert layers["message"].fields["hex"] == vector["layers"]["cose"]
    assert layers["protected"].fields["kid"] == layers["signature"].fields.get("kid", layers["protected"].fields["kid"])
    assert layers["payload"].fields["hex"] == vector["layers"]["payload"]
    assert layers["claims"].fields == vector["claims"]
    assert report.as_dict()["layers"][0]["name"] == "text"


def test_optional_checks_without_their_input_are_not_checked() -> None:
    vector = VECTORS[0]
    gate = credential.Verifier(vector.keyset())
    report = inspect(vector["text"], gate, now=vector["verifier"]["now"])
    by_number = {s.number: s for s in report.steps}
    assert report.verdict == VALID
    assert by_number["19"].verdict == NOT_CHECKED and by_number["21"].verdict == NOT_CHECKED
    assert by_number["20"].verdict == PASSED and "destination" in (by_number["20"].detail or "")


@pytest.mark.parametrize("name", ["cose", "protected", "payload"])
def test_diagnostic_notation_reads_back_to_the_same_bytes(name: str) -> None:
    """An independent reader of RFC 8949 section 8 turns the notation back into the exact bytes,
    encoding indicators and indefinite lengths included."""
    seen = 0
    for vector in VECTORS:
        hexed = (vector.raw.get("layers") or {}).get(name)
        if hexed is None:
            continue
        data = bytes.fromhex(hexed)
        diagnosis = diagnose(data)
        if diagnosis.error is None:
            assert cbor_diag.diag2cbor(diagnosis.text) == data, vector.id
            seen += 1
    assert seen > 30


@pytest.mark.parametrize(
    "hexed",
    ["9f01820203ff", "5f42010243030405ff", "7f61616162ff", "1817", "190005", "b800", "9803010203", "5800", "780161",
     "f93e00", "fa47c35000", "fb3ff8000000000000", "f97e00", "f7", "f0", "f818", "d9d9f7d28401020304", "bf0102ff", "c24101"],
)
def test_diagnostic_notation_of_what_xc_refuses(hexed: str) -> None:
    data = bytes.fromhex(hexed)
    diagnosis = diagnose(data)
    assert diagnosis.error is None
    assert cbor_diag.diag2cbor(diagnosis.text) == data


@pytest.mark.parametrize(
    ("hexed", "offset"),
    [("", 0), ("1a0102", 0), ("62e28f", 1), ("8301", 2), ("ff", 0), ("1c", 0), ("5f01ff", 1), ("d2848102", 4), ("0001", 1)],
)
def test_diagnostic_notation_stops_where_the_bytes_break(hexed: str, offset: int) -> None:
    diagnosis = diagnose(bytes.fromhex(hexed))
    assert diagnosis.error is not None and diagnosis.offset == offset
    assert f"byte {offset}" in diagnosis.text or "after the item" in diagnosis.text


def test_deep_nesting_is_bounded() -> None:
    diagnosis = diagnose(b"\x81" * 100_000 + b"\x00")
    assert diagnosis.error is not None and len(diagnosis.text) < 10_000


GATE = VECTORS[0].verifier()
NOW = VECTORS[0]["verifier"]["now"]
SEEDS = [v["text"] for v in VECTORS[::25]]


@st.composite
def _mutated(draw: st.DrawFn) -> str | bytes:
    text = draw(st.sampled_from(SEEDS))
    cut = draw(st.integers(0, len(text)))
    middle = draw(st.text(alphabet=st.characters(codec="latin-1"), max_size=8))
    out = text[:cut] + middle + text[cut + draw(st.integers(0, 4)) :]
    return out.encode("latin-1") if draw(st.booleans()) else out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300), _mutated()))
def test_no_input_makes_it_raise(data: str | bytes) -> None:
    for report in (inspect(data), inspect(data, GATE, now=NOW)):
        assert report.verdict in (VALID, INVALID, NOT_VERIFIED)
        assert report.as_dict()
        assert [s.verdict for s in report.steps].count(FAILED) <= 1


def test_configuration_mistakes_raise_before_reading() -> None:
    with pytest.raises(ValueError):
        inspect("XC1:", now=NOW)
    with pytest.raises(ValueError):
        inspect("XC1:", GATE)
    with pytest.raises(TypeError):
        inspect(12345)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        inspect("XC1:", GATE, now=NOW, templates={})


# --- presentations, the replay cache, and the officer's words ----------------------------------

from credential.gate import presentation as _presentation  # noqa: E402
from credential.issuer import samples  # noqa: E402

ISSUER = credential.generate_key("Ed25519")
DEVICE = credential.generate_key("ES256")
BOUND = credential.issue(dict(samples.full(), cnf=credential.device_cnf(DEVICE)), ISSUER, templates=samples.TEMPLATES, policy=None)
BARE = credential.issue(samples.full(), ISSUER, templates=samples.TEMPLATES, policy=None)
MADE = samples.ISSUED_AT + 3603
SHOWN = credential.present(BOUND, DEVICE, now=MADE, destination="MO")
PRESENTATION_STEPS = {s.number for s in steps.STEPS if s.presentation}


def _gate(replay: credential.ReplayCache | None = None) -> credential.Verifier:
    return credential.Verifier([credential.TrustedKey(ISSUER.public_key(), {"HK"})], destination="MO", replay=replay)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_inspecting_a_presentation_never_records_it_in_the_replay_cache(kind: str, tmp_path: Any) -> None:
    """Spec 9.6: an inspection tool looks up the replay cache and records nothing."""
    cache = credential.MemoryReplayCache() if kind == "memory" else credential.SqliteReplayCache(tmp_path / "replay.db")
    gate = _gate(cache)
    for _ in range(3):
        report = inspect(SHOWN, gate, now=MADE)
        assert report.verdict == VALID, report.summary
        replay = next(s for s in report.steps if s.number == "21b")
        assert replay.verdict == PASSED and "not recorded" in (replay.detail or "")
    assert len(cache) == 0
    gate.verify(SHOWN, now=MADE)  # the gate admits it: now it is recorded
    assert len(cache) == 1
    report = inspect(SHOWN, gate, now=MADE + 1)
    assert report.verdict == INVALID and report.first_failure is not None and report.first_failure.code == "REPLAY"
    assert report.reason == reasons.REASONS[ErrorCode.REPLAY]
    assert len(cache) == 1
    # A full cache is reported as the gate would meet it, and still nothing is recorded.
    full = credential.MemoryReplayCache(1)
    full.check_and_record("another presentation", MADE, MADE + 600)
    report = inspect(SHOWN, _gate(full), now=MADE)
    assert report.first_failure is not None and report.first_failure.code == "REPLAY_CACHE_FULL" and len(full) == 1


def test_steps_for_presentations_do_not_apply_to_a_bare_credential() -> None:
    for report in (inspect(BARE, _gate(), now=MADE), inspect(BARE), inspect(BARE, _gate(), now=samples.ISSUED_AT + 20 * samples.YEAR)):
        by_number = {s.number: s for s in report.steps}
        assert {n for n, s in by_number.items() if s.verdict == DOES_NOT_APPLY} == PRESENTATION_STEPS, report.verdict
        assert all("bare credential" in (by_number[n].detail or "") for n in PRESENTATION_STEPS)
        assert report.form == "credential" and report.device is None and not report.device_checked
    # Not configured is another thing: step 19 (no deny-list) is not checked, not "does not apply".
    assert {s.number: s.verdict for s in inspect(BARE, _gate(), now=MADE).steps}["19"] == NOT_CHECKED
    presented = inspect(SHOWN, _gate(), now=MADE)
    assert DOES_NOT_APPLY not in {s.verdict for s in presented.steps}
    assert presented.form == "presentation"


def test_a_presentation_says_its_device_signature_was_checked_and_names_the_key() -> None:
    import base64
    import hashlib
    import json

    from cryptography.hazmat.primitives import serialization

    report = inspect(SHOWN, _gate(), now=MADE)
    assert report.verdict == VALID and report.device_checked
    assert report.reason == reasons.VALID_PRESENTATION.format(entitled=", and admits the holder to Macau SAR")
    # RFC 7638, computed here from the uncompressed point rather than from the key's numbers.
    point = DEVICE.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()  # noqa: E731
    jwk = '{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}' % (b64(point[1:33]), b64(point[33:]))
    assert json.loads(jwk) and report.device == {"kty": "EC2", "crv": "P-256", "thumbprint": b64(hashlib.sha256(jwk.encode()).digest())}


def test_the_officers_sentences() -> None:
    assert set(reasons.REASONS) == set(ErrorCode)  # one sentence for every code
    for template in reasons.REASONS.values():
        words = re.sub(r"\{\w+\}", "", template)  # the fields are filled in with dates and places
        assert not re.search(r"now [-+]|skew|\bexp\b|\bstep \d|\bcnf\b|\bcti\b|[A-Z]{2,}_[A-Z]", words), template  # no engineer's words
    expired = inspect(BARE, _gate(), now=samples.ISSUED_AT + 20 * samples.YEAR)
    exp = expired.claims["exp"] if expired.claims else 0
    assert expired.reason == f"The credential expired on {reasons.local_time(exp)} (Hong Kong and Macau time)."
    import datetime as dt

    assert reasons.local_time(int(dt.datetime(2027, 3, 1, tzinfo=dt.timezone.utc).timestamp())) == "2027-03-01 at 08:00"
    late = inspect(SHOWN, _gate(), now=MADE + 3 * _presentation.STEP_SECONDS)
    assert late.first_failure is not None and late.first_failure.code == "PRESENTATION_EXPIRED"
    assert late.reason.startswith("The phone's code is out of date (made for ") and "ask the traveller to show a fresh one" in late.reason
    elsewhere = inspect(SHOWN, credential.Verifier([credential.TrustedKey(ISSUER.public_key(), {"HK"})], destination="HK"), now=MADE)
    assert elsewhere.first_failure is not None and elsewhere.first_failure.code == "DESTINATION_MISMATCH"
    assert elsewhere.reason == "The phone's code was made for Macau SAR, not for this gate in Hong Kong SAR: ask the traveller to show one for Hong Kong SAR."
    assert inspect(BARE).reason == reasons.NOT_VERIFIED
    bound_bare = inspect(BOUND, _gate(), now=MADE)
    assert bound_bare.reason == reasons.REASONS[ErrorCode.PRESENTATION_REQUIRED] and bound_bare.device is not None
