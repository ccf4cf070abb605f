"""Generate the presentation vectors (spec section 14.7): test-vectors/presentations.json.

    python test-vectors/presentations.py          # rewrite test-vectors/presentations.json
    python test-vectors/presentations.py --check  # exit 1 if the file differs from what this code makes

Each case is one gate (one verifier configuration, one replay cache) and the scans it reads in order,
each with its time and its one required result. Device keys are fixed, and the device signs with
deterministic ECDSA (RFC 6979, low-S) as the issuer does, so the file is the same on every run.
Issuer keys, templates and sample claims come from generate.py.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate as g  # noqa: E402  (the shared keys, claims and helpers of the core vectors)

import credential  # noqa: E402
from credential import qr
from credential.claims import device
from credential.cose import keys
from credential.cose import sign1 as cose
from credential.gate import presentation as present
from credential.gate.replay import MAX_PRESENTATION_SKEW  # noqa: E402
from credential.gate.verify import DEFAULT_PRESENTATION_SKEW  # noqa: E402
from credential.text import base45, cbor
from credential.text import wrap as textlayer  # noqa: E402

HERE = g.HERE
VECTORS = HERE / "presentations.json"
QR_DIR = g.QR_DIR

MADE = g.NOW + 3  # when the holder's phone makes the presentation: 3 s into a step
STEP = present.step_of(MADE)
START, END = present.window(STEP)
SCANNED = MADE + 2  # when the gate reads it
PSKEW = DEFAULT_PRESENTATION_SKEW
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

DEVICE_KEYS = {name: g._make_key(name, "ES256") for name in ("device-holder", "device-other")}


def _bound(profile: str = "minimal", device_key: str | None = "device-holder", **top: Any) -> dict[str, Any]:
    claims = g.claims(profile)
    if device_key is not None:
        claims["cnf"] = device.cnf_view(DEVICE_KEYS[device_key])
    return g.with_top(claims, **top)


# name: (claims, issuer key, deflate); every credential binds the enrolled templates.
CREDENTIALS: dict[str, tuple[dict[str, Any], str, bool | None]] = {
    "bound-full": (_bound("full"), "hk-ed25519", None),
    "bound-minimal-es256": (_bound("minimal", cti="5f1e0c7a9b3d246a"), "hk-es256", None),
    "bound-reissued": (_bound("minimal", cti="5f1e0c7a9b3d2469"), "hk-ed25519", None),
    "bound-deflated": (_bound("minimal"), "hk-ed25519", True),
    "bound-expired": (_bound("minimal", iat=g.NOW - 7200, exp=g.NOW - 3600), "hk-ed25519", None),
    "bound-repetitive": (
        g.with_top(g.claims("full", family_name="DOS SANTOS DOS SANTOS DOS SANTOS", given_name="MARIA DA CONCEIÇÃO DOS SANTOS",
                            extensions={"30": cbor.encode("MACAU " * 10).hex()}), cnf=device.cnf_view(DEVICE_KEYS["device-holder"])),
        "hk-ed25519",
        None,
    ),
    "unbound": (_bound("minimal", None), "hk-ed25519", None),
    "unbound-es256": (_bound("full", None), "hk-es256", None),
    "bound-mo": (g.with_top(g.claims("minimal", "MO"), cnf=device.cnf_view(DEVICE_KEYS["device-other"])), "mo-es256", None),
}
TEXTS = {
    name: credential.issue(c, g.KEYS[key], templates=g.TEMPLATE_SETS["enrolled"], deflate=deflate, policy=None)
    for name, (c, key, deflate) in CREDENTIALS.items()
}


def message_of(name: str) -> bytes:
    return textlayer.unwrap(TEXTS[name]).message


@dataclass
class Scan:
    text: str
    now: int = SCANNED
    error: str | None = None  # None: valid
    made: dict[str, Any] | None = None  # how present() made the text, to reproduce it byte for byte
    down: bool = False  # read while the gate's replay cache cannot be reached (spec 9.6)


@dataclass
class Case:
    comment: str
    flags: list[str]
    scans: list[Scan]
    verifier: dict[str, Any] = field(default_factory=dict)
    qr: bool = False


def made(credential_name: str = "bound-full", device_key: str = "device-holder", now: int = MADE, destination: str = "MO", deflate: bool | None = None) -> Scan:
    """A scan of a presentation made by the public present()."""
    text = credential.present(TEXTS[credential_name], DEVICE_KEYS[device_key], now=now, destination=destination, deflate=deflate)
    return Scan(text, made={"credential": credential_name, "deviceKey": device_key, "now": now, "destination": destination, "deflate": deflate})


def signed(credential_message: bytes, step: int = STEP, destination: str = "MO", device_key: str = "device-holder") -> bytes:
    """A presentation message signed by a device key, for credentials present() would refuse."""
    return present.build(credential_message, step, destination, DEVICE_KEYS[device_key])


def text_of(message: bytes) -> str:
    return present.wrap(message)


def assembled(payload: bytes, signature: bytes, protected: bytes = present.PROTECTED, unprotected: bytes = b"\xa0", tag: bytes = b"\xd2") -> str:
    """A presentation assembled byte by byte, so that one flaw can be placed anywhere in it."""
    return text_of(tag + b"\x84" + cbor.encode(protected) + unprotected + cbor.encode(payload) + cbor.encode(signature))


def device_signature(payload: bytes, protected: bytes = present.PROTECTED, device_key: str = "device-holder") -> bytes:
    return present.DEVICE_ALG.sign(DEVICE_KEYS[device_key], cose.to_be_signed(protected, payload))


def high_s(signature: bytes) -> bytes:
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    return r.to_bytes(32, "big") + (P256_N - s).to_bytes(32, "big")


def _cnf_claims(cose_key: Any) -> bytes:
    """Claims bound with a hand-made cnf value, signed by the HK key (the claims model would refuse it)."""
    value = credential.claims.model.to_cbor(g.bound(_bound("minimal", None)))
    value[device.CNF_CLAIM] = cose_key
    return g.message("hk-ed25519", cbor.encode(value))


# --- the cases -------------------------------------------------------------------------------


def cases() -> list[Case]:
    out: list[Case] = []
    holder = DEVICE_KEYS["device-holder"].public_key()
    x = bytes.fromhex(device.cnf_view(holder)["cose_key"]["x"])
    y_odd = device.cnf_view(holder)["cose_key"]["y"]

    def add(comment: str, flags: list[str], *scans: Scan, qr_png: bool = False, **verifier: Any) -> None:
        out.append(Case(comment, flags, list(scans), verifier, qr_png))

    def fail(text: str, error: str, now: int = SCANNED) -> Scan:
        return Scan(text, now, error)

    def at(scan: Scan, now: int, error: str | None = None) -> Scan:
        return Scan(scan.text, now, error, scan.made)

    def down(scan: Scan, now: int, error: str = "REPLAY_CACHE_UNAVAILABLE") -> Scan:
        """``scan`` read at ``now`` while the gate's replay cache cannot be reached."""
        return Scan(scan.text, now, error, scan.made, down=True)

    good = made()
    good_message = base45.decode(good.text[len(textlayer.PREFIX_PRESENTATION) :])
    good_payload = present.parse(good_message).payload
    good_signature = present.parse(good_message).signature

    def payload(credential_message: bytes = message_of("bound-full"), step: Any = STEP, destination: Any = "MO") -> bytes:
        return cbor.encode([credential_message, step, destination])

    def resigned(content: bytes) -> str:
        return assembled(content, device_signature(content))

    # Valid.
    add("full profile presented at an MO gate, every check configured", ["Valid", "FullProfile", "Replay"], good, qr_png=True,
        destination="MO", channel="e-channel", templates="enrolled", replayCapacity=1000)
    add("minimal profile, ES256 issuer, no optional check configured", ["Valid", "MinimalProfile", "ES256"], made("bound-minimal-es256"))
    add("a credential issued as XC1Z: is presented as its inflated message", ["Valid", "DeflatedCredential"], made("bound-deflated"))
    add("repetitive names: DEFLATE shortens the presentation, so the rule picks XP1Z:", ["Valid", "DeflatedPresentation"], made("bound-repetitive"))
    add("DEFLATE forced although it lengthens the text: gates accept it", ["Valid", "DeflatedPresentation"], made(deflate=True))
    add("first second of the window: step start minus the skew", ["Valid", "WindowBoundary"], at(good, START - PSKEW))
    add("last second of the window: step end plus the skew, minus one", ["Valid", "WindowBoundary"], at(good, END + PSKEW - 1))
    add("zero skew, last second of the step", ["Valid", "WindowBoundary"], at(good, END - 1), presentationSkew=0)
    add("a credential without cnf, shown by itself at a gate that does not require presentations", ["Valid", "BareUnbound"], Scan(TEXTS["unbound"]))
    add("the same credential in the next step at the same gate: a new presentation, not a replay", ["Valid", "Replay"],
        good, at(made(now=MADE + 10), SCANNED + 10), replayCapacity=1000, destination="MO")
    dropped = END + 2 * MAX_PRESENTATION_SKEW  # the largest skew, then the clock allowance (9.6)
    later = made("bound-reissued", now=dropped)
    add("a replay cache of one entry: the second presentation is recorded once the first entry is no longer live", ["Valid", "ReplayExpiry"],
        good, at(later, dropped), replayCapacity=1)
    add("a refused presentation is not recorded: the same text read again inside its window passes", ["Valid", "Replay", "RecordLast"],
        at(good, START - PSKEW - 1, "PRESENTATION_NOT_YET_VALID"), good, replayCapacity=1000)

    # The time window.
    add("stale: the first second after step end plus the skew", ["PresentationExpired", "WindowBoundary"], at(good, END + PSKEW, "PRESENTATION_EXPIRED"))
    add("stale: a presentation made an hour earlier (a screenshot)", ["PresentationExpired"], at(made(now=MADE - 3600), SCANNED, "PRESENTATION_EXPIRED"))
    add("zero skew, the first second after the step", ["PresentationExpired", "WindowBoundary"], at(good, END, "PRESENTATION_EXPIRED"), presentationSkew=0)
    add("future: one second before step start minus the skew", ["PresentationNotYetValid", "WindowBoundary"], at(good, START - PSKEW - 1, "PRESENTATION_NOT_YET_VALID"))
    add("future: a step an hour ahead of the gate", ["PresentationNotYetValid"], at(made(now=MADE + 3600), SCANNED, "PRESENTATION_NOT_YET_VALID"))
    add("zero skew, one second before the step starts", ["PresentationNotYetValid", "WindowBoundary"], at(good, START - 1, "PRESENTATION_NOT_YET_VALID"), presentationSkew=0)

    # The device signature.
    add("signed by a device key the credential does not bind", ["WrongDeviceKey"], fail(text_of(signed(message_of("bound-full"), device_key="device-other")), "DEVICE_SIGNATURE"))
    add("the device signature of one credential's presentation around another credential of the same holder", ["OtherCredential"],
        fail(assembled(payload(message_of("bound-reissued")), good_signature), "DEVICE_SIGNATURE"))
    add("the step changed after signing", ["TamperedWrapper"], fail(assembled(payload(step=STEP + 1), good_signature), "DEVICE_SIGNATURE", SCANNED + 10))
    add("the destination changed after signing", ["TamperedWrapper"], fail(assembled(payload(destination="HK"), good_signature), "DEVICE_SIGNATURE"))
    add("one bit of the device signature flipped", ["TamperedWrapper"], fail(assembled(good_payload, g.flip(good_signature, 10)), "DEVICE_SIGNATURE"))
    add("device signature in high-S form", ["DeviceSignatureHighS"], fail(assembled(good_payload, high_s(good_signature)), "DEVICE_SIGNATURE"))
    add("device signature of 63 bytes", ["DeviceSignatureLength"], fail(assembled(good_payload, good_signature[:63]), "DEVICE_SIGNATURE"))
    add("device signature in DER form", ["DeviceSignatureLength"],
        fail(assembled(good_payload, encode_dss_signature(int.from_bytes(good_signature[:32], "big"), int.from_bytes(good_signature[32:], "big"))), "DEVICE_SIGNATURE"))
    add("device signature valid but stale and for another destination: the signature, then the time, then the destination",
        ["PresentationExpired", "Precedence"], at(made(destination="HK"), END + PSKEW, "PRESENTATION_EXPIRED"), destination="MO")
    add("wrong device key and stale: the signature is checked first", ["WrongDeviceKey", "Precedence"],
        fail(text_of(signed(message_of("bound-full"), device_key="device-other")), "DEVICE_SIGNATURE", END + PSKEW))

    # Replay.
    add("the same presentation twice at one gate within its window", ["Replay"], good, at(good, SCANNED + 5, "REPLAY"), replayCapacity=1000)
    add("the same presentation twice, the second at the last second of the window", ["Replay", "WindowBoundary"], good, at(good, END + PSKEW - 1, "REPLAY"), replayCapacity=1000)
    add("the same credential and step presented again with another destination: same identity, a replay", ["Replay"],
        made(destination="MO"), at(made(destination="HK"), SCANNED + 1, "REPLAY"), replayCapacity=1000)
    add("a replay cache of one live entry is full: a second credential is refused, fail closed", ["ReplayCacheFull"],
        good, at(made("bound-reissued"), SCANNED + 1, "REPLAY_CACHE_FULL"), replayCapacity=1)
    add("a full cache at the last second its one entry is live", ["ReplayCacheFull", "ReplayExpiry", "WindowBoundary"],
        good, at(made("bound-reissued", now=dropped - 1), dropped - 1, "REPLAY_CACHE_FULL"), replayCapacity=1)
    add("a cache of two: the third credential is refused while the first two are live", ["ReplayCacheFull"],
        good, at(made("bound-reissued"), SCANNED + 1), at(made("bound-minimal-es256"), SCANNED + 2, "REPLAY_CACHE_FULL"), replayCapacity=2)
    add("a replay and a full cache at once: the replay is named", ["Replay", "ReplayCacheFull", "Precedence"],
        good, at(good, SCANNED + 1, "REPLAY"), replayCapacity=1)

    # Bare credentials and unbound credentials.
    add("a credential that binds a device key, shown by itself", ["BareBound"], fail(TEXTS["bound-full"], "PRESENTATION_REQUIRED"))
    add("an ES256-signed bound credential shown by itself, at a gate that does not require presentations", ["BareBound", "ES256"],
        fail(TEXTS["bound-minimal-es256"], "PRESENTATION_REQUIRED"))
    add("a bound credential shown by itself in its XC1Z: form", ["BareBound", "DeflatedCredential"], fail(TEXTS["bound-deflated"], "PRESENTATION_REQUIRED"))
    add("a credential without cnf at a gate that requires presentations", ["BareUnbound", "RequirePresentation"],
        fail(TEXTS["unbound"], "PRESENTATION_REQUIRED"), requirePresentation=True)
    add("a presentation around a credential that binds no device key", ["NotBound"], fail(text_of(signed(message_of("unbound"))), "NOT_BOUND"))
    add("an unbound ES256-signed credential presented with another device key", ["NotBound", "ES256"],
        fail(text_of(signed(message_of("unbound-es256"), device_key="device-other")), "NOT_BOUND"))
    add("an unbound credential in a deflated presentation, at a gate that requires presentations", ["NotBound", "DeflatedPresentation", "RequirePresentation"],
        fail(present.wrap(signed(message_of("unbound")), deflate=True), "NOT_BOUND"), requirePresentation=True)

    # The destination.
    add("presented for HK, read at an MO gate", ["WrongDestination"], fail(made(destination="HK").text, "DESTINATION_MISMATCH"), destination="MO")
    add("a Macau credential for HK presented for MO, read at an HK gate", ["WrongDestination", "ES256"],
        fail(made("bound-mo", "device-other", destination="MO").text, "DESTINATION_MISMATCH"), destination="HK")
    add("presented for MO at an HK gate, for a credential that does not admit to HK: the presentation's destination is checked first",
        ["WrongDestination", "Precedence"], fail(good.text, "DESTINATION_MISMATCH"), destination="HK")
    add("presented for HK at a gate with no destination configured: not checked", ["Valid", "WrongDestination"], made(destination="HK"))
    add("a Macau credential presented for HK at an HK gate", ["Valid", "ES256"], made("bound-mo", "device-other", destination="HK"), destination="HK")
    # XX is no region of the table (3.3): present() refuses it, so these are signed by the device key directly.
    add("presented for XX, a code of two capitals outside the region table, at a gate with no destination configured: not checked (9.6)",
        ["Valid", "WrongDestination"], Scan(text_of(signed(message_of("bound-full"), destination="XX"))))
    add("presented for XX, a code outside the region table, at an MO gate", ["WrongDestination"],
        fail(text_of(signed(message_of("bound-full"), destination="XX")), "DESTINATION_MISMATCH"), destination="MO")
    add("a device signature of 65 bytes", ["DeviceSignatureLength"], fail(assembled(good_payload, good_signature + b"\x00"), "DEVICE_SIGNATURE"))
    add("an empty device signature", ["DeviceSignatureLength"], fail(assembled(good_payload, b""), "DEVICE_SIGNATURE"))

    # The inner credential's own steps run first.
    add("the credential inside has expired", ["InnerCredential"], fail(text_of(signed(message_of("bound-expired"))), "EXPIRED"))
    inner = bytearray(message_of("bound-full"))
    inner[-70] ^= 1  # a byte of the claims: the issuer's signature no longer verifies
    add("one bit of the credential's claims flipped inside a correctly device-signed presentation", ["InnerCredential"],
        fail(text_of(signed(bytes(inner))), "SIGNATURE"))
    add("the credential inside is not CBOR", ["InnerCredential"], fail(resigned(payload(b"\xff\xff")), "CBOR"))
    add("the credential inside is an XC1: text instead of the message", ["InnerCredential", "PresentationStructure"],
        fail(resigned(payload(TEXTS["bound-full"].encode())), "CBOR"))

    # The presentation's structure.
    add("protected header with alg EdDSA", ["PresentationStructure"], fail(assembled(good_payload, good_signature, protected=cbor.encode({1: -8})), "PRESENTATION"))
    add("protected header with a kid", ["PresentationStructure"], fail(assembled(good_payload, good_signature, protected=cbor.encode({1: -7, 4: b"\x00" * 8})), "PRESENTATION"))
    add("empty protected header", ["PresentationStructure"], fail(assembled(good_payload, good_signature, protected=b""), "PRESENTATION"))
    add("unprotected header not empty", ["PresentationStructure"], fail(assembled(good_payload, good_signature, unprotected=cbor.encode({4: b"\x00" * 8})), "PRESENTATION"))
    add("untagged", ["PresentationStructure"], fail(assembled(good_payload, good_signature, tag=b""), "PRESENTATION"))
    add("tag 61 instead of 18", ["PresentationStructure"], fail(assembled(good_payload, good_signature, tag=b"\xd8\x3d"), "PRESENTATION"))
    add("payload array of two items", ["PresentationStructure"], fail(resigned(cbor.encode([message_of("bound-full"), STEP])), "PRESENTATION"))
    add("payload array of four items", ["PresentationStructure"], fail(resigned(cbor.encode([message_of("bound-full"), STEP, "MO", 0])), "PRESENTATION"))
    add("payload a map", ["PresentationStructure"], fail(resigned(cbor.encode({1: message_of("bound-full"), 2: STEP, 3: "MO"})), "PRESENTATION"))
    add("credential as the embedded COSE_Sign1 item, not a byte string", ["PresentationStructure"],
        fail(resigned(b"\x83" + message_of("bound-full") + cbor.encode(STEP) + cbor.encode("MO")), "PRESENTATION"))
    add("negative step", ["PresentationStructure"], fail(resigned(payload(step=-1)), "PRESENTATION"))
    add("step as text", ["PresentationStructure"], fail(resigned(payload(step=str(STEP))), "PRESENTATION"))
    add("step beyond the last time a claim can hold", ["PresentationStructure"], fail(resigned(payload(step=present.MAX_STEP + 1)), "PRESENTATION"))
    add("destination in lowercase", ["PresentationStructure"], fail(resigned(payload(destination="mo")), "PRESENTATION"))
    add("step in a nine-byte head", ["PresentationStructure", "NotDeterministic"],
        fail(resigned(b"\x83" + cbor.encode(message_of("bound-full")) + b"\x1b" + STEP.to_bytes(8, "big") + cbor.encode("MO")), "NOT_DETERMINISTIC"))
    add("trailing byte after the presentation", ["PresentationStructure"],
        fail(text_of(base45.decode(good.text[4:]) + b"\x00"), "CBOR"))

    # The prefix.
    add("presentation of version 2", ["Prefix"], fail(good.text.replace("XP1:", "XP2:", 1), "VERSION"))
    add("lowercase prefix", ["Prefix"], fail(good.text.replace("XP1:", "xp1:", 1), "PREFIX"))
    add("a plain presentation behind the compressed prefix", ["Prefix"], fail(good.text.replace("XP1:", "XP1Z:", 1), "INFLATE"))
    add("compressed presentation of version 2", ["Prefix"], fail(made(deflate=True).text.replace("XP1Z:", "XP2Z:", 1), "VERSION"))
    add("doubled Z", ["Prefix"], fail(made(deflate=True).text.replace("XP1Z:", "XP1ZZ:", 1), "PREFIX"))

    # The cnf claim (spec 3.1): CLAIMS (step 15) comes before any device check.
    def cose_key(**changes: Any) -> dict[int, Any]:
        value: dict[int, Any] = {1: 2, -1: 1, -2: x, -3: y_odd}
        for label, item in changes.items():
            number = {"kty": 1, "crv": -1, "x": -2, "y": -3, "kid": 2}[label]
            if item is None:
                del value[number]
            else:
                value[number] = item
        return value

    numbers = holder.public_numbers()
    for comment, value in (
        ("an Ed25519 (OKP) device key", {1: {1: 1, -1: 6, -2: x}}),
        ("the y-coordinate in full instead of its sign", {1: cose_key(y=numbers.y.to_bytes(32, "big"))}),
        ("x not on the curve (no y satisfies the curve equation for x = 1)", {1: cose_key(x=(1).to_bytes(32, "big"))}),
        ("x equal to the field prime (not reduced)", {1: cose_key(x=bytes.fromhex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"))}),
        ("x of 33 bytes (with the SEC 1 prefix)", {1: cose_key(x=b"\x02" + x)}),
        ("curve P-384", {1: cose_key(crv=2)}),
        ("a key identifier in the COSE_Key", {1: cose_key(kid=b"\x01")}),
        ("y missing", {1: cose_key(y=None)}),
        ("the kid confirmation method instead of a key", {3: b"\x01\x02"}),
        ("an empty confirmation map", {}),
    ):
        add(f"cnf with {comment}", ["CnfForm"], fail(text_of(signed(_cnf_claims(value))), "CLAIMS"))
    # The replay cache unreachable (spec 9.6), last so that the numbers of the cases before stay.
    add("the replay cache cannot be reached: the presentation is refused, and the traveller is not blamed", ["ReplayCacheUnavailable"],
        down(good, SCANNED), replayCapacity=1000)
    add("accepted, then read again while the cache is down: the gate cannot tell a replay, and says so", ["ReplayCacheUnavailable", "Replay"],
        good, down(good, SCANNED + 1), replayCapacity=1000)
    add("a full cache that cannot be reached: it was not consulted, so not full but unavailable", ["ReplayCacheUnavailable", "ReplayCacheFull"],
        good, down(made("bound-reissued"), SCANNED + 1), replayCapacity=1)
    add("refused while the cache was down, so not recorded: accepted once it is back, then a replay", ["ReplayCacheUnavailable", "Replay"],
        down(good, SCANNED), at(good, SCANNED + 1), at(good, SCANNED + 2, "REPLAY"), replayCapacity=1000)
    add("accepted before the cache went down: still a replay after it is back", ["ReplayCacheUnavailable", "Replay"],
        good, down(good, SCANNED + 1), at(good, SCANNED + 2, "REPLAY"), replayCapacity=1000)
    add("an expired presentation while the cache is down: the earlier step's code, since step 21b is last",
        ["ReplayCacheUnavailable", "PresentationExpired", "Precedence"], down(good, END + PSKEW, "PRESENTATION_EXPIRED"), replayCapacity=1000)
    return out


NOTES = {
    "Valid": "A presentation (or credential) every conforming gate accepts with the given configuration.",
    "FullProfile": "A full-profile credential inside (spec 3.5).",
    "MinimalProfile": "A minimal-profile credential inside (spec 3.5).",
    "ES256": "The credential inside is signed with ES256 (the device always signs with ES256).",
    "DeflatedCredential": "The credential text was XC1Z:; the presentation carries its inflated message (spec 4.5). Catches wrappers that carry the text or the DEFLATE bytes.",
    "DeflatedPresentation": "The XP1Z: prefix: a presentation in raw DEFLATE (spec 6, 7.1).",
    "WindowBoundary": "The exact first and last seconds of the window of spec 9.6. Catches off-by-one comparisons and a skew applied on one side only.",
    "BareUnbound": "A credential without cnf shown by itself (spec 9.6). Accepted unless the gate requires presentations.",
    "BareBound": "A credential with cnf shown by itself: a screenshot of the credential, or an app that skipped the presentation (spec 9.6). Catches gates that accept a bound credential without its device signature.",
    "RequirePresentation": "The gate's configuration refuses every bare credential (spec 9.2, 9.6).",
    "NotBound": "A presentation around a credential that binds no key: anyone could have made it (spec 9.6). Catches gates that report a device check that proved nothing.",
    "Replay": "Several scans at one gate sharing one replay cache (spec 9.6). Catches caches keyed on the text or the signature bytes, and caches that record before the last step.",
    "RecordLast": "A refused presentation leaves no entry (step 21b is last).",
    "ReplayExpiry": "An entry stays live until the step can no longer be accepted with the largest presentation skew (60 s), plus the 60 s by which the clocks of gates sharing a cache may differ (spec 9.6). Catches caches that never forget, and caches that forget by the recording gate's own skew or clock.",
    "ReplayCacheFull": "A full replay cache refuses rather than forgets (spec 9.6). Catches caches that evict live entries, which would let a replay through.",
    "ReplayCacheUnavailable": "A scan with replayCacheDown is read while the gate's replay cache cannot be reached: the gate refuses it with REPLAY_CACHE_UNAVAILABLE and records nothing, and the cache serves again at the next scan (spec 9.6). Catches gates that accept when their cache fails, and caches that lose entries in an outage.",
    "PresentationExpired": "A time step that has left the window: a screenshot, or a phone clock far behind (spec 9.6).",
    "PresentationNotYetValid": "A time step ahead of the window: a phone clock far ahead, or a presentation made in advance (spec 9.6).",
    "WrongDeviceKey": "Signed by a key the credential does not bind (spec 9.6). Catches gates that trust a key carried with the presentation.",
    "OtherCredential": "A device signature moved to another credential of the same device (spec 4.5). Catches signatures over the cti alone or over anything less than the whole credential.",
    "TamperedWrapper": "A signed part of the wrapper changed (spec 4.5). Catches gates that do not verify the device signature over the payload as transmitted.",
    "DeviceSignatureHighS": "An ECDSA signature with s above n/2 (spec 4.5, 4.2). Catches gates without the low-S rule.",
    "DeviceSignatureLength": "A device signature that is not 64 bytes r || s (spec 4.5). Catches DER-accepting verifiers.",
    "Precedence": "Two defects: the first failing check in the order of spec 9.2 gives the code.",
    "WrongDestination": "A presentation made for another region's gates (spec 9.6). Checked only when the gate's destination is configured.",
    "InnerCredential": "The credential inside fails its own steps (6 to 18), which run before the device check.",
    "PresentationStructure": "The presentation is not the one COSE_Sign1 shape of spec 4.5 (steps 5a to 5d).",
    "NotDeterministic": "Well-formed CBOR not in deterministic encoding inside the presentation (spec 5.2).",
    "Prefix": "The presentation prefixes XP1: and XP1Z: and their neighbours (spec 7.1). Catches prefix tests that guess compression from the content.",
    "CnfForm": "A cnf claim that is not one P-256 COSE_Key in compressed form (spec 3.1). Catches gates that accept other key types or unchecked points.",
}


def layers_of(text: str) -> dict[str, Any] | None:
    """The presentation's layers, when its structure can be read at all."""
    try:
        unwrapped = textlayer.unwrap(text)
        if unwrapped.prefix not in textlayer.PRESENTATION_PREFIXES:
            return None
        shown = present.parse(unwrapped.message)
    except credential.VerificationError:
        return None
    return {
        "base45": unwrapped.base45,
        "deflated": None if unwrapped.deflated is None else unwrapped.deflated.hex(),
        "message": unwrapped.message.hex(),
        "protected": present.PROTECTED.hex(),
        "payload": shown.payload.hex(),
        "credential": shown.credential.hex(),
        "step": shown.step,
        "destination": shown.destination,
        "signature": shown.signature.hex(),
        "toBeSigned": shown.to_be_signed.hex(),
    }


def device_key_entry(name: str) -> dict[str, Any]:
    key = DEVICE_KEYS[name]
    return {
        "alg": "ES256",
        "privateKeyPem": keys.private_key_to_pem(key).decode(),
        "publicKeyPem": keys.public_key_to_pem(key).decode(),
        "cnf": device.cnf_view(key),
    }


def credential_entry(name: str) -> dict[str, Any]:
    claims, key, deflate = CREDENTIALS[name]
    return {"text": TEXTS[name], "key": key, "claims": claims, "templates": "enrolled", "deflate": deflate}


def _scan_entry(scan: Scan) -> dict[str, Any]:
    entry: dict[str, Any] = {"text": scan.text, "now": scan.now}
    if scan.error is None:
        entry["result"] = "valid"
    else:
        entry["result"] = "invalid"
        entry["error"] = scan.error
    if scan.made is not None:
        entry["made"] = scan.made
    if scan.down:
        entry["replayCacheDown"] = True
    layers = layers_of(scan.text)
    if layers is not None:
        entry["layers"] = layers
    return entry


def build_document() -> tuple[dict[str, Any], dict[str, bytes]]:
    tests = []
    images: dict[str, bytes] = {}
    for number, case in enumerate(cases(), start=1):
        verifier = {
            "skew": g.SKEW,
            "presentationSkew": PSKEW,
            "keys": {name: g.KEY_TABLE[name][1] for name in g.TRUSTED},
            "destination": None,
            "channel": None,
            "revoked": [],
            "templates": None,
            "requirePresentation": False,
            "replayCapacity": None,
        }
        verifier.update(case.verifier)
        scans = [_scan_entry(scan) for scan in case.scans]
        last = scans[-1]
        entry: dict[str, Any] = {"tcId": number, "comment": case.comment, "flags": case.flags, "verifier": verifier, "scans": scans}
        for index, scan in enumerate(scans):  # what the gate returns with every valid scan (spec 14.7)
            if scan["result"] == "valid":
                scan.update(g.verified_members(verify_scan(entry, index)))
        entry["result"] = last["result"]
        if "error" in last:
            entry["error"] = last["error"]
        else:
            entry["form"] = last["form"]
            entry["claims"] = last["claims"]
        if case.qr:
            name = f"qr/xp{number:04d}.png"
            images[name] = qr.render(case.scans[-1].text, box=4)
            entry["qr"] = name
        tests.append(entry)
    document = {
        "format": "XP1 presentation vectors",
        "formatVersion": 1,
        "schema": "../spec/presentations.schema.json",
        "numberOfTests": len(tests),
        "notes": NOTES,
        "stepSeconds": present.STEP_SECONDS,
        "templates": {name: {m: t.hex() for m, t in ts.items()} for name, ts in g.TEMPLATE_SETS.items()},
        "keys": {name: g.key_entry(name) for name in g.KEY_TABLE},
        "deviceKeys": {name: device_key_entry(name) for name in DEVICE_KEYS},
        "credentials": {name: credential_entry(name) for name in CREDENTIALS},
        "tests": tests,
    }
    return document, images


class Switchable(credential.ReplayCache):
    """A gate's replay cache that can be taken down for a scan (``replayCacheDown``): it then fails
    as an unreachable store does."""

    def __init__(self, cache: credential.ReplayCache) -> None:
        self.cache, self.capacity, self.down = cache, cache.capacity, False

    def check_and_record(self, key: str, now: int, expires: int) -> Any:
        if self.down:
            raise credential.ReplayCacheError("replay cache: connection refused")
        return self.cache.check_and_record(key, now, expires)

    def peek(self, key: str, now: int) -> Any:
        if self.down:
            raise credential.ReplayCacheError("replay cache: connection refused")
        return self.cache.peek(key, now)


def verifier_of(entry: dict[str, Any], public_keys: dict[str, str]) -> credential.Verifier:
    """The gate of one case, with a fresh replay cache (spec 14.7)."""
    v = entry["verifier"]
    trust = credential.KeySet(credential.TrustedKey(public_keys[name].encode(), frozenset(issuers)) for name, issuers in v["keys"].items())
    return credential.Verifier(
        trust,
        destination=v["destination"],
        channel=v["channel"],
        skew=v["skew"],
        revoked={bytes.fromhex(c) for c in v["revoked"]},
        replay=None if v["replayCapacity"] is None else Switchable(credential.MemoryReplayCache(v["replayCapacity"])),
        presentation_skew=v["presentationSkew"],
        require_presentation=v["requirePresentation"],
    )


def verify_scan(entry: dict[str, Any], index: int) -> credential.VerifiedCredential:
    """Run the scans of a case up to ``index`` at one gate and return the last one's result."""
    gate = verifier_of(entry, {name: g.key_entry(name)["publicKeyPem"] for name in g.KEY_TABLE})
    templates = entry["verifier"]["templates"]
    bound = g.TEMPLATE_SETS[templates] if templates else None
    for scan in entry["scans"][:index]:
        if isinstance(gate.replay, Switchable):
            gate.replay.down = scan.get("replayCacheDown", False)
        try:
            gate.verify(scan["text"], now=scan["now"], templates=bound)
        except credential.VerificationError:
            pass
    scan = entry["scans"][index]
    if isinstance(gate.replay, Switchable):
        gate.replay.down = scan.get("replayCacheDown", False)
    return gate.verify(scan["text"], now=scan["now"], templates=bound)


def serialize(document: dict[str, Any]) -> str:
    return g.serialize(document)


def main(argv: list[str] | None = None) -> int:
    document, images = build_document()
    return g.write_or_check(argv, VECTORS, document, images, "xp")


if __name__ == "__main__":
    sys.exit(main())
