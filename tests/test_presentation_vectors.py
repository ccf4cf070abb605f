"""The presentation vectors (spec 14.7): well-formed, reproducible, and passed scan by scan."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
import pytest

import credential
from credential import qr

from .vectors import ROOT, load_generator
from .vectors import document as core_document

FILE = ROOT / "test-vectors" / "presentations.json"


@cache
def document() -> dict[str, Any]:
    return json.loads(FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


TESTS = document()["tests"]
IDS = [f"presentations.json#{t['tcId']}" for t in TESTS]
SCANS = [(t, i) for t in TESTS for i in range(len(t["scans"]))]
SCAN_IDS = [f"presentations.json#{t['tcId']}.{i + 1}" for t, i in SCANS]


def _generator() -> Any:
    return load_generator("presentations.py")


def _gate(test: dict[str, Any]) -> credential.Verifier:
    v = test["verifier"]
    pems = document()["keys"]
    trust = credential.KeySet(credential.TrustedKey(pems[n]["publicKeyPem"].encode(), frozenset(i)) for n, i in v["keys"].items())
    return credential.Verifier(
        trust,
        skew=v["skew"],
        destination=v["destination"],
        channel=v["channel"],
        revoked={bytes.fromhex(c) for c in v["revoked"]},
        replay=None if v["replayCapacity"] is None else _generator().Switchable(credential.MemoryReplayCache(v["replayCapacity"])),
        presentation_skew=v["presentationSkew"],
        require_presentation=v["requirePresentation"],
    )


def _reading(gate: credential.Verifier, scan: dict[str, Any]) -> None:
    """The gate's replay cache up or down for this scan, as the scan says (replayCacheDown)."""
    if gate.replay is not None:
        gate.replay.down = scan.get("replayCacheDown", False)  # type: ignore[attr-defined]


def _templates(test: dict[str, Any]) -> dict[str, bytes] | None:
    name = test["verifier"]["templates"]
    return None if name is None else {m: bytes.fromhex(t) for m, t in document()["templates"][name].items()}


