"""A replay cache shared by the gates of a control point (spec 9.6): Redis, against a redis-server
each test starts (tests/servers.py); bounded expiry in every backend; fail closed when the store fails;
gate processes sharing one cache accept each presentation once; a server stopped in the middle of a run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

import credential
from credential.base.errors import ErrorCode
from credential.cli import main as cli
from credential.cli.common import EXIT_INVALID, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE
from credential.gate import presentation
from credential.gate.replay import EXPIRE_PER_CHECK, MAX_PRESENTATION_SKEW, MemoryReplayCache, Outcome, SqliteReplayCache
from credential.gate.replay_open import open_replay_cache
from credential.issuer import samples

from .servers import RedisServer, redis_server  # noqa: F401 - the fixture

ISSUER = credential.generate_key("Ed25519")
DEVICE = credential.generate_key("ES256")
TRUST = [credential.TrustedKey(ISSUER.public_key(), {"HK"})]
MADE = samples.ISSUED_AT + 3603
A = MAX_PRESENTATION_SKEW  # an entry is live until now - A reaches its expiry (spec 9.6)
STEP = presentation.step_of(MADE)


def _bound(count: int) -> list[str]:
    """``count`` credentials (distinct cti) bound to one device key."""
    texts = []
    for _ in range(count):
        claims = samples.minimal()
        del claims["cti"]  # a random one each
        claims["cnf"] = credential.device_cnf(DEVICE)
        texts.append(credential.issue(claims, ISSUER, templates=samples.TEMPLATES, policy=None))
    return texts


BOUND = _bound(1)[0]
SHOWN = credential.present(BOUND, DEVICE, now=MADE, destination="MO")


def _outcome(gate: credential.Verifier, text: str, now: int) -> str:
    try:
        gate.verify(text, now=now)
    except credential.VerificationError as err:
        return err.code.value
    return "valid"


# --- Redis: the cache itself --------------------------------------------------------------------


def test_redis_cache_checks_records_and_fills(redis_server: RedisServer) -> None:
    cache = open_replay_cache(redis_server.url, capacity=2)
    assert isinstance(cache, credential.RedisReplayCache)
    assert cache.check_and_record("a", 100, 150) is Outcome.RECORDED
    assert cache.check_and_record("a", 149, 150) is Outcome.SEEN
    assert cache.check_and_record("b", 120, 170) is Outcome.RECORDED
    assert cache.check_and_record("c", 149, 199) is Outcome.FULL  # two live entries: nothing is evicted
    assert len(cache) == 2


def test_redis_expiry_is_the_servers_with_the_time_left(redis_server: RedisServer) -> None:
    import redis

    cache = open_replay_cache(redis_server.url)
    assert cache.check_and_record("k", 1000, 1050) is Outcome.RECORDED
    client = redis.Redis.from_url(redis_server.url)
    assert 0 < client.ttl("xc:replay:k") <= 50 + A  # set with its life (spec 9.6), so the server deletes it; no check does
    assert cache.check_and_record("short", 1000, 1001) is Outcome.RECORDED
    assert client.pttl("xc:replay:short") <= (1 + A) * 1000


def test_verifier_with_redis_refuses_the_second_use(redis_server: RedisServer) -> None:
    gate = credential.Verifier(TRUST, destination="MO", replay=open_replay_cache(redis_server.url))
    other_lane = credential.Verifier(TRUST, destination="MO", replay=open_replay_cache(redis_server.url))
    assert gate.verify(SHOWN, now=MADE).form == "presentation"
    assert _outcome(other_lane, SHOWN, MADE + 1) == "REPLAY"


def test_redis_server_unfit_for_a_replay_cache_is_refused(redis_server: RedisServer) -> None:
    import redis

    client = redis.Redis.from_url(redis_server.url)
    cache = open_replay_cache(redis_server.url)
    client.config_set("maxmemory-policy", "allkeys-lru")  # would evict live entries
    with pytest.raises(ValueError, match="noeviction"):
        open_replay_cache(redis_server.url)
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("appendonly", "no")  # would lose entries on a restart
    with pytest.raises(ValueError, match="appendonly"):
        open_replay_cache(redis_server.url)
    # A cache built before the change: its connection stays, a new one is checked and refused.
    client.client_kill_filter(_type="normal", skipme=True)
    gate = credential.Verifier(TRUST, replay=cache)
    with pytest.raises(credential.UnavailableError) as caught:
        gate.verify(SHOWN, now=MADE)
    assert caught.value.code is ErrorCode.REPLAY_CACHE_UNAVAILABLE and "appendonly" in caught.value.detail


def test_redis_url_and_options_are_checked() -> None:
    with pytest.raises(ValueError, match="not a kind"):
        open_replay_cache("memcached://127.0.0.1:11211")
    with pytest.raises(ValueError, match="timeout"):
        credential.RedisReplayCache("redis://127.0.0.1:1/0", timeout=0)
    with pytest.raises(ValueError, match="capacity"):
        credential.RedisReplayCache("redis://127.0.0.1:1/0", capacity=0)


def test_unreachable_server_is_a_store_error_never_an_acceptance() -> None:
    pytest.importorskip("redis")
    from tests.servers import free_port

    with pytest.raises(credential.ReplayCacheError, match="127.0.0.1"):
        open_replay_cache(f"redis://:secret@127.0.0.1:{free_port()}/0")
    try:
        open_replay_cache(f"redis://:secret@127.0.0.1:{free_port()}/0")
    except credential.ReplayCacheError as err:
        assert "secret" not in str(err)  # the password stays out of messages


# --- fail closed, and back after the restart ----------------------------------------------------


def test_redis_stopped_in_the_middle_of_a_run(redis_server: RedisServer) -> None:
    """Before: each presentation accepted once. Server killed: every verification refused with
    REPLAY_CACHE_UNAVAILABLE, none accepted. Restarted: the entries acknowledged before the crash are
    still there, so no replay gets through, and service resumes."""
    texts = [credential.present(b, DEVICE, now=MADE, destination="MO") for b in _bound(12)]
    before, during, after = texts[:4], texts[4:8], texts[8:]
    gate = credential.Verifier(TRUST, destination="MO", replay=open_replay_cache(redis_server.url))
    assert [_outcome(gate, t, MADE) for t in before] == ["valid"] * 4
    assert [_outcome(gate, t, MADE) for t in before] == ["REPLAY"] * 4

    redis_server.stop(kill=True)  # a crash, not a clean shutdown
    assert {_outcome(gate, t, MADE + 1) for t in before + during + after} == {"REPLAY_CACHE_UNAVAILABLE"}

    redis_server.start()  # same port, same folder: its append-only file
    assert [_outcome(gate, t, MADE + 2) for t in before] == ["REPLAY"] * 4  # recorded before the crash
    assert [_outcome(gate, t, MADE + 2) for t in during + after] == ["valid"] * 8  # refused, not recorded, during it
    assert [_outcome(gate, t, MADE + 3) for t in during + after] == ["REPLAY"] * 8


def test_cli_verify_with_redis_exit_codes(redis_server: RedisServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "issuer.pub.pem").write_bytes(credential.public_key_to_pem(ISSUER))
    (tmp_path / "shown.txt").write_text(SHOWN + "\n")
    gate = ["verify", str(tmp_path / "shown.txt"), "--trusted-key", f"HK={tmp_path / 'issuer.pub.pem'}", "--now", str(MADE), "--replay-cache"]
    assert cli.main([*gate, redis_server.url]) == EXIT_OK
    capsys.readouterr()
    assert cli.main([*gate, redis_server.url]) == EXIT_INVALID
    assert capsys.readouterr().err.startswith("REPLAY: ")
    redis_server.stop()
    # Down when the command starts: nothing checked, and not a usage mistake either.
    assert cli.main([*gate, redis_server.url]) == EXIT_UNAVAILABLE
    assert "credential verify: replay cache redis://127.0.0.1" in capsys.readouterr().err
    assert cli.main([*gate, "postgresql://127.0.0.1/x"]) == EXIT_USAGE
    assert "not a kind" in capsys.readouterr().err


def test_cli_verify_fails_closed_when_the_cache_fails_mid_check(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "issuer.pub.pem").write_bytes(credential.public_key_to_pem(ISSUER))
    (tmp_path / "shown.txt").write_text(SHOWN + "\n")

    def broken(self: object, key: str, now: int, expires: int) -> Outcome:
        raise credential.ReplayCacheError("replay cache gate.db: disk I/O error")

    monkeypatch.setattr(SqliteReplayCache, "check_and_record", broken)
    gate = ["verify", str(tmp_path / "shown.txt"), "--trusted-key", f"HK={tmp_path / 'issuer.pub.pem'}", "--now", str(MADE)]
    assert cli.main([*gate, "--replay-cache", str(tmp_path / "gate.db")]) == EXIT_UNAVAILABLE
    err = capsys.readouterr().err
    assert err.startswith("REPLAY_CACHE_UNAVAILABLE: replay cache gate.db: disk I/O error; the presentation is not accepted")


def test_sqlite_cache_locked_beyond_its_timeout_fails_closed(tmp_path: Path) -> None:
    import sqlite3

    cache = SqliteReplayCache(tmp_path / "replay.db", timeout=0.2)
    gate = credential.Verifier(TRUST, destination="MO", replay=cache)
    holder = sqlite3.connect(tmp_path / "replay.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock, and does not let go
    with pytest.raises(credential.UnavailableError) as caught:
        gate.verify(SHOWN, now=MADE)
    assert caught.value.code is ErrorCode.REPLAY_CACHE_UNAVAILABLE and "locked" in caught.value.detail
    holder.execute("ROLLBACK")
    assert gate.verify(SHOWN, now=MADE).form == "presentation"  # refused, not recorded: accepted once it is free
    assert _outcome(gate, SHOWN, MADE + 1) == "REPLAY"


# --- bounded expiry, in every backend -----------------------------------------------------------


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_one_check_deletes_a_bounded_number_of_expired_entries(kind: str, tmp_path: Path) -> None:
    """A whole time step's entries expire in the same second: the next check deletes at most
    EXPIRE_PER_CHECK of them (and the rest go over the following checks), never all at once."""
    many = 10 * EXPIRE_PER_CHECK
    cache: MemoryReplayCache | SqliteReplayCache
    cache = MemoryReplayCache(many + 2) if kind == "memory" else SqliteReplayCache(tmp_path / "replay.db", many + 2)
    for i in range(many):
        assert cache.check_and_record(f"k{i}", 100, 150) is Outcome.RECORDED  # one step: one expiry
    assert cache.check_and_record("new", 150 + A, 200) is Outcome.RECORDED  # all expired now, by every gate's clock
    assert len(cache) == many + 1 - EXPIRE_PER_CHECK
    # An expired entry not yet deleted is not a replay: its identity is recorded anew.
    assert cache.check_and_record(f"k{many - 1}", 151 + A, 201) is Outcome.RECORDED
    assert cache.check_and_record(f"k{many - 1}", 152 + A, 201) is Outcome.SEEN
    while len(cache) > 2:
        before = len(cache)
        cache.check_and_record("new", 160 + A, 200)  # SEEN; deletes its share
        assert before - len(cache) <= EXPIRE_PER_CHECK
    assert len(cache) == 2


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_full_cache_of_expired_entries_makes_room(kind: str, tmp_path: Path) -> None:
    capacity = 3 * EXPIRE_PER_CHECK
    cache: MemoryReplayCache | SqliteReplayCache
    cache = MemoryReplayCache(capacity) if kind == "memory" else SqliteReplayCache(tmp_path / "replay.db", capacity)
    for i in range(capacity):
        cache.check_and_record(f"k{i}", 100, 150)
    assert cache.check_and_record("live", 149 + A, 199) is Outcome.FULL  # every entry live: nothing evicted
    # At 150 + A all have expired; the deleting is bounded, and the cache is not full of live entries.
    for i in range(capacity):
        assert cache.check_and_record(f"new{i}", 150 + A, 200) is Outcome.RECORDED
    assert cache.check_and_record("one more", 150 + A, 200) is Outcome.FULL


# --- N gate processes, one Redis -----------------------------------------------------------------

_WORKER = textwrap.dedent(
    """
    import json, random, sys
    import credential
    issuer = credential.load_public_key(open(sys.argv[1], "rb").read())
    lines = [line.split(" ", 1) for line in open(sys.argv[2]).read().splitlines()]
    random.Random(int(sys.argv[4])).shuffle(lines)
    gate = credential.Verifier([credential.TrustedKey(issuer, {"HK"})], destination="MO",
                               replay=credential.open_replay_cache(sys.argv[3]))
    sys.stdin.readline()  # start together
    results = {}
    for now, text in lines:
        try:
            gate.verify(text, now=int(now))
            results[text] = "valid"
        except credential.VerificationError as err:
            results[text] = err.code.value
    print(json.dumps(results))
    """
)


def _streams(tmp_path: Path, credentials: int, steps: int) -> tuple[Path, Path, list[str]]:
    """Presentations of ``credentials`` credentials over ``steps`` time steps, each with a time inside its window."""
    pem = tmp_path / "issuer.pub.pem"
    pem.write_bytes(credential.public_key_to_pem(ISSUER))
    texts, lines = [], []
    for bound in _bound(credentials):
        for s in range(steps):
            now = MADE + 10 * s
            text = credential.present(bound, DEVICE, now=now, destination="MO")
            texts.append(text)
            lines.append(f"{now + 1} {text}")
    stream = tmp_path / "stream.txt"
    stream.write_text("\n".join(lines))
    return pem, stream, texts


def _run_gates(count: int, pem: Path, stream: Path, target: str) -> list[dict[str, str]]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    gates = [
        subprocess.Popen([sys.executable, "-c", _WORKER, str(pem), str(stream), target, str(seed)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for seed in range(count)
    ]
    for gate in gates:
        assert gate.stdin is not None
        gate.stdin.write("go\n")
        gate.stdin.flush()
    results = []
    for gate in gates:
        out, err = gate.communicate(timeout=240)
        assert gate.returncode == 0, err[-2000:]
        results.append(json.loads(out))
    return results


@pytest.mark.parametrize("processes", [1, 2, 4, 8])
def test_gate_processes_sharing_redis_accept_each_presentation_once(processes: int, redis_server: RedisServer, tmp_path: Path) -> None:
    pem, stream, texts = _streams(tmp_path, credentials=30, steps=4)  # 120 presentations, each shown at every gate
    results = _run_gates(processes, pem, stream, redis_server.url)
    accepted = Counter(text for result in results for text, outcome in result.items() if outcome == "valid")
    assert accepted == Counter(texts)  # every presentation accepted exactly once, across all the gates
    outcomes = Counter(outcome for result in results for outcome in result.values())
    assert outcomes == Counter({"valid": len(texts), "REPLAY": (processes - 1) * len(texts)}) - Counter()


_RUNNING_GATE = textwrap.dedent(
    """
    import json, random, sys, time
    import credential
    issuer = credential.load_public_key(open(sys.argv[1], "rb").read())
    lines = [line.split(" ", 1) for line in open(sys.argv[2]).read().splitlines()]
    random.Random(int(sys.argv[4])).shuffle(lines)
    gate = credential.Verifier([credential.TrustedKey(issuer, {"HK"})], destination="MO",
                               replay=credential.open_replay_cache(sys.argv[3], timeout=0.5))
    print("ready", flush=True)
    sys.stdin.readline()

    def attempt(now, text):
        began = time.time()
        try:
            gate.verify(text, now=int(now))
            outcome = "valid"
        except credential.VerificationError as err:
            outcome = err.code.value
        print(json.dumps([began, time.time(), text[-12:], outcome]), flush=True)

    for now, text in lines:  # each code read twice in a row, as a lane might, at a steady pace
        attempt(now, text)
        attempt(now, text)
        time.sleep(0.01)
    sys.stdin.readline()  # the server is back
    for now, text in lines:  # every code once more
        attempt(now, text)
    """
)


def test_redis_stopped_while_gate_processes_run(redis_server: RedisServer, tmp_path: Path) -> None:
    """Two gate processes verify a stream while the server is killed and restarted: every
    verification wholly inside the outage fails closed, none is accepted twice, and service resumes."""
    import time

    pem, stream, texts = _streams(tmp_path, credentials=100, steps=1)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    gates = [
        subprocess.Popen([sys.executable, "-c", _RUNNING_GATE, str(pem), str(stream), redis_server.url, str(seed)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for seed in range(2)
    ]
    for gate in gates:
        assert gate.stdin is not None and gate.stdout is not None
        assert gate.stdout.readline() == "ready\n"
    for gate in gates:
        assert gate.stdin is not None
        gate.stdin.write("go\n")
        gate.stdin.flush()
    time.sleep(0.5)
    redis_server.stop(kill=True)
    killed = time.time()  # once the server is gone: what begins after this cannot reach it
    time.sleep(1.0)
    restarting = time.time()
    redis_server.start()
    up = time.time()
    attempts = []
    for gate in gates:
        out, err = gate.communicate("back\n", timeout=240)
        assert gate.returncode == 0, err[-2000:]
        attempts += [json.loads(line) for line in out.splitlines()]
    assert len(attempts) == 2 * 3 * len(texts)
    accepted = Counter(code for _, _, code, outcome in attempts if outcome == "valid")
    assert set(accepted.values()) == {1}, accepted  # never accepted twice
    # Accepted in the end, unless the server recorded it as it went down and the answer was lost on
    # the way: that check was refused (fail closed), and the code stays used, as it should.
    in_flight = {code for began, ended, code, outcome in attempts if began <= killed and outcome == "REPLAY_CACHE_UNAVAILABLE"}
    assert {code for *_, code, _ in attempts} - set(accepted) <= in_flight
    during = [outcome for began, ended, _, outcome in attempts if killed < began and ended < restarting]
    assert during and set(during) == {"REPLAY_CACHE_UNAVAILABLE"}, Counter(during)
    back = {outcome for began, _, _, outcome in attempts if began > up}
    assert back and back <= {"valid", "REPLAY"}


def test_gate_processes_sharing_sqlite_accept_each_presentation_once(tmp_path: Path) -> None:
    pem, stream, texts = _streams(tmp_path, credentials=20, steps=3)
    results = _run_gates(4, pem, stream, str(tmp_path / "replay.db"))
    accepted = Counter(text for result in results for text, outcome in result.items() if outcome == "valid")
    assert accepted == Counter(texts)


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_without_the_servers_skip_locally_but_fail_in_ci(monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]) -> None:
    from tests import servers

    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="apt-get install redis-server"):
        servers.missing(f"redis-server is not installed: {servers.REDIS_INSTALL}")


def test_redis_peek_looks_and_records_nothing(redis_server: RedisServer) -> None:
    cache = open_replay_cache(redis_server.url, capacity=1)
    assert cache.peek("a", 100) is Outcome.RECORDED and len(cache) == 0  # would be recorded; is not
    assert cache.check_and_record("a", 100, 150) is Outcome.RECORDED
    assert cache.peek("a", 101) is Outcome.SEEN and cache.peek("b", 101) is Outcome.FULL
