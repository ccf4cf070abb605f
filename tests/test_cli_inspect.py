"""``credential inspect`` as a user runs it: exit codes, text and JSON reports, hostile input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from credential import qr

from .vectors import Vector, document, vectors

SCRIPT = shutil.which("credential", path=str(Path(sys.executable).parent))
VECTORS = vectors()


def run(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    assert SCRIPT
    done = subprocess.run([SCRIPT, *args], cwd=cwd, input=stdin, capture_output=True, timeout=60)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("inspect")
    for name, key in document()["keys"].items():
        (path / f"{name}.pem").write_text(key["publicKeyPem"])
    return path


def _options(vector: Vector) -> list[str]:
    v = vector["verifier"]
    out = ["--now", str(v["now"]), "--skew", str(v["skew"])]
    for name, issuers in v["keys"].items():
        out += ["--trusted-key", f"{','.join(issuers)}={name}.pem"]
    if v["destination"]:
        out += ["--destination", v["destination"]]
    return out


def _first(error: str) -> Vector:
    return next(v for v in VECTORS if v.raw.get("error") == error and not v["verifier"]["channel"] and not v["verifier"]["templates"])


def test_valid_with_keys(keys: Path) -> None:
    vector = VECTORS[0]
    done = run("inspect", vector["text"], *_options(vector), "--json", cwd=keys)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == "valid" and report["claims"] == vector["claims"] and report["claims_verified"]
    assert [s["verdict"] for s in report["steps"]].count("passed") >= 19


def test_expired_names_step_and_section(keys: Path) -> None:
    vector = _first("EXPIRED")
    done = run("inspect", vector["text"], *_options(vector), cwd=keys)
    assert done.returncode == 1
    assert "First failure: step 18" in done.stdout and "spec 9.2 step 18 (9.3)" in done.stdout


def test_without_keys_nothing_is_verified(keys: Path) -> None:
    done = run("inspect", "-", cwd=keys, stdin=VECTORS[0]["text"].encode() + b"\n")
    assert done.returncode == 0 and done.stdout.startswith("NOT VERIFIED")
    assert "diagnostic notation" in done.stdout and '"HK"' in done.stdout


def test_image(keys: Path) -> None:
    (keys / "code.png").write_bytes(qr.render(VECTORS[0]["text"]))
    done = run("inspect", "code.png", *_options(VECTORS[0]), "--json", cwd=keys)
    assert done.returncode == 0 and json.loads(done.stdout)["verdict"] == "valid"


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe\x00garbage", b"XC1:" + b"\x1b[31m" * 3, b"XC1Z:" + b"A" * 5000, b"", "XC1:\u202e".encode()],
)
def test_hostile_input_is_reported_not_raised(keys: Path, data: bytes) -> None:
    done = run("inspect", "-", cwd=keys, stdin=data)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "\x1b" not in done.stdout and "\u202e" not in done.stdout
    assert "First failure: step" in done.stdout


@pytest.mark.parametrize(
    "args",
    [["XC1:", "--now", "0"], ["missing.png"], ["XC1:", "--trusted-key", "HK=nothere.pem"], ["XC1:", "--trusted-key", "XX=hk-ed25519.pem"]],
)
def test_usage_mistakes_exit_2(keys: Path, args: list[str]) -> None:
    done = run("inspect", *args, cwd=keys)
    assert done.returncode == 2 and done.stderr.startswith("credential inspect:") and "Traceback" not in done.stderr


def test_serve_from_the_command_line(keys: Path) -> None:
    import re
    import urllib.parse
    import urllib.request

    vector = VECTORS[0]
    assert SCRIPT
    server = subprocess.Popen([SCRIPT, "serve", "--port", "0", *_options(vector)], cwd=keys, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:([0-9]+)/", line)
        assert found, line
        base = f"http://127.0.0.1:{found.group(1)}"
        body = urllib.parse.urlencode({"text": vector["text"]}).encode()
        with urllib.request.urlopen(urllib.request.Request(base + "/inspect", data=body), timeout=30) as response:
            page = response.read().decode("utf-8")
        assert 'class="verdict valid"' in page and "A1234563" in page
    finally:
        server.terminate()
        server.wait(timeout=30)
