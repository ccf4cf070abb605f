"""The life of two authorities' trust, end to end (spec 16), once through the library and once through
the command line: each authority creates its keys and signs its trust list; each issues; each gate
verifies the other's credentials; HK revokes one by status list; HK rotates a key; MO withdraws a
compromised one; a stale list, a rolled-back list and a list signed by the wrong authority are refused,
each with the spec's code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import credential
from credential.issuer import samples
from credential.lists import trust

DAY = 86400
T0 = samples.ISSUED_AT
LIST_ISSUED = T0 - DAY
ROTATED = T0 + 10 * DAY  # HK retires key A for key B: A's last second of signing
COMPROMISED = T0 + 11 * DAY  # MO's key may have been in other hands from here on
WITHDRAWN = T0 + 12 * DAY  # MO publishes the withdrawal
TEMPLATES = samples.TEMPLATES


def claims(issuer: str, iat: int) -> dict[str, Any]:
    out = samples.minimal(issuer)
    if issuer == "MO":
        out["xc"].update(destinations=["HK"], doc_number="12345678", enrolment="HK26004567")
    out.update(iat=iat, exp=iat + 365 * DAY, cti=f"{iat:08x}{issuer.encode().hex()}0000")
    return out


def entry(key: Any, authority: str, not_before: int, not_after: int, state: str = "active", compromised: int | None = None) -> credential.ListedKey:
    destination = "MO" if authority == "HK" else "HK"
    return credential.ListedKey(key, authority, (destination,), ("minimal", "full"), not_before, not_after, state, compromised)


def refused(code: str, action: Any) -> None:
    with pytest.raises((credential.VerificationError, credential.TrustListError)) as caught:
        action()
    assert caught.value.code.value == code, str(caught.value)


def test_library_scenario(tmp_path: Path) -> None:
    # Each authority: a list-signing key (pinned by gates out of band) and an issuer key.
    hk_list, mo_list = credential.generate_key("Ed25519"), credential.generate_key("ES256")
    hk_a, mo_m = credential.generate_key("Ed25519"), credential.generate_key("ES256")
    pins = {"HK": [hk_list.public_key()], "MO": [mo_list.public_key()]}
    hk_1 = trust.sign(credential.TrustList("HK", 1, LIST_ISSUED, T0 + 30 * DAY, (entry(hk_a, "HK", LIST_ISSUED, T0 + 365 * DAY),)), hk_list)
    mo_1 = trust.sign(credential.TrustList("MO", 1, LIST_ISSUED, T0 + 30 * DAY, (entry(mo_m, "MO", LIST_ISSUED, T0 + 365 * DAY),)), mo_list)

    # Each region's gate holds both lists in its own database.
    gates = {}
    for region in ("HK", "MO"):
        store = credential.TrustStore(pins, path=tmp_path / f"{region}.sqlite")
        store.load(hk_1, now=T0)
        store.load(mo_1, now=T0)
        gates[region] = credential.Verifier(store, destination=region)
    at_mo, at_hk = gates["MO"], gates["HK"]

    # Each issues; each verifies the other's.
    hk_cred = credential.issue(claims("HK", T0), hk_a, templates=TEMPLATES, birth_date=samples.BIRTH_DATE)
    mo_cred = credential.issue(claims("MO", T0), mo_m, templates=TEMPLATES, birth_date=samples.BIRTH_DATE)
    assert at_mo.verify(hk_cred, now=T0 + 3600).issuer == "HK"
    assert at_hk.verify(mo_cred, now=T0 + 3600).issuer == "MO"
    refused("NOT_ENTITLED", lambda: at_hk.verify(hk_cred, now=T0 + 3600))  # HK's own gate: not a destination

    # HK revokes one credential by status list (spec 17): the next list it publishes refuses it at an
    # MO gate that checks status, through the key HK's trust list vouches for.
    clock = [T0]  # the issuer's clock, as the scenario's time moves on
    authority = credential.StatusAuthority(tmp_path / "hk-status.sqlite", "HK", clock=lambda: clock[0])
    authority.create_list("hk-1", 1024, now=T0)
    revocable = claims("HK", T0 + 60)
    revocable["cti"] = "00112233445566778899"
    index = authority.allocate("hk-1", cti=revocable["cti"], now=T0 + 60)
    revocable["xc"]["status"] = {"list": "hk-1", "index": index}
    held = credential.issue(revocable, hk_a, templates=TEMPLATES, birth_date=samples.BIRTH_DATE)
    cache = credential.StatusCache(tmp_path / "mo-status.sqlite")
    cache.add(authority.publish("hk-1", hk_a, now=T0 + 120, lifetime=2 * DAY).token, fetched_at=T0 + 130, trust=at_mo.trust)
    checks_status = credential.Verifier(at_mo.trust, destination="MO", status=cache)
    assert "status" in checks_status.verify(held, now=T0 + 3600).checked
    authority.revoke("hk-1", index, now=T0 + 4000, reason="document reported stolen")
    clock[0] = T0 + 4100
    cache.add(authority.publish("hk-1", hk_a, now=T0 + 4100, lifetime=2 * DAY).token, fetched_at=T0 + 4200, trust=at_mo.trust)
    refused("REVOKED", lambda: checks_status.verify(held, now=T0 + 4300))
    refused("NO_STATUS", lambda: checks_status.verify(hk_cred, now=T0 + 4300))  # a gate checking status needs a reference

    # HK rotates: A retired at ROTATED, B active from then.
    hk_b = credential.generate_key("Ed25519")
    hk_2 = trust.sign(
        credential.TrustList("HK", 2, ROTATED, ROTATED + 30 * DAY, (
            entry(hk_a, "HK", LIST_ISSUED, ROTATED, "retired"),
            entry(hk_b, "HK", ROTATED, ROTATED + 365 * DAY),
        )),
        hk_list,
    )
    for verifier in gates.values():
        verifier.trust.load(hk_2, now=ROTATED + 60)  # type: ignore[attr-defined]
    after = ROTATED + 3600
    assert at_mo.verify(hk_cred, now=after).kid == credential.kid_of(hk_a)  # what A signed in its period
    assert at_mo.verify(credential.issue(claims("HK", ROTATED + 60), hk_b, templates=TEMPLATES, birth_date=samples.BIRTH_DATE), now=after).kid == credential.kid_of(hk_b)
    refused("SIGNING_PERIOD", lambda: at_mo.verify(credential.issue(claims("HK", ROTATED + 1), hk_a, templates=TEMPLATES, birth_date=samples.BIRTH_DATE), now=after))

    # MO withdraws its compromised key M; what M signed before the compromise still verifies.
    mo_n = credential.generate_key("ES256")
    mo_2 = trust.sign(
        credential.TrustList("MO", 2, WITHDRAWN, WITHDRAWN + 30 * DAY, (
            entry(mo_m, "MO", LIST_ISSUED, T0 + 365 * DAY, "withdrawn", COMPROMISED),
            entry(mo_n, "MO", WITHDRAWN, WITHDRAWN + 365 * DAY),
        )),
        mo_list,
    )
    at_hk.trust.load(mo_2, now=WITHDRAWN + 60)  # type: ignore[attr-defined]
    later = WITHDRAWN + 3600
    assert at_hk.verify(mo_cred, now=later).issuer == "MO"
    forged = credential.issue(claims("MO", COMPROMISED), mo_m, templates=TEMPLATES, birth_date=samples.BIRTH_DATE)
    refused("KEY_WITHDRAWN", lambda: at_hk.verify(forged, now=later))

    # Stale: no new HK list after its next update, so the MO gate refuses HK credentials, while MO's
    # newer list keeps MO's credentials verifying at the HK gate.
    stale = ROTATED + 30 * DAY
    refused("TRUST_STALE", lambda: at_mo.verify(hk_cred, now=stale))
    assert at_hk.verify(mo_cred, now=stale).issuer == "MO"

    # Rolled back: the older HK list is refused, also by a gate that restarted since.
    refused("LIST_ROLLBACK", lambda: at_mo.trust.load(hk_1, now=ROTATED + 7200))  # type: ignore[attr-defined]
    restarted = credential.TrustStore(pins, path=tmp_path / "MO.sqlite")
    assert restarted.sequence("HK") == 2
    refused("LIST_ROLLBACK", lambda: restarted.load(hk_1, now=ROTATED + 7200))

    # Signed by the wrong authority: MO's list-signing key vouching for HK's keys.
    forged_list = trust.sign(credential.TrustList("HK", 3, later, later + DAY, (entry(mo_n, "HK", later, later + DAY),)), mo_list)
    refused("LIST_AUTHORITY", lambda: restarted.load(forged_list, now=later))
    # And a list no pinned key signed at all.
    refused("LIST_SIGNER", lambda: restarted.load(trust.sign(credential.TrustList("HK", 4, later, later + DAY, (entry(mo_n, "HK", later, later + DAY),)), hk_a), now=later))
    assert restarted.sequence("HK") == 2


SCRIPT = shutil.which("credential", path=str(Path(sys.executable).parent))


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert SCRIPT, "the credential command is installed with the package"
    return subprocess.run([SCRIPT, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def ok(cwd: Path, *args: str) -> str:
    result = cli(cwd, *args)
    assert result.returncode == 0, (args, result.stderr)
    return result.stdout


def code_of(cwd: Path, *args: str, exit_code: int = 1) -> str:
    result = cli(cwd, *args)
    assert result.returncode == exit_code, (args, result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stderr.split(":", 1)[0]


def test_cli_scenario(tmp_path: Path) -> None:
    d = tmp_path
    for name, alg in [("hk-list", "Ed25519"), ("mo-list", "ES256"), ("hk-a", "Ed25519"), ("hk-b", "Ed25519"), ("mo-m", "ES256")]:
        ok(d, "keygen", "--alg", alg, "--out", f"{name}.pem")
    (d / "face.bin").write_bytes(TEMPLATES["face"])

    def publish(authority: str, sequence: int, issued: int, keys: list[dict[str, Any]], signer: str, name: str) -> None:
        view = {"authority": authority, "sequence": sequence, "issued": issued, "next_update": issued + 30 * DAY, "keys": keys}
        (d / f"{name}.json").write_text(json.dumps(view))
        ok(d, "trust", "build", f"{name}.json", "--out", f"{name}.cbor")
        ok(d, "trust", "sign", f"{name}.cbor", "--key", f"{signer}.pem", "--out", f"{name}.xctl")

    def key(name: str, authority: str, not_before: int, not_after: int, state: str = "active", **more: int) -> dict[str, Any]:
        return {"public_key_file": f"{name}.pub.pem", "authority": authority, "destinations": ["MO" if authority == "HK" else "HK"],
                "profiles": ["minimal", "full"], "not_before": not_before, "not_after": not_after, "state": state, **more}

    def issue(issuer: str, iat: int, signer: str, out: str) -> None:
        (d / f"{out}.json").write_text(json.dumps(claims(issuer, iat)))
        ok(d, "issue", f"{out}.json", "--key", f"{signer}.pem", "--template", "face=face.bin", "--birth-date", samples.BIRTH_DATE, "--out", f"{out}.txt")

    pins = ["--list-key", "HK=hk-list.pub.pem", "--list-key", "MO=mo-list.pub.pem"]

    def load(gate: str, lst: str, now: int) -> subprocess.CompletedProcess[str]:
        return cli(d, "trust", "load", f"{lst}.xctl", "--trust-db", f"{gate}.sqlite", *pins, "--now", str(now))

    def verify(gate: str, cred: str, now: int) -> list[str]:
        return ["verify", f"{cred}.txt", "--trust-db", f"{gate}.sqlite", *pins, "--destination", gate, "--now", str(now)]

    publish("HK", 1, LIST_ISSUED, [key("hk-a", "HK", LIST_ISSUED, T0 + 365 * DAY)], "hk-list", "hk-1")
    publish("MO", 1, LIST_ISSUED, [key("mo-m", "MO", LIST_ISSUED, T0 + 365 * DAY)], "mo-list", "mo-1")
    shown = json.loads(ok(d, "trust", "show", "hk-1.xctl", *pins, "--now", str(T0)))
    assert shown["verified"] and shown["current"] and shown["keys"][0]["state"] == "active"
    assert not json.loads(ok(d, "trust", "show", "mo-1.xctl"))["verified"]
    for gate in ("HK", "MO"):
        for lst in ("hk-1", "mo-1"):
            assert load(gate, lst, T0).returncode == 0

    issue("HK", T0, "hk-a", "hk-cred")
    issue("MO", T0, "mo-m", "mo-cred")
    assert json.loads(ok(d, *verify("MO", "hk-cred", T0 + 3600)))["issuer"] == "HK"
    assert json.loads(ok(d, *verify("HK", "mo-cred", T0 + 3600)))["issuer"] == "MO"
    # The lists can also be given to verify directly, loaded into the gate's store at the verification time;
    # never without the store, which keeps the sequence numbers that refuse a superseded list.
    ok(d, "verify", "hk-cred.txt", "--trust-list", "hk-1.xctl", "--trust-db", "MO.sqlite", *pins, "--destination", "MO", "--now", str(T0 + 3600))
    alone = cli(d, "verify", "hk-cred.txt", "--trust-list", "hk-1.xctl", *pins, "--destination", "MO", "--now", str(T0 + 3600))
    assert alone.returncode == 2 and "--trust-db" in alone.stderr

    # HK rotates A -> B.
    publish("HK", 2, ROTATED, [key("hk-a", "HK", LIST_ISSUED, ROTATED, "retired"), key("hk-b", "HK", ROTATED, ROTATED + 365 * DAY)], "hk-list", "hk-2")
    assert load("MO", "hk-2", ROTATED + 60).returncode == 0
    ok(d, *verify("MO", "hk-cred", ROTATED + 3600))
    issue("HK", ROTATED + 60, "hk-b", "hk-cred-b")
    ok(d, *verify("MO", "hk-cred-b", ROTATED + 3600))
    issue("HK", ROTATED + 1, "hk-a", "hk-cred-late")
    assert code_of(d, *verify("MO", "hk-cred-late", ROTATED + 3600)) == "SIGNING_PERIOD"

    # MO withdraws M.
    publish("MO", 2, WITHDRAWN, [key("mo-m", "MO", LIST_ISSUED, T0 + 365 * DAY, "withdrawn", compromised=COMPROMISED)], "mo-list", "mo-2")
    assert load("HK", "mo-2", WITHDRAWN + 60).returncode == 0
    ok(d, *verify("HK", "mo-cred", WITHDRAWN + 3600))
    issue("MO", COMPROMISED, "mo-m", "mo-forged")
    assert code_of(d, *verify("HK", "mo-forged", WITHDRAWN + 3600)) == "KEY_WITHDRAWN"

    # Stale, rolled back, wrong authority.
    assert code_of(d, *verify("MO", "hk-cred", ROTATED + 30 * DAY)) == "TRUST_STALE"
    assert code_of(d, "trust", "load", "hk-1.xctl", "--trust-db", "MO.sqlite", *pins, "--now", str(ROTATED + 7200)) == "LIST_ROLLBACK"
    publish("HK", 3, WITHDRAWN, [key("hk-b", "HK", ROTATED, ROTATED + 365 * DAY)], "mo-list", "hk-3-by-mo")
    assert code_of(d, "trust", "load", "hk-3-by-mo.xctl", "--trust-db", "MO.sqlite", *pins, "--now", str(WITHDRAWN)) == "LIST_AUTHORITY"
    assert code_of(d, "trust", "show", "hk-3-by-mo.xctl", *pins, "--now", str(WITHDRAWN)) == "LIST_AUTHORITY"
    # A refused list given to verify is the gate's configuration: exit 2, no credential code.
    refusal = cli(d, "verify", "hk-cred.txt", "--trust-list", "hk-1.xctl", "--trust-db", "HK.sqlite", *pins, "--destination", "MO", "--now", str(T0 + 40 * DAY))
    assert refusal.returncode == 2 and "LIST_EXPIRED" in refusal.stderr and "Traceback" not in refusal.stderr
    # A superseded list given to verify is refused as trust load refuses it, and the store keeps the newer one.
    superseded = cli(d, "verify", "hk-cred.txt", "--trust-list", "hk-1.xctl", "--trust-db", "MO.sqlite", *pins, "--destination", "MO", "--now", str(ROTATED + 3600))
    assert superseded.returncode == 2 and "LIST_ROLLBACK" in superseded.stderr
    assert json.loads(ok(d, "trust", "show", "hk-2.xctl", "--trust-db", "MO.sqlite", *pins, "--now", str(ROTATED + 3600)))["held_sequence"] == 2


def test_cli_trust_usage_mistakes(tmp_path: Path) -> None:
    d = tmp_path
    ok(d, "keygen", "--out", "list.pem")
    (d / "bad.json").write_text('{"authority": "HK"}')
    (d / "junk.xctl").write_bytes(b"\x00\x01")
    for args in [
        ("trust", "build", "bad.json", "--out", "x.cbor"),
        ("trust", "build", "missing.json"),
        ("trust", "sign", "junk.xctl", "--key", "list.pem", "--out", "x"),
        ("trust", "sign", "junk.xctl", "--key", "list.pub.pem", "--out", "x"),
        ("trust", "load", "junk.xctl", "--list-key", "HK=list.pub.pem"),  # no --trust-db
        ("trust", "load", "junk.xctl", "--trust-db", "g.sqlite"),  # no pins
        ("trust", "show", "junk.xctl", "--list-key", "XX=list.pub.pem"),
        ("trust", "show", "junk.xctl", "--list-key", "HK=list.pem"),  # a private key
        ("verify", "XC1:ABC", "--list-key", "HK=list.pub.pem", "--trusted-key", "HK=list.pub.pem"),
        ("verify", "XC1:ABC", "--list-key", "HK=list.pub.pem"),  # nothing loaded
        ("verify", "XC1:ABC", "--list-key", "HK=list.pub.pem", "--trust-list", "junk.xctl"),
        ("verify", "XC1:ABC", "--list-key", "HK=list.pub.pem", "--trust-grace", "9999999"),
    ]:
        result = cli(d, *args)
        assert result.returncode == 2, (args, result.returncode, result.stderr)
        assert "Traceback" not in result.stderr and result.stderr.strip(), args
    assert code_of(d, "trust", "show", "junk.xctl") == "LIST_MALFORMED"
    assert code_of(d, "trust", "load", "junk.xctl", "--trust-db", "g.sqlite", "--list-key", "HK=list.pub.pem") == "LIST_MALFORMED"
