"""Trust state over time, across processes and across the two authorities (spec 16.5, 16.6, 16.8):
a withdrawal reaches a running gate, a kid both authorities list is trusted for neither whatever the
order or process, pins refuse weak points, and the rollback baseline belongs to the pinned keys."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import credential
from credential.cose import keys
from credential.issuer import samples
from credential.lists import trust

from .trust_vectors import document, signed_list

DAY = 86400
T0 = samples.ISSUED_AT
LIST_ISSUED = T0 - DAY
COMPROMISED = T0 + 5 * DAY
WITHDRAWN = T0 + 6 * DAY


def _pem(name: str) -> str:
    return document()["keys"][name]["publicKeyPem"]  # type: ignore[no-any-return]


def _private(name: str) -> Any:
    return credential.load_private_key(document()["keys"][name]["privateKeyPem"])


def _issued(name: str) -> int:
    return document()["lists"][name]["issued"]  # type: ignore[no-any-return]


PINS = {"HK": [_pem("hk-list")], "MO": [_pem("mo-list")]}


def _entry(key: Any, state: str = "active", compromised: int | None = None) -> credential.ListedKey:
    return credential.ListedKey(key, "HK", ("MO",), ("minimal", "full"), LIST_ISSUED, T0 + 365 * DAY, state, compromised)


def _hk_list(sequence: int, issued: int, entries: list[credential.ListedKey], signer: Any = None) -> bytes:
    document_ = credential.TrustList("HK", sequence, issued, issued + 30 * DAY, tuple(entries))
    return trust.sign(document_, signer or _private("hk-list"))


def _forged(key: Any, iat: int) -> str:
    claims = samples.minimal("HK")
    claims.update(iat=iat, exp=iat + 365 * DAY, cti=f"{iat:08x}48480000")
    return credential.issue(claims, key, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)


def _code(action: Any) -> str:
    with pytest.raises((credential.VerificationError, credential.TrustListError)) as caught:
        action()
    return str(caught.value.code.value)


# --- item: a running gate sees a withdrawal --------------------------------------------------------


def test_a_running_gate_sees_a_withdrawal_loaded_by_the_command_line(tmp_path: Path) -> None:
    """The reproducer: a gate process is running; `credential trust load` writes a list that withdraws a
    compromised key into the shared file; the running gate refuses the forgery at once (KEY_WITHDRAWN)."""
    path = tmp_path / "trust.sqlite"
    issuer_key = credential.generate_key("Ed25519")
    before = _hk_list(10, LIST_ISSUED, [_entry(issuer_key)])
    withdrawal = _hk_list(11, WITHDRAWN, [_entry(issuer_key, "withdrawn", COMPROMISED)])
    (tmp_path / "withdrawal.xctl").write_bytes(withdrawal)
    (tmp_path / "hk-list.pem").write_text(_pem("hk-list"))
    (tmp_path / "mo-list.pem").write_text(_pem("mo-list"))

    store = credential.TrustStore(PINS, path=path)
    store.load(before, now=LIST_ISSUED)
    gate = credential.Verifier(store, destination="MO")
    forged = _forged(issuer_key, COMPROMISED + DAY)
    now = WITHDRAWN + 60
    assert gate.verify(forged, now=now).issuer == "HK"  # the withdrawal is not yet loaded anywhere

    result = subprocess.run(
        [sys.executable, "-m", "credential", "trust", "load", str(tmp_path / "withdrawal.xctl"), "--trust-db", str(path),
         "--list-key", f"HK={tmp_path / 'hk-list.pem'}", "--list-key", f"MO={tmp_path / 'mo-list.pem'}", "--now", str(WITHDRAWN + 30)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert _code(lambda: gate.verify(forged, now=now)) == "KEY_WITHDRAWN"
    assert store.sequence("HK") == 11 and store.lists()["HK"].sequence == 11
    store.close()


def test_a_lookup_reads_the_file_again_only_when_another_connection_wrote_it(tmp_path: Path) -> None:
    path = tmp_path / "trust.sqlite"
    gate, loader = credential.TrustStore(PINS, path=path), credential.TrustStore(PINS, path=path)
    gate.load(signed_list("hk-1"), now=_issued("hk-1"))
    generation = gate.generation
    for _ in range(3):
        assert gate.get(keys.kid_of(_private("hk-2027"))) is not None
    assert gate.generation == generation  # nothing written by another connection: nothing read again
    loader.load(signed_list("hk-2"), now=_issued("hk-2"))
    assert gate.get(keys.kid_of(_private("hk-2028"))) is not None and gate.generation == generation + 1
    assert gate.get(keys.kid_of(_private("hk-2026"))) is None  # dropped by HK's rotation, loaded elsewhere
    gate.close()
    loader.close()


# --- item: one authority cannot lock the other out -------------------------------------------------


@pytest.mark.parametrize("order", [("mo-7", "hk-3-mo-key"), ("hk-3-mo-key", "mo-7")])
def test_a_kid_both_authorities_list_is_trusted_for_neither_in_either_order(order: tuple[str, str], caplog: Any) -> None:
    store = credential.TrustStore(PINS)
    with caplog.at_level(logging.WARNING, logger="credential.trust"):
        for name in order:
            store.load(signed_list(name), now=_issued(name))
    disputed = keys.kid_of(_private("mo-2027"))
    assert store.get(disputed) is None and store.conflicts == {disputed: ("HK", "MO")}
    assert "trusted for neither" in caplog.text
    assert store.get(keys.kid_of(_private("hk-2027"))) is not None  # the rest of HK's list is trusted
    assert set(store.lists()) == {"HK", "MO"}


def test_two_processes_loading_one_list_each_see_the_same_conflict(tmp_path: Path) -> None:
    """Before: each process checked only its own memory, so after both loads the kid silently went to MO
    in one of them. Now every process reads the combined lists of the file."""
    path = tmp_path / "trust.sqlite"
    hk_gate, mo_gate = credential.TrustStore(PINS, path=path), credential.TrustStore(PINS, path=path)
    mo_gate.load(signed_list("mo-7"), now=_issued("mo-7"))
    hk_gate.load(signed_list("hk-3-mo-key"), now=_issued("hk-3-mo-key"))
    disputed = keys.kid_of(_private("mo-2027"))
    for store in (hk_gate, mo_gate, credential.TrustStore(PINS, path=path)):
        assert store.get(disputed) is None and disputed in store.conflicts
        store.close()


def test_a_conflict_ends_when_a_newer_list_stops_naming_the_kid() -> None:
    store = credential.TrustStore(PINS)
    store.load(signed_list("mo-7"), now=_issued("mo-7"))
    store.load(signed_list("hk-3-mo-key"), now=_issued("hk-3-mo-key"))
    fixed = trust.parse(signed_list("hk-1")).document
    assert fixed is not None
    corrected = credential.TrustList("HK", 4, fixed.issued, fixed.next_update, fixed.keys)
    store.load(trust.sign(corrected, _private("hk-list")), now=_issued("hk-1"))
    mo_key = store.get(keys.kid_of(_private("mo-2027")))
    assert mo_key is not None and mo_key.issuers == frozenset({"MO"}) and not store.conflicts


# --- item: pins of small order ---------------------------------------------------------------------


def test_a_pin_of_small_order_is_refused_as_a_key_set_refuses_it() -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    identity = ed25519.Ed25519PublicKey.from_public_bytes(bytes([1]) + bytes(31))
    with pytest.raises(ValueError, match="4.2"):
        credential.TrustStore({"HK": [identity], "MO": [_pem("mo-list")]})
    with pytest.raises(ValueError, match="4.2"):
        credential.KeySet([credential.TrustedKey(identity, frozenset({"HK"}))])
    refused = [case["publicKeyPem"] for name in ("xc1.json",) for case in _refused_keys(name)]
    for pem in refused:
        with pytest.raises(ValueError):
            trust.pins_of({"HK": [pem]})


def _refused_keys(name: str) -> list[dict[str, Any]]:
    import json

    from .vectors import ROOT

    return list(json.loads((ROOT / "test-vectors" / name).read_text(encoding="utf-8")).get("refusedKeys", []))


# --- item: list lifetime and the rollback baseline ------------------------------------------------


def test_the_largest_sequence_no_longer_blocks_an_authority_once_its_signer_is_unpinned(tmp_path: Path) -> None:
    path = tmp_path / "trust.sqlite"
    issuer_key = credential.generate_key("Ed25519")
    stuck = _hk_list(0xFFFFFFFF, LIST_ISSUED, [_entry(issuer_key)])
    store = credential.TrustStore(PINS, path=path)
    store.load(stuck, now=LIST_ISSUED)
    assert _code(lambda: store.load(_hk_list(5, T0, [_entry(issuer_key)]), now=T0)) == "LIST_ROLLBACK"
    store.close()

    # Still pinned after a restart: still refused.
    reopened = credential.TrustStore(PINS, path=path)
    assert reopened.sequence("HK") == 0xFFFFFFFF
    assert _code(lambda: reopened.load(_hk_list(5, T0, [_entry(issuer_key)]), now=T0)) == "LIST_ROLLBACK"
    reopened.close()

    # The operator pins HK's next list-signing key and unpins the one that signed the stuck list.
    new_list_key = credential.generate_key("Ed25519")
    rotated = credential.TrustStore({"HK": [new_list_key.public_key()], "MO": [_pem("mo-list")]}, path=path)
    assert rotated.sequence("HK") is None and "HK" in rotated.unusable
    rotated.load(_hk_list(5, T0, [_entry(issuer_key)], signer=new_list_key), now=T0)
    assert rotated.sequence("HK") == 5 and rotated.get(keys.kid_of(issuer_key)) is not None
    # ...and the new key's own baseline refuses rollback as before.
    assert _code(lambda: rotated.load(_hk_list(4, T0, [_entry(issuer_key)], signer=new_list_key), now=T0)) == "LIST_ROLLBACK"
    rotated.close()


def test_issued_never_goes_back_and_never_runs_ahead() -> None:
    store = credential.TrustStore(PINS)
    issuer_key = credential.generate_key("Ed25519")
    store.load(_hk_list(1, T0, [_entry(issuer_key)]), now=T0)
    assert _code(lambda: store.load(_hk_list(2, T0 - 1, [_entry(issuer_key)]), now=T0)) == "LIST_ROLLBACK"
    store.load(_hk_list(2, T0, [_entry(issuer_key)]), now=T0)  # the same issued time again is not earlier
    ahead = _hk_list(3, T0 + 3600, [_entry(issuer_key)])
    assert _code(lambda: store.load(ahead, now=T0)) == "LIST_NOT_YET_VALID"
    assert store.sequence("HK") == 2  # a refused list sets no baseline
    store.load(ahead, now=T0 + 3600 - trust.LIST_CLOCK_SKEW)


def test_a_list_current_for_longer_than_the_bound_cannot_be_made() -> None:
    issuer_key = credential.generate_key("Ed25519")
    with pytest.raises(ValueError, match="more than"):
        credential.TrustList("HK", 1, T0, T0 + trust.MAX_LIST_LIFETIME + 1, (_entry(issuer_key),))


def test_a_dropped_list_gives_no_trust_and_its_sequence_still_refuses_rollback(tmp_path: Path) -> None:
    path = tmp_path / "trust.sqlite"
    store = credential.TrustStore(PINS, path=path)
    store.load(signed_list("hk-1"), now=_issued("hk-1"))
    store.load(signed_list("hk-2"), now=_issued("hk-2"))
    assert store.drop("HK") and not store.drop("HK")
    assert "HK" not in store.lists() and store.get(keys.kid_of(_private("hk-2027"))) is None
    assert store.sequence("HK") == 2
    assert _code(lambda: store.load(signed_list("hk-1"), now=_issued("hk-2"))) == "LIST_ROLLBACK"
    store.close()
    reopened = credential.TrustStore(PINS, path=path)
    assert _code(lambda: reopened.load(signed_list("hk-1"), now=_issued("hk-2"))) == "LIST_ROLLBACK"
    # The dropped list itself is not held any more, so it cannot be told from another list of its
    # sequence: only a newer list brings the authority back (spec 16.6).
    assert _code(lambda: reopened.load(signed_list("hk-2"), now=_issued("hk-2"))) == "LIST_ROLLBACK"
    reopened.close()


def test_a_file_written_before_baselines_per_signer_keeps_its_sequences(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE trust_lists (authority TEXT PRIMARY KEY, sequence INTEGER NOT NULL, signed BLOB NOT NULL, loaded_at INTEGER NOT NULL)")
    old.execute("INSERT INTO trust_lists VALUES ('HK', 2, ?, 0)", (signed_list("hk-2"),))
    old.commit()
    old.close()
    store = credential.TrustStore(PINS, path=path)
    assert store.sequence("HK") == 2
    assert _code(lambda: store.load(signed_list("hk-1"), now=_issued("hk-2"))) == "LIST_ROLLBACK"
    store.close()


def test_trust_load_warns_of_a_kid_both_authorities_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from credential.cli import main as cli

    for name in ("mo-7", "hk-3-mo-key"):
        (tmp_path / f"{name}.xctl").write_bytes(signed_list(name))
    (tmp_path / "hk-list.pem").write_text(_pem("hk-list"))
    (tmp_path / "mo-list.pem").write_text(_pem("mo-list"))
    pins = ["--list-key", f"HK={tmp_path / 'hk-list.pem'}", "--list-key", f"MO={tmp_path / 'mo-list.pem'}"]
    db = ["--trust-db", str(tmp_path / "trust.sqlite")]
    assert cli.main(["trust", "load", str(tmp_path / "mo-7.xctl"), *db, *pins, "--now", str(_issued("mo-7"))]) == 0
    assert "warning" not in capsys.readouterr().err
    assert cli.main(["trust", "load", str(tmp_path / "hk-3-mo-key.xctl"), *db, *pins, "--now", str(_issued("hk-3-mo-key"))]) == 0
    err = capsys.readouterr().err
    assert f"warning: key {keys.kid_of(_private('mo-2027')).hex()} is listed by HK and MO: trusted for neither" in err
