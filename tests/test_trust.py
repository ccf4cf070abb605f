"""Trust lists and the trust store (spec 16): configuration checked when built, the JSON view, and
the store's durable sequence numbers. The rules a gate applies to lists and credentials are in the
vectors (tests/test_trust_vectors.py); this file covers what vectors cannot say."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import credential
from credential.claims import model
from credential.cose.keys import TrustedKey
from credential.lists import trust

from .trust_vectors import document, signed_list
from .vectors import ROOT

DAY = 86400


def _pem(name: str) -> str:
    return document()["keys"][name]["publicKeyPem"]  # type: ignore[no-any-return]


def _private(name: str) -> credential.cose.keys.PrivateKey:
    return credential.load_private_key(document()["keys"][name]["privateKeyPem"])


def _issued(name: str) -> int:
    return document()["lists"][name]["issued"]  # type: ignore[no-any-return]


PINS = {"HK": [_pem("hk-list")], "MO": [_pem("mo-list")]}


def test_pins_are_configuration() -> None:
    with pytest.raises(ValueError, match="no list-signing key"):
        credential.TrustStore({})
    with pytest.raises(TypeError):
        credential.TrustStore([_pem("hk-list")])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        credential.TrustStore({"HK": _pem("hk-list")})  # one PEM string is not a collection of keys
    with pytest.raises(ValueError, match="region code"):
        credential.TrustStore({"XX": [_pem("hk-list")]})
    with pytest.raises(ValueError, match="empty"):
        credential.TrustStore({"HK": []})
    with pytest.raises(ValueError, match="pinned twice"):
        credential.TrustStore({"HK": [_pem("hk-list")], "MO": [_pem("hk-list")]})
    with pytest.raises(TypeError, match="public keys"):
        credential.TrustStore({"HK": [_private("hk-list")]})


@pytest.mark.parametrize("grace, error", [(-1, ValueError), (trust.MAX_GRACE + 1, ValueError), (True, TypeError), (1.5, TypeError)])
def test_grace_is_checked(grace: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        credential.TrustStore(PINS, grace=grace)  # type: ignore[arg-type]


def test_a_store_without_lists_is_a_configuration_mistake() -> None:
    with pytest.raises(ValueError, match="holds no keys"):
        credential.Verifier(credential.TrustStore(PINS))


def test_load_needs_a_time_and_bytes() -> None:
    store = credential.TrustStore(PINS)
    with pytest.raises(TypeError):
        store.load(signed_list("hk-1"))  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        store.load(signed_list("hk-1").hex(), now=_issued("hk-1"))  # type: ignore[arg-type]


def test_trusted_key_limits_are_checked() -> None:
    key = _pem("hk-2027")
    for kwargs, error in [
        ({"profiles": {"everything"}}, ValueError),
        ({"profiles": "minimal"}, TypeError),
        ({"profiles": set()}, ValueError),
        ({"destinations": "MO"}, TypeError),
        ({"not_before": 10, "not_after": 9}, ValueError),
        ({"state": "withdrawn"}, ValueError),
        ({"state": "active", "compromised": 5}, ValueError),
        ({"state": "lost"}, ValueError),
        ({"not_before": -1}, ValueError),
        ({"trusted_until": True}, TypeError),
    ]:
        with pytest.raises(error):
            TrustedKey(key, frozenset({"HK"}), **kwargs)  # type: ignore[arg-type]


def test_a_hand_configured_key_checks_the_issuer_only() -> None:
    key = TrustedKey(_pem("hk-2027"), frozenset({"HK"}))
    key.check_authorized("HK", ["CN", "MO"], "full")
    key.check_signed_at(0)
    with pytest.raises(credential.VerificationError) as caught:
        key.check_authorized("MO", ["HK"], "minimal")
    assert caught.value.code is credential.ErrorCode.ISSUER_NOT_AUTHORIZED


@pytest.mark.parametrize(
    "fields, profile",
    [({}, "minimal"), ({"family_name": "CHAN"}, "full"), ({"given_name": "TAI MAN"}, "full"), ({"name_zh": "陳"}, "full"), ({"birth_date": "1990"}, "full")],
)
def test_profile_decision(fields: dict[str, str], profile: str) -> None:
    assert model.profile_of({"doc_number": "A1234563", **fields}) == profile


def test_json_view_round_trip_and_schema() -> None:
    schema = json.loads((ROOT / "spec" / "trust-list.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for name in ("hk-1", "hk-2", "mo-7"):
        parsed = trust.parse(signed_list(name))
        assert parsed.document is not None
        view = parsed.document.to_json()
        jsonschema.validate(view, schema, cls=jsonschema.Draft202012Validator)
        assert trust.from_json(view) == parsed.document
        assert trust.from_json(view).encode() == parsed.payload
        bare = json.loads(json.dumps(view))
        for entry in bare["keys"]:
            del entry["kid"], entry["alg"]
        assert trust.from_json(bare).encode() == parsed.payload


def test_json_view_mistakes_are_named() -> None:
    view = trust.parse(signed_list("hk-1")).document.to_json()  # type: ignore[union-attr]
    for path, value, match in [
        (("keys", 0, "kid"), "00" * 8, "kid"),
        (("keys", 0, "alg"), "ES256", "alg"),
        (("keys", 0, "authority"), "MO", "authority"),
        (("keys", 0, "state"), "lost", "state"),
        (("next_update",), 0, "next_update"),
        (("keys", 0, "extra"), 1, "unknown"),
    ]:
        broken = json.loads(json.dumps(view))
        target = broken
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        with pytest.raises(ValueError, match=match):
            trust.from_json(broken)


def test_signing_refuses_what_a_gate_would_refuse() -> None:
    parsed = trust.parse(signed_list("hk-1"))
    assert parsed.document is not None
    with pytest.raises(TypeError):
        trust.sign(parsed.payload, _private("hk-list"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        trust.sign(parsed.document, _private("hk-list").public_key())  # type: ignore[arg-type]
    own = credential.ListedKey(_private("hk-list"), "HK", ("MO",), ("minimal",), 0, 1)
    with_own = credential.TrustList("HK", 9, 0, 1, (*parsed.document.keys, own))
    with pytest.raises(ValueError, match="list-signing key"):
        trust.sign(with_own, _private("hk-list"))
    assert trust.sign(parsed.document, _private("hk-list")) == signed_list("hk-1")


def test_a_refused_list_changes_nothing() -> None:
    store = credential.TrustStore(PINS)
    store.load(signed_list("hk-1"), now=_issued("hk-1"))
    before = (store.lists(), store.sequence("HK"), len(store))
    for name in ("bad-signature", "hk-1-other", "wrong-authority"):
        with pytest.raises(credential.TrustListError):
            store.load(signed_list(name), now=_issued("hk-1"))
    assert (store.lists(), store.sequence("HK"), len(store)) == before


def test_the_highest_sequence_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "trust.sqlite"
    store = credential.TrustStore(PINS, path=path)
    store.load(signed_list("hk-1"), now=_issued("hk-1"))
    store.load(signed_list("hk-2"), now=_issued("hk-2"))
    store.load(signed_list("mo-7"), now=_issued("mo-7"))
    kids = {k.kid for k in store}
    store.close()

    reopened = credential.TrustStore(PINS, path=path)
    assert {k.kid for k in reopened} == kids and reopened.sequence("HK") == 2 and reopened.sequence("MO") == 7
    with pytest.raises(credential.TrustListError) as caught:
        reopened.load(signed_list("hk-1"), now=_issued("hk-2"))
    assert caught.value.code is trust.ListError.LIST_ROLLBACK
    reopened.close()

    # HK's list-signing key unpinned: HK's held list gives no trust, yet its sequence still refuses rollback.
    unpinned = credential.TrustStore({"HK": [_pem("rogue-list")], "MO": [_pem("mo-list")]}, path=path)
    assert set(unpinned.unusable) == {"HK"} and unpinned.unusable["HK"].code is trust.ListError.LIST_SIGNER
    assert {sorted(k.issuers)[0] for k in unpinned} == {"MO"}
    unpinned.close()


def test_two_stores_on_one_file_share_the_sequence(tmp_path: Path) -> None:
    path = tmp_path / "trust.sqlite"
    first, second = credential.TrustStore(PINS, path=path), credential.TrustStore(PINS, path=path)
    second.load(signed_list("hk-2"), now=_issued("hk-2"))
    with pytest.raises(credential.TrustListError) as caught:
        first.load(signed_list("hk-1"), now=_issued("hk-1"))
    assert caught.value.code is trust.ListError.LIST_ROLLBACK
    first.close()
    second.close()


def test_a_verifier_sees_lists_loaded_after_it_was_built() -> None:
    store = credential.TrustStore(PINS)
    store.load(signed_list("hk-1"), now=_issued("hk-1"))
    verifier = credential.Verifier(store, destination="MO")
    new_key = credential.kid_of(_private("hk-2028"))
    assert store.get(new_key) is None
    store.load(signed_list("hk-2"), now=_issued("hk-2"))
    assert verifier.trust.get(new_key) is not None
    assert verifier.trust.get(credential.kid_of(_private("hk-2026"))) is None  # dropped by rotation


def test_trusted_until_is_next_update_plus_grace() -> None:
    store = credential.TrustStore(PINS, grace=3600)
    listed = store.load(signed_list("mo-7"), now=_issued("mo-7"))
    key = store.get(listed.keys[0].kid)
    assert key is not None and key.trusted_until == listed.next_update + 3600
    assert key.issuers == frozenset({"MO"}) and key.destinations == frozenset({"HK"})


def test_a_status_list_signed_by_a_withdrawn_key_after_its_compromise_is_refused() -> None:
    """The lookup the status list check shares with step 16a: a withdrawn key's token after the
    compromise is STATUS_LIST_INVALID (spec 17.4 check 5); one from before it reads."""
    from credential.lists import status_list

    store = credential.TrustStore(PINS)
    store.load(signed_list("hk-1"), now=_issued("hk-1"))
    withdrawn = store.get(credential.kid_of(_private("hk-2027-es256")))
    assert withdrawn is not None and withdrawn.compromised is not None
    for issued_at, ok in ((withdrawn.compromised - 1, True), (withdrawn.compromised, False)):
        token = status_list.build_token(
            _private("hk-2027-es256"), "HK", "hk-1", issued_at=issued_at, expires=issued_at + DAY, bits=1, bit_array=bytes(16)
        )
        if ok:
            assert status_list.read_token(token, store).issued_at == issued_at
        else:
            with pytest.raises(credential.VerificationError) as caught:
                status_list.read_token(token, store)
            assert caught.value.code is credential.ErrorCode.STATUS_LIST_INVALID and "compromised" in caught.value.detail


def test_readme_trust_list_example_runs_as_written(tmp_path: Path) -> None:
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Trust lists") :]
    example = section[section.index("```python\n") + len("```python\n") : section.index("\n```\n")]
    result = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "HK" and (tmp_path / "mo-gate-trust.sqlite").exists()


def test_a_withdrawal_loaded_later_reaches_a_status_list_already_checked() -> None:
    """The verifier checks a held status list once per token, and again when the trust store's keys change."""
    from credential.lists import status_list

    key = _private("hk-2027-es256")
    withdrawn_at = trust.parse(signed_list("hk-1")).document.keys[2].compromised  # type: ignore[union-attr]
    assert withdrawn_at is not None
    before = credential.TrustList("HK", 1, withdrawn_at - DAY, withdrawn_at + DAY, (credential.ListedKey(key, "HK", ("MO",), ("minimal",), 0, withdrawn_at + 365 * DAY),))
    after = credential.TrustList("HK", 2, withdrawn_at + 60, withdrawn_at + DAY,
                                 (credential.ListedKey(key, "HK", ("MO",), ("minimal",), 0, withdrawn_at + 365 * DAY, "withdrawn", withdrawn_at),))
    store = credential.TrustStore(PINS)
    store.load(trust.sign(before, _private("hk-list")), now=withdrawn_at - DAY)
    token = status_list.build_token(key, "HK", "hk-1", issued_at=withdrawn_at + 30, expires=withdrawn_at + DAY, bits=1, bit_array=bytes(16))
    cache = credential.StatusCache()
    cache.store("HK", "hk-1", token, withdrawn_at + 30)
    gate = credential.Verifier(store, status=cache)
    assert gate._held_list("HK", "hk-1")[1].issued_at == withdrawn_at + 30
    store.load(trust.sign(after, _private("hk-list")), now=withdrawn_at + 60)
    with pytest.raises(credential.VerificationError) as caught:
        gate._held_list("HK", "hk-1")
    assert caught.value.code is credential.ErrorCode.STATUS_LIST_INVALID


