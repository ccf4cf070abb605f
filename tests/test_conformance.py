"""The conformance runner: the reference adapter passes every vector; broken adapters are caught."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from credential.tools import conformance

from .vectors import ROOT

VECTOR_DIR = ROOT / "test-vectors"
REFERENCE = f"{shlex.quote(sys.executable)} {shlex.quote(str(ROOT / 'conformance' / 'adapter.py'))}"
BROKEN = f"{shlex.quote(sys.executable)} {shlex.quote(str(ROOT / 'tests' / 'conformance_adapters.py'))}"
SCHEMA = json.loads((ROOT / "spec" / "conformance.schema.json").read_text(encoding="utf-8"))
FILES = conformance.load([VECTOR_DIR])


def _validate(instance: object, definition: str) -> None:
    schema = {**SCHEMA, "$ref": f"#/$defs/{definition}"}
    jsonschema.validate(instance, schema, cls=jsonschema.Draft202012Validator)


@pytest.fixture(scope="module")
def reference() -> conformance.Summary:
    return conformance.run(REFERENCE, FILES)


@pytest.fixture()
def small(tmp_path: Path) -> list[conformance.VectorFile]:
    """The first eight cases of the first file: enough for what a broken adapter does at tcId 3."""
    document = {k: v for k, v in FILES[0].document.items() if k not in conformance.CASE_LISTS} | {"tests": FILES[0].tests[:8]}
    return [conformance.VectorFile(FILES[0].name, document)]


def _subset(keep: Callable[[str, dict[str, Any]], bool]) -> list[conformance.VectorFile]:
    """The vector files with only the cases ``keep(list name, case)`` selects (to keep the broken runs short)."""
    out = []
    for vectors in FILES:
        lists = {name: [case for case in vectors.document.get(name) or () if keep(name, case)] for name in conformance.CASE_LISTS}
        document = {k: v for k, v in vectors.document.items() if k not in conformance.CASE_LISTS} | lists
        out.append(conformance.VectorFile(vectors.name, document))
    return out


def _valid_or(flag: str) -> Callable[[str, dict[str, Any]], bool]:
    return lambda name, case: name == "tests" and (case["result"] == "valid" or flag in case["flags"] or case.get("error") == "CBOR")


def test_reference_adapter_passes_every_vector_of_every_file(reference: conformance.Summary) -> None:
    assert {o.file for o in reference.outcomes} == {path.name for path in VECTOR_DIR.glob("*.json")}
    assert len(reference.outcomes) == sum(1 for f in FILES for _ in f.cases())
    assert {o.list for o in reference.outcomes} == {name for f in FILES for name, _ in f.cases()}
    failed = [f"{o.id}: {o.reason}" for o in reference.outcomes if o.outcome != conformance.PASSED]
    assert not failed, "the reference adapter must pass (and support) every vector; extend conformance/adapter.py for a new file"
    issued = reference.issuance_counts()
    assert issued[conformance.PASSED] == sum(1 for f in FILES for t in f.tests if "issuance" in t) and issued[conformance.FAILED] == 0


def test_reports(reference: conformance.Summary) -> None:
    report = reference.as_dict()
    _validate(report, "report")
    assert report["byExpected"]["EXPIRED"][conformance.PASSED] >= 1
    assert sum(c[conformance.PASSED] for c in report["byExpected"].values()) == len(reference.outcomes)
    suites = ET.fromstring(conformance.junit(reference))
    assert sum(int(s.get("tests", "0")) for s in suites) == len(reference.outcomes)
    assert all(s.get("failures") == "0" for s in suites)
    text = conformance.table(reference)
    assert f"{len(reference.outcomes)} passed, 0 failed, 0 skipped" in text and "CborTrailing" in text


def _adapter() -> Any:
    sys.path.insert(0, str(ROOT / "conformance"))
    try:
        import adapter
    finally:
        sys.path.pop(0)
    return adapter


def test_requests_and_answers_follow_the_schema() -> None:
    adapter = _adapter()
    for vectors in FILES:
        for number, (listed, case) in enumerate(vectors.cases()):
            request = conformance.request(vectors, case, listed)
            _validate(json.loads(json.dumps(request)), "request")  # shared holds no member the schema forbids
            assert Path(request["spec"]).is_absolute() and (Path(request["spec"]) / "name-characters.txt").is_file()
            if number % 40 == 0 or "scans" in case:
                _validate(adapter.answer(request), "answer")


def test_the_reference_adapter_presents_every_scan_the_holder_made(reference: conformance.Summary) -> None:
    """Spec 14.7: the holder's presentations are compared byte for byte, and counted apart."""
    made = {f"presentations.json#{t['tcId']}" for f in FILES for t in f.tests if any("made" in s for s in t.get("scans", []))}
    assert made and {o.id for o in reference.outcomes if o.presentation == conformance.PASSED} == made
    assert reference.presentation_counts() == {conformance.PASSED: len(made), conformance.FAILED: 0, conformance.SKIPPED: 0}


