"""The encrypted-template vectors (test-vectors/templates.json): well-formed, reproducible, passed by
the reference implementation, and every issuance reproducible byte for byte from its material."""

from __future__ import annotations

import functools
import json
from typing import Any

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, x25519

import credential
from credential.claims import templates as sealing

from .vectors import ROOT, load_generator

FILE = ROOT / "test-vectors" / "templates.json"
DOCUMENT: dict[str, Any] = json.loads(FILE.read_text(encoding="utf-8"))
TESTS = DOCUMENT["tests"]


def _id(test: dict[str, Any]) -> str:
    return f"templates.json#{test['tcId']}"


def _generator() -> Any:
    return load_generator("generate_templates.py")


def _template_set(name: str) -> dict[str, sealing.Template]:
    return {m: sealing.Template(t["format"], bytes.fromhex(t["data"])) for m, t in DOCUMENT["templates"][name].items()}


def _recipient_private(name: str) -> Any:
    return credential.load_decryption_key(DOCUMENT["recipientKeys"][name]["privateKeyPem"])


def _verify(test: dict[str, Any]) -> credential.VerifiedCredential:
    v = test["verifier"]
    trust = credential.KeySet(
        credential.TrustedKey(DOCUMENT["keys"][name]["publicKeyPem"].encode(), frozenset(issuers)) for name, issuers in v["keys"].items()
    )
    keys = [_recipient_private(name) for name in v["decryptionKeys"]] if v["decryptionKeys"] is not None else None
    return credential.verify(
        test["text"],
        trust,
        now=v["now"],
        skew=v["skew"],
        destination=v["destination"],
        channel=v["channel"],
        revoked={bytes.fromhex(x) for x in v["revoked"]},
        decryption_keys=keys,
        require_templates=v["requireTemplates"],
    )


def test_file_matches_its_schema() -> None:
    schema = json.loads((ROOT / "spec" / "templates-vectors.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(DOCUMENT, schema, cls=jsonschema.Draft202012Validator)


def test_generator_reproduces_the_published_file() -> None:
    generator = _generator()
    assert generator.core.serialize(generator.build_document()) == FILE.read_text(encoding="utf-8")


def test_ids_flags_and_codes() -> None:
    assert [t["tcId"] for t in TESTS] == list(range(1, len(TESTS) + 1)) and DOCUMENT["numberOfTests"] == len(TESTS)
    assert {f for t in TESTS for f in t["flags"]} == set(DOCUMENT["notes"])
    codes = {t["error"] for t in TESTS if t["result"] == "invalid"}
    assert {"NOT_A_RECIPIENT", "DECRYPTION", "TEMPLATES_REQUIRED", "LIMIT", "BIOMETRIC_MISMATCH", "CLAIMS"} <= codes


@pytest.mark.parametrize("test", TESTS, ids=_id)
def test_reference_verifier(test: dict[str, Any]) -> None:
    if test["result"] == "valid":
        verified = _verify(test)
        assert verified.claims == test["claims"]
        expected = test["decrypted"]
        got = {m: {"format": t.format, "data": t.data.hex()} for m, t in verified.templates.items()} if verified.templates is not None else None
        assert got == expected
        return
    with pytest.raises(credential.VerificationError) as caught:
        _verify(test)
    assert caught.value.code.value == test["error"], str(caught.value)


def _ephemeral(hex_key: str, curve: str) -> Any:
    raw = bytes.fromhex(hex_key)
    if curve == "X25519":
        return x25519.X25519PrivateKey.from_private_bytes(raw)
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


@pytest.mark.parametrize("test", [t for t in TESTS if "issuance" in t], ids=_id)
def test_issuance_is_byte_exact(test: dict[str, Any]) -> None:
    issuance = test["issuance"]
    recipients = issuance["recipients"]
    keys = [credential.load_recipient_key(DOCUMENT["recipientKeys"][r]["publicKeyPem"]) for r in recipients]
    material = issuance["encryption"]
    ephemeral = [_ephemeral(k, DOCUMENT["recipientKeys"][r]["curve"]) for k, r in zip(material["ephemeralKeys"], recipients)]
    claims = dict(issuance["claims"])
    sealed = sealing._seal_from_parts(
        _template_set(issuance["templates"]),
        keys,
        bytes.fromhex(claims["cti"]),
        bytes.fromhex(material["cek"]),
        bytes.fromhex(material["iv"]),
        ephemeral,
        issuance["paddedSize"],
        issuer=claims["iss"],
    )
    assert sealed.hex() == test["layers"]["templates"]
    claims["xc"] = dict(claims["xc"], templates=sealed.hex())
    signer = credential.load_private_key(DOCUMENT["keys"][issuance["key"]]["privateKeyPem"])
    assert credential.issue(claims, signer, templates=_template_set(issuance["boundTemplates"]), policy=None) == test["text"]


@pytest.mark.parametrize("test", [t for t in TESTS if t["result"] == "valid"], ids=_id)
def test_valid_layers_match_the_cddl(test: dict[str, Any]) -> None:
    validator = _cddl()
    checks = [(test["layers"]["payload"], "xc-claims")]
    if test["layers"]["templates"] is not None:
        checks.append((test["layers"]["templates"], "xc-templates"))
    if test["layers"]["plaintext"] is not None:
        checks.append((bytes.fromhex(test["layers"]["plaintext"]).rstrip(b"\x00")[:-1].hex(), "xc-template-plaintext"))
    for data, root in checks:
        result = validator.validate(bytes.fromhex(data), root, require_deterministic=True)
        assert result.valid, (root, result.diagnostics)


@pytest.mark.parametrize("test", [t for t in TESTS if "Structure" in t["flags"] or "Plaintext" in t["flags"]], ids=_id)
def test_cddl_rejects_the_structure_and_plaintext_vectors(test: dict[str, Any]) -> None:
    if "Structure" in test["flags"]:
        result = _cddl().validate(bytes.fromhex(test["layers"]["templates"]), "xc-templates", require_deterministic=True)
        # Beyond CDDL: two recipients with one kid, and the ciphertext length grid.
        assert not result.valid or "kid" in test["comment"] or "grid" in test["comment"]
    else:
        body = bytes.fromhex(test["layers"]["plaintext"]).rstrip(b"\x00")
        body = body[:-1] if body.endswith(b"\x80") else body
        result = _cddl().validate(body, "xc-template-plaintext", require_deterministic=True)
        assert not result.valid or "order" in test["comment"] or "mark" in test["comment"]


@functools.cache
def _cddl() -> Any:
    from cddl_verifier import Validator

    return Validator((ROOT / "spec" / "xc.cddl").read_text(encoding="utf-8"))
