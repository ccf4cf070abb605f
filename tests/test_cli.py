"""The ``credential`` command, driven as a user would: separate processes, files, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from credential.issuer import samples

SCRIPT = shutil.which("credential", path=str(Path(sys.executable).parent))


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert SCRIPT, "the credential command is installed with the package"
    return subprocess.run([SCRIPT, *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli")
    (path / "claims.json").write_text(json.dumps(samples.full(), ensure_ascii=False), encoding="utf-8")
    (path / "face.bin").write_bytes(samples.TEMPLATES["face"])
    (path / "finger.bin").write_bytes(samples.TEMPLATES["fingerprint"])
    assert run("keygen", "--alg", "ES256", "--out", "hk.pem", cwd=path).returncode == 0
    issued = run("issue", "claims.json", "--key", "hk.pem", "--template", "face=face.bin", "--template", "fingerprint=finger.bin", "--out", "cred.txt", cwd=path)
    assert issued.returncode == 0, issued.stderr
    return path


NOW = str(samples.ISSUED_AT + 60)


def test_keygen_writes_both_halves(workdir: Path) -> None:
    assert (workdir / "hk.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert (workdir / "hk.pub.pem").read_text().startswith("-----BEGIN PUBLIC KEY-----")


def test_verify_text_file(workdir: Path) -> None:
    result = run("verify", "cred.txt", "--trusted-key", "HK=hk.pub.pem", "--now", NOW, "--destination", "MO", "--template", "face=face.bin", cwd=workdir)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["valid"] and out["alg"] == "ES256" and out["claims"]["xc"]["name_zh"] == "陳大文"


def test_verify_literal_text_and_stdin(workdir: Path) -> None:
    text = (workdir / "cred.txt").read_text().strip()
    assert run("verify", text, "--trusted-key", "HK=hk.pub.pem", "--now", NOW, cwd=workdir).returncode == 0
    assert run("verify", "-", "--trusted-key", "HK=hk.pub.pem", "--now", NOW, cwd=workdir, stdin=text + "\n").returncode == 0


def test_render_scan_verify_image(workdir: Path) -> None:
    assert run("render", "cred.txt", "--out", "cred.png", cwd=workdir).returncode == 0
    assert run("render", "cred.txt", "--format", "svg", "--out", "cred.svg", cwd=workdir).returncode == 0
    assert (workdir / "cred.svg").read_text().lstrip().startswith("<?xml")
    scanned = run("scan", "cred.png", cwd=workdir)
    assert scanned.stdout.strip() == (workdir / "cred.txt").read_text().strip()
    verified = run("verify", "cred.png", "--trusted-key", "HK=hk.pub.pem", "--now", "2027-01-01T08:01:00+08:00", cwd=workdir)
    assert verified.returncode == 0, verified.stderr


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--trusted-key", "MO=hk.pub.pem", "--now", NOW], "ISSUER_NOT_AUTHORIZED"),
        (["--trusted-key", "HK=hk.pub.pem", "--now", "1900000000"], "EXPIRED"),
        (["--trusted-key", "HK=hk.pub.pem", "--now", NOW, "--destination", "HK"], "NOT_ENTITLED"),
        (["--trusted-key", "HK=hk.pub.pem", "--now", NOW, "--template", "face=finger.bin"], "BIOMETRIC_MISMATCH"),
    ],
)
def test_verify_failures_print_the_code(workdir: Path, args: list[str], code: str) -> None:
    result = run("verify", "cred.txt", *args, cwd=workdir)
    assert result.returncode == 1
    assert result.stderr.startswith(code + ":")


def test_tampered_text_fails_with_code(workdir: Path) -> None:
    text = (workdir / "cred.txt").read_text().strip()
    result = run("verify", "XC2:" + text[4:], "--trusted-key", "HK=hk.pub.pem", "--now", NOW, cwd=workdir)
    assert result.returncode == 1 and result.stderr.startswith("VERSION:")


def test_decode_shows_layers(workdir: Path) -> None:
    result = run("decode", "cred.txt", cwd=workdir)
    layers = json.loads(result.stdout)
    assert layers["prefix"] == "XC1:" and layers["claims"]["iss"] == "HK" and layers["cose"].startswith("d284")


@pytest.mark.parametrize(
    "args",
    [
        ["verify", "cred.txt"],
        ["verify", "missing.txt", "--trusted-key", "HK=hk.pub.pem"],
        ["verify", "cred.txt", "--trusted-key", "HK=hk.pub.pem", "--now", "2027-01-01T00:00:00"],
        ["issue", "claims.json", "--key", "hk.pem"],
        ["scan", "claims.json"],
        # The gate's own configuration mistakes are usage errors, never a traveller's error code.
        ["verify", "cred.txt", "--trusted-key", "hk.pub.pem", "--now", NOW],
        ["verify", "cred.txt", "--trusted-key", "hk=hk.pub.pem", "--now", NOW],
        ["verify", "cred.txt", "--trusted-key", "XX=hk.pub.pem", "--now", NOW],
        ["verify", "cred.txt", "--trusted-key", "HK=hk.pub.pem", "--now", NOW, "--destination", "mo"],
        ["verify", "cred.txt", "--trusted-key", "HK=hk.pub.pem", "--now", NOW, "--skew", "-5"],
    ],
)
def test_usage_mistakes_exit_2(workdir: Path, args: list[str]) -> None:
    result = run(*args, cwd=workdir)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("credential ")


def test_demo(tmp_path: Path) -> None:
    result = run("demo", "--out", "demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "scanned  identical text" in result.stdout
    assert (tmp_path / "demo" / "credential.png").stat().st_size > 0


def test_issue_batch_links_each_output_to_its_input_line(workdir: Path) -> None:
    lines = []
    for i in range(5):
        claims = samples.minimal()
        claims["cti"] = f"{i:016x}"
        lines.append(json.dumps({"claims": claims, "templates": {m: t.hex() for m, t in samples.TEMPLATES.items()}, "birth_date": samples.BIRTH_DATE}))
    lines.insert(2, '{"iss": "HK"}')
    lines.insert(4, "")  # blank lines are skipped but counted, so numbers match an editor's
    lines.insert(5, "[" * 100_000 + "]" * 100_000)  # too deep: fails alone, the chunk's other lines survive
    (workdir / "batch.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("issue", "--batch", "batch.jsonl", "--key", "hk.pem", "--jobs", "2", "--out", "batch.jsonl.out",
                 "--failures", "failed.jsonl", cwd=workdir)
    assert result.returncode == 2, result.stderr
    assert result.stderr == "credential issue: 2 of 7 lines not issued\n"  # no progress bar: not a terminal
    failed = [json.loads(line) for line in (workdir / "failed.jsonl").read_text().splitlines()]
    assert [f["line"] for f in failed] == [3, 6]
    assert "exp" in failed[0]["error"] and "nested deeper" in failed[1]["error"]
    issued = [json.loads(line) for line in (workdir / "batch.jsonl.out").read_text().splitlines()]
    assert [r["line"] for r in issued] == [1, 2, 4, 7, 8]
    for i, record in enumerate(issued):
        assert record["cti"] == f"{i:016x}"
        decoded = run("decode", record["text"], cwd=workdir)
        assert json.loads(decoded.stdout)["claims"]["cti"] == record["cti"]


def test_issue_batch_reports_failures_on_stderr_and_reads_stdin(workdir: Path) -> None:
    good = json.dumps({"claims": samples.minimal(), "templates": {m: t.hex() for m, t in samples.TEMPLATES.items()}, "birth_date": samples.BIRTH_DATE})
    result = run("issue", "--batch", "-", "--key", "hk.pem", "--jobs", "1", cwd=workdir, stdin=f"{good}\nnot json\n{good}\n")
    assert result.returncode == 2
    assert result.stderr.splitlines()[0].startswith("line 2: not JSON")
    assert [json.loads(line)["line"] for line in result.stdout.splitlines()] == [1, 3]
    everything = run("issue", "--batch", "-", "--key", "hk.pem", "--jobs", "1", cwd=workdir, stdin=good + "\n")
    assert everything.returncode == 0 and everything.stderr == ""


def test_issue_batch_refuses_template_option(workdir: Path) -> None:
    result = run("issue", "--batch", "batch.jsonl", "--key", "hk.pem", "--template", "face=face.bin", cwd=workdir)
    assert result.returncode == 2 and '"templates"' in result.stderr


@pytest.mark.parametrize("field", ["exp", "iat"])
def test_issue_names_a_json_time_without_its_offset(workdir: Path, field: str) -> None:
    """Spec 9.1: a time as JSON text needs its UTC offset; without one it names no instant and is refused."""
    claims = {**samples.minimal(), field: "2027-01-01T00:00:00"}
    (workdir / "text-time.json").write_text(json.dumps(claims), encoding="utf-8")
    templates = ["--template", "face=face.bin", "--template", "fingerprint=finger.bin"]
    result = run("issue", "text-time.json", "--key", "hk.pem", "--policy", "none", *templates, cwd=workdir)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert field in result.stderr and "offset" in result.stderr, result.stderr