def _file(name: str) -> conformance.VectorFile:
    return next(f for f in FILES if f.name == name)


def test_an_adapter_that_judges_only_the_last_scan_is_caught() -> None:
    """Spec 14.7: earlier scans set up the replay cache; a gate that skips them must fail such cases."""
    summary = conformance.run(f"{BROKEN} lastscan", [_file("presentations.json")])
    failed = {o.tcId for o in summary.outcomes if o.outcome == conformance.FAILED}
    members = ("result", "error", "claims", "alg", "kid", "form", "step")
    differ = {
        t["tcId"] for t in _file("presentations.json").tests
        if any(tuple(s.get(m) for m in members) != tuple(t["scans"][-1].get(m) for m in members) for s in t["scans"])
    }
    assert differ and differ <= failed
    assert all(o.reason.startswith("scan ") for o in summary.outcomes if o.tcId in differ)
    single = {t["tcId"] for t in _file("presentations.json").tests if len(t["scans"]) == 1}
    assert not failed & single


def _valid_cases(limit: int = 12) -> list[conformance.VectorFile]:
    return _subset(lambda name, case: name == "tests" and case["result"] == "valid" and case["tcId"] <= limit * 4)


def test_an_adapter_that_answers_a_wrong_kid_is_caught() -> None:
    files = _valid_cases()
    summary = conformance.run(f"{BROKEN} wrongkid", files)
    credentials = [o for o in summary.outcomes if _case(o).get("kind") != "list"]
    assert credentials and all(o.outcome == conformance.FAILED and "kid is" in o.reason for o in credentials)


def test_an_adapter_that_leaves_out_the_form_gives_malformed_answers() -> None:
    summary = conformance.run(f"{BROKEN} noform", _valid_cases())
    credentials = [o for o in summary.outcomes if _case(o).get("kind") != "list"]
    assert credentials and all(o.outcome == conformance.FAILED and "needs form" in o.reason for o in credentials)


def _case(outcome: conformance.Outcome) -> dict[str, Any]:
    return next(t for t in _file(outcome.file).tests if t["tcId"] == outcome.tcId)


def test_an_adapter_that_presents_other_texts_is_caught() -> None:
    summary = conformance.run(f"{BROKEN} badpresent", [_file("presentations.json")])
    made = [o for o in summary.outcomes if any("made" in s for s in _case(o)["scans"])]
    assert made and all(o.outcome == conformance.FAILED and o.presentation == conformance.FAILED for o in made)
    assert all("the presented text differs" in o.reason for o in made)
    assert summary.presentation_counts()[conformance.FAILED] == len(made)


def test_an_adapter_that_leaves_out_or_alters_the_decrypted_templates_is_caught() -> None:
    summary = conformance.run(f"{BROKEN} notemplates", [_file("templates.json")])
    decrypted = {t["tcId"] for t in _file("templates.json").tests if t["result"] == "valid" and t["decrypted"] is not None}
    failed = {o.tcId: o.reason for o in summary.outcomes if o.outcome == conformance.FAILED}
    assert decrypted and set(failed) == decrypted
    assert all(("needs templates" if n % 2 else "decrypted templates differ") in failed[n] for n in decrypted)


def _outcome_of(answer: dict[str, Any], test: dict[str, Any], name: str = "presentations.json") -> conformance.Outcome:
    return conformance.assess(_file(name), test, "tests", answer)


def test_answers_of_the_wrong_form_fail_their_case() -> None:
    """Spec 15: the answer's members are checked before it is judged; each of these is malformed."""
    adapter = _adapter()
    case = next(t for t in _file("presentations.json").tests if len(t["scans"]) > 1 and t["result"] == "valid")
    request = conformance.request(_file("presentations.json"), case)
    good = adapter.answer(request)
    assert _outcome_of(good, case).outcome == conformance.PASSED
    broken = {
        "the last scan not repeated": {**good, "kid": "0" * 16},
        "one scan too few": {**good, "scans": good["scans"][1:]},
        "an unknown member": {**good, "extra": 1},
        "a scan with an unknown member": {**good, "scans": [{**good["scans"][0], "extra": 1}, *good["scans"][1:]]},
        "an error that is not a code": {**good, "verdict": "invalid", "error": "\x1b[2J"},
        "a step for a presentation missing": {**good, "scans": [{k: v for k, v in s.items() if k != "step"} for s in good["scans"]]},
        "an upper-case kid": {**good, "scans": [{**s, "kid": s["kid"].upper()} for s in good["scans"]]},
        "alg EdDSA": {**good, "scans": [{**s, "alg": "EdDSA"} for s in good["scans"]]},
    }
    for what, answer in broken.items():
        outcome = _outcome_of(answer, case)
        assert outcome.outcome == conformance.FAILED and outcome.got is None, what
        assert "\x1b" not in outcome.reason, what