def test_the_load_checks_of_the_spec_are_the_codes_of_the_code() -> None:
    """Spec 16.5's table lists the LIST_* codes in the order ListError runs them, and the limits of 16.4 are the code's."""
    import re

    spec = (ROOT / "spec" / "xc-v1.md").read_text(encoding="utf-8")
    loading = spec[spec.index("### 16.5 Loading a list") : spec.index("### 16.6 ")]
    codes = re.findall(r"^\| [0-9a-z]+ \| .+ \| `(LIST_[A-Z_]+)` \|$", loading, re.MULTILINE)
    assert list(dict.fromkeys(codes)) == [code.value for code in trust.ListError]
    limits = spec[spec.index("### 16.4 ") : spec.index("### 16.5 ")]
    for value in (trust.MAX_LIST_BYTES, trust.MAX_LIST_ITEMS, trust.MAX_LIST_KEYS):
        assert f"| {value} " in limits, value
    assert f"`0..{trust.MAX_GRACE}`" in loading


def test_threads_loading_into_one_store_keep_the_highest_sequence() -> None:
    from concurrent.futures import ThreadPoolExecutor

    store = credential.TrustStore(PINS)
    lists = [(signed_list("hk-1"), _issued("hk-2")), (signed_list("hk-2"), _issued("hk-2"))] * 8

    def load(item: tuple[bytes, int]) -> str:
        try:
            store.load(item[0], now=item[1])
            return "loaded"
        except credential.TrustListError as err:
            return err.code.value

    with ThreadPoolExecutor(4) as pool:
        outcomes = set(pool.map(load, lists))
    assert outcomes <= {"loaded", "LIST_ROLLBACK"} and store.sequence("HK") == 2 and store.lists()["HK"].sequence == 2


