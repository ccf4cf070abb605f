"""Two authorities, HK and MO, and their gates live their whole life through the ``credential`` command
only: keys, trust lists, status lists, issuance one by one and in batches, presentations, encrypted
templates handed to the gate's matcher, revocation, rotation, rollbacks, and every mistake an operator
can make with the files that hold their state. Each step is one command line, as an operator types it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from credential.cli import main as cli
from credential.base.times import epoch_seconds
from credential.cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, parse_now
from credential.issuer import samples, status_authority

from .vectors import ROOT

Run = Callable[..., tuple[int, str, str]]

AUTHORITIES = ("HK", "MO")
OTHER = {"HK": "MO", "MO": "HK"}
LISTED = "2027-01-01T00:00:00+08:00"
NEXT_UPDATE = "2027-02-01T00:00:00+08:00"
T_SETUP = "2027-01-01T08:00:00+08:00"
T_ISSUE = "2027-01-01T09:00:00+08:00"
T_PUBLISH = "2027-01-01T10:00:00+08:00"
T_GATE = "2027-01-01T11:00:00+08:00"
T_GATE_LATER = "2027-01-01T11:00:05+08:00"
T_REVOKED = "2027-01-01T12:00:00+08:00"
T_GRACE = "2027-02-01T06:00:00+08:00"  # past HK's first list's next update, within a day's grace
T_AFTER_PERIOD = "2028-01-01T00:00:01+08:00"  # the issuer keys may sign until the end of 2027


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    shutil.copytree(ROOT / "examples", tmp_path / "examples")

    # The issuer's clock reads the time each scenario publishes at (spec 17.6 refuses one far from it).
    clock = [0.0]
    monkeypatch.setattr(status_authority, "system_clock", lambda: clock[0])

    def invoke(*args: object) -> tuple[int, str, str]:
        argv = [str(a) for a in args]
        if argv[:2] == ["status", "publish"] and "--now" in argv:
            clock[0] = float(epoch_seconds(parse_now(argv[argv.index("--now") + 1])))
        code = cli.main(argv)
        out, err = capsys.readouterr()
        assert "Traceback" not in err and "internal error" not in err, err
        return code, out, err

    return invoke


def ok(run: Run, *args: object) -> str:
    code, out, err = run(*args)
    assert code == EXIT_OK, (args, err)
    return out


def refused(run: Run, code: int, *args: object) -> str:
    """Run a command that must fail with ``code``; its standard error."""
    got, _, err = run(*args)
    assert got == code, (args, got, err)
    return err


def trust_view(authority: str, sequence: int, keys: list[tuple[str, str, str, str]], issued: str = LISTED, next_update: str = NEXT_UPDATE) -> str:
    """A trust list's JSON view with ISO 8601 times: (key file, state, not_after, compromised or "") per key."""
    entries = []
    for file, state, not_after, compromised in keys:
        entry = {"public_key_file": file, "authority": authority, "destinations": [OTHER[authority]], "profiles": ["minimal", "full"],
                 "not_before": LISTED, "not_after": not_after, "state": state}
        if compromised:
            entry["compromised"] = compromised
        entries.append(entry)
    name = f"{authority.lower()}-{sequence}.json"
    Path(name).write_text(json.dumps({"authority": authority, "sequence": sequence, "issued": issued, "next_update": next_update, "keys": entries}))
    return name


def publish_list(run: Run, authority: str, sequence: int, keys: list[tuple[str, str, str, str]], **times: str) -> str:
    view = trust_view(authority, sequence, keys, **times)
    lower = authority.lower()
    ok(run, "trust", "build", view, "--out", f"{lower}-{sequence}.cbor")
    ok(run, "trust", "sign", f"{lower}-{sequence}.cbor", "--key", f"{lower}-list.pem", "--out", f"{lower}-{sequence}.xctl")
    return f"{lower}-{sequence}.xctl"


PINS = ("--list-key", "HK=hk-list.pub.pem", "--list-key", "MO=mo-list.pub.pem")


