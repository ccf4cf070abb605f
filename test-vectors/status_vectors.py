"""Generate the status list conformance vectors (spec 17, step 19a of 9.2; format in spec 14.4).

    python test-vectors/status_vectors.py          # rewrite test-vectors/status.json
    python test-vectors/status_vectors.py --check  # exit 1 if the file differs from what this code makes

The signed list tokens a gate holds are published in the file under ``lists``, each with what it was
made from; every case names the lists its gate holds. Keys, times, indices and compression are
fixed, so the output is the same on every run.
"""

from __future__ import annotations

import hashlib
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate as core  # noqa: E402  (the shared keys, claims and helpers of the core vectors)

import credential  # noqa: E402
from credential.base import limits
from credential.cose import keys
from credential.lists import status_list  # noqa: E402
from credential.lists.status_list import REVOKED, SUSPENDED  # noqa: E402
from credential.text import cbor

VECTORS = HERE / "status.json"
NOW = core.NOW
SKEW = core.SKEW
LISTED_AT = NOW - 3600  # when the lists of these vectors are issued: an hour before verification
DAY = 86400
MAX_AGE = DAY
SIZE = 1024  # entries per list: small enough to read in the file, large enough for random indices


def _index(label: str) -> int:
    """A fixed index that looks drawn at random, as an issuer's allocation would be (spec 17.6)."""
    return int.from_bytes(hashlib.sha256(f"XC1 status index {label}".encode()).digest()[:4], "big") % SIZE


GOOD, REVOKED_AT, SUSPENDED_AT, UNDEFINED_AT = _index("good"), _index("revoked"), _index("suspended"), _index("undefined")
ENTRIES_1 = {REVOKED_AT: REVOKED}
ENTRIES_2 = {REVOKED_AT: REVOKED, SUSPENDED_AT: SUSPENDED}


@dataclass
class ListSpec:
    """How a published token was made: from data by the authority's procedure, or altered by hand."""

    comment: str
    issuer: str
    list_id: str
    key: str
    bits: int = 1
    size: int = SIZE
    entries: dict[int, int] = field(default_factory=dict)
    issued_at: int = LISTED_AT
    lifetime: int = 2 * DAY
    ttl: int | None = 3600
    token: bytes | None = None  # set for tokens not made by build_token

    def made(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "list": self.list_id,
            "key": self.key,
            "bits": self.bits,
            "size": self.size,
            "entries": {str(i): v for i, v in sorted(self.entries.items())},
            "iat": self.issued_at,
            "exp": self.issued_at + self.lifetime,
            "ttl": self.ttl,
        }

    def build(self) -> bytes:
        if self.token is not None:
            return self.token
        return status_list.build_token(
            core.KEYS[self.key], self.issuer, self.list_id, issued_at=self.issued_at, expires=self.issued_at + self.lifetime,
            bits=self.bits, bit_array=status_list.pack(self.entries.items(), self.size, self.bits), ttl=self.ttl,
        )


