"""``credential status`` and ``verify --status-*``: the life of a status list driven from the command
line, as an issuer and a gate operator would (spec 17)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from credential.cli import main as cli
from credential.cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from credential.issuer import samples, status_authority

T0 = samples.ISSUED_AT
DAY = 86400


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    # The issuer's clock in these scenarios, within seconds of every --now they publish at (spec 17.6).
    monkeypatch.setattr(status_authority, "system_clock", lambda: T0 + 250)

    def invoke(*args: object) -> tuple[int, str, str]:
        code = cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def _issue(run, index: int, list_id: str = "hk-1", name: str = "cred.txt") -> None:  # type: ignore[no-untyped-def]
    claims = samples.minimal()
    claims["xc"]["status"] = {"list": list_id, "index": index}
    Path("claims.json").write_text(json.dumps(claims), encoding="utf-8")
    Path("face.bin").write_bytes(samples.TEMPLATES["face"])
    assert run("issue", "claims.json", "--key", "hk.pem", "--template", "face=face.bin", "--policy", "none", "--out", name)[0] == EXIT_OK


def test_the_life_of_a_status_list(run) -> None:  # type: ignore[no-untyped-def]
    assert run("keygen", "--out", "hk.pem")[0] == EXIT_OK
    code, out, _ = run("status", "create", "--status-db", "hk.sqlite", "--issuer", "HK", "--list", "hk-1", "--size", 4096, "--now", T0)
    assert code == EXIT_OK and json.loads(out)["size"] == 4096
    code, out, _ = run("status", "allocate", "--status-db", "hk.sqlite", "--list", "hk-1", "--cti", samples.minimal()["cti"], "--now", T0)
    reference = json.loads(out)
    assert code == EXIT_OK and reference["list"] == "hk-1"
    _issue(run, reference["index"])
    assert run("status", "publish", "--status-db", "hk.sqlite", "--list", "hk-1", "--key", "hk.pem", "--out", "v1.cwt", "--now", T0)[0] == EXIT_OK
    gate = ("--trusted-key", "HK=hk.pub.pem")

    # The gate files the list and admits the traveller; step 19a ran.
    assert run("status", "add", "v1.cwt", "--status-cache", "gate.sqlite", *gate, "--now", T0 + 60)[0] == EXIT_OK
    code, out, err = run("verify", "cred.txt", *gate, "--now", T0 + 120, "--status-cache", "gate.sqlite")
    assert code == EXIT_OK and "status" in json.loads(out)["checked"]

    # The issuer revokes by cti; until the next publication the gate's list still admits.
    code, out, _ = run("status", "revoke", "--status-db", "hk.sqlite", "--cti", samples.minimal()["cti"], "--reason", "reported stolen", "--now", T0 + 200)
    assert code == EXIT_OK and json.loads(out)["status"] == "revoked"
    code, out, _ = run("status", "show", "--status-db", "hk.sqlite")
    assert [c["reason"] for c in json.loads(out)["lists"][0]["unpublished"]] == ["reported stolen"]
    assert run("status", "publish", "--status-db", "hk.sqlite", "--list", "hk-1", "--key", "hk.pem", "--out", "v2.cwt", "--now", T0 + 300)[0] == EXIT_OK
    code, out, _ = run("status", "show", "v2.cwt", *gate, "--index", reference["index"])
    assert code == EXIT_OK and json.loads(out)["status"] == "revoked" and json.loads(out)["revoked"] == 1
    assert run("status", "add", "v2.cwt", "--status-cache", "gate.sqlite", *gate, "--now", T0 + 360)[0] == EXIT_OK
    code, _, err = run("verify", "cred.txt", *gate, "--now", T0 + 400, "--status-cache", "gate.sqlite")
    assert code == EXIT_INVALID and err.startswith("REVOKED: ")

    # A rollback to the first list is refused and the revoking list stays.
    code, _, err = run("status", "add", "v1.cwt", "--status-cache", "gate.sqlite", *gate, "--now", T0 + 500)
    assert code == EXIT_INVALID and err.startswith("LIST_ROLLBACK: ") and "rollback" in err
    code, out, _ = run("status", "show", "--status-cache", "gate.sqlite")
    assert [h["iat"] for h in json.loads(out)] == [T0 + 300]

    # A list file given directly; too old a day later, unless the operator grants a grace.
    code, _, err = run("verify", "cred.txt", *gate, "--now", T0 + 300 + DAY + 1, "--status-token", "v1.cwt")
    assert code == EXIT_INVALID and err.startswith("STATUS_STALE: ")
    code, _, err = run("verify", "cred.txt", *gate, "--now", T0 + DAY + 1, "--status-token", "v1.cwt", "--status-grace", 60)
    assert code == EXIT_OK and "stale by 1 s" in err

    # A list the gate does not hold, and a list signed by a key it does not trust for the issuer.
    _issue(run, 7, "hk-2", "other.txt")
    code, _, err = run("verify", "other.txt", *gate, "--now", T0 + 400, "--status-cache", "gate.sqlite")
    assert code == EXIT_INVALID and err.startswith("STATUS_UNAVAILABLE: ")
    assert run("keygen", "--out", "mo.pem")[0] == EXIT_OK
    assert run("status", "publish", "--status-db", "hk.sqlite", "--list", "hk-1", "--key", "mo.pem", "--out", "v3.cwt", "--now", T0 + 500)[0] == EXIT_OK
    code, _, err = run("verify", "cred.txt", *gate, "--trusted-key", "MO=mo.pub.pem", "--now", T0 + 600, "--status-token", "v3.cwt")
    assert code == EXIT_INVALID and err.startswith("STATUS_LIST_INVALID: ") and "not HK" in err
    code, _, err = run("status", "add", "v3.cwt", "--status-cache", "gate.sqlite", *gate, "--trusted-key", "MO=mo.pub.pem", "--now", T0 + 600)
    assert code == EXIT_INVALID and err.startswith("STATUS_LIST_INVALID: ")


def test_suspension_on_a_two_bit_list(run) -> None:  # type: ignore[no-untyped-def]
    assert run("keygen", "--out", "hk.pem")[0] == EXIT_OK
    assert run("status", "create", "--status-db", "hk.sqlite", "--issuer", "HK", "--list", "hk-2", "--size", 64, "--bits", 2, "--now", T0)[0] == EXIT_OK
    index = json.loads(run("status", "allocate", "--status-db", "hk.sqlite", "--list", "hk-2", "--now", T0)[1])["index"]
    _issue(run, index, "hk-2")
    publish = ("status", "publish", "--status-db", "hk.sqlite", "--list", "hk-2", "--key", "hk.pem")
    verify = ("verify", "cred.txt", "--trusted-key", "HK=hk.pub.pem")
    change = ("status", "revoke", "--status-db", "hk.sqlite", "--list", "hk-2", "--index", index)
    assert run(*change, "--suspend", "--reason", "inquiry", "--now", T0 + 10)[0] == EXIT_OK
    assert run(*publish, "--out", "s.cwt", "--now", T0 + 20)[0] == EXIT_OK
    code, _, err = run(*verify, "--now", T0 + 30, "--status-token", "s.cwt")
    assert code == EXIT_INVALID and err.startswith("SUSPENDED: ")
    assert run(*change, "--reinstate", "--reason", "inquiry closed", "--now", T0 + 40)[0] == EXIT_OK
    assert run(*publish, "--out", "r.cwt", "--now", T0 + 50)[0] == EXIT_OK
    assert run(*verify, "--now", T0 + 60, "--status-token", "r.cwt")[0] == EXIT_OK
    code, _, err = run(*change, "--reinstate", "--reason", "again", "--now", T0 + 70)
    assert code == EXIT_USAGE and "valid already" in err
