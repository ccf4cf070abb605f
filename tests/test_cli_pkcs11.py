"""The command line with keys in a PKCS#11 token: wherever ``--key`` takes a private key file it takes
a ``pkcs11:`` URI, ``keygen --out pkcs11:...`` makes the pair in the token, and the PIN comes from
XC_PKCS11_PIN or ``--pin-file``, never from the command line. Mistakes exit 2 with a clear message
that holds no PIN; nothing prints a traceback. Runs against a SoftHSM2 token in a temporary folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import credential
from credential.issuer import samples
from credential.lists import trust

from . import softhsm
from .softhsm import Token
from .trust_vectors import document as trust_document, signed_list
from .vectors import document

SCRIPT = shutil.which("credential", path=str(Path(sys.executable).parent))
HK_PEM = document()["keys"]["hk-ed25519"]["privateKeyPem"]
LIST_PEM = trust_document()["keys"]["hk-list"]["privateKeyPem"]
T0 = "1798761600"


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Token]:
    keys = {"hk": credential.load_private_key(HK_PEM), "hk-list": credential.load_private_key(LIST_PEM),
            "hk-es256": credential.load_private_key(document()["keys"]["hk-es256"]["privateKeyPem"])}
    with softhsm.token_with(tmp_path_factory.mktemp("softhsm"), keys) as made:
        softhsm.generate_other(made, "rsa", "rsa")
        yield made


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-hsm")
    (path / "hk.pem").write_text(HK_PEM, encoding="ascii")
    (path / "hk.pub.pem").write_bytes(credential.public_key_to_pem(credential.load_private_key(HK_PEM)))
    (path / "list.pem").write_text(LIST_PEM, encoding="ascii")
    claims = credential.complete_claims(samples.full(), samples.TEMPLATES)  # cti and iat fixed: the same claims every run below
    (path / "claims.json").write_text(json.dumps(claims, ensure_ascii=False), encoding="utf-8")
    lines = [json.dumps({**claims, "cti": n.to_bytes(8, "big").hex()}) for n in range(40)]
    (path / "claims.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    assert SCRIPT, "the credential command is installed with the package"
    result = subprocess.run([SCRIPT, *args], cwd=cwd, env=env, capture_output=True, timeout=120)
    assert b"Traceback" not in result.stderr, result.stderr.decode()
    return result


def test_issue_through_the_token_is_issue_from_the_file(token: Token, workdir: Path) -> None:
    from_file = run("issue", "claims.json", "--key", "hk.pem", "--policy", "none", cwd=workdir, env=token.env())
    through = run("issue", "claims.json", "--key", token.uri("hk"), "--policy", "none", cwd=workdir, env=token.env())
    assert from_file.returncode == 0 and through.returncode == 0, through.stderr
    assert through.stdout == from_file.stdout


def test_the_pin_comes_from_a_file(token: Token, workdir: Path) -> None:
    (workdir / "pin").write_text(token.pin + "\n", encoding="utf-8")
    env = {k: v for k, v in token.env().items() if k != "XC_PKCS11_PIN"}
    result = run("issue", "claims.json", "--key", token.uri("hk"), "--pin-file", "pin", "--policy", "none", cwd=workdir, env=env)
    assert result.returncode == 0, result.stderr
    twice = run("issue", "claims.json", "--key", token.uri("hk"), "--pin-file", "pin", "--policy", "none", cwd=workdir, env=token.env())
    assert twice.returncode == 2 and b"the PIN is given twice" in twice.stderr


def test_batch_issue_through_the_token_is_batch_issue_from_the_file(token: Token, workdir: Path) -> None:
    args = ("issue", "claims.jsonl", "--batch", "--jobs", "2", "--quiet", "--policy", "none")
    from_file = run(*args, "--key", "hk.pem", cwd=workdir, env=token.env())
    through = run(*args, "--key", token.uri("hk"), cwd=workdir, env=token.env())
    assert from_file.returncode == 0 and through.returncode == 0, through.stderr
    assert through.stdout == from_file.stdout and through.stdout.count(b"\n") == 40


def test_trust_sign_through_the_token_is_the_vector(token: Token, workdir: Path) -> None:
    (workdir / "hk-1.cbor").write_bytes(trust.parse(signed_list("hk-1")).payload)
    result = run("trust", "sign", "hk-1.cbor", "--key", token.uri("hk-list"), "--out", "hk-1.xctl", cwd=workdir, env=token.env())
    assert result.returncode == 0, result.stderr
    assert (workdir / "hk-1.xctl").read_bytes() == signed_list("hk-1")


def test_status_publish_through_the_token_is_publish_from_the_file(token: Token, workdir: Path) -> None:
    outputs = []
    published_at = str(int(time.time()))  # publish refuses a time far from the issuer's clock (spec 17.6); one time for both
    for name, key in (("file", "hk.pem"), ("token", token.uri("hk"))):
        db = f"{name}.sqlite"
        assert run("status", "create", "--status-db", db, "--issuer", "HK", "--list", "hk-1", "--size", "256", "--now", T0, cwd=workdir, env=token.env()).returncode == 0
        result = run("status", "publish", "--status-db", db, "--list", "hk-1", "--key", key, "--out", f"{name}.cwt", "--now", published_at, cwd=workdir,
                     env=token.env())
        assert result.returncode == 0, result.stderr
        outputs.append((workdir / f"{name}.cwt").read_bytes())
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("alg", ["Ed25519", "ES256"])
def test_keygen_makes_the_pair_in_the_token_and_writes_only_the_public_key(token: Token, workdir: Path, alg: str) -> None:
    uri = token.uri(f"new-{alg}")
    result = run("keygen", "--alg", alg, "--out", uri, "--public", f"new-{alg}.pub.pem", cwd=workdir, env=token.env())
    assert result.returncode == 0, result.stderr
    public = credential.load_public_key((workdir / f"new-{alg}.pub.pem").read_bytes())
    assert credential.kid_of(public).hex() in result.stdout.decode()
    issued = run("issue", "claims.json", "--key", uri, "--policy", "none", "--out", f"new-{alg}.txt", cwd=workdir, env=token.env())
    assert issued.returncode == 0, issued.stderr
    verified = run("verify", f"new-{alg}.txt", "--trusted-key", f"HK=new-{alg}.pub.pem", "--now", str(int(T0) + 60), cwd=workdir, env=token.env())
    assert verified.returncode == 0, verified.stderr
    again = run("keygen", "--alg", alg, "--out", uri, "--public", "other.pub.pem", cwd=workdir, env=token.env())
    assert again.returncode == 2 and b"never replaced" in again.stderr


@pytest.mark.parametrize(("args", "reason"), [
    (("keygen", "--out", "pkcs11:token={token};object=x"), b"--public"),
    (("keygen", "--out", "pkcs11:token={token};object=x", "--public", "x.pub.pem", "--force"), b"never replaced"),
    (("keygen", "--decryption-key", "--out", "pkcs11:token={token};object=x", "--public", "x.pub.pem"), b"--decryption-key makes a file"),
    (("keygen", "--out", "plain.pem", "--pin-file", "pin"), b"--pin-file is for a key made in a token"),
    (("issue", "claims.json", "--key", "hk.pem", "--pin-file", "pin"), b"--pin-file is for a key in a token"),
    (("issue", "claims.json", "--key", "pkcs11:token={token};object=hk?pin-value=1234"), b"a PIN is never written in a URI"),
    (("issue", "claims.json", "--key", "pkcs11:token={token};object=absent"), b"no private key pkcs11:token={token};object=absent"),
    (("issue", "claims.json", "--key", "pkcs11:token=absent;object=hk"), b"no token matches"),
    (("issue", "claims.json", "--key", "pkcs11:token={token};object=rsa"), b"is a RSA key"),
    (("trust", "sign", "hk-1.cbor", "--key", "pkcs11:token={token};object=absent", "--out", "x"), b"no private key"),
    (("status", "publish", "--status-db", "mistake.sqlite", "--list", "hk-1", "--key", "pkcs11:token={token};object=absent", "--out", "x"), b"no private key"),
])
def test_a_mistake_exits_2_with_its_reason(token: Token, workdir: Path, args: tuple[str, ...], reason: bytes) -> None:
    (workdir / "pin").write_text(token.pin + "\n", encoding="utf-8")
    (workdir / "hk-1.cbor").write_bytes(trust.parse(signed_list("hk-1")).payload)
    if not (workdir / "mistake.sqlite").exists():
        run("status", "create", "--status-db", "mistake.sqlite", "--issuer", "HK", "--list", "hk-1", "--size", "64", "--now", T0, cwd=workdir, env=token.env())
    result = run(*(a.format(token=token.label) for a in args), cwd=workdir, env=token.env())
    assert result.returncode == 2, result.stderr
    assert reason.replace(b"{token}", token.label.encode()) in result.stderr
    assert token.pin.encode() not in result.stderr + result.stdout


def test_a_wrong_pin_exits_2_without_showing_it(token: Token, workdir: Path) -> None:
    result = run("issue", "claims.json", "--key", token.uri("hk"), cwd=workdir, env=token.env(XC_PKCS11_PIN="8642-wrong"))
    assert result.returncode == 2 and b"refused the PIN" in result.stderr
    assert b"8642" not in result.stderr + result.stdout
    batch = run("issue", "claims.jsonl", "--batch", "--key", token.uri("hk"), cwd=workdir, env=token.env(XC_PKCS11_PIN="8642-wrong"))
    assert batch.returncode == 2 and b"refused the PIN" in batch.stderr and batch.stdout == b""


def test_no_pin_exits_2_naming_where_it_goes(token: Token, workdir: Path) -> None:
    env = {k: v for k, v in token.env().items() if k != "XC_PKCS11_PIN"}
    result = run("issue", "claims.json", "--key", token.uri("hk"), cwd=workdir, env=env)
    assert result.returncode == 2 and b"set XC_PKCS11_PIN, or give --pin-file" in result.stderr


def test_a_token_that_refuses_the_mechanism_exits_2(token: Token, workdir: Path) -> None:
    # The same token folder, with SoftHSM2 told to offer ECDSA only: Ed25519 signing is refused.
    narrow = workdir / "narrow.conf"
    narrow.write_text(token.conf.read_text(encoding="utf-8") + "slots.mechanisms = CKM_ECDSA,CKM_EC_KEY_PAIR_GEN\n", encoding="utf-8")
    result = run("issue", "claims.json", "--key", token.uri("hk"), cwd=workdir, env=token.env(SOFTHSM2_CONF=str(narrow)))
    assert result.returncode == 2 and b"does not offer CKM_EDDSA" in result.stderr
    es256 = run("issue", "claims.json", "--key", token.uri("hk-es256"), "--policy", "none", cwd=workdir, env=token.env(SOFTHSM2_CONF=str(narrow)))
    assert es256.returncode == 0, es256.stderr
