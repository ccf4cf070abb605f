"""A key in a PKCS#11 token signs wherever a private key does: credentials (one and in batches),
trust lists and status lists. With Ed25519 the token gives the same bytes as the key in a file (the
published vectors, re-signed through SoftHSM2); ES256 through SoftHSM2 has no RFC 6979, so its
results are checked by verifying them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import credential
from credential.cose import pkcs11 as hsm
from credential.issuer import samples
from credential.lists import status_list, trust
from credential.issuer.batch import issue_lines

from . import softhsm
from .softhsm import Token
from .trust_vectors import document as trust_document, signed_list
from .vectors import ROOT, Vector, document, vectors

STATUS_FILE = ROOT / "test-vectors" / "status.json"
ISSUANCE = [v for v in vectors() if "issuance" in v.raw]
KEYS = {  # token label: the vector key imported under it (every issuance vector's, and two list-signing keys)
    **{v["issuance"]["key"]: document()["keys"][v["issuance"]["key"]]["privateKeyPem"] for v in ISSUANCE},
    "hk-list": trust_document()["keys"]["hk-list"]["privateKeyPem"],
    "mo-list": trust_document()["keys"]["mo-list"]["privateKeyPem"],
}


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Token]:
    keys = {label: credential.load_private_key(pem) for label, pem in KEYS.items()}
    with softhsm.token_with(tmp_path_factory.mktemp("softhsm"), keys) as made:
        yield made


@pytest.fixture(scope="module")
def opened(token: Token) -> Iterator[dict[str, hsm.TokenKey]]:
    keys = {label: hsm.open_token_key(token.uri(label), pin=token.pin, environ={}) for label in KEYS}
    yield keys
    for key in keys.values():
        key.close()


def _file_key(label: str) -> credential.cose.keys.PrivateKey:
    return credential.load_private_key(KEYS[label])


@pytest.mark.parametrize("vector", ISSUANCE, ids=lambda v: v.id)
def test_a_credential_signed_in_the_token_is_the_vector_or_verifies(opened: dict[str, hsm.TokenKey], vector: Vector) -> None:
    issuance = vector["issuance"]
    key = opened[issuance["key"]]
    text = credential.issue(issuance["claims"], key, templates=vector.templates(issuance["templates"]), deflate=issuance["deflate"], policy=None)
    if key.algorithm.name == "Ed25519":
        assert text == vector["text"]  # byte for byte: Ed25519 is deterministic wherever the key is
    else:
        assert text != vector["text"]  # SoftHSM2's CKM_ECDSA draws its nonce: not RFC 6979
        keys = credential.KeySet([credential.TrustedKey(_file_key(issuance["key"]).public_key(), {vector["claims"]["iss"]})])
        verified = credential.Verifier(keys).verify(text, now=vector["verifier"]["now"])
        assert verified.claims == vector["claims"] and verified.kid == key.kid


def test_a_batch_signed_in_the_token_is_the_batch_signed_from_the_file(opened: dict[str, hsm.TokenKey], token: Token,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XC_PKCS11_PIN", token.pin)  # unused by workers: they get the PIN with the key's spec
    claims = credential.complete_claims(samples.full(), samples.TEMPLATES)  # iat fixed, for both batches
    lines = []
    for number in range(150):  # more than two chunks, so both workers sign
        lines.append(json.dumps({**claims, "cti": number.to_bytes(8, "big").hex()}))
    lines.insert(70, "{not json")
    from_file = list(issue_lines(lines, _file_key("hk-ed25519"), jobs=2, phase=None))
    from_token = list(issue_lines(lines, opened["hk-ed25519"], jobs=2, phase=None))
    assert from_token == from_file
    assert sum(r.error is None for r in from_token) == 150 and from_token[70].error is not None


def test_a_batch_through_the_token_with_es256_verifies(opened: dict[str, hsm.TokenKey]) -> None:
    claims = credential.complete_claims(samples.full(), samples.TEMPLATES)
    lines = [json.dumps({**claims, "cti": n.to_bytes(8, "big").hex()}) for n in range(20)]
    keys = credential.KeySet([credential.TrustedKey(_file_key("hk-es256").public_key(), {"HK"})])
    verifier = credential.Verifier(keys)
    results = list(issue_lines(lines, opened["hk-es256"], jobs=2, phase=None))
    assert [r.line for r in results] == list(range(1, 21))
    for result in results:
        assert result.text is not None
        assert verifier.verify(result.text, now=claims["iat"]).cti.hex() == result.cti


def test_a_trust_list_signed_in_the_token_is_the_vector(opened: dict[str, hsm.TokenKey]) -> None:
    parsed = trust.parse(signed_list("hk-1"))
    assert parsed.document is not None
    assert trust.sign(parsed.document, opened["hk-list"]) == signed_list("hk-1")
    mo = trust.parse(signed_list("mo-7"))
    assert mo.document is not None
    signed = trust.sign(mo.document, opened["mo-list"])  # ES256: verifies under the pinned key
    pins = trust.pins_of({"MO": [_file_key("mo-list").public_key()]})
    assert trust.verify_list(signed, pins) == mo.document


def test_a_list_signing_key_in_the_token_may_not_list_itself(opened: dict[str, hsm.TokenKey]) -> None:
    parsed = trust.parse(signed_list("hk-1"))
    assert parsed.document is not None
    own = trust.ListedKey(opened["hk-list"].public_key, "HK", ("MO",), ("minimal",), 0, 1)
    with pytest.raises(ValueError, match="may not list itself"):
        trust.sign(credential.TrustList("HK", 9, 0, 1, (*parsed.document.keys, own)), opened["hk-list"])


def test_a_status_list_signed_in_the_token_is_the_vector(opened: dict[str, hsm.TokenKey]) -> None:
    vector = json.loads(STATUS_FILE.read_text(encoding="utf-8"))["lists"]["hk-1"]
    token = bytes.fromhex(vector["token"])
    held = status_list.read_unverified(token)
    again = status_list.build_token(opened["hk-ed25519"], held.issuer, held.list_id, issued_at=held.issued_at,
                                    expires=held.expires, bits=held.bits, bit_array=held.data, ttl=held.ttl)
    assert again == token


def test_an_authority_publishes_through_the_token(opened: dict[str, hsm.TokenKey], tmp_path: Path) -> None:
    published = {}
    for name, key in (("file", _file_key("hk-ed25519")), ("token", opened["hk-ed25519"]), ("es256", opened["hk-es256"])):
        authority = credential.StatusAuthority(tmp_path / f"{name}.sqlite", "HK", clock=lambda: 1002)  # the issuer's clock at publication
        authority.create_list("hk-1", 1024, now=1000)
        published[name] = authority.publish("hk-1", key, now=1002, lifetime=3600)
        authority.close()
    assert published["token"] == published["file"]
    es256 = opened["hk-es256"]
    assert published["es256"].kid == es256.kid
    trusted = credential.KeySet([credential.TrustedKey(_file_key("hk-es256").public_key(), {"HK"})])
    assert status_list.read_token(published["es256"].token, trusted).status(7) == status_list.VALID