def gate(authority: str) -> tuple[str, ...]:
    """The options of the gate of ``authority``: its trust store, status cache and replay cache."""
    lower = authority.lower()
    return ("--trust-db", f"{lower}-gate-trust.db", *PINS, "--destination", authority, "--status-cache", f"{lower}-gate-status.db",
            "--replay-cache", f"{lower}-gate-replay.db", "--decryption-key", f"{lower}-gate.pem")


def allocated(run: Run, authority: str) -> int:
    view = json.loads(ok(run, "status", "show", "--status-db", f"{authority.lower()}-status.db"))
    return sum(entry["allocated"] for entry in view["lists"])


def digest(path: str) -> str:
    """What a file holds: a database's rows (its bytes change when SQLite checkpoints a WAL file, with
    nothing changed that it holds), or the bytes of any other file."""
    data = Path(path).read_bytes()
    if not data.startswith(b"SQLite format 3\x00"):
        return hashlib.sha256(data).hexdigest()
    reader = sqlite3.connect(f"file:{Path(path).absolute()}?mode=ro", uri=True)
    try:
        return hashlib.sha256("\n".join(reader.iterdump()).encode()).hexdigest()
    finally:
        reader.close()


def test_two_authorities_live_their_life_from_the_command_line(run: Run) -> None:
    # --- each authority: issuer key, list-signing key, its gates' decryption key, trust list, status list
    for authority in AUTHORITIES:
        lower = authority.lower()
        ok(run, "keygen", "--out", f"{lower}.pem")
        ok(run, "keygen", "--out", f"{lower}-list.pem")
        ok(run, "keygen", "--decryption-key", "--out", f"{lower}-gate.pem")
        publish_list(run, authority, 1, [(f"{lower}.pub.pem", "active", "2027-12-31T23:59:59+08:00", "")])
        ok(run, "status", "create", "--status-db", f"{lower}-status.db", "--issuer", authority, "--list", f"{lower}-1", "--size", 1000, "--now", T_SETUP)
    # The trust list's JSON took ISO 8601 times (item 11): the signed list holds their epoch seconds.
    shown = json.loads(ok(run, "trust", "show", "hk-1.xctl", *PINS, "--now", T_SETUP))
    assert shown["issued"] == 1798732800 and shown["keys"][0]["not_after"] == 1830268799

    # --- each gate holds both authorities' lists (trust load is the one command that creates the store)
    for authority in AUTHORITIES:
        for lst in ("hk-1.xctl", "mo-1.xctl"):
            ok(run, "trust", "load", lst, "--trust-db", f"{authority.lower()}-gate-trust.db", *PINS, "--now", T_SETUP)
    # trust show against the gate's store: what trust load would say, the store unchanged (item 4).
    held = json.loads(ok(run, "trust", "show", "hk-1.xctl", "--trust-db", "mo-gate-trust.db", *PINS, "--now", T_SETUP))
    assert held["verified"] and held["held_sequence"] == 1

    # --- HK issues one credential: the device key bound, the face template encrypted to MO's gates, its
    # status entry allocated, the signing key checked against HK's own list (items 1, 9, 10, 11)
    ok(run, "keygen", "--alg", "ES256", "--out", "device-hk.pem")
    issue_hk = ("issue", "examples/claims-hk.json", "--key", "hk.pem", "--device-key", "device-hk.pub.pem", "--birth-date", samples.BIRTH_DATE,
                "--template", "face:-1=examples/face.bin", "--recipient-key", "mo-gate.pub.pem",
                "--status-db", "hk-status.db", "--status-list", "hk-1", "--trust-list", "hk-1.xctl", "--list-key", "HK=hk-list.pub.pem")
    ok(run, *issue_hk, "--now", T_ISSUE, "--out", "cred-hk.txt")
    decoded = json.loads(ok(run, "decode", "cred-hk.txt"))
    claims = decoded["claims"]
    assert claims["iat"] == 1798765200 and claims["exp"] == 1830268800  # --now, and the claims file's ISO 8601 exp
    assert "cnf" in claims and claims["xc"]["status"]["list"] == "hk-1"
    assert allocated(run, "HK") == 1
    # The same command after the key's period, or into a folder that does not exist: nothing issued,
    # no entry kept (items 9, 10).
    err = refused(run, EXIT_USAGE, *issue_hk, "--now", T_AFTER_PERIOD, "--out", "late.txt")
    assert "SIGNING_PERIOD" in err and "--key hk.pem" in err and not Path("late.txt").exists()
    refused(run, EXIT_USAGE, *issue_hk, "--now", T_ISSUE, "--out", "no-such-folder/cred.txt")
    assert allocated(run, "HK") == 1
    # A key its own authority's list does not hold is refused before anything is signed.
    assert "not in the trust list of HK" in refused(run, EXIT_USAGE, *issue_hk[:4], "--key", "mo.pem", *issue_hk[6:], "--now", T_ISSUE, "--out", "x.txt")

    # --- MO issues a batch: two holders with their device keys, one line whose exp names no instant
    ok(run, "keygen", "--alg", "ES256", "--out", "device-mo.pem")
    mo_claims = json.loads(Path("examples/claims-mo.json").read_text())
    device = Path("device-mo.pub.pem").read_text()
    naive = {**mo_claims, "exp": "2028-01-01T00:00:00"}  # refused here, before an entry is allocated
    invisible = {**mo_claims, "xc": {**mo_claims["xc"], "given_name": "TAI\u3164MAN"}}  # refused as it is signed, after
    face = Path("examples/face.bin").read_bytes().hex()
    lines = [{"claims": c, "device_key": device, "templates": {"face": face}} for c in (mo_claims, naive, mo_claims, invisible)]
    Path("mo.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    batch = ("issue", "--batch", "mo.jsonl", "--key", "mo.pem", "--policy", "none", "--jobs", 1, "--status-db", "mo-status.db", "--status-list", "mo-1",
             "--trust-list", "mo-1.xctl", "--list-key", "MO=mo-list.pub.pem", "--now", T_ISSUE)
    err = refused(run, EXIT_USAGE, *batch, "--out", "mo-issued.jsonl")
    assert "line 2: exp: '2028-01-01T00:00:00' has no UTC offset" in err and "line 4: " in err, err
    issued = [json.loads(line) for line in Path("mo-issued.jsonl").read_text().splitlines()]
    assert [i["line"] for i in issued] == [1, 3], err
    assert allocated(run, "MO") == 2  # the entry of the line refused as it was signed was given back
    Path("cred-mo.txt").write_text(issued[0]["text"] + "\n")
    assert "--out FILE" in refused(run, EXIT_USAGE, *batch)  # the credentials go out only once committed

    # --- both publish their status lists; a write that fails records nothing (item 14)
    for authority in AUTHORITIES:
        lower = authority.lower()
        ok(run, "status", "publish", "--status-db", f"{lower}-status.db", "--list", f"{lower}-1", "--key", f"{lower}.pem", "--out", f"{lower}-1.cwt", "--now", T_PUBLISH)
    refused(run, EXIT_USAGE, "status", "publish", "--status-db", "hk-status.db", "--list", "hk-1", "--key", "hk.pem", "--out", "no-such-folder/x.cwt", "--now", T_PUBLISH)
    versions = json.loads(ok(run, "status", "show", "--status-db", "hk-status.db"))["lists"][0]["published"]
    assert [v["version"] for v in versions] == [1]

    # --- the gates take the status tokens, checked with the keys their trust store holds (item 3)
    for authority in AUTHORITIES:
        lower = authority.lower()
        for token in ("hk-1.cwt", "mo-1.cwt"):
            ok(run, "status", "add", token, "--status-cache", f"{lower}-gate-status.db", "--trust-db", f"{lower}-gate-trust.db", *PINS, "--now", T_PUBLISH)
    cache = json.loads(ok(run, "status", "show", "--status-cache", "mo-gate-status.db"))
    assert {entry["issuer"] for entry in cache} == {"HK", "MO"} and all("fetched_at" in entry for entry in cache)  # item 8

    # --- the HK holder at MO's gate: a presentation, status checked, the template handed to the matcher (item 2)
    ok(run, "present", "cred-hk.txt", "--device-key", "device-hk.pem", "--destination", "MO", "--now", T_GATE, "--out", "shown-hk.txt")
    out = ok(run, "verify", "shown-hk.txt", *gate("MO"), "--require-template", "face", "--templates-out", "matcher", "--now", T_GATE_LATER)
    view = json.loads(out)
    assert view["templates"]["face"] == {"format": -1, "bytes": 67, "file": os.path.join("matcher", "face.bin")}
    assert Path("matcher/face.bin").read_bytes() == Path("examples/face.bin").read_bytes()
    assert Path("matcher/face.bin").stat().st_mode & 0o777 == 0o600
    assert refused(run, EXIT_INVALID, "verify", "shown-hk.txt", *gate("MO"), "--now", T_GATE_LATER).startswith("REPLAY: ")
    # The MO holder at HK's gate.
    ok(run, "present", "cred-mo.txt", "--device-key", "device-mo.pem", "--destination", "HK", "--now", T_GATE, "--out", "shown-mo.txt")
    assert json.loads(ok(run, "verify", "shown-mo.txt", *gate("HK"), "--now", T_GATE_LATER))["issuer"] == "MO"
    # At the wrong gate, the detail reads as text, not as a Python list (item 7).
    err = refused(run, EXIT_INVALID, "verify", "cred-mo.txt", "--trust-db", "mo-gate-trust.db", *PINS, "--destination", "MO", "--now", T_GATE)
    assert "['" not in err and "[" not in err.split(":", 1)[1]

    # --- HK revokes the credential; MO's gate takes the new list and refuses the holder; the old list is a rollback
    ok(run, "status", "revoke", "--status-db", "hk-status.db", "--cti", claims["cti"], "--reason", "reported stolen", "--now", T_REVOKED)
    ok(run, "status", "publish", "--status-db", "hk-status.db", "--list", "hk-1", "--key", "hk.pem", "--out", "hk-2.cwt", "--now", T_REVOKED)
    ok(run, "status", "add", "hk-2.cwt", "--status-cache", "mo-gate-status.db", "--trust-db", "mo-gate-trust.db", *PINS, "--now", T_REVOKED)
    err = refused(run, EXIT_INVALID, "status", "add", "hk-1.cwt", "--status-cache", "mo-gate-status.db", "--trusted-key", "HK=hk.pub.pem", "--now", T_REVOKED)
    assert err.startswith("LIST_ROLLBACK: ")  # the same code and exit as a trust list's rollback (item 8)
    ok(run, "present", "cred-hk.txt", "--device-key", "device-hk.pem", "--destination", "MO", "--now", T_REVOKED, "--out", "shown-hk-2.txt")
    assert refused(run, EXIT_INVALID, "verify", "shown-hk-2.txt", *gate("MO"), "--now", T_REVOKED).startswith("REVOKED: ")

    # --- HK rotates its issuer key: list 2; the gate refuses the superseded list however it is given (items 4, 14)
    ok(run, "keygen", "--out", "hk-b.pem")
    publish_list(run, "HK", 2, [("hk.pub.pem", "retired", "2027-01-15T00:00:00+08:00", ""), ("hk-b.pub.pem", "active", "2027-12-31T23:59:59+08:00", "")],
                 issued="2027-01-15T00:00:00+08:00", next_update="2027-03-01T00:00:00+08:00")
    ok(run, "trust", "load", "hk-2.xctl", "--trust-db", "mo-gate-trust.db", *PINS, "--now", "2027-01-15T01:00:00+08:00")
    before = digest("mo-gate-trust.db")
    assert refused(run, EXIT_INVALID, "trust", "show", "hk-1.xctl", "--trust-db", "mo-gate-trust.db", *PINS, "--now", "2027-01-15T02:00:00+08:00").startswith("LIST_ROLLBACK: ")
    err = refused(run, EXIT_USAGE, "verify", "cred-hk.txt", "--trust-list", "hk-1.xctl", "--trust-db", "mo-gate-trust.db", *PINS, "--now", "2027-01-15T02:00:00+08:00")
    assert "LIST_ROLLBACK" in err
    assert "--trust-db" in refused(run, EXIT_USAGE, "verify", "cred-hk.txt", "--trust-list", "hk-2.xctl", *PINS, "--now", "2027-01-15T02:00:00+08:00")
    assert digest("mo-gate-trust.db") == before
    # The cross-authority check of trust load, made by trust show too: an MO list naming HK's key, which
    # loaded would be trusted for neither (spec 16.8), is reported, and the store is left as it was.
    publish_list(run, "MO", 2, [("hk-b.pub.pem", "active", "2027-12-31T23:59:59+08:00", "")])
    code, out, err = run("trust", "show", "mo-2.xctl", "--trust-db", "mo-gate-trust.db", *PINS, "--now", "2027-01-15T02:00:00+08:00")
    assert code == EXIT_OK and json.loads(out)["held_sequence"] == 1
    assert "is also listed by HK: loaded, it would be trusted for neither" in err
    assert digest("mo-gate-trust.db") == before
    # The new key can sign; the retired one cannot after its period, even before HK's gates hear of it.
    assert "SIGNING_PERIOD" in refused(run, EXIT_USAGE, "issue", "examples/claims-hk.json", "--key", "hk.pem", "--policy", "none",
                                       "--trust-list", "hk-2.xctl", "--list-key", "HK=hk-list.pub.pem", "--now", "2027-01-16T00:00:00+08:00", "--out", "x.txt")

    # --- a trust list used within its grace says so, as a status list does (item 8)
    err = run("verify", "cred-mo.txt", "--trust-db", "hk-gate-trust.db", *PINS, "--destination", "HK", "--trust-grace", 86400, "--now", T_GRACE)[2]
    assert "warning: the trust list of HK (sequence 1) was due for an update" in err

    # --- commands that only read state never create it (item 6)
    for args in (("verify", "cred-hk.txt", "--trust-db", "mo-gate-trsut.db", *PINS),
                 ("trust", "show", "hk-2.xctl", "--trust-db", "mo-gate-trsut.db", *PINS),
                 ("status", "add", "hk-2.cwt", "--status-cache", "c.db", "--trust-db", "mo-gate-trsut.db", *PINS),
                 ("verify", "cred-hk.txt", "--trusted-key", "HK=hk.pub.pem", "--status-cache", "mo-gate-stauts.db"),
                 ("status", "show", "--status-cache", "mo-gate-stauts.db"),
                 ("status", "show", "--status-db", "hk-stauts.db"),
                 ("status", "revoke", "--status-db", "hk-stauts.db", "--cti", claims["cti"], "--reason", "x"),
                 ("issue", "examples/claims-hk.json", "--key", "hk.pem", "--status-db", "hk-stauts.db", "--status-list", "hk-1", "--out", "x.txt")):
        assert "no such database" in refused(run, EXIT_USAGE, *args)
    assert not [p.name for p in Path().iterdir() if "trsut" in p.name or "stauts" in p.name]


