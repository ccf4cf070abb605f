"""Status state over time, across processes and threads (spec 17.4 to 17.6): a future-dated token
cannot wedge a list, one iat is one version, a cache rolled back under a running verifier is refused,
a stale trust list is judged where the spec says, and the cache serves every thread."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import credential
from credential.base.errors import ErrorCode
from credential.cli import main as cli
from credential.cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from credential.gate.status_cache import DEFAULT_FETCH_SKEW, StatusCache
from credential.issuer import samples, status_authority
from credential.issuer.status_authority import MAX_CLOCK_OFFSET, StatusAuthority
from credential.lists import status_list

from .test_status import KEY, NOW, T0, TRUST, code, text, token

DAY = 86400


# --- one future-dated token cannot wedge a list ------------------------------------------------------


def test_the_cache_refuses_a_token_issued_after_its_fetch_time_plus_skew() -> None:
    cache = StatusCache()
    with pytest.raises(credential.VerificationError) as caught:
        cache.add(token({}, issued_at=T0 + DEFAULT_FETCH_SKEW + 1), fetched_at=T0, trust=TRUST)
    assert caught.value.code is ErrorCode.STATUS_LIST_INVALID and cache.held() == []
    cache.add(token({}, issued_at=T0 + DEFAULT_FETCH_SKEW), fetched_at=T0, trust=TRUST)
    # The correct next token is still taken: nothing from the future was held.
    cache.add(token({1: 1}, issued_at=T0 + DAY), fetched_at=T0 + DAY, trust=TRUST)
    assert code(credential.Verifier(TRUST, status=cache), text(1), now=T0 + DAY) is ErrorCode.REVOKED
    with pytest.raises(ValueError, match="skew"):
        cache.add(token({}), fetched_at=T0, trust=TRUST, skew=-1)


def test_a_wedged_list_is_repaired_by_dropping_the_held_token() -> None:
    """The reproducer: a token issued a year ahead is held (filed before this rule, or by ``store``);
    every correct later token is then refused as a rollback until the operator drops it."""
    cache = StatusCache()
    cache.store("HK", "hk-1", token({}, issued_at=T0 + 365 * DAY), T0)
    gate = credential.Verifier(TRUST, status=cache)
    assert code(gate, text(1)) is ErrorCode.STATUS_LIST_INVALID
    correct = token({1: 1}, issued_at=NOW)
    with pytest.raises(ValueError, match="rollback"):
        cache.add(correct, fetched_at=NOW, trust=TRUST)
    assert cache.drop("HK", "hk-1") and not cache.drop("HK", "hk-1")
    cache.add(correct, fetched_at=NOW, trust=TRUST)
    assert code(gate, text(1)) is ErrorCode.REVOKED  # the running verifier recovers: it never used the future token


def test_the_issuer_refuses_publication_times_far_from_its_clock(tmp_path: Path) -> None:
    authority = StatusAuthority(tmp_path / "hk.sqlite", "HK", clock=lambda: T0)
    authority.create_list("hk-1", 64, now=T0)
    for wrong in (T0 + MAX_CLOCK_OFFSET + 1, T0 - MAX_CLOCK_OFFSET - 1, T0 + 365 * DAY):
        with pytest.raises(ValueError, match="issuer's clock"):
            authority.publish("hk-1", KEY, now=wrong, lifetime=DAY)
    assert authority.publications("hk-1") == []
    authority.publish("hk-1", KEY, now=T0 + MAX_CLOCK_OFFSET, lifetime=DAY)
    with pytest.raises(TypeError):
        StatusAuthority(tmp_path / "hk.sqlite", "HK", clock=T0)  # type: ignore[arg-type]


def test_status_publish_refuses_a_wrong_now_and_status_drop_repairs_a_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(status_authority, "system_clock", lambda: T0)

    def run(*args: object) -> tuple[int, str, str]:
        result = cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return result, out, err

    assert run("keygen", "--out", "hk.pem")[0] == EXIT_OK
    assert run("status", "create", "--status-db", "hk.sqlite", "--issuer", "HK", "--list", "hk-1", "--size", 64, "--now", T0)[0] == EXIT_OK
    result, _, err = run("status", "publish", "--status-db", "hk.sqlite", "--list", "hk-1", "--key", "hk.pem", "--out", "v.cwt", "--now", T0 + 365 * DAY)
    assert result == EXIT_USAGE and "clock" in err and not Path("v.cwt").exists()

    # A cache wedged by a token from the future, filed before the fetch rule; dropped from the command line.
    future = status_list.build_token(credential.load_private_key(Path("hk.pem").read_bytes()), "HK", "hk-1", issued_at=T0 + 365 * DAY,
                                     expires=T0 + 366 * DAY, bits=1, bit_array=bytes(8))
    cache = StatusCache(tmp_path / "gate.sqlite")
    cache.store("HK", "hk-1", future, T0)
    cache.close()
    assert run("status", "publish", "--status-db", "hk.sqlite", "--list", "hk-1", "--key", "hk.pem", "--out", "v.cwt", "--now", T0)[0] == EXIT_OK
    result, _, err = run("status", "add", "v.cwt", "--status-cache", "gate.sqlite", "--trusted-key", "HK=hk.pub.pem", "--now", T0 + 10)
    assert result == EXIT_INVALID and err.startswith("LIST_ROLLBACK")  # a status rollback is refused like a trust rollback
    result, out, _ = run("status", "drop", "--status-cache", "gate.sqlite", "--issuer", "HK", "--list", "hk-1")
    assert result == EXIT_OK and json.loads(out) == {"dropped": "HK/hk-1"}
    assert run("status", "add", "v.cwt", "--status-cache", "gate.sqlite", "--trusted-key", "HK=hk.pub.pem", "--now", T0 + 10)[0] == EXIT_OK
    result, _, err = run("status", "drop", "--status-cache", "gate.sqlite", "--issuer", "HK", "--list", "hk-9")
    assert result == EXIT_USAGE and "holds no list HK/hk-9" in err
    result, _, err = run("status", "drop", "--status-cache", "missing.sqlite", "--issuer", "HK", "--list", "hk-1")
    assert result == EXIT_USAGE and "--status-cache" in err


# --- one iat, one version ----------------------------------------------------------------------------


def test_the_issuer_never_publishes_two_versions_in_one_second(tmp_path: Path) -> None:
    authority = StatusAuthority(tmp_path / "hk.sqlite", "HK", clock=lambda: T0)
    authority.create_list("hk-1", 64, now=T0)
    index = authority.allocate("hk-1", now=T0)
    authority.publish("hk-1", KEY, now=T0, lifetime=DAY)
    authority.revoke("hk-1", index, now=T0, reason="reported stolen")
    with pytest.raises(ValueError, match="issued later"):
        authority.publish("hk-1", KEY, now=T0, lifetime=DAY)
    assert status_list.read_token(authority.publish("hk-1", KEY, now=T0 + 1, lifetime=DAY).token, TRUST).status(index) == 1


def test_the_cache_keeps_its_token_when_offered_another_of_the_same_moment() -> None:
    """The reproducer: a pre-revocation token of the same second as the post-revocation one is offered
    after it; the gate keeps the revoking one."""
    cache = StatusCache()
    revoking, earlier_version = token({1: 1}, issued_at=T0), token({}, issued_at=T0)
    cache.add(revoking, fetched_at=T0, trust=TRUST)
    with pytest.raises(ValueError, match="same moment"):
        cache.add(earlier_version, fetched_at=T0 + 5, trust=TRUST)
    cache.add(revoking, fetched_at=T0 + 5, trust=TRUST)  # the held token again: changes nothing
    held = cache.get("HK", "hk-1")
    assert held is not None and held.token == revoking and held.fetched_at == T0
    assert code(credential.Verifier(TRUST, status=cache), text(1)) is ErrorCode.REVOKED


# --- a cache file rolled back under a running verifier ------------------------------------------------


@pytest.mark.parametrize("same_second", [False, True])
def test_a_running_verifier_refuses_a_cache_rolled_back_under_it(tmp_path: Path, same_second: bool) -> None:
    path = tmp_path / "gate.sqlite"
    gate_cache, other_process = StatusCache(path), StatusCache(path)
    old = token({}, issued_at=T0 if same_second else T0 - 600)
    gate_cache.add(token({1: 1}, issued_at=T0), fetched_at=T0, trust=TRUST)
    gate = credential.Verifier(TRUST, status=gate_cache)
    assert code(gate, text(1)) is ErrorCode.REVOKED
    other_process.store("HK", "hk-1", old, T0)  # an older valid token written into the file
    assert code(gate, text(1)) is ErrorCode.STATUS_LIST_INVALID
    assert code(gate, text(2)) is ErrorCode.STATUS_LIST_INVALID  # every credential of the list: fail closed
    gate_cache.close()
    other_process.close()


def test_the_high_water_mark_moves_forward_with_newer_tokens() -> None:
    cache = StatusCache()
    cache.add(token({}, issued_at=T0), fetched_at=T0, trust=TRUST)
    gate = credential.Verifier(TRUST, status=cache)
    assert gate.verify(text(1), now=NOW).checked
    cache.add(token({1: 1}, issued_at=NOW), fetched_at=NOW, trust=TRUST)
    assert code(gate, text(1)) is ErrorCode.REVOKED


# --- status tokens and a stale trust list ------------------------------------------------------------


def test_a_stale_trust_list_stops_the_credential_before_its_status_list_is_read() -> None:
    """17.4 check 5 with a trust store: the token's key is in the credential issuer's list, which step
    11a judges at the verification time; the kept result of 17.4 is never used with stale trust."""
    from .trust_vectors import document, signed_list

    keys = document()["keys"]
    pins = {"HK": [keys["hk-list"]["publicKeyPem"]], "MO": [keys["mo-list"]["publicKeyPem"]]}
    store = credential.TrustStore(pins)
    listed = store.load(signed_list("hk-1"), now=document()["lists"]["hk-1"]["issued"])
    hk_key = credential.load_private_key(keys["hk-2027"]["privateKeyPem"])
    claims = samples.minimal()
    claims["xc"]["status"] = {"list": "hk-1", "index": 1}
    credential_text = credential.issue(claims, hk_key, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)
    cache = StatusCache()
    cache.add(status_list.build_token(hk_key, "HK", "hk-1", issued_at=T0, expires=T0 + 60 * DAY, bits=1, bit_array=bytes(8)),
              fetched_at=T0, trust=store)
    gate = credential.Verifier(store, status=cache, status_max_age=30 * DAY)
    assert gate.verify(credential_text, now=listed.next_update - 1).checked
    with pytest.raises(credential.VerificationError) as caught:
        gate.verify(credential_text, now=listed.next_update)
    assert caught.value.code is ErrorCode.TRUST_STALE


# --- a status cache serves every thread --------------------------------------------------------------


def test_a_verifier_with_status_lists_works_on_worker_threads(tmp_path: Path) -> None:
    cache = StatusCache(tmp_path / "gate.sqlite")
    cache.add(token({1: 1}), fetched_at=T0, trust=TRUST)
    gate = credential.Verifier(TRUST, status=cache)
    outcomes: list[object] = []

    def check(index: int) -> None:
        try:
            outcomes.append(gate.verify(text(index), now=NOW).checked)
        except credential.VerificationError as err:
            outcomes.append(err.code)
        except Exception as err:  # noqa: BLE001 - the failure this test exists to catch (ProgrammingError)
            outcomes.append(type(err).__name__)

    workers = [threading.Thread(target=check, args=(1 + i % 2,)) for i in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(map(str, outcomes)) == sorted(map(str, [ErrorCode.REVOKED, ("status",)] * 4))
    cache.close()


def test_the_inspector_server_checks_status_on_its_request_threads(tmp_path: Path) -> None:
    """``credential serve`` answers on worker threads: a status-checked request is verified, not dropped."""
    import http.client
    from urllib.parse import quote

    from credential.tools import serve

    cache = StatusCache(tmp_path / "gate.sqlite")  # opened on this thread
    cache.add(token({1: 1}), fetched_at=T0, trust=TRUST)
    server = serve.start(0, verifier=credential.Verifier(TRUST, status=cache), now=NOW)
    try:
        pages = []
        for index in (1, 2):
            connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
            connection.request("POST", "/inspect", body=("text=" + quote(text(index))).encode(),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
            response = connection.getresponse()
            pages.append((response.status, response.read().decode("utf-8")))
            connection.close()
    finally:
        server.shutdown()
        server.server_close()
        cache.close()
    (revoked_status, revoked), (valid_status, valid) = pages
    assert revoked_status == valid_status == 200
    assert "REVOKED" in revoked and "ProgrammingError" not in revoked
    assert 'class="verdict valid"' in valid
