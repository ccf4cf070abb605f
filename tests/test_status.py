"""Status lists (spec 17): the token, the gate's cache, step 19a, and the authority's durable state."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import credential
from credential.base import limits
from credential.base.errors import ErrorCode
from credential.gate.status_cache import StatusCache
from credential.issuer import samples
from credential.issuer.status_authority import MAX_FILL, StatusAuthority
from credential.lists import status_list
from credential.lists.status_list import REVOKED, SUSPENDED, VALID
from credential.text import cbor

KEY = credential.generate_key()
OTHER = credential.generate_key()
TRUST = credential.KeySet(
    [credential.TrustedKey(KEY.public_key(), frozenset({"HK"})), credential.TrustedKey(OTHER.public_key(), frozenset({"MO"}))]
)
T0 = samples.ISSUED_AT
NOW = T0 + 60
DAY = 86400


def CLOCK() -> float:  # noqa: N802 - the issuer's clock in these tests: within seconds of every publication
    return T0


def token(entries: dict[int, int], size: int = 64, bits: int = 1, *, key: credential.cose.keys.PrivateKey = KEY, issuer: str = "HK",
          list_id: str = "hk-1", issued_at: int = T0, lifetime: int = 2 * DAY) -> bytes:
    return status_list.build_token(
        key, issuer, list_id, issued_at=issued_at, expires=issued_at + lifetime, bits=bits,
        bit_array=status_list.pack(entries.items(), size, bits),
    )


def text(index: int | None, list_id: str = "hk-1") -> str:
    claims = samples.minimal()
    if index is not None:
        claims["xc"]["status"] = {"list": list_id, "index": index}
    return credential.issue(claims, KEY, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)


def gate(*tokens: bytes, **options: object) -> credential.Verifier:
    cache = StatusCache()
    for t in tokens:
        cache.add(t, fetched_at=T0, trust=TRUST)
    return credential.Verifier(TRUST, status=cache, **options)  # type: ignore[arg-type]


def code(verifier: credential.Verifier, credential_text: str, now: int = NOW) -> ErrorCode:
    with pytest.raises(credential.VerificationError) as caught:
        verifier.verify(credential_text, now=now)
    return caught.value.code


# --- the bit array ---------------------------------------------------------------------------


def test_entries_are_packed_from_the_least_significant_bit() -> None:
    assert status_list.pack([(0, 1), (9, 1)], 16, 1) == bytes([0b00000001, 0b00000010])
    assert status_list.pack([(1, 2), (3, 1)], 4, 2) == bytes([0b01001000])


@pytest.mark.parametrize("bits", [1, 2])
def test_every_entry_reads_back(bits: int) -> None:
    values = {i: (i * 7) % (1 << bits) for i in range(0, 50, 3)}
    made = status_list.read_token(token(values, 50, bits), TRUST)
    assert made.size == (50 * bits + 7) // 8 * 8 // bits  # the padding of the last byte reads as valid entries
    assert [made.status(i) for i in range(50)] == [values.get(i, 0) for i in range(50)]
    with pytest.raises(IndexError):
        made.status(made.size)


def test_shapes_an_authority_may_not_build() -> None:
    for size, bits in [(0, 1), (10, 4), (limits.MAX_STATUS_BYTES * 8 + 1, 1)]:
        with pytest.raises(ValueError):
            status_list.pack([], size, bits)
    with pytest.raises(ValueError):
        status_list.pack([(3, 2)], 8, 1)


# --- the token -------------------------------------------------------------------------------


def _payload(**changes: object) -> bytes:
    base = status_list.claims("HK", "hk-1", issued_at=T0, expires=T0 + DAY, bits=1, bit_array=bytes(8))
    for key, value in changes.items():
        number = int(key.lstrip("k"))
        if value is None:
            base.pop(number)
        else:
            base[number] = value
    return cbor.encode(base)


@pytest.mark.parametrize(
    "payload",
    [
        _payload(k7=b"12345678"),  # an unknown claim
        _payload(k1=None),  # no issuer
        _payload(k2="no spaces allowed"),
        _payload(k4=T0),  # exp not after iat
        _payload(k65534=0),  # ttl of zero
        _payload(k65533={"bits": 4, "lst": zlib.compress(bytes(8))}),
        _payload(k65533={"bits": 1, "lst": zlib.compress(bytes(8)), "aggregation_uri": "x"}),
        _payload(k65533={"bits": 1, "lst": zlib.compress(bytes(8), 9, -15)}),  # raw DEFLATE, not zlib
        _payload(k65533={"bits": 1, "lst": zlib.compress(bytes(8)) + b"\x00"}),  # trailing bytes
        _payload(k65533={"bits": 1, "lst": zlib.compress(bytes(8))[:-3]}),  # truncated
        _payload(k65533={"bits": 1, "lst": zlib.compress(b"")}),  # nothing
        _payload(k65533={"bits": 1, "lst": zlib.compress(bytes(limits.MAX_STATUS_BYTES + 1), 9)}),  # a bomb
    ],
)
def test_malformed_lists_are_invalid(payload: bytes) -> None:
    with pytest.raises(credential.VerificationError) as caught:
        status_list.read_token(status_list.sign(KEY, payload), TRUST)
    assert caught.value.code is ErrorCode.STATUS_LIST_INVALID


def test_a_list_of_exactly_the_cap_is_read() -> None:
    made = status_list.read_token(status_list.sign(KEY, _payload(k65533={"bits": 1, "lst": zlib.compress(bytes(limits.MAX_STATUS_BYTES), 9)})), TRUST)
    assert made.size == limits.MAX_STATUS_BYTES * 8


def test_a_list_needs_a_key_trusted_for_its_issuer() -> None:
    rogue = credential.generate_key()
    for bad in (token({}, key=rogue), token({}, key=OTHER), token({}, key=OTHER, issuer="HK")):
        with pytest.raises(credential.VerificationError, match="STATUS_LIST_INVALID"):
            status_list.read_token(bad, TRUST)
    assert status_list.read_token(token({}, key=OTHER, issuer="MO"), TRUST).issuer == "MO"


def test_a_credential_is_not_a_list_and_a_list_is_not_a_credential() -> None:
    from credential.text import base45
    from credential.text import wrap as textlayer

    with pytest.raises(credential.VerificationError, match="STATUS_LIST_INVALID"):
        status_list.read_token(credential.decode(text(1)).cose, TRUST)
    with pytest.raises(credential.VerificationError) as caught:
        credential.verify(textlayer.PREFIX + base45.encode(token({})), TRUST, now=NOW)
    assert caught.value.code is ErrorCode.CLAIMS


def test_a_tampered_list_is_invalid() -> None:
    good = bytearray(token({3: 1}))
    good[-70] ^= 1  # inside the payload, just before the signature
    with pytest.raises(credential.VerificationError, match="STATUS_LIST_INVALID"):
        status_list.read_token(bytes(good), TRUST)


# --- step 19a --------------------------------------------------------------------------------


def test_step_19a_outcomes() -> None:
    verifier = gate(token({5: REVOKED}))
    assert verifier.verify(text(4), now=NOW).checked == ("status",)
    assert code(verifier, text(5)) is ErrorCode.REVOKED
    assert code(verifier, text(64)) is ErrorCode.STATUS_INDEX
    assert code(verifier, text(None)) is ErrorCode.NO_STATUS
    assert code(verifier, text(4, "hk-2")) is ErrorCode.STATUS_UNAVAILABLE
    two_bits = gate(token({5: SUSPENDED, 6: REVOKED, 7: 3}, bits=2))
    assert code(two_bits, text(5)) is ErrorCode.SUSPENDED
    assert code(two_bits, text(6)) is ErrorCode.REVOKED
    assert code(two_bits, text(7)) is ErrorCode.STATUS_LIST_INVALID


def test_status_is_skipped_unless_configured() -> None:
    result = credential.verify(text(5), TRUST, now=NOW)
    assert "status" in result.skipped and "status" not in result.checked


def test_the_deny_list_comes_first() -> None:
    cti = bytes.fromhex(samples.minimal()["cti"])
    assert code(gate(revoked={cti}), text(5)) is ErrorCode.REVOKED  # no list held: the deny-list already refused


def test_freshness_max_age_expiry_and_grace(caplog: pytest.LogCaptureFixture) -> None:
    verifier = gate(token({}), status_max_age=3600)
    assert verifier.verify(text(1), now=T0 + 3600).checked == ("status",)
    assert code(verifier, text(1), now=T0 + 3601) is ErrorCode.STATUS_STALE
    lenient = gate(token({}), status_max_age=3600, status_grace=600)
    with caplog.at_level(logging.WARNING, logger="credential.status"):
        lenient.verify(text(1), now=T0 + 4200)
    assert "stale by 600 s" in caplog.text
    assert code(lenient, text(1), now=T0 + 4201) is ErrorCode.STATUS_STALE
    # exp bounds a list whatever the gate's maximum age; the skew applies to it as to a credential.
    short = gate(token({}, lifetime=600), status_max_age=DAY)
    assert short.verify(text(1), now=T0 + 600 + 299).checked == ("status",)
    assert code(short, text(1), now=T0 + 600 + 300) is ErrorCode.STATUS_STALE


def test_a_list_from_the_future_is_invalid() -> None:
    """Step 19a refuses a held token issued after now + skew (one filed unjudged, as ``store`` does)."""
    cache = StatusCache()
    cache.store("HK", "hk-1", token({}, issued_at=NOW + 301), T0)
    assert code(credential.Verifier(TRUST, status=cache), text(1)) is ErrorCode.STATUS_LIST_INVALID
    cache.store("HK", "hk-1", token({}, issued_at=NOW + 300), T0)
    assert credential.Verifier(TRUST, status=cache).verify(text(1), now=NOW).checked == ("status",)


def test_a_list_filed_under_another_name_is_invalid() -> None:
    cache = StatusCache()
    cache.store("HK", "hk-1", token({}, list_id="hk-9"), T0)
    assert code(credential.Verifier(TRUST, status=cache), text(1)) is ErrorCode.STATUS_LIST_INVALID
    cache.store("HK", "hk-1", b"\x00garbage", T0)
    assert code(credential.Verifier(TRUST, status=cache), text(1)) is ErrorCode.STATUS_LIST_INVALID


def test_a_new_list_replaces_the_held_one_and_is_used_at_once() -> None:
    cache = StatusCache()
    cache.add(token({}), fetched_at=T0, trust=TRUST)
    verifier = credential.Verifier(TRUST, status=cache)
    verifier.verify(text(5), now=NOW)
    cache.add(token({5: REVOKED}, issued_at=T0 + 30), fetched_at=T0 + 40, trust=TRUST)
    assert code(verifier, text(5)) is ErrorCode.REVOKED


def test_the_cache_refuses_rollback_and_bad_tokens() -> None:
    cache = StatusCache()
    cache.add(token({5: REVOKED}, issued_at=T0 + 30), fetched_at=T0, trust=TRUST)
    with pytest.raises(ValueError, match="rollback"):
        cache.add(token({}), fetched_at=T0 + 60, trust=TRUST)
    with pytest.raises(credential.VerificationError, match="STATUS_LIST_INVALID"):
        cache.add(token({}, key=credential.generate_key(), issued_at=T0 + 90), fetched_at=T0 + 60, trust=TRUST)
    (held,) = cache.held()
    assert (held.issued_at, held.fetched_at) == (T0 + 30, T0)


def test_the_cache_is_shared_through_its_file(tmp_path: Path) -> None:
    path = tmp_path / "gate.sqlite"
    StatusCache(path).add(token({5: REVOKED}), fetched_at=T0, trust=TRUST)
    assert code(credential.Verifier(TRUST, status=StatusCache(path)), text(5)) is ErrorCode.REVOKED


@pytest.mark.parametrize(
    "options, error",
    [
        ({"status": "gate.sqlite"}, TypeError),
        ({"status_max_age": 60}, ValueError),  # without status lists it would configure nothing
        ({"status_grace": 0}, ValueError),
        ({"status": StatusCache(), "status_max_age": 0}, ValueError),
        ({"status": StatusCache(), "status_max_age": 31 * DAY}, ValueError),
        ({"status": StatusCache(), "status_grace": -1}, ValueError),
        ({"status": StatusCache(), "status_grace": 1.5}, TypeError),
        ({"status": StatusCache(), "status_max_age": True}, TypeError),
    ],
)
def test_status_configuration_mistakes(options: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        credential.Verifier(TRUST, **options)  # type: ignore[arg-type]


# --- the authority ---------------------------------------------------------------------------


def test_allocation_is_random_unique_and_bounded(tmp_path: Path) -> None:
    authority = StatusAuthority(tmp_path / "hk.sqlite", "HK", clock=CLOCK)
    authority.create_list("hk-1", 64, now=T0)
    indices = [authority.allocate("hk-1", now=T0) for _ in range(int(64 * MAX_FILL))]
    assert len(set(indices)) == len(indices)
    assert indices != sorted(indices) and max(indices) > len(indices)  # neither in sequence nor packed at the start
    with pytest.raises(ValueError, match="create the next list"):
        authority.allocate("hk-1", now=T0)


def test_authority_rules(tmp_path: Path) -> None:
    path = tmp_path / "hk.sqlite"
    authority = StatusAuthority(path, "HK", clock=CLOCK)
    with pytest.raises(ValueError, match="holds the status lists of HK"):
        StatusAuthority(path, "MO")
    authority.create_list("hk-1", 100, now=T0)
    with pytest.raises(ValueError, match="exists"):
        authority.create_list("hk-1", 100, now=T0)
    index = authority.allocate("hk-1", cti="5f1e0c7a9b3d2468", now=T0)
    assert authority.find("5f1e0c7a9b3d2468") == ("hk-1", index)
    with pytest.raises(ValueError, match="has an index"):
        authority.allocate("hk-1", cti="5f1e0c7a9b3d2468", now=T0)
    with pytest.raises(ValueError, match="cannot suspend|not suspend"):
        authority.set_status("hk-1", index, SUSPENDED, now=T0, reason="inquiry")
    with pytest.raises(ValueError, match="reason"):
        authority.revoke("hk-1", index, now=T0, reason=" ")
    with pytest.raises(ValueError, match="not allocated"):
        authority.revoke("hk-1", (index + 1) % 100, now=T0, reason="lost")
    authority.revoke("hk-1", index, now=T0 + 5, reason="reported lost")
    with pytest.raises(ValueError, match="final"):
        authority.set_status("hk-1", index, VALID, now=T0 + 6, reason="found")
    assert [(c.index, c.status, c.at, c.reason) for c in authority.changes()] == [(index, REVOKED, T0 + 5, "reported lost")]


def test_suspension_is_reversible(tmp_path: Path) -> None:
    authority = StatusAuthority(tmp_path / "hk.sqlite", "HK", clock=CLOCK)
    authority.create_list("hk-2", 100, bits=2, now=T0)
    index = authority.allocate("hk-2", now=T0)
    with pytest.raises(ValueError, match="status is one of"):
        authority.set_status("hk-2", index, 3, now=T0 + 1, reason="undefined")  # spec 17.3: no issuer sets 3
    authority.set_status("hk-2", index, SUSPENDED, now=T0 + 1, reason="inquiry")
    first = authority.publish("hk-2", KEY, now=T0 + 2, lifetime=DAY)
    authority.set_status("hk-2", index, VALID, now=T0 + 3, reason="inquiry closed")
    second = authority.publish("hk-2", KEY, now=T0 + 4, lifetime=DAY)
    assert status_list.read_token(first.token, TRUST).status(index) == SUSPENDED
    assert status_list.read_token(second.token, TRUST).status(index) == VALID
    assert [p.version for p in authority.publications("hk-2")] == [1, 2]
    with pytest.raises(ValueError, match="issued later"):
        authority.publish("hk-2", KEY, now=T0 + 3, lifetime=DAY)


def test_end_to_end_revocation_reaches_the_gate(tmp_path: Path) -> None:
    authority = StatusAuthority(tmp_path / "hk.sqlite", "HK", clock=CLOCK)
    authority.create_list("hk-1", 1000, now=T0)
    index = authority.allocate("hk-1", now=T0)
    cache = StatusCache()
    cache.add(authority.publish("hk-1", KEY, now=T0, lifetime=DAY).token, fetched_at=T0, trust=TRUST)
    verifier = credential.Verifier(TRUST, status=cache)
    verifier.verify(text(index), now=NOW)
    authority.revoke("hk-1", index, now=NOW, reason="holder deceased")
    assert [c.index for c in authority.unpublished("hk-1")] == [index]
    cache.add(authority.publish("hk-1", KEY, now=NOW + 1, lifetime=DAY).token, fetched_at=NOW + 2, trust=TRUST)
    assert authority.unpublished("hk-1") == []
    assert code(verifier, text(index), now=NOW + 3) is ErrorCode.REVOKED


_CHILD = """
import os, sys, time
from credential.issuer.status_authority import StatusAuthority
path, mode, index = sys.argv[1], sys.argv[2], int(sys.argv[3])
authority = StatusAuthority(path, "HK")
if mode == "inside":
    # Die inside the change: after the entry is updated, before its history row and the commit.
    authority._db.connection.set_trace_callback(lambda sql: os._exit(9) if sql.startswith("INSERT INTO changes") else None)