def test_messages_speak_the_command_lines_words(run: Run) -> None:
    """Item 7: the options, never the library's parameters."""
    ok(run, "keygen", "--out", "hk.pem")
    ok(run, "keygen", "--decryption-key", "--out", "gate.pem")
    Path("minimal.json").write_text(json.dumps(samples.minimal("HK")))  # no birth date in the claims
    err = refused(run, EXIT_USAGE, "issue", "minimal.json", "--key", "hk.pem", "--template", "face=examples/face.bin")
    assert "--birth-date" in err and "--policy none" in err and "birth_date=" not in err and "policy=None" not in err
    err = refused(run, EXIT_USAGE, "verify", "XC1:ABC", "--trusted-key", "HK=hk.pub.pem", "--require-template", "face")
    assert "--require-template needs --decryption-key" in err
    err = refused(run, EXIT_USAGE, "issue", "examples/claims-hk.json", "--key", "hk.pem", "--template", "face:-1=examples/face.bin")
    assert "--recipient-key" in err and "unknown modality" not in err
    assert "--templates-out" in refused(run, EXIT_USAGE, "verify", "XC1:ABC", "--trusted-key", "HK=hk.pub.pem", "--templates-out", "m")
    err = refused(run, EXIT_USAGE, "issue", "examples/claims-hk.json", "--key", "hk.pem", "--device-key", "hk.pem")
    assert "--device-key hk.pem: a private key" in err
    # status add's --help says that keys are required one way or the other (item 3).
    help_text = run("status", "add", "--help")[1]
    assert "one of the two is required" in " ".join(help_text.split())