def test_a_list_used_within_its_grace_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Spec 16.5, 16.8: a list past its next update is used only within the grace, and every use says so:
    the load that passes check 6 only by the grace, and each verification with a key of that list."""
    case = document()["tests"][0]  # HK's active key, verified at an MO gate
    store = credential.TrustStore(PINS, grace=3600)
    listed = store.load(signed_list("hk-1"), now=_issued("hk-1"))
    verifier = credential.Verifier(store, destination="MO")
    with caplog.at_level("WARNING", logger="credential.trust"):
        verifier.verify(case["text"], now=listed.next_update - 1)
    assert not caplog.records  # before the next update: nothing to say
    with caplog.at_level("WARNING", logger="credential.trust"):
        verified = verifier.verify(case["text"], now=listed.next_update + 10)
    assert verified.claims == case["claims"]
    [record] = caplog.records
    assert record.name == "credential.trust" and "HK list 1" in record.getMessage()
    assert "10 s past its next update" in record.getMessage() and "grace of 3600 s" in record.getMessage()
    caplog.clear()
    with pytest.raises(credential.VerificationError) as refused:
        verifier.verify(case["text"], now=listed.next_update + 3600)  # the grace is over: refused, not logged
    assert refused.value.code is credential.ErrorCode.TRUST_STALE and not caplog.records

    late = credential.TrustStore(PINS, grace=3600)
    with caplog.at_level("WARNING", logger="credential.trust"):
        late.load(signed_list("hk-1"), now=_issued("hk-1"))
        assert not caplog.records
        late.load(signed_list("mo-7"), now=late_time(late, "mo-7"))
    [loaded] = caplog.records
    assert "trust list MO list" in loaded.getMessage() and "loaded 5 s past its next update" in loaded.getMessage()


def late_time(store: credential.TrustStore, name: str) -> int:
    """Five seconds after the next update of the vectors' list ``name``."""
    return trust.parse(signed_list(name)).document.next_update + 5  # type: ignore[union-attr]


def test_a_trusted_key_s_list_due_is_checked() -> None:
    public = _pem("hk-2027")
    with pytest.raises(ValueError, match="list_due"):
        TrustedKey(public, frozenset({"HK"}), trusted_until=100, list_due=200)
    with pytest.raises(ValueError, match="list_due"):
        TrustedKey(public, frozenset({"HK"}), list_due=200)
    assert TrustedKey(public, frozenset({"HK"}), trusted_until=200, list_due=100, listed_by="HK list 1").list_due == 100