authority.revoke("hk-1", index, now=%d, reason="reported stolen")
print("revoked", flush=True)
time.sleep(60)
"""


def _run_child(path: Path, mode: str, index: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _CHILD % NOW, str(path), mode, str(index)], stdout=subprocess.PIPE, text=True)


def test_a_revocation_survives_a_kill_before_publication(tmp_path: Path) -> None:
    path = tmp_path / "hk.sqlite"
    authority = StatusAuthority(path, "HK", clock=CLOCK)
    authority.create_list("hk-1", 1000, now=T0)
    index = authority.allocate("hk-1", now=T0)
    authority.publish("hk-1", KEY, now=T0, lifetime=DAY)
    authority.close()
    child = _run_child(path, "after", index)
    assert child.stdout is not None and child.stdout.readline() == "revoked\n"
    os.kill(child.pid, signal.SIGKILL)  # between the revocation and the next publication
    assert child.wait(timeout=30) == -signal.SIGKILL
    child.stdout.close()
    reopened = StatusAuthority(path, "HK", clock=CLOCK)
    published = reopened.publish("hk-1", KEY, now=NOW + 1, lifetime=DAY)
    assert status_list.read_token(published.token, TRUST).status(index) == REVOKED
    assert [(c.index, c.at, c.reason) for c in reopened.changes()] == [(index, NOW, "reported stolen")]


def test_a_kill_inside_a_change_leaves_none_of_it(tmp_path: Path) -> None:
    path = tmp_path / "hk.sqlite"
    authority = StatusAuthority(path, "HK", clock=CLOCK)
    authority.create_list("hk-1", 1000, now=T0)
    index = authority.allocate("hk-1", now=T0)
    authority.close()
    child = _run_child(path, "inside", index)
    assert child.wait(timeout=30) == 9
    assert child.stdout is not None and child.stdout.read() == ""
    child.stdout.close()
    reopened = StatusAuthority(path, "HK", clock=CLOCK)
    assert reopened.status("hk-1", index) == VALID and reopened.changes() == []
    reopened.revoke("hk-1", index, now=NOW, reason="reported stolen")  # the database is not left locked


class _ReloadableTrust(credential.KeySet):
    """Trust whose answers change, as a trust store's do when it loads a new trust list: its
    ``generation`` changes with them, as ``TrustStore.generation`` does."""

    generation = 0

    def withdraw(self, kid: bytes) -> None:
        self._by_kid = {k: v for k, v in self._by_kid.items() if k != kid}
        self.generation += 1

    def restore(self, key: credential.TrustedKey) -> None:
        self._by_kid = {**self._by_kid, key.kid: key}
        self.generation += 1


def test_a_held_list_is_checked_again_when_the_trust_changes() -> None:
    lists_key = credential.generate_key()  # HK signs its lists with a key of their own here
    listed = credential.TrustedKey(lists_key.public_key(), frozenset({"HK"}))
    trust = _ReloadableTrust([*TRUST, listed])
    cache = StatusCache()
    cache.add(token({5: REVOKED}, key=lists_key), fetched_at=T0, trust=trust)
    verifier = credential.Verifier(trust, status=cache)
    assert code(verifier, text(5)) is ErrorCode.REVOKED
    trust.withdraw(listed.kid)  # a reloaded trust list no longer holds the list-signing key
    assert code(verifier, text(5)) is ErrorCode.STATUS_LIST_INVALID
    trust.restore(credential.TrustedKey(lists_key.public_key(), frozenset({"MO"})))  # now trusted for MO only
    assert code(verifier, text(5)) is ErrorCode.STATUS_LIST_INVALID
    trust.restore(listed)
    assert code(verifier, text(5)) is ErrorCode.REVOKED


# --- hostile tokens --------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st

GOOD_TOKEN = token({3: REVOKED, 60: REVOKED}, bits=1)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=300),
    st.tuples(st.integers(0, len(GOOD_TOKEN) - 1), st.integers(1, 255)).map(
        lambda change: GOOD_TOKEN[: change[0]] + bytes([GOOD_TOKEN[change[0]] ^ change[1]]) + GOOD_TOKEN[change[0] + 1 :]
    ),
    st.integers(0, len(GOOD_TOKEN) - 1).map(lambda cut: GOOD_TOKEN[:cut]),
))
def test_any_token_is_a_list_or_invalid(data: bytes) -> None:
    try:
        held = status_list.read_token(data, TRUST)
    except credential.VerificationError as err:
        assert err.code is ErrorCode.STATUS_LIST_INVALID
    else:
        assert held.issuer == "HK" and held.size >= 1


def test_a_decompression_bomb_costs_at_most_the_cap() -> None:
    import tracemalloc

    bomb = status_list.sign(KEY, _payload(k65533={"bits": 1, "lst": zlib.compress(bytes(4 * limits.MAX_STATUS_BYTES), 9)}))
    assert len(bomb) < limits.MAX_STATUS_BYTES // 100
    tracemalloc.start()
    try:
        with pytest.raises(credential.VerificationError, match="more than"):
            status_list.read_token(bomb, TRUST)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # zlib assembles its output in blocks and joins them: the cap twice, briefly, and nothing beyond.
    assert peak < 2 * limits.MAX_STATUS_BYTES + (1 << 20)
