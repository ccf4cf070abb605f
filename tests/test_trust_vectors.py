"""The trust list vectors: well-formed, reproducible, and passed by the reference gate."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from typing import Any

import jsonschema
import pytest
from cddl_verifier import Validator
from referencing import Registry, Resource

import credential
from credential.lists import trust

from .trust_vectors import TrustVector, document, signed_list, trust_vectors
from .vectors import ROOT, load_generator

VECTORS = trust_vectors()
NEW_CREDENTIAL_CODES = {"TRUST_STALE", "ISSUER_NOT_AUTHORIZED", "KEY_WITHDRAWN", "SIGNING_PERIOD", "UNKNOWN_KID"}


def _generator() -> Any:
    return load_generator("generate_trust.py")


@cache
def cddl() -> Validator:
    return Validator((ROOT / "spec" / "xc.cddl").read_text(encoding="utf-8"))


def test_file_matches_its_schema() -> None:
    schemas = {name: json.loads((ROOT / "spec" / name).read_text()) for name in ("trust-vectors.schema.json", "trust-list.schema.json")}
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas.values())
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schemas["trust-vectors.schema.json"], registry=registry).validate(document())


def test_generator_reproduces_the_published_file() -> None:
    generator = _generator()
    assert generator.serialize(generator.build_document()) == generator.VECTORS.read_text(encoding="utf-8")


def test_ids_flags_and_codes() -> None:
    ids = [v["tcId"] for v in VECTORS]
    assert ids == list(range(1, len(ids) + 1)) and document()["numberOfTests"] == len(ids)
    assert {flag for v in VECTORS for flag in v["flags"]} == set(document()["notes"])
    invalid = Counter(v["error"] for v in VECTORS if not v.valid)
    assert not [code.value for code in trust.ListError if invalid[code.value] == 0]
    assert not [code for code in NEW_CREDENTIAL_CODES if invalid[code] == 0]
    assert any(v.valid and v["kind"] == "list" for v in VECTORS) and any(v.valid and v["kind"] == "credential" for v in VECTORS)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.id)
def test_reference_gate(vector: TrustVector) -> None:
    if vector.valid:
        result = vector.run()
        if vector["kind"] == "credential":
            assert result.claims == vector["claims"]
        else:
            assert isinstance(result, credential.TrustList) and result.to_json() == vector["claims"]
        return
    expected = credential.TrustListError if vector["kind"] == "list" else credential.VerificationError
    with pytest.raises(expected) as caught:
        vector.run()
    assert caught.value.code.value == vector["error"], str(caught.value)


@pytest.mark.parametrize("vector", [v for v in VECTORS if "issuance" in v.raw], ids=lambda v: v.id)
def test_issuance_is_byte_exact(vector: TrustVector) -> None:
    issuance = vector["issuance"]
    key = credential.load_private_key(document()["keys"][issuance["key"]]["privateKeyPem"])
    templates = {m: bytes.fromhex(t) for m, t in document()["templates"][issuance["templates"]].items()}
    text = credential.issue(issuance["claims"], key, templates=templates, deflate=issuance["deflate"], policy=None)
    assert text == vector["text"]  # eligibility is each authority's own (spec 9.5)


def test_lists_carry_their_payload_view_and_kid() -> None:
    for name, entry in document()["lists"].items():
        if "payload" not in entry:
            continue
        parsed = trust.parse(signed_list(name))
        assert parsed.payload.hex() == entry["payload"] and parsed.kid.hex() == entry["kid"], name
        assert (parsed.document.to_json() if parsed.document else None) == entry["view"], name


def test_accepted_lists_match_the_cddl() -> None:
    loaded = {v["load"]["list"] for v in VECTORS if v["kind"] == "list" and v.valid}
    assert loaded
    for name in loaded:
        data = signed_list(name)
        for root, item in (("xc-signed-trust-list", data), ("xc-trust-list", trust.parse(data).payload)):
            result = cddl().validate(item, root, require_deterministic=True)
            assert result.valid, (name, root, result.diagnostics)


def test_cddl_rejects_the_malformed_documents_it_can_express() -> None:
    # Beyond CDDL (spec/xc.cddl header): order and repeats in arrays, kid derivation, points, times.
    beyond = {"destinations-order", "profiles-repeated", "duplicate-key", "kid-not-derived", "off-curve", "empty-period",
              "next-update-not-after", "lifetime-over-limit", "keys-over-limit", "items-over-limit", "over-size", "small-order"}
    malformed = [v["load"]["list"] for v in VECTORS if v.raw.get("error") == "LIST_MALFORMED" and {"ListDocument", "CoseKey"} & set(v["flags"])]
    assert malformed
    for name in malformed:
        entry = document()["lists"][name]
        if "payload" not in entry or name in beyond:
            continue
        result = cddl().validate(bytes.fromhex(entry["payload"]), "xc-trust-list", require_deterministic=True)
        assert not result.valid, name
