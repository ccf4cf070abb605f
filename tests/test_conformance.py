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


def test_requests_and_answers_follow_the_schema() -> None:
    sys.path.insert(0, str(ROOT / "conformance"))
    try:
        import adapter
    finally:
        sys.path.pop(0)
    for vectors in FILES:
        for listed, case in list(vectors.cases())[::40]:
            request = conformance.request(vectors, case, listed)
            _validate(json.loads(json.dumps(request)), "request")
            _validate(adapter.answer(request), "answer")


def test_an_adapter_that_ignores_expiry_is_caught() -> None:
    summary = conformance.run(f"{BROKEN} expiry", _subset(_valid_or("Expired")))
    failed = {o.id for o in summary.outcomes if o.outcome == conformance.FAILED}
    expired = {o.id for o in summary.outcomes if o.expected == "EXPIRED"}
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
    for args in (["--impl", "/nonexistent/adapter"], ["--impl", REFERENCE, "--vectors", str(tmp_path / "none")], ["--impl", REFERENCE, "--timeout", "0"]):
        usage = subprocess.run([str(script), "conformance", *args], capture_output=True, text=True, timeout=60)
        assert usage.returncode == 2 and usage.stderr.startswith("credential conformance:"), usage.stderr


def test_every_list_of_cases_goes_through_the_runner() -> None:
    """A vector file's list of cases (objects with a tcId) that the runner does not know would be left out silently."""
    for vectors in FILES:
        lists = {k for k, v in vectors.document.items() if isinstance(v, list) and v and isinstance(v[0], dict) and "tcId" in v[0]}
        assert lists <= set(conformance.CASE_LISTS), f"{vectors.name}: add {sorted(lists - set(conformance.CASE_LISTS))} to conformance.CASE_LISTS and spec 15"
