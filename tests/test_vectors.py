"""The published vectors: well-formed, reproducible, and passed by the reference implementation."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

import credential
from credential import qr

from .vectors import ROOT, Vector, document, load_generator, negative_counts, vectors

VECTORS = vectors()
IDS = [v.id for v in VECTORS]


def _generator() -> Any:
    return load_generator("generate.py")


def test_file_matches_its_schema() -> None:
    schema = json.loads((ROOT / "spec" / "vectors.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document(), schema, cls=jsonschema.Draft202012Validator)


def test_generator_reproduces_the_published_file() -> None:
    generator = _generator()
    built, images = generator.build_document()
    assert generator.serialize(built) == generator.VECTORS.read_text(encoding="utf-8")
    published = sorted(p.name for p in (ROOT / "test-vectors" / "qr").glob("tc*.png"))
    assert published == sorted(name.removeprefix("qr/") for name in images)


def test_ids_are_unique_and_counted() -> None:
    ids = [v["tcId"] for v in VECTORS]
    assert ids == list(range(1, len(ids) + 1))
    assert document()["numberOfTests"] == len(ids)


def test_every_flag_is_explained() -> None:
    entries = [v.raw for v in VECTORS] + document()["issuerTests"] + document()["refusedKeys"]
    used = {flag for entry in entries for flag in entry["flags"]}
    assert used == set(document()["notes"])


def test_every_error_code_has_a_vector() -> None:
    counts = negative_counts()  # in the core file or in a feature's own
    missing = [code.value for code in credential.ErrorCode if code.value not in counts]
    assert not missing, f"codes without a negative vector: {missing}"


def test_both_algorithms_and_profiles_have_valid_vectors() -> None:
    valid = [v for v in VECTORS if v.valid]
    for flag in ("Ed25519", "ES256", "MinimalProfile", "FullProfile", "Deflated", "NonAscii", "NonPermanent"):
        assert any(v.has_flag(flag) for v in valid), flag


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_reference_verifier(vector: Vector) -> None:
    if vector.valid:
        verified = vector.verify()
        assert verified.claims == vector["claims"]
        assert (verified.alg, verified.kid.hex()) == (vector["alg"], vector["kid"])
        return
    with pytest.raises(credential.VerificationError) as caught:
        vector.verify()
    expected = vector["errors"] if vector["result"] == "acceptable" else [vector["error"]]
    assert caught.value.code.value in expected, str(caught.value)


@pytest.mark.parametrize("vector", [v for v in VECTORS if "issuance" in v.raw], ids=lambda v: v.id)
def test_issuance_is_byte_exact(vector: Vector) -> None:
    issuance = vector["issuance"]
    key = credential.load_private_key(document()["keys"][issuance["key"]]["privateKeyPem"])
    text = credential.issue(
        issuance["claims"], key, templates=vector.templates(issuance["templates"]), deflate=issuance["deflate"], policy=None
    )  # issuance vectors test the encoding; eligibility is each authority's own (spec 9.5)
    assert text == vector["text"]


@pytest.mark.parametrize("vector", [v for v in VECTORS if "layers" in v.raw], ids=lambda v: v.id)
def test_layers_are_consistent(vector: Vector) -> None:
    layers = vector["layers"]
    decoded = credential.decode(vector["text"])
    assert decoded.cose.hex() == layers["cose"]
    assert decoded.to_be_signed.hex() == layers["toBeSigned"]
    assert vector["text"].endswith(layers["base45"])


@pytest.mark.parametrize("vector", [v for v in VECTORS if "qr" in v.raw], ids=lambda v: v.id)
def test_qr_images_scan_to_the_text(vector: Vector) -> None:
    assert qr.scan(ROOT / "test-vectors" / vector["qr"]) == vector["text"]


@pytest.mark.parametrize("vector", [v for v in VECTORS if "qr" in v.raw], ids=lambda v: v.id)
def test_qr_images_are_the_symbol_of_spec_7_3(vector: Vector) -> None:
    """Level M, the least-penalty mask, a 4-module quiet zone, 4 pixels a module: module for module."""
    from .test_qr import modules_of_png

    symbol = qr.build(vector["text"], "M")
    png = (ROOT / "test-vectors" / vector["qr"]).read_bytes()
    assert modules_of_png(png, symbol.size, 4, qr.QUIET_ZONE) == symbol.modules


ISSUER_TESTS = document()["issuerTests"]


@pytest.mark.parametrize("case", ISSUER_TESTS, ids=[f"xc1.json#issuer-{c['tcId']}" for c in ISSUER_TESTS])
def test_reference_issuer_refuses(case: dict) -> None:  # type: ignore[type-arg]
    issuance = case["issuance"]
    key = credential.load_private_key(document()["keys"][issuance["key"]]["privateKeyPem"])
    templates = Vector(case).templates(issuance["templates"])
    with pytest.raises(ValueError):
        credential.issue(issuance["claims"], key, templates=templates, deflate=issuance["deflate"], policy=None)


def test_issuer_and_key_ids_count_up() -> None:
    for name in ("issuerTests", "refusedKeys"):
        assert [c["tcId"] for c in document()[name]] == list(range(1, len(document()[name]) + 1)), name
