"""A release as users get it: ``python -m build`` makes an sdist and a wheel; the wheel installed into a
fresh virtual environment, away from this checkout, issues, verifies and runs the published vectors.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from credential.issuer import samples

from .vectors import ROOT

NAME = "crossing_credential-1.0.0"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # Without flags, build makes the sdist and then the wheel from that sdist: the wheel can only
    # carry what the sdist does.
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], check=True, capture_output=True, timeout=600)
    return out


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding the wheel and its run-time dependencies only."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, str(dist / f"{NAME}-py3-none-any.whl")], check=True, capture_output=True, timeout=600)
    return venv


def _run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(venv / "bin" / "credential"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_sdist_carries_the_spec_the_vectors_and_their_generators(dist: Path) -> None:
    with tarfile.open(dist / f"{NAME}.tar.gz") as sdist:
        names = {name.removeprefix(f"{NAME}/") for name in sdist.getnames()}
    for path in ("spec/xc-v1.md", "spec/xc.cddl", "spec/name-characters.txt", "spec/claims.schema.json",
                 "test-vectors/xc1.json", "test-vectors/trust.json", "test-vectors/generate.py", "conformance/adapter.py",
                 "setup.py", "pyproject.toml", "credential/tools/web/app.js"):
        assert path in names, path


def test_the_wheel_carries_the_published_vectors_and_spec(dist: Path) -> None:
    with zipfile.ZipFile(dist / f"{NAME}-py3-none-any.whl") as wheel:
        names = set(wheel.namelist())
    vector_files = sorted(p.name for p in (ROOT / "test-vectors").glob("*.json"))
    for name in vector_files:
        assert f"credential/published/vectors/{name}" in names
        assert wheel_bytes(dist, f"credential/published/vectors/{name}") == (ROOT / "test-vectors" / name).read_bytes()
    assert "credential/published/spec/xc-v1.md" in names and "credential/published/spec/name-characters.txt" in names
    assert not any(name.startswith("credential/published/vectors/") and name.endswith(".py") for name in names)


def wheel_bytes(dist: Path, member: str) -> bytes:
    with zipfile.ZipFile(dist / f"{NAME}-py3-none-any.whl") as wheel:
        return wheel.read(member)


def test_the_installed_wheel_works_outside_the_source_tree(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run([str(installed / "bin" / "python"), "-c", "import credential; print(credential.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(installed)), where

    demo = _run(installed, "demo", "--out", str(tmp_path / "demo"), cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "demo" / "credential.png").is_file()

    assert _run(installed, "keygen", "--out", "hk.pem", cwd=tmp_path).returncode == 0
    claims = samples.full("HK")
    (tmp_path / "claims.json").write_text(json.dumps(claims), encoding="utf-8")
    templates = []
    for modality, template in samples.TEMPLATES.items():
        (tmp_path / f"{modality}.bin").write_bytes(template)
        templates += ["--template", f"{modality}={modality}.bin"]
    issued = _run(installed, "issue", "claims.json", "--key", "hk.pem", *templates, "--out", "credential.txt", cwd=tmp_path)
    assert issued.returncode == 0, issued.stderr
    verified = _run(installed, "verify", "credential.txt", "--trusted-key", "HK=hk.pub.pem", "--now", str(claims["iat"] + 60), cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["valid"] is True


def test_the_installed_conformance_runner_finds_the_published_vectors(installed: Path, tmp_path: Path) -> None:
    adapter = f"{installed / 'bin' / 'python'} {ROOT / 'conformance' / 'adapter.py'}"
    report = tmp_path / "report.json"
    run = _run(installed, "conformance", "--impl", adapter, "--json", str(report), cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads(report.read_text(encoding="utf-8"))
    files = {outcome["file"] for outcome in summary["results"]}
    assert files == {p.name for p in (ROOT / "test-vectors").glob("*.json")}
    assert summary["totals"]["failed"] == 0 and summary["totals"]["passed"] > 700