def test_a_writer_blocked_by_an_adapter_that_stops_reading_fails_the_vector(tmp_path: Path) -> None:
    """Spec 15, The runner: a request longer than the pipe's buffer, an adapter that answers after reading
    4 KiB: the time limit covers the write, and the run ends."""
    document = {k: v for k, v in FILES[0].document.items() if k not in conformance.CASE_LISTS} | {"tests": FILES[0].tests[:3]}
    document["filler"] = "x" * (1 << 18)  # a shared member: every request is 256 KiB longer
    summary = conformance.run(f"{BROKEN} unread", [conformance.VectorFile("big.json", document)], timeout=2)
    assert len(summary.outcomes) == 3
    assert all(o.outcome == conformance.FAILED and "did not read the whole request within 2 s" in o.reason for o in summary.outcomes)


def test_control_characters_from_an_adapter_are_escaped(small: list[conformance.VectorFile]) -> None:
    summary = conformance.run(f"{BROKEN} controls", small)
    third = next(o for o in summary.outcomes if o.tcId == 3)
    assert third.outcome == conformance.FAILED and "\\x1b[2J\\x00\\x07" in third.reason
    assert third.stderr is not None and "\\x1b[31mred\\x00" in third.stderr
    xml = conformance.junit(summary)
    root = ET.fromstring(xml)  # XML 1.0 holds no raw control character: this parses
    assert "\\x1b[2J" in (root.find(".//failure").get("message") or "")  # type: ignore[union-attr]
    text = conformance.table(summary)
    assert "\x1b" not in text and "\x00" not in text and "\\x1b[31mred" in text
    report = summary.as_dict()
    _validate(report, "report")


def test_an_adapter_that_writes_much_to_standard_error_keeps_its_end(small: list[conformance.VectorFile]) -> None:
    """10 MB of standard error per request neither blocks the adapter nor grows the report."""
    summary = conformance.run(f"{BROKEN} noisy", small)
    assert not summary.failed and summary.outcomes
    for outcome in summary.outcomes:
        assert outcome.stderr is not None and len(outcome.stderr) <= conformance.STDERR_KEPT
        assert outcome.stderr.endswith("the end of the noise\n")


def test_an_adapter_that_ignores_expiry_is_caught() -> None:
    summary = conformance.run(f"{BROKEN} expiry", _subset(_valid_or("Expired")))
    failed = {o.id for o in summary.outcomes if o.outcome == conformance.FAILED}
    cases = {f"{f.name}#{t['tcId']}": t for f in FILES for t in f.tests}
    # A case with scans fails for an expired earlier scan too: every scan is judged (spec 15).
    expired = {o.id for o in summary.outcomes if o.expected == "EXPIRED" or any(s.get("error") == "EXPIRED" for s in cases[o.id].get("scans", []))}
    assert failed == expired and expired
    assert all("accepted a credential that must be refused with EXPIRED" in o.reason for o in summary.outcomes if o.id in failed)


def test_an_adapter_that_accepts_trailing_bytes_is_caught() -> None:
    summary = conformance.run(f"{BROKEN} trailing", _subset(_valid_or("CborTrailing")))
    failed = {o.id for o in summary.outcomes if o.outcome == conformance.FAILED}
    trailing = {o.id for o in summary.outcomes if "CborTrailing" in o.flags}
    assert trailing and trailing <= failed
    assert all(o.expected == "CBOR" for o in summary.outcomes if o.id in failed)  # and nothing else breaks


@pytest.mark.parametrize(("mode", "reason"), [("hang", "no answer within 1 s"), ("crash", "exited (status 5)"), ("garbage", "not JSON")])
def test_a_misbehaving_adapter_fails_that_vector_and_the_run_goes_on(small: list[conformance.VectorFile], mode: str, reason: str) -> None:
    summary = conformance.run(f"{BROKEN} {mode}", small, timeout=1 if mode == "hang" else 10)
    by_id = {o.tcId: o for o in summary.outcomes}
    assert by_id[3].outcome == conformance.FAILED and reason in by_id[3].reason
    assert all(o.outcome == conformance.PASSED for o in summary.outcomes if o.tcId != 3)