# --- every SQLite problem an operator can cause: exit 2, the file named, nothing stored lost (item 5) ---


@pytest.fixture
def stores(run: Run) -> Run:
    """An issuer's status database, a gate's trust store and status cache, each holding something."""
    ok(run, "keygen", "--out", "hk.pem")
    ok(run, "keygen", "--out", "hk-list.pem")
    publish_list(run, "HK", 1, [("hk.pub.pem", "active", "2027-12-31T23:59:59+08:00", "")])
    ok(run, "trust", "load", "hk-1.xctl", "--trust-db", "trust.db", "--list-key", "HK=hk-list.pub.pem", "--now", T_SETUP)
    ok(run, "status", "create", "--status-db", "status.db", "--issuer", "HK", "--list", "hk-1", "--size", 1000, "--now", T_SETUP)
    ok(run, "status", "publish", "--status-db", "status.db", "--list", "hk-1", "--key", "hk.pem", "--out", "hk-1.cwt", "--now", T_PUBLISH)
    ok(run, "status", "add", "hk-1.cwt", "--status-cache", "cache.db", "--trusted-key", "HK=hk.pub.pem", "--now", T_PUBLISH)
    ok(run, "status", "publish", "--status-db", "status.db", "--list", "hk-1", "--key", "hk.pem", "--out", "hk-2.cwt", "--now", T_REVOKED)
    refused(run, EXIT_INVALID, *OPEN_REPLAY, "--replay-cache", "replay.db")  # made when the gate starts
    return run


