"""Signing keys in a PKCS#11 token (credential/cose/pkcs11.py), against a real token: SoftHSM2, made
in a temporary folder. Without SoftHSM2 or python-pkcs11 the token tests skip (with the install
line), except in CI, where they fail. The URI and PIN rules (pkcs11_uri.py) need no token."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest

from credential.cose import pkcs11 as hsm, pkcs11_uri as names
from credential.cose.keys import BY_NAME, kid_of

from . import softhsm
from .softhsm import Token, fixed_key

MESSAGE = b"the bytes a credential signs"


# --- the URI (RFC 7512) ------------------------------------------------------------------------------


def test_a_uri_names_token_key_module_and_pin_file() -> None:
    uri = names.parse_uri("pkcs11:token=HK%20issuer;object=hk-2026;id=%01%ff;type=private?module-path=/usr/lib/x.so&pin-source=file:/run/pin")
    assert uri.get("token") == "HK issuer"
    assert uri.get("object") == "hk-2026"
    assert uri.id == b"\x01\xff"
    assert uri.module_path == "/usr/lib/x.so"
    assert uri.pin_source == "file:/run/pin"
    assert uri.describe() == "pkcs11:token=HK issuer;object=hk-2026;id=01ff"


@pytest.mark.parametrize(("text", "reason"), [
    ("pkcs12:object=k", "begins with pkcs11:"),
    ("pkcs11:object=k?pin-value=1234", "a PIN is never written in a URI"),
    ("pkcs11:object=k?module-name=softhsm2", "module-path"),
    ("pkcs11:object=k;x-vendor=1", "'x-vendor' is not one of"),
    ("pkcs11:object=k;objct=k", "'objct' is not one of"),
    ("pkcs11:object=k;object=j", "object twice"),
    ("pkcs11:object=k;type=public", "a signing key is type=private"),
    ("pkcs11:object=k;slot-id=one", "slot-id is a decimal number"),
    ("pkcs11:token=t", "names no key"),
    ("pkcs11:object=a key", "must be percent-encoded"),
    ("pkcs11:object=k%zz", "must be percent-encoded"),
    ("pkcs11:object=k#frag", "no fragment"),
    ("pkcs11:object=k;token", "without a value"),
    ("pkcs11:object=k?1234", "without a value"),
    ("pkcs11:object=%ff", "not UTF-8"),
    ("pkcs11:object=k?pin-source=%7C/usr/bin/getpin", "only a file: URI"),
])
def test_a_malformed_uri_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        names.parse_uri(text)


def test_the_pin_comes_from_one_place(tmp_path: Path) -> None:
    pin_file = tmp_path / "pin"
    pin_file.write_bytes(b"73-secret\n")
    uri = names.parse_uri("pkcs11:object=k")
    assert names.resolve_pin(uri, pin_file=str(pin_file), environ={}) == "73-secret"
    assert names.resolve_pin(uri, environ={names.ENV_PIN: "73-secret"}) == "73-secret"
    assert names.resolve_pin(names.parse_uri(f"pkcs11:object=k?pin-source=file://{pin_file}"), environ={}) == "73-secret"
    assert names.resolve_pin(uri, environ={}) is None
    with pytest.raises(hsm.TokenError, match="given twice") as err:
        names.resolve_pin(uri, pin_file=str(pin_file), environ={names.ENV_PIN: "73-secret"})
    assert "73-secret" not in str(err.value)
    with pytest.raises(hsm.TokenError, match="set but empty"):
        names.resolve_pin(uri, environ={names.ENV_PIN: ""})


@pytest.mark.parametrize(("content", "reason"), [(b"", "is empty"), (b"\n", "is empty"), (b"x" * 300, "not a PIN"), (b"\xff\xfe\n", "not UTF-8")])
def test_a_bad_pin_file_is_refused_without_showing_it(tmp_path: Path, content: bytes, reason: str) -> None:
    pin_file = tmp_path / "pin"
    pin_file.write_bytes(content)
    with pytest.raises(hsm.TokenError, match=reason) as err:
        names.read_pin_file(str(pin_file))
    assert "xxxx" not in str(err.value)
    with pytest.raises(hsm.TokenError, match="No such file"):
        names.read_pin_file(str(tmp_path / "absent"))


def test_the_module_comes_from_the_uri_an_argument_or_the_environment() -> None:
    uri = names.parse_uri("pkcs11:object=k?module-path=/opt/hsm.so")
    assert names.resolve_module(uri, environ={}) == "/opt/hsm.so"
    assert names.resolve_module(names.parse_uri("pkcs11:object=k"), environ={names.ENV_MODULE: "/opt/env.so"}) == "/opt/env.so"
    assert names.resolve_module(names.parse_uri("pkcs11:object=k"), environ={}) == names.DEFAULT_MODULE
    with pytest.raises(hsm.TokenError, match="differ"):
        names.resolve_module(uri, "/opt/other.so", environ={})


def test_a_missing_module_is_named() -> None:
    pytest.importorskip("pkcs11", reason=f"needs python-pkcs11 ({softhsm.INSTALL_CLIENT})")
    with pytest.raises(hsm.TokenError, match="/nowhere/lib.so does not exist"):
        hsm.open_token_key("pkcs11:object=k", module="/nowhere/lib.so", pin="1")


# --- a real token ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Token]:
    with softhsm.token_with(tmp_path_factory.mktemp("softhsm"), {"ed": fixed_key("Ed25519"), "es": fixed_key("ES256")}) as made:
        yield made


def _open(token: Token, label: str, **attrs: str) -> hsm.TokenKey:
    return hsm.open_token_key(token.uri(label, **attrs), pin=token.pin, environ={})


def test_ed25519_through_the_token_is_the_same_bytes_as_from_the_file(token: Token) -> None:
    file_key = fixed_key("Ed25519")
    with _open(token, "ed") as key:
        assert key.algorithm is BY_NAME["Ed25519"]
        assert key.kid == kid_of(file_key) == kid_of(key)
        assert key.sign(MESSAGE) == BY_NAME["Ed25519"].sign(file_key, MESSAGE)


def test_es256_through_the_token_verifies_with_the_file_key_in_low_s_form(token: Token) -> None:
    file_key = fixed_key("ES256")
    alg = BY_NAME["ES256"]
    with _open(token, "es") as key:
        assert key.algorithm is alg
        assert key.kid == kid_of(file_key)
        signatures = {key.sign(MESSAGE) for _ in range(8)}
    # SoftHSM2 has no RFC 6979: each signature differs, and each is low-S and verifies (spec 4.2).
    assert len(signatures) == 8
    for signature in signatures:
        assert int.from_bytes(signature[32:], "big") <= 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551 // 2
        alg.verify(file_key.public_key(), signature, MESSAGE)


def test_a_key_is_named_by_its_id_as_well(token: Token) -> None:
    with hsm.open_token_key(f"pkcs11:token={token.label};id=%02", pin=token.pin, environ={}) as key:
        assert key.kid == kid_of(fixed_key("ES256"))


@pytest.mark.parametrize("alg", ["Ed25519", "ES256"])
def test_a_key_made_in_the_token_never_leaves_it(token: Token, alg: str) -> None:
    import pkcs11

    label = f"made-{alg}"
    with hsm.generate_token_key(token.uri(label), alg, pin=token.pin, environ={}) as key:
        assert key.algorithm.name == alg
        kid = key.kid
        BY_NAME[alg].verify(key.public_key, key.sign(MESSAGE), MESSAGE)
    A = pkcs11.Attribute
    with softhsm.session(token) as s:
        private = s.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=label)
        assert (private[A.EXTRACTABLE], private[A.SENSITIVE], private[A.NEVER_EXTRACTABLE], private[A.ALWAYS_SENSITIVE]) == (False, True, True, True)
        assert private[A.ID] == kid  # the id is the kid, so a URI can name the key by it
        with pytest.raises(pkcs11.AttributeSensitive):
            private[A.VALUE]
    with hsm.open_token_key(f"pkcs11:token={token.label};id={''.join(f'%{b:02x}' for b in kid)}", pin=token.pin, environ={}) as again:
        assert again.kid == kid
    with pytest.raises(hsm.TokenError, match="never replaced"):
        hsm.generate_token_key(token.uri(label), alg, pin=token.pin, environ={})


def test_a_wrong_pin_is_refused_without_showing_it(token: Token) -> None:
    with pytest.raises(hsm.TokenError, match="refused the PIN") as err:
        hsm.open_token_key(token.uri("ed"), pin="9999-wrong", environ={})
    assert "9999" not in str(err.value) and token.pin not in str(err.value)


def test_no_pin_is_named_as_the_mistake(token: Token) -> None:
    with pytest.raises(hsm.TokenError, match="needs a PIN: set XC_PKCS11_PIN, or give --pin-file"):
        hsm.open_token_key(token.uri("ed"), environ={})


@pytest.mark.parametrize(("setup", "uri", "reason"), [
    (None, "pkcs11:token=absent;object=ed", "no token matches pkcs11:token=absent"),
    (None, "pkcs11:token={token};object=absent", "no private key pkcs11:token={token};object=absent"),
    ("public-only", "pkcs11:token={token};object=pub", "names a public key, not a private key"),
    ("secret", "pkcs11:token={token};object=aes", "names a secret key, not a private key"),
    ("rsa", "pkcs11:token={token};object=rsa", "is a RSA key: XC signs with Ed25519 or P-256"),
    ("p384", "pkcs11:token={token};object=p384", "is a EC key on another curve"),
    ("no-sign", "pkcs11:token={token};object=nosign", "does not let .* sign"),
    ("mismatch", "pkcs11:token={token};object=mismatch", "does not verify with the public key"),
    ("twice", "pkcs11:token={token};object=twice", "2 private keys match .* add id="),
])
def test_a_key_that_cannot_sign_is_named_with_the_reason(token: Token, setup: str | None, uri: str, reason: str) -> None:
    other = fixed_key("Ed25519")
    from cryptography.hazmat.primitives.asymmetric import ed25519

    prepare = {
        "public-only": lambda: _public_only(token),
        "secret": lambda: softhsm.generate_secret(token, "aes"),
        "rsa": lambda: softhsm.generate_other(token, "rsa", "rsa"),
        "p384": lambda: softhsm.generate_other(token, "p384", "p384"),
        "no-sign": lambda: softhsm.import_key(token, other, "nosign", b"\x10", sign=False),
        "mismatch": lambda: softhsm.import_key(token, other, "mismatch", b"\x11", public_of=ed25519.Ed25519PrivateKey.generate()),
        "twice": lambda: (softhsm.import_key(token, other, "twice", b"\x12"), softhsm.import_key(token, other, "twice", b"\x13")),
    }
    if setup is not None:
        prepare[setup]()
    with pytest.raises(hsm.TokenError, match=reason.format(token=token.label)) as err:
        hsm.open_token_key(uri.format(token=token.label), pin=token.pin, environ={})
    assert token.pin not in str(err.value)


def _public_only(token: Token) -> None:
    import pkcs11

    A = pkcs11.Attribute
    point = fixed_key("Ed25519").public_key().public_bytes_raw()
    with softhsm.session(token) as s:
        s.create_object({A.CLASS: pkcs11.ObjectClass.PUBLIC_KEY, A.KEY_TYPE: pkcs11.KeyType.EC_EDWARDS, A.TOKEN: True,
                         A.LABEL: "pub", A.EC_PARAMS: softhsm.ED25519, A.EC_POINT: b"\x04\x20" + point})


def test_a_token_without_the_mechanism_is_named(token: Token, tmp_path: Path) -> None:
    # SoftHSM2 lists only the mechanisms its configuration enables: this one offers no CKM_EDDSA.
    narrow = softhsm.make_token(tmp_path, label="narrow", mechanisms="CKM_ECDSA,CKM_EC_KEY_PAIR_GEN")
    wide = softhsm.Token(narrow.folder, tmp_path / "wide.conf", "narrow")
    wide.conf.write_text(narrow.conf.read_text(encoding="utf-8").replace("slots.mechanisms", "#"), encoding="utf-8")
    try:
        softhsm.use_token(wide)
        softhsm.import_key(wide, fixed_key("Ed25519"), "ed", b"\x01")
        softhsm.use_token(narrow)
        with pytest.raises(hsm.TokenError, match="does not offer CKM_EDDSA, which Ed25519 signing needs"):
            hsm.open_token_key("pkcs11:token=narrow;object=ed", pin=narrow.pin, environ={})
    finally:
        softhsm.use_token(token)


def test_a_token_key_is_not_pickled_and_its_spec_hides_the_pin(token: Token) -> None:
    with _open(token, "ed") as key:
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(key)
        assert token.pin not in repr(key.spec) and token.pin not in repr(key)
        with hsm.TokenKey(pickle.loads(pickle.dumps(key.spec))) as again:
            assert again.kid == key.kid


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_without_softhsm_skip_locally_but_fail_in_ci(monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]) -> None:
    monkeypatch.setattr(softhsm, "MODULE", "/nonexistent/libsofthsm2.so")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="apt-get install -y softhsm2"):
        softhsm.require()