def test_file_matches_its_schema() -> None:
    schema = json.loads((ROOT / "spec" / "presentations.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document(), schema, cls=jsonschema.Draft202012Validator)


def test_generator_reproduces_the_published_file() -> None:
    generator = _generator()
    built, images = generator.build_document()
    assert generator.serialize(built) == FILE.read_text(encoding="utf-8")
    published = sorted(p.name for p in (ROOT / "test-vectors" / "qr").glob("xp*.png"))
    assert published == sorted(name.removeprefix("qr/") for name in images)


def test_ids_flags_and_results_are_consistent() -> None:
    assert [t["tcId"] for t in TESTS] == list(range(1, len(TESTS) + 1)) and document()["numberOfTests"] == len(TESTS)
    assert {f for t in TESTS for f in t["flags"]} == set(document()["notes"])
    for test in TESTS:
        assert test["result"] == test["scans"][-1]["result"] and test.get("error") == test["scans"][-1].get("error")


def test_the_keys_are_the_core_vector_keys() -> None:
    assert document()["keys"] == core_document()["keys"]


@pytest.mark.parametrize("test", TESTS, ids=IDS)
def test_reference_verifier_scan_by_scan(test: dict[str, Any]) -> None:
    gate = _gate(test)  # one gate, one replay cache, for all the scans of the case
    for number, scan in enumerate(test["scans"], start=1):
        _reading(gate, scan)
        if scan["result"] == "valid":
            verified = gate.verify(scan["text"], now=scan["now"], templates=_templates(test))
            if number == len(test["scans"]):
                assert verified.claims == test["claims"] and verified.form == test["form"]
                assert ("device" in verified.checked) == (verified.form == "presentation")
            continue
        with pytest.raises(credential.VerificationError) as caught:
            gate.verify(scan["text"], now=scan["now"], templates=_templates(test))
        assert caught.value.code.value == scan["error"], f"scan {number}: {caught.value}"


@pytest.mark.parametrize(("test", "index"), [(t, i) for t, i in SCANS if "made" in t["scans"][i]], ids=lambda x: str(x) if isinstance(x, int) else f"#{x['tcId']}")
def test_presentations_are_byte_exact(test: dict[str, Any], index: int) -> None:
    scan = test["scans"][index]
    made = scan["made"]
    key = credential.load_private_key(document()["deviceKeys"][made["deviceKey"]]["privateKeyPem"])
    text = credential.present(
        document()["credentials"][made["credential"]]["text"], key, now=made["now"], destination=made["destination"], deflate=made["deflate"]
    )
    assert text == scan["text"]


def test_credentials_are_byte_exact() -> None:
    for entry in document()["credentials"].values():
        key = credential.load_private_key(document()["keys"][entry["key"]]["privateKeyPem"])
        templates = {m: bytes.fromhex(t) for m, t in document()["templates"][entry["templates"]].items()}
        assert credential.issue(entry["claims"], key, templates=templates, deflate=entry["deflate"], policy=None) == entry["text"]


@pytest.mark.parametrize(("test", "index"), [(t, i) for t, i in SCANS if "layers" in t["scans"][i]], ids=lambda x: str(x) if isinstance(x, int) else f"#{x['tcId']}")
def test_layers_are_consistent(test: dict[str, Any], index: int) -> None:
    from credential.cose import sign1 as cose
    from credential.gate import presentation

    scan = test["scans"][index]
    layers = scan["layers"]
    assert scan["text"] == ("XP1:" if layers["deflated"] is None else "XP1Z:") + layers["base45"]
    assert layers["protected"] == "a10126"
    assert layers["toBeSigned"] == cose.to_be_signed(bytes.fromhex(layers["protected"]), bytes.fromhex(layers["payload"])).hex()
    assert presentation.payload_of(bytes.fromhex(layers["credential"]), layers["step"], layers["destination"]).hex() == layers["payload"] or "NotDeterministic" in test["flags"]


def test_qr_images_scan_to_the_text() -> None:
    with_images = [t for t in TESTS if "qr" in t]
    assert with_images
    for test in with_images:
        assert qr.scan(ROOT / "test-vectors" / test["qr"]) == test["scans"][-1]["text"]


def test_valid_presentation_layers_match_the_cddl() -> None:
    from cddl_verifier import Validator

    cddl = Validator((ROOT / "spec" / "xc.cddl").read_text(encoding="utf-8"))
    roots = {"message": "xp-presentation", "protected": "xp-protected", "payload": "xp-payload", "toBeSigned": "xp-sig-structure", "credential": "xc-cose"}
    checked = 0
    for test in TESTS:
        for scan in test["scans"]:
            if scan["result"] != "valid" or "layers" not in scan:
                continue
            for layer, root in roots.items():
                result = cddl.validate(bytes.fromhex(scan["layers"][layer]), root, require_deterministic=True)
                assert result.valid, f"#{test['tcId']} {layer}: {result}"
            checked += 1
    assert checked
    for name, entry in document()["credentials"].items():
        payload = credential.decode(entry["text"]).payload
        assert cddl.validate(payload, "xc-claims", require_deterministic=True).valid, name


def test_cddl_refuses_the_structure_vectors_it_can_express() -> None:
    from cddl_verifier import Validator

    cddl = Validator((ROOT / "spec" / "xc.cddl").read_text(encoding="utf-8"))
    for test in TESTS:
        scan = test["scans"][-1]
        if test.get("error") == "PRESENTATION" and "layers" not in scan:
            from credential.text import wrap as textlayer

            message = textlayer.unwrap(scan["text"]).message
            assert not cddl.validate(message, "xp-presentation", require_deterministic=True).valid, test["tcId"]


def test_readme_counts_the_presentation_cases() -> None:
    assert f"holds {len(TESTS)} cases of presentations" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("test", TESTS, ids=IDS)
def test_inspector_names_the_step_of_every_scan(test: dict[str, Any]) -> None:
    from credential.tools.inspect import FAILED, INVALID, VALID, inspect

    gate = _gate(test)
    for scan in test["scans"]:
        _reading(gate, scan)
        report = inspect(scan["text"], gate, now=scan["now"], templates=_templates(test))
        # The inspector only looks at the gate's replay cache; the gate itself records what it admits.
        try:
            gate.verify(scan["text"], now=scan["now"], templates=_templates(test))
        except credential.VerificationError:
            pass
        if scan["result"] == "valid":
            assert report.verdict == VALID, report.summary
            continue
        assert report.verdict == INVALID and report.first_failure is not None, report.summary
        assert report.first_failure.code == scan["error"] and scan["error"] in report.first_failure.codes
        assert [s.verdict for s in report.steps].count(FAILED) == 1


def test_appendix_c_is_the_first_vector() -> None:
    import hashlib
    import re

    from cryptography.hazmat.primitives.asymmetric import ec

    from credential.claims.model import CNF
    from credential.text import cbor

    spec = (ROOT / "spec" / "xc-v1.md").read_text(encoding="utf-8")
    appendix = spec[spec.index("## Appendix C") :]
    raw = re.findall(r"```[a-z]*\n(.*?)```", appendix, re.DOTALL)
    blocks = [re.sub(r"\s", "", b) for b in raw]  # hexadecimal wrapped over lines
    scan = TESTS[0]["scans"][0]
    layers = scan["layers"]
    device = document()["deviceKeys"]["device-holder"]
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    scalar = int.from_bytes(hashlib.sha256(b"XC1 test key device-holder").digest(), "big") % (n - 1) + 1
    key = credential.load_private_key(device["privateKeyPem"])
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.private_numbers().private_value == scalar
    assert blocks[0] == f"privatescalar{scalar:064x}"
    assert json.loads(blocks[1]) == device["cnf"]
    assert blocks[2] == cbor.encode(CNF.dump(device["cnf"], "cnf")).hex()
    assert blocks[3:6] == [layers["payload"], layers["signature"], layers["message"]]
    assert raw[6] == scan["text"] + "\n" and scan["made"] == {"credential": "bound-full", "deviceKey": "device-holder", "now": 1798765203, "destination": "MO", "deflate": None}
    assert f"`floor(1798765203 / 10)` = `{layers['step']}`" in appendix


def test_claims_with_cnf_match_the_json_schema() -> None:
    schema = json.loads((ROOT / "spec" / "claims.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    bound = [t["claims"] for t in TESTS if t["result"] == "valid" and "cnf" in t["claims"]]
    assert bound
    for claims in bound:
        validator.validate(claims)
    broken = json.loads(json.dumps(bound[0]))
    broken["cnf"]["cose_key"]["crv"] = "P-384"
    assert not validator.is_valid(broken)
    broken["cnf"] = {"cose_key": dict(bound[0]["cnf"]["cose_key"], y="01")}
    assert not validator.is_valid(broken)