# A gate that opens its replay cache, and refuses a text that is no credential after it did.
OPEN_REPLAY = ("verify", "XC1:ABC", "--trusted-key", "HK=hk.pub.pem", "--now", T_GATE)


# One command writing each kind of store: (the store's option, the file, the command's other arguments).
WRITERS = [
    ("--trust-db", "trust.db", ("trust", "load", "hk-1.xctl", "--list-key", "HK=hk-list.pub.pem", "--now", T_SETUP)),
    ("--status-db", "status.db", ("status", "allocate", "--list", "hk-1", "--now", T_ISSUE)),
    ("--status-cache", "cache.db", ("status", "add", "hk-2.cwt", "--trusted-key", "HK=hk.pub.pem", "--now", T_REVOKED)),
]
# And the stores a gate opens as it starts, before any credential is read.
OPENERS = [*WRITERS, ("--replay-cache", "replay.db", OPEN_REPLAY)]


@pytest.mark.parametrize(("option", "file", "command"), OPENERS, ids=[w[0] for w in OPENERS])
def test_a_store_in_a_folder_that_does_not_exist(stores: Run, option: str, file: str, command: tuple[str, ...]) -> None:
    err = refused(stores, EXIT_USAGE, *command, option, "no-such-folder/x.db")
    assert f"{option} no-such-folder/x.db" in err


