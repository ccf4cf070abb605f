"""The status list vectors (test-vectors/status.json): well-formed, reproducible, passed by the
reference verifier, and their tokens reproducible from what they were made of."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
import pytest
from cddl_verifier import Validator

import credential
from credential.base.errors import ErrorCode
from credential.gate.status_cache import StatusCache
from credential.lists import status_list

from .vectors import ROOT, load_generator

FILE = ROOT / "test-vectors" / "status.json"
STEP_19A = {"NO_STATUS", "STATUS_UNAVAILABLE", "STATUS_LIST_INVALID", "STATUS_STALE", "STATUS_INDEX", "SUSPENDED", "REVOKED"}


@cache
def document() -> dict[str, Any]:
    return json.loads(FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


TESTS = document()["tests"]


def _generator() -> Any:
    return load_generator("status_vectors.py")


def test_file_matches_its_schema() -> None:
    schema = json.loads((ROOT / "spec" / "status-vectors.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document(), schema, cls=jsonschema.Draft202012Validator)
    assert document()["numberOfTests"] == len(TESTS)
    assert [t["tcId"] for t in TESTS] == list(range(1, len(TESTS) + 1))


def test_generator_reproduces_the_published_file() -> None:
    generator = _generator()
    assert generator.core.serialize(generator.build_document()) == FILE.read_text(encoding="utf-8")


def test_every_flag_is_explained_and_every_code_of_step_19a_has_a_vector() -> None:
    used = {flag for t in TESTS for flag in t["flags"]}
    assert used == set(document()["notes"])
    assert STEP_19A <= {t.get("error") for t in TESTS}
    assert {"valid"} <= {t["result"] for t in TESTS}


def _verifier(v: dict[str, Any]) -> credential.Verifier:
    keys = document()["keys"]
    trust = credential.KeySet(
        credential.TrustedKey(keys[name]["publicKeyPem"].encode(), frozenset(issuers)) for name, issuers in v["keys"].items()
    )
    options: dict[str, Any] = {}
    if v["statusLists"] is not None:
        held = StatusCache()
        for entry in v["statusLists"]:
            held.store(entry["issuer"], entry["list"], bytes.fromhex(document()["lists"][entry["token"]]["token"]), entry["fetchedAt"])
        options = {"status": held, "status_max_age": v["statusMaxAge"], "status_grace": v["statusGrace"]}
    return credential.Verifier(
        trust, skew=v["skew"], destination=v["destination"], revoked={bytes.fromhex(x) for x in v["revoked"]}, **options
    )


@pytest.mark.parametrize("vector", TESTS, ids=lambda t: f"status.json#{t['tcId']}")
def test_reference_verifier_passes(vector: dict[str, Any]) -> None:
    verifier = _verifier(vector["verifier"])
    if vector["result"] == "valid":
        result = verifier.verify(vector["text"], now=vector["verifier"]["now"])
        assert result.claims == vector["claims"]
        assert ("status" in result.checked) == (vector["verifier"]["statusLists"] is not None)
    else:
        with pytest.raises(credential.VerificationError) as caught:
            verifier.verify(vector["text"], now=vector["verifier"]["now"])
        assert caught.value.code is ErrorCode(vector["error"]), caught.value.detail


@pytest.mark.parametrize("vector", TESTS, ids=lambda t: f"status.json#{t['tcId']}")
def test_credentials_are_reproduced_by_the_issuer(vector: dict[str, Any]) -> None:
    issuance = vector["issuance"]
    key = credential.load_private_key(document()["keys"][issuance["key"]]["privateKeyPem"])
    templates = {m: bytes.fromhex(t) for m, t in document()["templates"][issuance["templates"]].items()}
    assert credential.issue(issuance["claims"], key, templates=templates, deflate=issuance["deflate"], policy=None) == vector["text"]


def test_made_tokens_are_reproduced_from_their_inputs_and_match_the_cddl() -> None:
    validator = Validator((ROOT / "spec" / "xc.cddl").read_text(encoding="utf-8"))
    made = {name: entry for name, entry in document()["lists"].items() if "made" in entry}
    assert len(made) >= 8
    for name, entry in made.items():
        m = entry["made"]
        key = credential.load_private_key(document()["keys"][m["key"]]["privateKeyPem"])
        bit_array = status_list.pack(((int(i), v) for i, v in m["entries"].items()), m["size"], m["bits"])
        token = status_list.build_token(
            key, m["issuer"], m["list"], issued_at=m["iat"], expires=m["exp"], bits=m["bits"], bit_array=bit_array, ttl=m["ttl"]
        )
        assert token.hex() == entry["token"], name
        assert validator.validate(token, "xc-status-list-token", require_deterministic=True).valid, name
