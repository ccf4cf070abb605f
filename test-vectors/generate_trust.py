"""Generate the XC v1 trust list vectors (spec sections 14.6 and 16).

    python test-vectors/generate_trust.py          # rewrite test-vectors/trust.json
    python test-vectors/generate_trust.py --check  # exit 1 if the file differs from what this code makes

Two kinds of case share one gate: loading a signed trust list (the result is the list accepted, or
the LIST_* code of spec 16.5), and verifying a credential against the lists the gate holds (valid, or
the error code of spec 9.4). Keys, times and lists are fixed, and signing is deterministic, so the
output is the same on every run. Helpers shared with the core vectors come from generate.py.
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate as core  # noqa: E402  (the core generator: key derivation, claims, templates, issuance)
from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: E402

import credential  # noqa: E402
from credential.cose import keys
from credential.cose import sign1 as cose
from credential.issuer import samples
from credential.lists import trust  # noqa: E402
from credential.text import cbor

VECTORS = HERE / "trust.json"
DAY = 86400
T0 = samples.ISSUED_AT  # 2027-01-01T00:00:00Z
NOW = T0 + 3600
LIST_ISSUED = T0 - 10 * DAY
NEXT_UPDATE = T0 + 30 * DAY
COMPROMISED = T0 + 10 * DAY
RETIRED_AT = T0 - DAY  # the last second the retired key may sign (not_after, included)

# name: (algorithm, role). List-signing keys sign lists only; issuer keys sign credentials.
KEY_TABLE = {
    "hk-list": ("Ed25519", "list-signing"),
    "mo-list": ("ES256", "list-signing"),
    "rogue-list": ("Ed25519", "list-signing"),
    "hk-2026": ("Ed25519", "issuer"),
    "hk-2027": ("Ed25519", "issuer"),
    "hk-2027-es256": ("ES256", "issuer"),
    "hk-minimal": ("Ed25519", "issuer"),
    "hk-2028": ("Ed25519", "issuer"),
    "hk-home-only": ("Ed25519", "issuer"),
    "mo-2027": ("ES256", "issuer"),
    "unlisted": ("Ed25519", "issuer"),
}
KEYS = {name: core._make_key(f"trust {name}", alg) for name, (alg, _) in KEY_TABLE.items()}
PINS = {"HK": ["hk-list"], "MO": ["mo-list"]}


def public(name: str) -> keys.PublicKey:
    return KEYS[name].public_key()


def listed(name: str, authority: str = "HK", **fields: Any) -> credential.ListedKey:
    """A key entry with the usual terms, any of them overridden."""
    terms: dict[str, Any] = {
        "destinations": ("MO",) if authority == "HK" else ("HK",),
        "profiles": ("minimal", "full"),
        "not_before": T0 - DAY,
        "not_after": T0 + 365 * DAY,
        "state": "active",
        "compromised": None,
    }
    terms.update(fields)
    return credential.ListedKey(public(name), authority, **terms)


def hk_keys() -> list[credential.ListedKey]:
    return [
        listed("hk-2026", not_before=T0 - 365 * DAY, not_after=RETIRED_AT, state="retired"),
        listed("hk-2027"),
        listed("hk-2027-es256", not_before=T0 - 30 * DAY, state="withdrawn", compromised=COMPROMISED),
        listed("hk-minimal", profiles=("minimal",)),
        listed("hk-home-only", destinations=("HK",)),
    ]


def document(authority: str, sequence: int, entries: list[credential.ListedKey], issued: int = LIST_ISSUED, next_update: int = NEXT_UPDATE) -> credential.TrustList:
    return credential.TrustList(authority, sequence, issued, next_update, tuple(entries))


def signed(doc: credential.TrustList, signer: str) -> bytes:
    return trust.sign_payload(doc.encode(), KEYS[signer])


@dataclass
class PublishedList:
    comment: str
    signed: bytes
    issued: int  # the time the gate loads it when it is held before a case


def _lists() -> dict[str, PublishedList]:
    hk1 = document("HK", 1, hk_keys())
    # Rotation: 2026 dropped (its credentials have expired), 2028 added, the rest carried over.
    hk2 = document("HK", 2, [*hk_keys()[1:], listed("hk-2028", not_before=T0 + 20 * DAY, not_after=T0 + 385 * DAY)], issued=T0 + 20 * DAY, next_update=T0 + 50 * DAY)
    mo7 = document("MO", 7, [listed("mo-2027", "MO")])
    hk1_other = document("HK", 1, hk_keys()[1:])  # sequence 1 again, other content
    short = document("MO", 8, [listed("mo-2027", "MO")], issued=T0 - DAY, next_update=T0 + 1800)
    with_mo_key = document("HK", 3, [*hk_keys(), listed("mo-2027", "HK")])
    backdated = document("HK", 2, hk_keys()[1:], issued=LIST_ISSUED - 1)
    future = document("HK", 1, hk_keys(), issued=NOW + trust.LIST_CLOCK_SKEW + 1)
    edge = document("HK", 1, hk_keys()[1:], issued=NOW + trust.LIST_CLOCK_SKEW)
    longest = document("HK", 1, hk_keys(), issued=NOW - DAY, next_update=NOW - DAY + trust.MAX_LIST_LIFETIME)
    out = {
        "hk-1": PublishedList("HK's list, sequence 1: a retired, an active, a withdrawn and a minimal-only key", signed(hk1, "hk-list"), hk1.issued),
        "hk-2": PublishedList("HK's list, sequence 2: hk-2026 dropped, hk-2028 added", signed(hk2, "hk-list"), hk2.issued),
        "mo-7": PublishedList("MO's list, sequence 7: one ES256 key", signed(mo7, "mo-list"), mo7.issued),
        "mo-8-short": PublishedList("MO's list, sequence 8, next update due 30 minutes after 2027-01-01", signed(short, "mo-list"), short.issued),
        "hk-1-other": PublishedList("HK's list with sequence 1 again but other content (equivocation)", signed(hk1_other, "hk-list"), hk1_other.issued),
        "hk-3-mo-key": PublishedList("HK's list, sequence 3, naming MO's issuer key mo-2027 as HK's (a mistaken or compromised list-signing key)",
                                     signed(with_mo_key, "hk-list"), with_mo_key.issued),
        "hk-2-backdated": PublishedList("HK's list, sequence 2, issued one second before sequence 1 was", signed(backdated, "hk-list"), backdated.issued),
        "hk-1-future": PublishedList("HK's list, sequence 1, issued 301 seconds after the load time of its cases", signed(future, "hk-list"), future.issued),
        "hk-1-edge": PublishedList("HK's list, sequence 1, issued 300 seconds after the load time of its cases", signed(edge, "hk-list"), edge.issued),
        "hk-1-longest": PublishedList("HK's list, sequence 1, current for 90 days, the longest a list may be", signed(longest, "hk-list"), longest.issued),
    }
    return out


def _raw(doc: dict[int, Any], signer: str = "hk-list") -> bytes:
    return trust.sign_payload(cbor.encode(doc), KEYS[signer])


def _bad_lists() -> dict[str, tuple[str, bytes]]:
    """Lists a gate refuses: name -> (comment, signed bytes)."""
    base = document("HK", 3, hk_keys())
    good = signed(base, "hk-list")
    sign1 = cose.parse(good)
    payload = base.encode()
    doc = base.to_cbor()

    def entry_edit(index: int, **changes: Any) -> dict[int, Any]:
        out = copy.deepcopy(doc)
        for k, v in changes.items():
            label = int(k.removeprefix("k"))
            if v is None:
                del out[trust.L_KEYS][index][label]
            else:
                out[trust.L_KEYS][index][label] = v
        return out

    def cose_key_edit(index: int, label: int, value: Any) -> dict[int, Any]:
        out = copy.deepcopy(doc)
        if value is None:
            del out[trust.L_KEYS][index][trust.K_KEY][label]
        else:
            out[trust.L_KEYS][index][trust.K_KEY][label] = value
        return out

    flipped = bytearray(sign1.signature)
    flipped[5] ^= 1
    resequenced = copy.deepcopy(doc)
    resequenced[trust.L_SEQUENCE] = 99
    es_index = 2  # hk-2027-es256
    off_curve = bytearray(doc[trust.L_KEYS][es_index][trust.K_KEY][trust.COSE_Y])
    off_curve[-1] ^= 1
    unsorted_payload = b"\xa5" + b"".join(cbor.encode(k) + cbor.encode(v) for k, v in sorted(doc.items(), reverse=True))
    too_many_keys = [credential.ListedKey(core._make_key(f"trust filler {i}", "Ed25519").public_key(), "HK", ("MO",), ("minimal",), T0, T0 + DAY) for i in range(trust.MAX_LIST_KEYS)]
    at_limit = document("HK", 3, too_many_keys)
    over_limit = at_limit.to_cbor()
    over_limit[trust.L_KEYS].append(trust._entry_to_cbor(listed("hk-2027")))
    largest = document("HK", 3, [
        credential.ListedKey(core._make_key(f"trust filler {i}", "ES256").public_key(), "HK", ("HK", "MO"), ("minimal", "full"), T0, T0 + DAY,
                             "withdrawn", T0)
        for i in range(trust.MAX_LIST_KEYS)
    ]).to_cbor()
    items = copy.deepcopy(doc)
    items[trust.L_KEYS] = [copy.deepcopy(doc[trust.L_KEYS][1]) | {trust.K_DESTINATIONS: list(range(60))} for _ in range(64)]
    entry_for_mo = entry_edit(1, k2="MO")
    return {
        "bad-signature": ("one bit of the signature flipped", cose.build(sign1.protected, payload, bytes(flipped))),
        "bad-payload": ("the sequence changed after signing", cose.build(sign1.protected, cbor.encode(resequenced), sign1.signature)),
        "bad-alg-mismatch": ("protected header says ES256, the pinned key is Ed25519", _signed_with_header(payload, "hk-list", -7)),
        "unpinned-signer": ("signed by a list-signing key the gate has not pinned", signed(base, "rogue-list")),
        "issuer-signed": ("signed by an issuer key the list itself vouches for", signed(base, "hk-2027")),
        "wrong-authority": ("a list naming HK, signed with MO's list-signing key", _raw(doc, "mo-list")),
        "entry-other-authority": ("HK's list with a key entry for MO", _raw(entry_for_mo)),
        "lists-list-key": ("HK's list with its own list-signing key as an issuer key", _raw(document("HK", 3, [*hk_keys(), listed("hk-list")]).to_cbor())),
        "kid-not-derived": ("a COSE_Key whose kid is not derived from the key", _raw(cose_key_edit(1, trust.COSE_KID, bytes(8)))),
        "off-curve": ("an ES256 key whose point is not on P-256", _raw(cose_key_edit(es_index, trust.COSE_Y, bytes(off_curve)))),
        "compressed-point": ("an ES256 key with y as the compressed-form sign bit", _raw(cose_key_edit(es_index, trust.COSE_Y, True))),
        "small-order": ("an Ed25519 key of small order, which 4.2 refuses as a trusted key", _raw(_small_order(doc))),
        "okp-with-y": ("an Ed25519 COSE_Key with a y coordinate", _raw(cose_key_edit(1, trust.COSE_Y, bytes(32)))),
        "alg-kty-mismatch": ("an Ed25519 key labelled ES256", _raw(cose_key_edit(1, trust.COSE_ALG, -7))),
        "withdrawn-no-time": ("a withdrawn key without its compromise time", _raw(entry_edit(es_index, k8=None))),
        "active-with-time": ("an active key with a compromise time", _raw(entry_edit(1, k8=T0))),
        "empty-period": ("not_before after not_after", _raw(entry_edit(1, k5=T0 + DAY, k6=T0))),
        "unknown-state": ("state 4, which 16.2 does not define", _raw(entry_edit(1, k7=4))),
        "unknown-profile": ("profile 3, which 3.5 does not define", _raw(entry_edit(1, k4=[1, 3]))),
        "destinations-order": ("destinations out of ascending order", _raw(entry_edit(1, k3=["MO", "HK"]))),
        "destination-unknown": ("a destination outside the region table of 3.3", _raw(entry_edit(1, k3=["CN", "MO"]))),
        "profiles-repeated": ("a profile listed twice", _raw(entry_edit(1, k4=[1, 1]))),
        "entry-unknown-field": ("a key entry with a field 9", _raw(entry_edit(1, k9=0))),
        "doc-unknown-field": ("a list document with a field 6", _raw(doc | {6: 0})),
        "next-update-not-after": ("next_update equal to issued", _raw(doc | {trust.L_NEXT_UPDATE: doc[trust.L_ISSUED]})),
        "lifetime-over-limit": ("next_update 90 days and one second after issued", _raw(doc | {trust.L_NEXT_UPDATE: doc[trust.L_ISSUED] + trust.MAX_LIST_LIFETIME + 1})),
        "sequence-text": ("sequence as text", _raw(doc | {trust.L_SEQUENCE: "3"})),
        "duplicate-key": ("one key listed twice", _raw(doc | {trust.L_KEYS: [*doc[trust.L_KEYS], doc[trust.L_KEYS][1]]})),
        "no-keys": ("an empty list of keys", _raw(doc | {trust.L_KEYS: []})),
        "not-deterministic": ("the document's keys in descending order", trust.sign_payload(unsorted_payload, KEYS["hk-list"])),
        "untagged": ("the COSE_Sign1 without tag 18", good[1:]),
        "unknown-alg": ("alg -35 (ES384) in the protected header", _signed_with_header(payload, "hk-list", -35)),
        "keys-at-limit": ("64 keys, the most a list holds", _raw(at_limit.to_cbor())),
        "keys-over-limit": ("65 keys, one more than a list holds", _raw(over_limit)),
        "largest": ("the largest list: 64 withdrawn ES256 keys, each with every destination and profile", _raw(largest)),
        "items-over-limit": ("more than 4096 data items in the payload", _raw(items)),
        "over-size": ("more than 65536 bytes: a document padded with an unknown field", _oversize(doc, sign1)),
    }


def _small_order(doc: dict[int, Any]) -> dict[int, Any]:
    """The document with its second key replaced by an Ed25519 point of order 8, its kid derived from it."""
    point = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
    weak = ed25519.Ed25519PublicKey.from_public_bytes(point)
    out = copy.deepcopy(doc)
    out[trust.L_KEYS][1][trust.K_KEY] |= {trust.COSE_X: point, trust.COSE_KID: keys.kid_of(weak)}
    return out


def _oversize(doc: dict[int, Any], sign1: cose.Sign1) -> bytes:
    """Over the byte limit; built without the signer, which refuses to make it (the size is checked first)."""
    payload = cbor.encode(doc | {6: bytes(trust.MAX_LIST_BYTES)})
    key = KEYS["hk-list"]
    return cose.build(sign1.protected, payload, keys.algorithm_for(key).sign(key, cose.to_be_signed(sign1.protected, payload)))


def _signed_with_header(payload: bytes, signer: str, alg: int) -> bytes:
    key = KEYS[signer]
    protected = cbor.encode({cose.HEADER_ALG: alg, cose.HEADER_KID: keys.kid_of(key)})
    return cose.build(protected, payload, keys.algorithm_for(key).sign(key, cose.to_be_signed(protected, payload)))


@dataclass
class Case:
    comment: str
    flags: list[str]
    error: str | None = None
    gate: dict[str, Any] = field(default_factory=dict)
    load: dict[str, Any] | None = None  # list case: {"list": name, "now": t}
    credential: dict[str, Any] | None = None  # credential case: text, verifier, issuance


def _gate(held: list[str] | None = None, grace: int = 0, pins: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"pins": pins or PINS, "grace": grace, "held": ["hk-1", "mo-7"] if held is None else held}


def _claims(issuer: str = "HK", profile: str = "minimal", iat: int = T0, **xc: Any) -> dict[str, Any]:
    out = core.claims(profile, issuer, **xc)
    out["iat"] = iat
    out["exp"] = iat + 365 * DAY
    return out


def _issue(key: str, c: dict[str, Any]) -> dict[str, Any]:
    # Issuance vectors test the encoding; eligibility is each authority's own (spec 9.5), as in generate.py.
    text = credential.issue(c, KEYS[key], templates=core.TEMPLATE_SETS["enrolled"], policy=None)
    return {"text": text, "issuance": {"key": key, "claims": c, "templates": "enrolled", "deflate": None}}


def credential_cases() -> list[Case]:
    out: list[Case] = []

    def add(key: str, c: dict[str, Any], error: str | None, comment: str, flags: list[str], gate: dict[str, Any] | None = None,
            now: int = NOW, destination: str | None = None, text: str | None = None) -> None:
        made = _issue(key, c)
        if text is not None:
            made = {"text": text}
        made["verifier"] = {"now": now, "skew": core.SKEW, "destination": destination or c["xc"]["destinations"][0], "channel": None}
        out.append(Case(comment, (["Valid"] if error is None else []) + flags, error, gate or _gate(), credential=made))

    add("hk-2027", _claims(), None, "HK's active key, minimal profile, verified at an MO gate", ["TrustList"])
    add("hk-2027", _claims(profile="full"), None, "HK's active key, full profile", ["TrustList", "Profile"])
    add("mo-2027", _claims("MO"), None, "MO's ES256 key, verified at an HK gate", ["TrustList"])
    add("hk-2026", _claims(iat=RETIRED_AT - DAY), None, "a retired key, for what it signed within its period", ["Retired"])
    add("hk-2026", _claims(iat=RETIRED_AT), None, "a retired key, iat at the last second of its period (included)", ["Retired", "PeriodEdge"])
    add("hk-2026", _claims(iat=RETIRED_AT + 1), "SIGNING_PERIOD", "a retired key used one second after its period", ["Retired", "PeriodEdge"])
    add("hk-2027", _claims(iat=T0 - DAY), None, "iat at the first second of the period (included)", ["PeriodEdge"])
    add("hk-2027", _claims(iat=T0 - DAY - 1), "SIGNING_PERIOD", "iat one second before the key's period", ["PeriodEdge"])
    add("hk-2027-es256", _claims(iat=COMPROMISED - 1), None, "a withdrawn key, iat one second before the compromise", ["Withdrawn"],
        now=COMPROMISED + 3600)
    add("hk-2027-es256", _claims(iat=COMPROMISED), "KEY_WITHDRAWN", "a withdrawn key, iat at the compromise time", ["Withdrawn"],
        now=COMPROMISED + 3600)
    add("hk-2027-es256", _claims(iat=T0 + 400 * DAY), "KEY_WITHDRAWN",
        "a withdrawn key, iat after the compromise and after the period (and not yet valid): withdrawal is checked first",
        ["Withdrawn", "Precedence"])
    add("hk-2027-es256", _claims(iat=COMPROMISED + DAY), "KEY_WITHDRAWN", "a withdrawn key, a day after the compromise, within its period", ["Withdrawn"],
        now=COMPROMISED + DAY + 60)
    add("hk-2028", _claims(iat=T0 + 20 * DAY - 1), "SIGNING_PERIOD", "a new key used one second before its period starts", ["Rotation", "PeriodEdge"],
        now=T0 + 21 * DAY, gate=_gate(held=["hk-2"]))
    add("hk-minimal", _claims(), None, "a key for the minimal profile signing a minimal credential", ["Profile"])
    add("hk-minimal", _claims(profile="full"), "ISSUER_NOT_AUTHORIZED", "a key for the minimal profile signing a full one", ["Profile"])
    partial = _claims()
    partial["xc"]["birth_date"] = "1990"
    add("hk-minimal", partial, "ISSUER_NOT_AUTHORIZED", "one holder field (a birth year) makes a credential full-profile", ["Profile", "ProfileDecision"])
    add("hk-home-only", _claims(), "ISSUER_NOT_AUTHORIZED", "a key listed for destination HK only, signing a credential for MO", ["Destinations"])
    add("hk-2027", _claims("MO"), "ISSUER_NOT_AUTHORIZED", "HK's key signing a credential of MO", ["Authority"])
    add("unlisted", _claims(), "UNKNOWN_KID", "a key no held list names", ["TrustList"])
    add("hk-list", _claims(), "UNKNOWN_KID", "HK's list-signing key signing a credential: it is not an issuer key", ["ListKeyNotIssuer"])
    add("hk-2027", _claims(), None, "one second before the list's next update", ["Stale"], now=NEXT_UPDATE - 1)
    add("hk-2027", _claims(), "TRUST_STALE", "at the list's next update, without grace", ["Stale"], now=NEXT_UPDATE)
    add("hk-2027", _claims(), None, "past the next update, within a grace of one day", ["Stale", "Grace"], now=NEXT_UPDATE + DAY - 1, gate=_gate(grace=DAY))
    add("hk-2027", _claims(), "TRUST_STALE", "at the end of a grace of one day", ["Stale", "Grace"], now=NEXT_UPDATE + DAY, gate=_gate(grace=DAY))
    layers = credential.decode(_issue("hk-2027", _claims())["text"])
    broken = core.plain(cose.build(layers.protected, layers.payload, core.flip(layers.signature, 7)))
    add("hk-2027", _claims(), "TRUST_STALE", "a stale list is reported before the signature is checked", ["Stale", "Precedence"], now=NEXT_UPDATE, text=broken)
    add("mo-2027", _claims("MO"), None, "MO's short list is stale, HK's is not: an HK gate reading MO's credential...", ["Stale"],
        now=T0 + 1799, gate=_gate(held=["hk-1", "mo-8-short"]))
    add("hk-2027", _claims(), None, "...while MO's stale list does not stop HK's credentials", ["Stale"], now=T0 + 1800, gate=_gate(held=["hk-1", "mo-8-short"]))
    add("mo-2027", _claims("MO"), "TRUST_STALE", "MO's credential once MO's list is stale", ["Stale"], now=T0 + 1800, gate=_gate(held=["hk-1", "mo-8-short"]))
    add("hk-2026", _claims(iat=RETIRED_AT - DAY), "UNKNOWN_KID", "after rotation: the dropped key is unknown", ["Rotation"],
        now=T0 + 21 * DAY, gate=_gate(held=["hk-1", "hk-2", "mo-7"]))
    add("hk-2028", _claims(iat=T0 + 25 * DAY), None, "after rotation: the new key, within its period", ["Rotation"],
        now=T0 + 25 * DAY + 60, gate=_gate(held=["hk-2"]))
    add("hk-2027", _claims(), None, "after rotation: the key carried over", ["Rotation"], now=T0 + 21 * DAY, gate=_gate(held=["hk-1", "hk-2"]))
    # One kid in lists of both authorities: trusted for neither, whichever list came first; the rest of both lists is trusted.
    for held in (["mo-7", "hk-3-mo-key"], ["hk-3-mo-key", "mo-7"]):
        order = " then ".join(held)
        add("mo-2027", _claims("MO"), "UNKNOWN_KID", f"MO's key, also named by HK's list ({order}): trusted for neither", ["KeyConflict"],
            gate=_gate(held=held))
        add("mo-2027", _claims(), "UNKNOWN_KID", f"MO's key signing for HK, as HK's list says it may ({order}): trusted for neither",
            ["KeyConflict"], gate=_gate(held=held))
        add("hk-2027", _claims(), None, f"HK's other keys stay trusted ({order})", ["KeyConflict"], gate=_gate(held=held))
    return out


def list_cases() -> list[Case]:
    out: list[Case] = []

    def add(name: str, error: str | None, comment: str, flags: list[str], now: int = NOW, gate: dict[str, Any] | None = None) -> None:
        out.append(Case(comment, (["Valid"] if error is None else []) + flags, error, gate or _gate(held=[]), load={"list": name, "now": now}))

    add("hk-1", None, "HK's list on an empty store", ["ListLoad"])
    add("mo-7", None, "MO's list on an empty store (ES256 list-signing key)", ["ListLoad"])
    add("hk-2", None, "a newer list replaces the held one", ["ListLoad", "Rotation"], now=T0 + 21 * DAY, gate=_gate(held=["hk-1"]))
    add("hk-1", None, "the held list again, byte for byte: accepted, nothing changes", ["ListLoad", "Rollback"], gate=_gate(held=["hk-1"]))
    add("hk-1", "LIST_ROLLBACK", "an older sequence than the held one", ["Rollback"], now=T0 + 21 * DAY, gate=_gate(held=["hk-1", "hk-2"]))
    add("hk-1-other", "LIST_ROLLBACK", "the held sequence with other content", ["Rollback"], gate=_gate(held=["hk-1"]))
    add("hk-1", "LIST_ROLLBACK", "an older list that has also expired: rollback is named first", ["Rollback", "Precedence"],
        now=T0 + 49 * DAY, gate=_gate(held=["hk-1", "hk-2"]))
    add("hk-1", None, "one second before the next update", ["ListExpiry"], now=NEXT_UPDATE - 1)
    add("hk-1", "LIST_EXPIRED", "at the next update, without grace", ["ListExpiry"], now=NEXT_UPDATE)
    add("hk-1", None, "past the next update, within a grace of one day", ["ListExpiry", "Grace"], now=NEXT_UPDATE + DAY - 1, gate=_gate(held=[], grace=DAY))
    add("hk-1", "LIST_EXPIRED", "at the end of a grace of one day", ["ListExpiry", "Grace"], now=NEXT_UPDATE + DAY, gate=_gate(held=[], grace=DAY))
    codes = {
        "bad-signature": ("LIST_SIGNATURE", ["ListSignature"]),
        "bad-payload": ("LIST_SIGNATURE", ["ListSignature"]),
        "bad-alg-mismatch": ("LIST_SIGNATURE", ["ListSignature", "AlgKeyMismatch"]),
        "unpinned-signer": ("LIST_SIGNER", ["ListSigner"]),
        "issuer-signed": ("LIST_SIGNER", ["ListSigner"]),
        "wrong-authority": ("LIST_AUTHORITY", ["ListAuthority"]),
        "entry-other-authority": ("LIST_AUTHORITY", ["ListAuthority"]),
        "lists-list-key": ("LIST_AUTHORITY", ["ListAuthority", "ListKeyNotIssuer"]),
        "kid-not-derived": ("LIST_MALFORMED", ["CoseKey", "KidDerivation"]),
        "off-curve": ("LIST_MALFORMED", ["CoseKey"]),
        "compressed-point": ("LIST_MALFORMED", ["CoseKey"]),
        "okp-with-y": ("LIST_MALFORMED", ["CoseKey"]),
        "small-order": ("LIST_MALFORMED", ["CoseKey", "WeakPoint"]),
        "alg-kty-mismatch": ("LIST_MALFORMED", ["CoseKey"]),
        "withdrawn-no-time": ("LIST_MALFORMED", ["ListDocument", "Withdrawn"]),
        "active-with-time": ("LIST_MALFORMED", ["ListDocument", "Withdrawn"]),
        "empty-period": ("LIST_MALFORMED", ["ListDocument", "PeriodEdge"]),
        "unknown-state": ("LIST_MALFORMED", ["ListDocument"]),
        "unknown-profile": ("LIST_MALFORMED", ["ListDocument", "Profile"]),
        "destinations-order": ("LIST_MALFORMED", ["ListDocument", "Destinations"]),
        "destination-unknown": ("LIST_MALFORMED", ["ListDocument", "Destinations"]),
        "profiles-repeated": ("LIST_MALFORMED", ["ListDocument", "Profile"]),
        "entry-unknown-field": ("LIST_MALFORMED", ["ListDocument"]),
        "doc-unknown-field": ("LIST_MALFORMED", ["ListDocument"]),
        "next-update-not-after": ("LIST_MALFORMED", ["ListDocument", "ListExpiry"]),
        "lifetime-over-limit": ("LIST_MALFORMED", ["ListDocument", "ListLifetime"]),
        "sequence-text": ("LIST_MALFORMED", ["ListDocument"]),
        "duplicate-key": ("LIST_MALFORMED", ["ListDocument"]),
        "no-keys": ("LIST_MALFORMED", ["ListDocument"]),
        "not-deterministic": ("LIST_MALFORMED", ["ListEncoding"]),
        "untagged": ("LIST_MALFORMED", ["ListEncoding"]),
        "unknown-alg": ("LIST_MALFORMED", ["ListEncoding"]),
        "keys-at-limit": (None, ["ListLimit"]),
        "keys-over-limit": ("LIST_MALFORMED", ["ListLimit"]),
        "largest": (None, ["ListLimit"]),
        "items-over-limit": ("LIST_MALFORMED", ["ListLimit"]),
        "over-size": ("LIST_MALFORMED", ["ListLimit"]),
    }
    for name, (comment, _) in _bad_lists().items():
        error, flags = codes[name]
        add(name, error, comment, flags)
    add("hk-3-mo-key", None, "HK's list naming a key the gate holds from MO's list: it loads, and the key is trusted for neither",
        ["KeyConflict"], gate=_gate(held=["mo-7"]))
    add("mo-7", None, "MO's list after HK's list that names MO's key: it loads, and the key is trusted for neither",
        ["KeyConflict"], gate=_gate(held=["hk-3-mo-key"]))
    add("hk-2-backdated", "LIST_ROLLBACK", "a higher sequence whose issued is before the held list's", ["Rollback", "ListIssued"],
        gate=_gate(held=["hk-1"]))
    add("hk-1-edge", None, "issued 300 seconds after now: within the clocks' allowance", ["ListIssued"])
    add("hk-1-future", "LIST_NOT_YET_VALID", "issued 301 seconds after now", ["ListIssued"])
    add("hk-1-longest", None, "next_update 90 days after issued, the longest lifetime", ["ListLifetime"])
    add("hk-1", "LIST_EXPIRED", "the held list again, byte for byte, once it has expired", ["ListExpiry", "Rollback"],
        now=NEXT_UPDATE, gate=_gate(held=["hk-1"]))
    return out


NOTES = {
    "Valid": "The gate accepts: the list loads, or the credential verifies and its claims are returned.",
    "TrustList": "A credential verified against the issuer keys of signed trust lists (spec 16.8). Catches verifiers that only take a plain key set.",
    "Profile": "The profiles a key may sign (spec 16.2, 16.8 step 16). Catches authorization that checks iss only.",
    "ProfileDecision": "How a verifier decides a credential's profile: any holder field makes it full (spec 16.8). Catches decisions that need all of 3.5's full-profile fields.",
    "Destinations": "The destinations a key may sign for: every destination of the credential must be one of them (spec 16.8 step 16). Catches checks of the gate's own destination only, or of any overlap.",
    "Authority": "A listed key signs for its authority only (spec 16.2). Catches verifiers that trust a listed key for every issuer.",
    "Retired": "A retired key keeps verifying what it signed within its signing period (spec 16.2). Catches verifiers that refuse every credential of a retired key, or accept its later ones.",
    "PeriodEdge": "iat at and beside the ends of a signing period, both included (spec 16.2). Catches off-by-one comparisons.",
    "Withdrawn": "A withdrawn key, its compromise time and its credentials before and after it (spec 16.2, 16.8 step 16a). Catches verifiers that ignore withdrawal, or refuse what was signed before the compromise.",
    "Precedence": "Two defects meet; the earlier check names the result (spec 16.5, 16.8). Catches checks run in another order.",
    "ListKeyNotIssuer": "A list-signing key is not an issuer key, and a list may not list one (spec 16.1). Catches gates that trust every key they hold for everything.",
    "Stale": "The trust list behind a key is past next_update + grace at the verification time: TRUST_STALE at step 11a, per list (spec 16.8). Catches gates that judge staleness only when loading, or for all lists at once.",
    "Grace": "The gate's configured grace after next_update (spec 16.5, 16.8). Catches grace applied twice, or not at all.",
    "Rotation": "A newer list replaces the held one: dropped keys are unknown, new and carried-over keys verify (spec 16.5). Catches stores that merge lists instead of replacing them.",
    "ListLoad": "A list the gate accepts (spec 16.5). Catches gates that refuse a valid list or a repeated load of the same bytes.",
    "Rollback": "A list older than the one held, or of the held sequence with other content (spec 16.5 check 5). Catches gates without durable sequence numbers.",
    "ListExpiry": "A list loaded at or past next_update + grace is refused (spec 16.5 check 6). Catches gates that load stale trust.",
    "ListSignature": "A list whose signature does not verify with the pinned key (spec 16.5 check 3). Catches gates that parse before verifying, or verify with another key.",
    "AlgKeyMismatch": "An alg that is not the pinned key's algorithm (spec 16.5 check 3). Catches algorithm confusion.",
    "ListSigner": "A list signed by a key the gate has not pinned, including an issuer key (spec 16.5 check 2). Catches gates that trust a list because a key it holds signed it.",
    "ListAuthority": "A list vouching for another authority: signed with the other authority's list-signing key, a key entry of another authority, a pinned list-signing key as an issuer key (spec 16.5 check 4b). Catches gates that let one authority vouch for the other's credentials.",
    "KeyConflict": "A kid named by lists of both authorities: both lists load, in either order, and the kid is trusted for neither (UNKNOWN_KID), the other keys of both lists as before (spec 16.8). Catches gates where the first list to name a kid wins, and gates that refuse one authority's whole list because of the other's.",
    "ListIssued": "A list's issued time: at most 300 seconds after the load time (LIST_NOT_YET_VALID), and never before the issued time of a list accepted earlier (LIST_ROLLBACK) (spec 16.5 checks 5 and 5a). Catches gates that take future-dated or backdated lists.",
    "ListLifetime": "next_update at most 90 days after issued (spec 16.2). Catches lists that stay current for ever.",
    "CoseKey": "A COSE_Key of the wrong shape or with an invalid point (spec 16.3). Catches gates that load any key material.",
    "WeakPoint": "An Ed25519 issuer key of small order, which 4.2 refuses in any trusted key (spec 16.3). Catches gates that check points in key sets but not in lists.",
    "KidDerivation": "A listed kid that is not derived from the key (spec 4.3, 16.3). Catches gates that index keys by the kid they are told.",
    "ListDocument": "A list document that breaks 16.2: fields missing, unknown, of the wrong type, out of order or inconsistent. Catches lenient parsing of trust data.",
    "ListEncoding": "A signed list that is not the COSE_Sign1 of section 4 in deterministic CBOR (spec 16.4). Catches a second, looser parser for lists.",
    "ListLimit": "The limits of 16.4: keys per list, data items, bytes; at and over each. Catches unbounded trust data.",
}


def _list_entry(name: str, comment: str, data: bytes, issued: int | None) -> dict[str, Any]:
    parsed = None
    try:
        parsed = trust.parse(data) if len(data) <= trust.MAX_LIST_BYTES else None
    except trust.TrustListError:
        pass
    entry: dict[str, Any] = {"comment": comment, "signed": data.hex()}
    if parsed is not None:
        entry["kid"] = parsed.kid.hex()
        entry["payload"] = parsed.payload.hex()
        entry["view"] = parsed.document.to_json() if parsed.document is not None else None
    if issued is not None:
        entry["issued"] = issued
    return entry


def key_entry(name: str) -> dict[str, Any]:
    key = KEYS[name]
    alg, role = KEY_TABLE[name]
    return {
        "alg": alg,
        "kid": keys.kid_of(key).hex(),
        "role": role,
        "privateKeyPem": keys.private_key_to_pem(key).decode(),
        "publicKeyPem": keys.public_key_to_pem(key).decode(),
    }


def build_document() -> dict[str, Any]:
    lists = {name: _list_entry(name, p.comment, p.signed, p.issued) for name, p in _lists().items()}
    lists.update({name: _list_entry(name, comment, data, None) for name, (comment, data) in _bad_lists().items()})
    tests = []
    for number, case in enumerate(credential_cases() + list_cases(), start=1):
        entry: dict[str, Any] = {"tcId": number, "comment": case.comment, "flags": case.flags, "gate": case.gate}
        if case.load is not None:
            entry["kind"] = "list"
            entry["load"] = case.load
        else:
            assert case.credential is not None
            entry["kind"] = "credential"
            entry.update(case.credential)
        if case.error is None:
            entry["result"] = "valid"
            if case.credential is not None:
                entry["claims"] = credential.decode(case.credential["text"]).claims
                entry.update(core.returned(case.credential["text"]))
            else:  # the JSON view of the list as loaded (spec 15, 16.7)
                assert case.load is not None
                entry["claims"] = lists[case.load["list"]]["view"]
        else:
            entry["result"] = "invalid"
            entry["error"] = case.error
        tests.append(entry)
    return {
        "format": "XC1 trust list vectors",
        "formatVersion": 1,
        "schema": "../spec/trust-vectors.schema.json",
        "numberOfTests": len(tests),
        "notes": NOTES,
        "templates": {"enrolled": {m: t.hex() for m, t in core.TEMPLATE_SETS["enrolled"].items()}},
        "keys": {name: key_entry(name) for name in KEY_TABLE},
        "lists": lists,
        "tests": tests,
    }


def serialize(document: dict[str, Any]) -> str:
    return core.serialize(document)


def main(argv: list[str] | None = None) -> int:
    return core.write_or_check(argv, VECTORS, build_document())


if __name__ == "__main__":
    sys.exit(main())