@pytest.mark.parametrize(("option", "file", "command"), OPENERS, ids=[w[0] for w in OPENERS])
def test_a_file_that_is_not_a_database(stores: Run, option: str, file: str, command: tuple[str, ...]) -> None:
    Path("junk.db").write_bytes(b"not a database at all " * 100)
    before = digest("junk.db")
    err = refused(stores, EXIT_USAGE, *command, option, "junk.db")
    assert f"{option} junk.db" in err and "not a" in err
    assert digest("junk.db") == before


@pytest.mark.parametrize(("option", "file", "command"), OPENERS, ids=[w[0] for w in OPENERS])
def test_a_folder_given_for_the_file(stores: Run, option: str, file: str, command: tuple[str, ...]) -> None:
    os.mkdir("a-folder")
    assert f"{option} a-folder" in refused(stores, EXIT_USAGE, *command, option, "a-folder")


@pytest.mark.parametrize(("option", "file", "command"), OPENERS, ids=[w[0] for w in OPENERS])
def test_a_store_locked_past_the_timeout(stores: Run, option: str, file: str, command: tuple[str, ...]) -> None:
    before = digest(file)
    holder = sqlite3.connect(file, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process's long transaction
    try:
        err = refused(stores, EXIT_USAGE, *command, option, file)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert f"{option} {file}: is locked by another process" in err and "not a status list database" not in err
    assert digest(file) == before


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes to read-only files")
@pytest.mark.parametrize(("option", "file", "command"), WRITERS, ids=[w[0] for w in WRITERS])
def test_a_read_only_store(stores: Run, option: str, file: str, command: tuple[str, ...]) -> None:
    before = digest(file)
    os.chmod(file, 0o444)
    assert f"{option} {file}" in refused(stores, EXIT_USAGE, *command, option, file)
    assert digest(file) == before


def _full_disk() -> None:
    """In the child: no file may grow past 1000 bytes, as on a full disk (the write fails, no signal)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))


@pytest.mark.parametrize(("option", "file", "command"), WRITERS, ids=[w[0] for w in WRITERS])
def test_a_full_disk(stores: Run, option: str, file: str, command: tuple[str, ...]) -> None:
    before = digest(file)
    executable = str(Path(sys.executable).with_name("credential"))
    result = subprocess.run([executable, *command, option, file], capture_output=True, text=True, timeout=60, preexec_fn=_full_disk)
    assert result.returncode == EXIT_USAGE and f"{option} {file}: cannot be written" in result.stderr, result.stderr
    assert digest(file) == before


def test_what_was_stored_survives_the_mistakes(stores: Run) -> None:
    """After a refused write, each store still reads as before."""
    Path("junk.db").write_bytes(b"x" * 4096)
    for option, _, command in WRITERS:
        refused(stores, EXIT_USAGE, *command, option, "junk.db")
    assert json.loads(ok(stores, "status", "show", "--status-db", "status.db"))["lists"][0]["published"][0]["version"] == 1
    assert json.loads(ok(stores, "status", "show", "--status-cache", "cache.db"))[0]["issuer"] == "HK"
    assert json.loads(ok(stores, "trust", "show", "hk-1.xctl", "--trust-db", "trust.db", "--list-key", "HK=hk-list.pub.pem", "--now", T_SETUP))["held_sequence"] == 1


def test_status_create_on_a_folder_and_revoke_on_a_locked_database(stores: Run) -> None:
    """The red-team's two: status create given a folder (was exit 3), and revoke waiting on a lock (was
    "is not a status list database")."""
    os.mkdir("folder")
    assert "--status-db folder: is a folder" in refused(stores, EXIT_USAGE, "status", "create", "--status-db", "folder", "--issuer", "HK", "--list", "x", "--size", 8)
    ok(stores, "status", "allocate", "--status-db", "status.db", "--list", "hk-1", "--cti", "00112233445566778899", "--now", T_ISSUE)
    before = digest("status.db")
    holder = sqlite3.connect("status.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        err = refused(stores, EXIT_USAGE, "status", "revoke", "--status-db", "status.db", "--cti", "00112233445566778899", "--reason", "lost")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "--status-db status.db: is locked by another process" in err
    assert digest("status.db") == before


def test_trust_show_with_a_damaged_or_missing_store(stores: Run) -> None:
    """trust show --trust-db reads the store: a damaged or missing one is a mistake, never "verified"."""
    show = ("trust", "show", "hk-1.xctl", "--list-key", "HK=hk-list.pub.pem", "--now", T_SETUP, "--trust-db")
    Path("damaged.db").write_bytes(b"\x00" * 8192)
    assert "--trust-db damaged.db" in refused(stores, EXIT_USAGE, *show, "damaged.db")
    assert "--trust-db missing.db: no such database" in refused(stores, EXIT_USAGE, *show, "missing.db")
    assert not Path("missing.db").exists()
