"""The issuing authority's status state on PostgreSQL (spec 17.6), against a cluster the module starts
(tests/servers.py): the rules of the SQLite authority, concurrent issuing processes, a process killed
inside a change, a server that goes away and comes back, and the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import credential
from credential.cli import main as cli
from credential.cli.common import EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE
from credential.issuer.status_authority import MAX_FILL, StatusAuthority, StatusStoreError
from credential.lists import status_list
from credential.lists.status_list import REVOKED, SUSPENDED, VALID

from .servers import PostgresServer, postgres_cluster  # noqa: F401 - the fixture

T0 = 1_798_761_600
DAY = 86400
KEY = credential.generate_key("Ed25519")
TRUST = credential.KeySet([credential.TrustedKey(KEY.public_key(), frozenset({"HK"}))])
ROOT = Path(__file__).resolve().parents[1]


def CLOCK() -> float:  # noqa: N802 - the issuer's clock here: within seconds of every publication (spec 17.6)
    return T0 + 10


@pytest.fixture
def url(postgres_cluster: PostgresServer) -> str:
    """A new database of its own for each test."""
    return postgres_cluster.database()


@pytest.fixture
def authority(url: str) -> Iterator[StatusAuthority]:
    opened = StatusAuthority.open(url, "HK", clock=CLOCK)
    yield opened
    opened.close()


def test_the_rules_of_17_6_hold_on_postgresql(authority: StatusAuthority, url: str) -> None:
    authority.create_list("hk-1", 64, now=T0)
    with pytest.raises(ValueError, match="exists"):
        authority.create_list("hk-1", 64, now=T0)
    indices = [authority.allocate("hk-1", now=T0) for _ in range(int(64 * MAX_FILL) - 1)]
    index = authority.allocate("hk-1", cti="5f1e0c7a9b3d2468", now=T0)
    indices.append(index)
    assert len(set(indices)) == len(indices) and indices != sorted(indices)
    with pytest.raises(ValueError, match="create the next list"):
        authority.allocate("hk-1", now=T0)
    assert authority.find("5f1e0c7a9b3d2468") == ("hk-1", index)
    authority.revoke("hk-1", index, now=T0 + 5, reason="reported lost")
    with pytest.raises(ValueError, match="final"):
        authority.set_status("hk-1", index, VALID, now=T0 + 6, reason="found")
    token = authority.publish("hk-1", KEY, now=T0 + 7, lifetime=DAY).token
    assert status_list.read_token(token, TRUST).status(index) == REVOKED
    assert [(c.index, c.status, c.at, c.reason) for c in authority.changes()] == [(index, REVOKED, T0 + 5, "reported lost")]
    assert authority.unpublished("hk-1") == []
    # Opened again, by another issuing server: the same state, for the same issuer only.
    again = StatusAuthority.open(url)
    assert again.issuer == "HK" and again.status("hk-1", index) == REVOKED and again.lists() == [("hk-1", 64, 1, len(indices))]
    with pytest.raises(ValueError, match="holds the status lists of HK"):
        StatusAuthority.open(url, "MO")
    again.close()


def test_suspension_and_versions(authority: StatusAuthority) -> None:
    authority.create_list("hk-2", 100, bits=2, now=T0)
    index = authority.allocate("hk-2", now=T0)
    authority.set_status("hk-2", index, SUSPENDED, now=T0 + 1, reason="inquiry")
    first = authority.publish("hk-2", KEY, now=T0 + 2, lifetime=DAY)
    authority.set_status("hk-2", index, VALID, now=T0 + 3, reason="inquiry closed")
    second = authority.publish("hk-2", KEY, now=T0 + 4, lifetime=DAY)
    assert status_list.read_token(first.token, TRUST).status(index) == SUSPENDED
    assert status_list.read_token(second.token, TRUST).status(index) == VALID
    assert [p.version for p in authority.publications("hk-2")] == [1, 2]
    with pytest.raises(ValueError, match="issued later"):
        authority.publish("hk-2", KEY, now=T0 + 3, lifetime=DAY)


def test_a_new_database_needs_its_issuer(url: str) -> None:
    with pytest.raises(ValueError, match="create it by naming its issuer"):
        StatusAuthority.open(url)
    with pytest.raises(ValueError, match="not a kind"):
        StatusAuthority.open("mysql://127.0.0.1/x", "HK")
    with pytest.raises(ValueError, match="PostgreSQL database only"):
        StatusAuthority.open("hk.sqlite", "HK", timeout=1)


# --- K issuing processes ------------------------------------------------------------------------

_ISSUER = textwrap.dedent(
    """
    import json, os, secrets, sys
    from credential.issuer.status_authority import StatusAuthority
    url, count, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    authority = StatusAuthority.open(url)
    if mode == "die-inside":
        # SIGKILL inside a revocation: the entry updated, its history row not yet written, no commit.
        store = authority._db
        execute = store.execute
        def dying(sql, params=()):
            if sql.startswith("INSERT INTO changes"):
                os.kill(os.getpid(), 9)
            return execute(sql, params)
        store.execute = dying
    sys.stdin.readline()  # start together
    allocated, revoked = [], []
    for n in range(count):
        cti = secrets.token_hex(8)
        index = authority.allocate("hk-1", cti=cti, now=1800000000 + n)
        allocated.append(index)
        print(json.dumps({"allocated": index}), flush=True)
        if n % 3 == 0:
            authority.revoke("hk-1", index, now=1800000000 + n, reason=f"revoked by {os.getpid()}")
            revoked.append(index)
            print(json.dumps({"revoked": index}), flush=True)
    print(json.dumps({"done": True}), flush=True)
    """
)


def _issuers(url: str, count: int, per_process: int, mode: str = "live") -> list[subprocess.Popen[str]]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    processes = [
        subprocess.Popen([sys.executable, "-c", _ISSUER, url, str(per_process), mode],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(count)
    ]
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    return processes


def _reports(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.mark.parametrize("processes", [2, 4])
def test_concurrent_issuers_never_allocate_an_index_twice(processes: int, authority: StatusAuthority, url: str) -> None:
    authority.create_list("hk-1", 4096, now=T0)
    running = _issuers(url, processes, per_process=40)
    allocated, revoked = [], []
    for process in running:
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, err[-2000:]
        reports = _reports(out)
        allocated += [r["allocated"] for r in reports if "allocated" in r]
        revoked += [r["revoked"] for r in reports if "revoked" in r]
    assert len(allocated) == processes * 40 and len(set(allocated)) == len(allocated)  # no index given twice
    assert authority.lists() == [("hk-1", 4096, 1, len(allocated))]
    # Every revocation, by every process, is in the next token; nothing else is.
    held = status_list.read_token(authority.publish("hk-1", KEY, now=T0 + 10, lifetime=DAY).token, TRUST)
    assert {i for i in range(4096) if held.status(i) == REVOKED} == set(revoked)
    assert sorted(c.index for c in authority.changes("hk-1")) == sorted(revoked)


def test_a_process_killed_in_the_middle_loses_nothing_committed(authority: StatusAuthority, url: str) -> None:
    authority.create_list("hk-1", 4096, now=T0)
    steady = _issuers(url, 2, per_process=30)
    dying = _issuers(url, 1, per_process=30, mode="die-inside")[0]
    out, _ = dying.communicate(timeout=240)
    assert dying.returncode == -signal.SIGKILL
    reports = _reports(out)
    assert reports == [{"allocated": reports[0]["allocated"]}]  # its first allocation committed; then killed inside the revocation
    allocated, revoked = [reports[0]["allocated"]], []
    for process in steady:
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, err[-2000:]
        allocated += [r["allocated"] for r in _reports(out) if "allocated" in r]
        revoked += [r["revoked"] for r in _reports(out) if "revoked" in r]
    assert len(set(allocated)) == len(allocated) == 61
    assert authority.lists() == [("hk-1", 4096, 1, 61)]  # the killed one's allocation is kept: it was committed
    assert authority.status("hk-1", reports[0]["allocated"]) == VALID  # its revocation left nothing, not even the entry's update
    assert sorted(c.index for c in authority.changes()) == sorted(revoked)
    held = status_list.read_token(authority.publish("hk-1", KEY, now=T0 + 10, lifetime=DAY).token, TRUST)
    assert {i for i in range(4096) if held.status(i) == REVOKED} == set(revoked)
    authority.revoke("hk-1", reports[0]["allocated"], now=T0 + 11, reason="again")  # no lock left behind


# --- the server goes away ----------------------------------------------------------------------


def test_server_gone_inside_a_change_leaves_none_of_it_and_the_authority_reconnects(
    authority: StatusAuthority, postgres_cluster: PostgresServer
) -> None:
    authority.create_list("hk-1", 1000, now=T0)
    index = authority.allocate("hk-1", now=T0)
    store: Any = authority._db
    execute = store.execute

    def crash_then_execute(sql: str, params: tuple[Any, ...] = ()) -> Any:
        if sql.startswith("INSERT INTO changes"):
            postgres_cluster.stop(kill=True)  # the server dies between the entry's update and its history row
        return execute(sql, params)

    store.execute = crash_then_execute
    try:
        with pytest.raises(StatusStoreError, match="nothing of this change was written"):
            authority.revoke("hk-1", index, now=T0 + 1, reason="stolen")
        with pytest.raises(StatusStoreError, match="127.0.0.1"):  # still down: a clear error, at once
            authority.allocate("hk-1", now=T0 + 2)
    finally:
        store.execute = execute
        postgres_cluster.start()
    assert authority.status("hk-1", index) == VALID and authority.changes() == []  # reconnected; nothing half-written
    authority.revoke("hk-1", index, now=T0 + 3, reason="stolen")
    assert authority.status("hk-1", index) == REVOKED


def test_unreachable_server_and_bad_url() -> None:
    pytest.importorskip("psycopg")
    from tests.servers import free_port

    with pytest.raises(StatusStoreError, match="status database postgresql://xc:\\*\\*\\*@127.0.0.1"):
        StatusAuthority.open(f"postgresql://xc:secret@127.0.0.1:{free_port()}/x", "HK", timeout=2)
    with pytest.raises(ValueError, match="timeout"):
        StatusAuthority.open("postgresql://127.0.0.1/x", "HK", timeout=0)


def test_cli_status_on_postgresql(
    url: str, postgres_cluster: PostgresServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from credential.issuer import status_authority

    monkeypatch.setattr(status_authority, "system_clock", CLOCK)
    (tmp_path / "hk.pem").write_bytes(credential.private_key_to_pem(KEY))
    assert cli.main(["status", "create", "--status-db", url, "--issuer", "HK", "--list", "hk-1", "--size", "1000", "--now", str(T0)]) == EXIT_OK
    capsys.readouterr()
    assert cli.main(["status", "allocate", "--status-db", url, "--list", "hk-1", "--cti", "5f1e0c7a9b3d2468", "--now", str(T0)]) == EXIT_OK
    index = json.loads(capsys.readouterr().out)["index"]
    assert cli.main(["status", "revoke", "--status-db", url, "--cti", "5f1e0c7a9b3d2468", "--reason", "lost", "--now", str(T0 + 1)]) == EXIT_OK
    out = tmp_path / "hk-1.cwt"
    assert cli.main(["status", "publish", "--status-db", url, "--list", "hk-1", "--key", str(tmp_path / "hk.pem"), "--out", str(out), "--now", str(T0 + 2)]) == EXIT_OK
    assert status_list.read_token(out.read_bytes(), TRUST).status(index) == REVOKED
    assert cli.main(["status", "allocate", "--status-db", "mysql://x/y", "--list", "hk-1"]) == EXIT_USAGE
    capsys.readouterr()
    postgres_cluster.stop()
    try:
        assert cli.main(["status", "allocate", "--status-db", url, "--list", "hk-1", "--now", str(T0 + 3)]) == EXIT_UNAVAILABLE
        assert capsys.readouterr().err.startswith("credential status: status database postgresql://xc@127.0.0.1")
    finally:
        postgres_cluster.start()
