"""Encrypted templates through the ``credential`` command: keygen --decryption-key, issue --recipient-key,
verify --decryption-key, and decode showing the structure without content."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from credential.issuer import samples

SCRIPT = shutil.which("credential", path=str(Path(sys.executable).parent))
NOW = str(samples.ISSUED_AT + 60)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert SCRIPT, "the credential command is installed with the package"
    return subprocess.run([SCRIPT, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-templates")
    (path / "claims.json").write_text(json.dumps(samples.minimal()), encoding="utf-8")
    (path / "face.bin").write_bytes(samples.synthetic_face(128))
    (path / "fingers.bin").write_bytes(samples.synthetic_fingerprints(2))
    assert run("keygen", "--out", "hk.pem", cwd=path).returncode == 0
    made = run("keygen", "--decryption-key", "--out", "mo-gate.pem", cwd=path)
    assert made.returncode == 0 and "X25519 recipient key" in made.stdout
    assert run("keygen", "--decryption-key", "--curve", "P-256", "--out", "hk-gate.pem", cwd=path).returncode == 0
    assert run("keygen", "--decryption-key", "--out", "other.pem", cwd=path).returncode == 0
    issued = run(
        "issue", "claims.json", "--key", "hk.pem", "--template", "face:-1=face.bin", "--template", "fingerprint:1=fingers.bin",
        "--recipient-key", "mo-gate.pub.pem", "--recipient-key", "hk-gate.pub.pem", "--padded-size", "448", "--birth-date", samples.BIRTH_DATE,
        "--out", "cred.txt", cwd=path,
    )
    assert issued.returncode == 0, issued.stderr
    assert run("render", "cred.txt", "--out", "cred.png", cwd=path).returncode == 0
    return path


@pytest.mark.parametrize("gate", ["mo-gate.pem", "hk-gate.pem"])
def test_each_recipient_decrypts_from_the_png(workdir: Path, gate: str) -> None:
    out = run("verify", "cred.png", "--trusted-key", "HK=hk.pub.pem", "--now", NOW, "--decryption-key", gate, "--require-template", "face", cwd=workdir)
    assert out.returncode == 0, out.stderr
    view = json.loads(out.stdout)
    assert view["templates"] == {"face": {"format": -1, "bytes": 128}, "fingerprint": {"format": 1, "bytes": 244}}
    assert "templates" in view["checked"]


def test_another_key_is_refused_with_its_code(workdir: Path) -> None:
    out = run("verify", "cred.txt", "--trusted-key", "HK=hk.pub.pem", "--now", NOW, "--decryption-key", "other.pem", cwd=workdir)
    assert out.returncode == 1 and out.stderr.startswith("NOT_A_RECIPIENT: ")


def test_decode_shows_structure_not_content(workdir: Path) -> None:
    out = run("decode", "cred.txt", cwd=workdir)
    assert out.returncode == 0
    view = json.loads(out.stdout)
    structure = view["templates"]
    assert structure["padded_plaintext_bytes"] == 448 and len(structure["recipients"]) == 2
    assert {r["curve"] for r in structure["recipients"]} == {"X25519", "P-256"}
    assert samples.synthetic_face(128).hex()[:32] not in out.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("issue", "claims.json", "--key", "hk.pem", "--template", "face=face.bin", "--recipient-key", "mo-gate.pub.pem"), "MODALITY:FORMAT=FILE"),
        (("issue", "claims.json", "--key", "hk.pem", "--template", "face:-1=face.bin", "--recipient-key", "missing.pem"), "missing.pem"),
        (("issue", "claims.json", "--key", "hk.pem", "--template", "face:-1=face.bin", "--recipient-key", "hk.pub.pem"), "X25519 or P-256"),
        (("issue", "claims.json", "--key", "hk.pem", "--template", "face:-1=face.bin", "--padded-size", "448"), "--recipient-key"),
        (("issue", "claims.json", "--key", "hk.pem", "--template", "face:x=face.bin", "--recipient-key", "mo-gate.pub.pem"), "face:x"),
        (("verify", "cred.txt", "--trusted-key", "HK=hk.pub.pem", "--require-template", "face"), "--require-template needs --decryption-key"),
        (("verify", "cred.txt", "--trusted-key", "HK=hk.pub.pem", "--decryption-key", "hk.pem"), "X25519 or P-256"),
    ],
)
def test_mistakes_are_usage_errors(workdir: Path, args: tuple[str, ...], message: str) -> None:
    out = run(*args, cwd=workdir)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr, out.stderr