def test_an_adapter_that_trusts_refused_keys_is_caught() -> None:
    summary = conformance.run(f"{BROKEN} keys", _subset(lambda name, case: name != "tests" or case["tcId"] < 20))
    failed = {o.id for o in summary.outcomes if o.outcome == conformance.FAILED}
    assert failed and failed == {o.id for o in summary.outcomes if o.list == "refusedKeys"}


def test_unsupported_is_skipped_not_failed() -> None:
    summary = conformance.run(f"{BROKEN} es256", _subset(lambda name, case: name == "tests" and case["tcId"] < 40))
    skipped = [o for o in summary.outcomes if o.outcome == conformance.SKIPPED]
    assert skipped and all("ES256" in o.flags for o in skipped) and not summary.failed
    assert summary.issuance_counts()[conformance.SKIPPED] >= 1


def test_command_line(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "credential"
    small = tmp_path / "small.json"
    small.write_text(json.dumps({k: v for k, v in FILES[0].document.items() if k not in conformance.CASE_LISTS} | {"tests": FILES[0].tests[:30]}), encoding="utf-8")
    ok = subprocess.run(
        [str(script), "conformance", "--impl", REFERENCE, "--vectors", str(small), "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml")],
        capture_output=True, text=True, timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert "30 passed, 0 failed, 0 skipped" in ok.stdout
    assert json.loads((tmp_path / "r.json").read_text())["totals"]["passed"] == 30
    assert ET.parse(tmp_path / "r.xml").getroot().find("testsuite") is not None
    expired = tmp_path / "expired.json"
    document = next(f for f in _subset(_valid_or("Expired")) if f.name == "xc1.json").document
    expired.write_text(json.dumps(document), encoding="utf-8")
    bad = subprocess.run([str(script), "conformance", "--impl", f"{BROKEN} expiry", "--vectors", str(expired)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "failed:" in bad.stdout
    no_tcid = tmp_path / "no-tcid.json"
    cases = [dict(case) for case in FILES[0].tests[:5]]
    del cases[4]["tcId"]
    no_tcid.write_text(json.dumps({k: v for k, v in FILES[0].document.items() if k not in conformance.CASE_LISTS} | {"tests": cases}), encoding="utf-8")
    twice = tmp_path / "twice.json"
    twice.write_text(json.dumps({k: v for k, v in FILES[0].document.items() if k not in conformance.CASE_LISTS} | {"tests": FILES[0].tests[:2] * 2}), encoding="utf-8")
    mistakes = {
        "no adapter": ["--impl", "/nonexistent/adapter"],
        "no vectors": ["--impl", REFERENCE, "--vectors", str(tmp_path / "none")],
        "a case without tcId": ["--impl", REFERENCE, "--vectors", str(no_tcid)],
        "a tcId twice": ["--impl", REFERENCE, "--vectors", str(twice)],
        "no spec folder": ["--impl", REFERENCE, "--spec", str(tmp_path)],
        **{f"timeout {t}": ["--impl", REFERENCE, f"--timeout={t}"] for t in ("0", "-1", "inf", "nan", "-inf")},
    }
    for what, args in mistakes.items():
        usage = subprocess.run([str(script), "conformance", *args], capture_output=True, text=True, timeout=60)
        assert usage.returncode == 2 and usage.stderr.startswith("credential conformance:"), (what, usage.stderr)
        assert "Traceback" not in usage.stderr, what
        if what == "a case without tcId":
            assert "no-tcid.json" in usage.stderr and "tests[4]" in usage.stderr, usage.stderr
        if what == "a tcId twice":
            assert "tests[2]" in usage.stderr and "twice" in usage.stderr, usage.stderr
    helped = subprocess.run([str(script), "conformance", "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0
    assert "ship with this package" in helped.stdout and "--spec" in helped.stdout


def test_every_list_of_cases_goes_through_the_runner() -> None:
    """A vector file's list of cases (objects with a tcId) that the runner does not know would be left out silently."""
    for vectors in FILES:
        lists = {k for k, v in vectors.document.items() if isinstance(v, list) and v and isinstance(v[0], dict) and "tcId" in v[0]}
        assert lists <= set(conformance.CASE_LISTS), f"{vectors.name}: add {sorted(lists - set(conformance.CASE_LISTS))} to conformance.CASE_LISTS and spec 15"