def _base_claims() -> dict[int, Any]:
    """The claims of an empty 1-bit HK list, for the tokens altered by hand."""
    return status_list.claims("HK", "hk-1", issued_at=LISTED_AT, expires=LISTED_AT + 2 * DAY, bits=1, bit_array=bytes(SIZE // 8), ttl=3600)


def _claims_payload() -> bytes:
    return cbor.encode(_base_claims())


def _with_claim(key: int, value: Any) -> bytes:
    base = _base_claims()
    base[key] = value
    return cbor.encode(base)


def _signed(payload: bytes, key: str = "hk-ed25519", protected: bytes | None = None) -> bytes:
    return core.message(key, payload, protected)


def _lists() -> dict[str, ListSpec]:
    lists = {
        "hk-1": ListSpec("HK list of 1-bit entries, one revoked", "HK", "hk-1", "hk-ed25519", entries=ENTRIES_1),
        "hk-2": ListSpec("HK list of 2-bit entries, one revoked and one suspended, signed with ES256", "HK", "hk-2", "hk-es256", bits=2, entries=ENTRIES_2),
        "hk-2-undefined": ListSpec("HK list of 2-bit entries with the undefined value 3 at one index", "HK", "hk-2", "hk-ed25519", bits=2, entries={UNDEFINED_AT: 3}),
        "mo-1": ListSpec("MO list of 1-bit entries, one revoked", "MO", "mo-1", "mo-ed25519", entries=ENTRIES_1),
        "mo-2": ListSpec("MO list of 2-bit entries, the first one suspended", "MO", "mo-2", "mo-es256", bits=2, entries={0: SUSPENDED}),
        "hk-1-old": ListSpec("HK list issued two days before verification, valid for three", "HK", "hk-1", "hk-ed25519", issued_at=NOW - 2 * DAY, lifetime=3 * DAY),
        "hk-1-expired": ListSpec("HK list issued an hour before verification that expired at once", "HK", "hk-1", "hk-ed25519", lifetime=60),
        "hk-1-future": ListSpec("HK list issued after the verification time, beyond the skew", "HK", "hk-1", "hk-ed25519", issued_at=NOW + SKEW + 1),
        "hk-1-rogue": ListSpec("HK list signed by a key no gate trusts", "HK", "hk-1", "rogue-ed25519", entries=ENTRIES_1),
        "hk-1-by-mo": ListSpec("A list claiming to be HK's, signed by MO's key (trusted for MO only)", "HK", "hk-1", "mo-ed25519"),
        "mo-as-hk-1": ListSpec("MO's list named hk-1: valid for MO, not the HK list of that name", "MO", "hk-1", "mo-ed25519"),
        "hk-9": ListSpec("HK list hk-9, valid, for filing under another name", "HK", "hk-9", "hk-ed25519"),
        "hk-1-small": ListSpec("HK list of 64 entries: shorter than the indices credentials name", "HK", "hk-1", "hk-ed25519", size=64),
    }
    altered = {
        "hk-1-truncated": ("The hk-1 token cut short by one byte", lists["hk-1"].build()[:-1]),
        "hk-1-bad-signature": ("The hk-1 token with one bit of its signature flipped", core.flip(lists["hk-1"].build(), -1)),
        "hk-1-raw-deflate": ("lst in raw DEFLATE instead of the zlib format", _signed(_replace_lst(zlib.compress(bytes(SIZE // 8), 9, -15)))),
        "hk-1-bomb": ("lst inflates to one byte more than the limit of 16777216 (a decompression bomb)", _signed(_replace_lst(zlib.compress(bytes(limits.MAX_STATUS_BYTES + 1), 9)))),
        "hk-1-bits-4": ("bits 4, which the Token Status List allows and XC does not", _signed(_replace_status_list({"bits": 4, "lst": zlib.compress(bytes(SIZE // 2), 9)}))),
        "hk-1-unknown-claim": ("An extra claim (cti, 7) in the status list claims", _signed(_with_claim(7, b"\x01" * 8))),
        "hk-1-typ": ("The Token Status List's typ header (16) in the protected header", _signed(_claims_payload(), protected=cbor.encode({1: -8, 4: keys.kid_of(core.KEYS["hk-ed25519"]), 16: "application/statuslist+cwt"}))),
        "hk-1-no-exp": ("exp left out, which the Token Status List allows and XC does not", _signed(_drop_claim(status_list.CLAIM_EXP))),
        "credential-as-list": ("A credential's COSE message held as a list", credential.decode(core.sample_text()).cose),
    }
    for name, (comment, token) in altered.items():
        lists[name] = ListSpec(comment, "HK", "hk-1", "hk-ed25519", token=token)
    return lists


def _replace_status_list(value: dict[str, Any]) -> bytes:
    return _with_claim(status_list.CLAIM_STATUS_LIST, value)


def _replace_lst(lst: bytes) -> bytes:
    return _replace_status_list({"bits": 1, "lst": lst})


def _drop_claim(key: int) -> bytes:
    base = _base_claims()
    del base[key]
    return cbor.encode(base)


LISTS = _lists()


@dataclass
class Case:
    comment: str
    flags: list[str]
    text: str
    issuance: dict[str, Any]
    held: list[tuple[str, str, str]]  # (issuer, list identifier, list name in LISTS) the gate holds
    error: str | None = None
    verifier: dict[str, Any] = field(default_factory=dict)


def _credential(index: int | None, list_id: str = "hk-1", issuer: str = "HK", key: str = "hk-ed25519", **top: Any) -> tuple[str, dict[str, Any]]:
    extra = {} if index is None else {"status": {"list": list_id, "index": index}}
    claims = core.with_top(core.claims("minimal", issuer, **extra), **top)
    made = core.issued(claims, key)
    assert made.issuance is not None
    return made.text, made.issuance


def cases() -> list[Case]:
    out: list[Case] = []

    def add(comment: str, flags: list[str], made: tuple[str, dict[str, Any]], held: list[tuple[str, str, str]], error: str | None = None, **verifier: Any) -> None:
        out.append(Case(comment, flags, made[0], made[1], held, error, verifier))

    hk1 = [("HK", "hk-1", "hk-1")]
    hk2 = [("HK", "hk-2", "hk-2")]
    both = [*hk1, ("MO", "mo-1", "mo-1")]
    # Valid.
    add("entry 0 in a 1-bit list", ["Valid", "OneBit"], _credential(GOOD), hk1)
    add("entry 0 in a 2-bit list signed with ES256", ["Valid", "TwoBits"], _credential(GOOD, "hk-2"), hk2)
    add("a Macau credential checked against MO's list, at a gate holding both issuers' lists", ["Valid", "PerIssuer"], _credential(GOOD, "mo-1", "MO", "mo-ed25519"), both)
    add("the last entry of the list", ["Valid", "IndexBoundary"], _credential(SIZE - 1), hk1)
    add("a list exactly the maximum age old", ["Valid", "MaxAgeBoundary"], _credential(GOOD), hk1, status_max_age=3600)
    add("a list past its maximum age, within the grace (a verifier logs a warning)", ["Valid", "Grace"], _credential(GOOD), [("HK", "hk-1", "hk-1-old")], status_grace=DAY)
    add("a list issued within the skew after now", ["Valid", "FutureBoundary"], _credential(GOOD), [("HK", "hk-1", "hk-1-future")], now=NOW + 1)
    add("no status lists configured: step 19a is skipped for a credential without status", ["Valid", "Skipped"], _credential(None), [], status=False)
    # The entry.
    add("entry 1 in a 1-bit list", ["Revoked"], _credential(REVOKED_AT), hk1, "REVOKED")
    add("entry 1 in a 2-bit list", ["Revoked", "TwoBits"], _credential(REVOKED_AT, "hk-2"), hk2, "REVOKED")
    add("entry 2 in a 2-bit list", ["Suspended", "TwoBits"], _credential(SUSPENDED_AT, "hk-2"), hk2, "SUSPENDED")
    add("entry 2 at index 0 of MO's 2-bit list", ["Suspended", "TwoBits", "PerIssuer"], _credential(0, "mo-2", "MO", "mo-es256"), [("MO", "mo-2", "mo-2")], "SUSPENDED")
    add("entry 2 in a stale list used within the grace", ["Suspended", "Grace"], _credential(SUSPENDED_AT, "hk-2"), hk2, "SUSPENDED", now=LISTED_AT + MAX_AGE + 60, status_grace=3600)
    add("the undefined value 3 in a 2-bit list", ["UndefinedValue"], _credential(UNDEFINED_AT, "hk-2"), [("HK", "hk-2", "hk-2-undefined")], "STATUS_LIST_INVALID")
    add("index equal to the number of entries", ["IndexRange"], _credential(SIZE), hk1, "STATUS_INDEX")
    add("the largest index a credential can carry", ["IndexRange"], _credential(0xFFFFFFFF), hk1, "STATUS_INDEX")
    add("index beyond a list of 64 entries", ["IndexRange"], _credential(GOOD if GOOD >= 64 else 100), [("HK", "hk-1", "hk-1-small")], "STATUS_INDEX")
    # The reference and the list it names.
    add("a credential without status at a gate that checks status lists", ["NoStatus"], _credential(None), hk1, "NO_STATUS")
    add("a Macau credential without status at a gate holding MO's lists", ["NoStatus", "PerIssuer"], _credential(None, issuer="MO", key="mo-ed25519"), both, "NO_STATUS")
    add("a credential without status at a gate that checks status lists and holds none", ["NoStatus"], _credential(None), [], "NO_STATUS")
    add("no list held at all", ["ListMissing"], _credential(GOOD), [], "STATUS_UNAVAILABLE")
    add("the gate holds other lists of the issuer, not this one", ["ListMissing"], _credential(GOOD, "hk-3"), [*hk1, *hk2], "STATUS_UNAVAILABLE")
    add("the gate holds a list of this name from the other issuer only", ["ListMissing", "PerIssuer"], _credential(GOOD), [("MO", "hk-1", "mo-as-hk-1")], "STATUS_UNAVAILABLE")
    # Freshness.
    add("a list one second past the maximum age", ["ListTooOld"], _credential(GOOD), hk1, "STATUS_STALE", status_max_age=3599)
    add("a list two days old, maximum age one day", ["ListTooOld"], _credential(GOOD), [("HK", "hk-1", "hk-1-old")], "STATUS_STALE")
    add("a list past its maximum age beyond the grace", ["ListTooOld", "Grace"], _credential(GOOD), [("HK", "hk-1", "hk-1-old")], "STATUS_STALE", status_grace=DAY - 1)
    add("a list past its exp (with the skew)", ["ListExpired"], _credential(GOOD), [("HK", "hk-1", "hk-1-expired")], "STATUS_STALE")
    # The list itself.
    invalid = {
        "hk-1-rogue": ("a list signed by a key the gate does not trust", ["ListUntrustedKey"]),
        "hk-1-by-mo": ("an HK list signed by MO's key, trusted for MO only", ["ListUntrustedKey", "PerIssuer"]),
        "mo-as-hk-1": ("MO's list filed under HK's name", ["ListNameMismatch", "PerIssuer"]),
        "hk-1-future": ("a list issued after now plus the skew", ["ListFuture"]),
        "hk-1-truncated": ("a truncated token", ["ListMalformed"]),
        "hk-1-bad-signature": ("a token whose signature does not verify", ["ListMalformed"]),
        "hk-1-raw-deflate": ("lst in raw DEFLATE, not zlib", ["ListMalformed", "ListCompression"]),
        "hk-1-bomb": ("lst inflating past 16777216 bytes", ["ListBomb"]),
        "hk-1-bits-4": ("bits 4", ["ListMalformed"]),
        "hk-1-unknown-claim": ("an unknown claim in the list", ["ListMalformed"]),
        "hk-1-typ": ("a typ header in the protected header", ["ListMalformed", "ListTyp"]),
        "hk-1-no-exp": ("a list without exp", ["ListMalformed"]),
        "credential-as-list": ("a credential held in place of a list", ["ListMalformed", "TypeConfusion"]),
    }
    for name, (comment, flags) in invalid.items():
        add(comment, flags, _credential(GOOD), [("HK", "hk-1", name)], "STATUS_LIST_INVALID")
    add("a valid list filed under another list's name", ["ListNameMismatch"], _credential(GOOD), [("HK", "hk-1", "hk-9")], "STATUS_LIST_INVALID")
    # Order of the steps.
    cti = core.claims()["cti"]
    add("on the deny-list, its list not held: step 19 answers first", ["Precedence"], _credential(REVOKED_AT), [], "REVOKED", revoked=[cti])
    add("expired and its list missing: step 18 answers first", ["Precedence"], _credential(GOOD, exp=core.NOW - SKEW), [], "EXPIRED")
    add("revoked in the list at a gate of the wrong destination: step 19a answers before step 20", ["Precedence"], _credential(REVOKED_AT), hk1, "REVOKED", destination="HK")
    return out


NOTES = {
    "Valid": "The credential passes every step, step 19a included unless the case configures no status lists.",
    "OneBit": "A list of 1-bit entries (spec 17.3). Catches bit order within a byte (least significant first).",
    "TwoBits": "A list of 2-bit entries (spec 17.3). Catches reading 2-bit entries as 1-bit ones.",
    "PerIssuer": "Lists are named per issuer (17.1, 17.5): a list of one issuer never answers for the other's credentials. Catches lookups by list identifier alone.",
    "IndexBoundary": "The last entry of a list. Catches off-by-one errors in the entry count.",
    "MaxAgeBoundary": "A list exactly the maximum age old is still used (17.5: stale when now - iat exceeds it). Catches an off-by-one in the age check.",
    "Grace": "The configured grace (17.5): a stale list within it is used and logged, beyond it refused. Catches grace ignored or unbounded.",
    "FutureBoundary": "A list issued up to the skew after now is used (17.5 step 3). Catches skew not applied to a list's iat.",
    "Skipped": "No status lists configured: step 19a is skipped and reported as skipped (9.2).",
    "Revoked": "The entry is 1: REVOKED (17.3).",
    "Suspended": "The entry is 2: SUSPENDED (17.3). Catches a 2-bit entry read as a boolean.",
    "UndefinedValue": "The entry is 3, undefined in XC: STATUS_LIST_INVALID (17.3). Catches verifiers that treat any nonzero value alike.",
    "IndexRange": "The credential's index is not less than the list's entry count: STATUS_INDEX (17.5 step 5). Catches reads past the end of the bit array.",
    "NoStatus": "A credential without xc.status at a gate that checks status lists: NO_STATUS (17.5). Catches fail-open handling of credentials without a reference.",
    "ListMissing": "No list held under the credential's issuer and list identifier: STATUS_UNAVAILABLE (17.5 step 2). Catches fail-open gates.",
    "ListTooOld": "The list is older than the maximum age beyond the grace: STATUS_STALE (17.5 step 4). Catches age counted from the fetch time or not at all.",
    "ListExpired": "The list is past its exp plus the skew: STATUS_STALE (17.5 step 4). Catches exp ignored when the maximum age is longer.",
    "ListUntrustedKey": "The list is signed by a key not trusted for its issuer: STATUS_LIST_INVALID (17.4 checks 3 and 5). Catches lists accepted from any trusted key.",
    "ListNameMismatch": "The token's iss or sub differs from the name it is held under: STATUS_LIST_INVALID (17.5 step 3). Catches a gate that trusts its filing over the signed content.",
    "ListFuture": "The list's iat is after now plus the skew: STATUS_LIST_INVALID (17.5 step 3).",
    "ListMalformed": "The token breaks 17.2 or 17.4 (truncated, bad signature, unknown claim, missing exp, bits 4): STATUS_LIST_INVALID.",
    "ListCompression": "lst must be the zlib format (RFC 1950), not raw DEFLATE (17.2). Catches a verifier that reuses the credential's raw inflater.",
    "ListBomb": "lst inflates past 16777216 bytes: STATUS_LIST_INVALID, and a verifier stops inflating at the limit (17.4 check 6, section 10). Catches unbounded decompression.",
    "ListTyp": "The Token Status List's typ header is not allowed: the protected header holds alg and kid only (17.7). Catches a second COSE profile for lists.",
    "TypeConfusion": "A credential held as a list is not a list (17.2). Catches a verifier that does not require the list claims.",
    "Precedence": "Two failures in one credential: the earlier step's code (9.2).",
}


def _held_entry(issuer: str, list_id: str, name: str) -> dict[str, Any]:
    return {"issuer": issuer, "list": list_id, "token": name, "fetchedAt": LISTED_AT + 60}


def build_document() -> dict[str, Any]:
    built = cases()
    used = sorted({name for case in built for _, _, name in case.held})
    tests = []
    for number, case in enumerate(built, start=1):
        options = dict(case.verifier)
        status = options.pop("status", True)
        verifier: dict[str, Any] = {
            "now": options.pop("now", NOW),
            "skew": SKEW,
            "keys": {name: core.KEY_TABLE[name][1] for name in core.TRUSTED},
            "destination": options.pop("destination", None),
            "revoked": options.pop("revoked", []),
            "statusLists": [_held_entry(*held) for held in case.held] if status else None,
            "statusMaxAge": options.pop("status_max_age", MAX_AGE) if status else None,
            "statusGrace": options.pop("status_grace", 0) if status else None,
        }
        assert not options, options
        entry: dict[str, Any] = {"tcId": number, "comment": case.comment, "flags": case.flags, "text": case.text}
        if case.error is None:
            entry["result"] = "valid"
        else:
            entry["result"] = "invalid"
            entry["error"] = case.error
        entry["verifier"] = verifier
        entry["issuance"] = case.issuance
        if case.error is None:
            entry["claims"] = credential.decode(case.text).claims
        tests.append(entry)
    flags = {flag for case in built for flag in case.flags}
    assert flags == set(NOTES), flags ^ set(NOTES)
    return {
        "format": "XC1 status list vectors",
        "formatVersion": 1,
        "schema": "../spec/status-vectors.schema.json",
        "numberOfTests": len(tests),
        "notes": NOTES,
        "templates": {"enrolled": {m: t.hex() for m, t in core.TEMPLATE_SETS["enrolled"].items()}},
        "keys": {name: core.key_entry(name) for name in core.KEY_TABLE},
        "lists": {name: _list_entry(LISTS[name]) for name in used},
        "tests": tests,
    }


def _list_entry(spec: ListSpec) -> dict[str, Any]:
    token = spec.build()
    entry: dict[str, Any] = {"comment": spec.comment, "token": token.hex()}
    if spec.token is None:
        entry["made"] = spec.made()
    return entry


def main(argv: list[str] | None = None) -> int:
    return core.write_or_check(argv, VECTORS, build_document())


if __name__ == "__main__":
    sys.exit(main())
