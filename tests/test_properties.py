"""Properties of the decoder and the verifier (spec sections 5 to 10), checked on generated inputs.

- Whatever the input, ``verify`` and ``decode`` raise nothing but VerificationError.
- Every single-bit flip, deletion, truncation and extension of a valid credential is rejected (or, for
  XC1Z:, leaves the signed COSE message unchanged: DEFLATE has many encodings of one message).
- Issuing generated claims and verifying the text gives the same claims back.
- The strict CBOR decoder agrees with cbor2 on deterministic encodings and rejects every other one.

The example counts keep the module within about a minute on two cores. ``XC_PROPERTIES=thorough``
multiplies them by ten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import unicodedata
from dataclasses import dataclass
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import credential
from credential.base import limits
from credential.base.errors import ErrorCode
from credential.claims import model
from credential.cose import sign1 as cose
from credential.text import base45, cbor, compress
from credential.text import wrap as textlayer

from .vectors import document, vectors

settings.register_profile("xc-ci", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("xc-thorough", parent=settings.get_profile("xc-ci"))
PROFILE = settings.get_profile("xc-thorough" if os.environ.get("XC_PROPERTIES") == "thorough" else "xc-ci")
SCALE = 10 if os.environ.get("XC_PROPERTIES") == "thorough" else 1


def examples(n: int) -> settings:
    return settings(PROFILE, max_examples=n * SCALE)


VALID = [v for v in vectors() if v.valid]
NOW = VALID[0]["verifier"]["now"]
KEYSET = VALID[0].keyset()
PRIVATE = {name: credential.load_private_key(k["privateKeyPem"]) for name, k in document()["keys"].items()}
# Generated claims are issued by HK or MO with the HK test keys: trust them for both.
ANY_ISSUER = credential.KeySet(credential.TrustedKey(PRIVATE[name].public_key(), {"HK", "MO"}) for name in ("hk-ed25519", "hk-es256"))


def rejected(text: str | bytes, **verifier: Any) -> credential.VerificationError:
    """The error ``verify`` raises; fails the test if it accepts or raises anything else."""
    try:
        credential.verify(text, verifier.pop("keys", KEYSET), now=verifier.pop("now", NOW), **verifier)
    except credential.VerificationError as err:
        assert isinstance(err.code, ErrorCode)
        return err
    raise AssertionError(f"accepted: {text!r}")


def only_verification_errors(text: str | bytes) -> None:
    """Both entry points raise nothing but VerificationError; what verifies also decodes, to the same claims."""
    try:
        layers = credential.decode(text)
    except credential.VerificationError as err:
        assert isinstance(err.code, ErrorCode)
        layers = None
    try:
        verified = credential.verify(text, KEYSET, now=NOW)
    except credential.VerificationError as err:
        assert isinstance(err.code, ErrorCode)
        return
    assert layers is not None and layers.claims == verified.claims


# --- anything in, only VerificationError out -----------------------------------------------------

B45 = st.text(alphabet=base45.ALPHABET, max_size=600)
PREFIXES = st.sampled_from(["", "XC1:", "XC1Z:", "XC2:", "xc1:", "XC1Z", "XC1::"])


@examples(1000)
@given(st.one_of(st.text(max_size=800), st.binary(max_size=800), st.builds(str.__add__, PREFIXES, B45)))
def test_arbitrary_input_raises_only_verification_errors(data: str | bytes) -> None:
    only_verification_errors(data)


@examples(800)
@given(st.binary(max_size=700), st.booleans())
def test_arbitrary_cose_bytes_raise_only_verification_errors(raw: bytes, deflate: bool) -> None:
    """Bytes behind a correct prefix reach the CBOR and COSE layers instead of stopping at Base45."""
    only_verification_errors(textlayer.wrap(raw, deflate=deflate))
    only_verification_errors(textlayer.PREFIX_DEFLATED + base45.encode(raw))


def _signed(payload: bytes, protected: bytes | None = None, key: str = "hk-ed25519") -> str:
    private = PRIVATE[key]
    alg = credential.cose.keys.algorithm_for(private)
    if protected is None:
        protected = cose.protected_header(alg.cose_id, credential.kid_of(private))
    return textlayer.wrap(cose.build(protected, payload, alg.sign(private, cose.to_be_signed(protected, payload))))


@examples(600)
@given(st.binary(max_size=400), st.one_of(st.none(), st.binary(max_size=80)))
def test_arbitrary_signed_payloads_raise_only_verification_errors(payload: bytes, protected: bytes | None) -> None:
    """Signed by a trusted key, so the bytes reach the payload's CBOR and the claims model."""
    only_verification_errors(_signed(payload, protected))


def test_huge_inputs_are_refused_before_any_work() -> None:
    for data in ("XC1:" + "0" * 10**6, b"\xff" * 10**6, "\u00e9" * (limits.MAX_TEXT_CHARS + 1)):
        assert rejected(data).code is ErrorCode.LIMIT


# --- every small change to a valid credential is rejected --------------------------------------


def _same_message(mutant: str, original: str) -> bool:
    """True when a mutant text still decodes to the original's COSE message (DEFLATE re-encodings)."""
    try:
        return credential.decode(mutant).cose == credential.decode(original).cose
    except credential.VerificationError:
        return False


def _rejected_unless_same_message(mutant: str, original: str, vector: Any) -> None:
    if _same_message(mutant, original):
        assert original.startswith(textlayer.PREFIX_DEFLATED), "a plain XC1: text has exactly one encoding"
        return
    v = vector["verifier"]
    rejected(mutant, keys=vector.keyset(), now=v["now"], skew=v["skew"])


@pytest.mark.parametrize("vector", VALID, ids=[v.id for v in VALID])
def test_text_mutations_are_rejected(vector: Any) -> None:
    """Every bit flip of every character; every deletion; truncations; extensions (sampled in long texts)."""
    original = vector["text"]
    stride = 1 + len(original) // 600  # every position of a typical credential, a sample of the longest
    for i in range(0, len(original), stride):
        for bit in range(7):
            mutant = original[:i] + chr(ord(original[i]) ^ (1 << bit)) + original[i + 1 :]
            _rejected_unless_same_message(mutant, original, vector)
        _rejected_unless_same_message(original[:i] + original[i + 1 :], original, vector)
    for cut in range(0, len(original), stride):
        _rejected_unless_same_message(original[:cut], original, vector)
    for extra in ("0", "00", "000", " ", "\n", "\x00", "%", "XC1:"):
        _rejected_unless_same_message(original + extra, original, vector)


def _flips(data: bytes) -> list[bytes]:
    out = []
    for i in range(len(data)):
        for bit in range(8):
            mutant = bytearray(data)
            mutant[i] ^= 1 << bit
            out.append(bytes(mutant))
    return out


# One vector of each algorithm, exhaustively: every bit of the COSE message, re-wrapped both ways.
EXHAUSTIVE = [next(v for v in VALID if v.has_flag(alg) and not v.has_flag("Deflated")) for alg in ("Ed25519", "ES256")]


@pytest.mark.parametrize("vector", EXHAUSTIVE, ids=[v.id for v in EXHAUSTIVE])
def test_every_bit_flip_of_the_cose_message_is_rejected(vector: Any) -> None:
    message = credential.decode(vector["text"]).cose
    for mutant in _flips(message):
        rejected(textlayer.wrap(mutant, deflate=False), keys=vector.keyset())
    for mutant in _flips(message)[::7]:
        rejected(textlayer.wrap(mutant, deflate=True), keys=vector.keyset())


@examples(500)
@given(st.sampled_from(VALID), st.data())
def test_cose_deletions_insertions_and_truncations_are_rejected(vector: Any, data: st.DataObject) -> None:
    message = credential.decode(vector["text"]).cose
    i = data.draw(st.integers(0, len(message) - 1))
    j = data.draw(st.integers(i + 1, min(len(message), i + 8)))
    inserted = data.draw(st.binary(min_size=1, max_size=8))
    for mutant in (message[:i] + message[j:], message[:i] + inserted + message[i:], message[:i], message + inserted):
        for deflate in (False, True):
            rejected(textlayer.wrap(mutant, deflate=deflate), keys=vector.keyset())


# --- issue, then verify ------------------------------------------------------------------------

REGIONS = st.sampled_from(sorted(model.REGIONS))
FIRST_DAY, LAST_DAY = model.FIRST_DATE, model.LAST_DATE


def _admissible(text: str) -> bool:
    """Spec 3.2 read from its parts: the published table's refused class, marks, NFC (this Python's
    Unicode data is the table's version, 14.0.0, so whole-string NFC is the rule's NFC)."""
    after_space = True
    for c in text:
        kind = model.name_class(ord(c))
        if kind == "refused" or (kind == "mark" and after_space):
            return False
        after_space = c == " "
    return unicodedata.is_normalized("NFC", text)


def _name(max_chars: int) -> st.SearchStrategy[str]:
    """NFC text of admissible characters (supplementary ones included), inner spaces only."""
    letters = st.characters(exclude_categories=("C", "Z"))
    raw = st.text(st.one_of(letters, st.just(" ")), min_size=1, max_size=max_chars)
    return raw.map(lambda s: unicodedata.normalize("NFC", s)).filter(
        lambda s: 1 <= len(s) <= max_chars and s == s.strip(" ") and _admissible(s)
    )


def _iso(day: dt.date) -> str:
    return day.isoformat()


@st.composite
def claims_strategy(draw: st.DrawFn) -> dict[str, Any]:
    """Valid JSON-view claims, field by field from the claims table (spec section 3)."""
    iat = draw(st.integers(0, model.MAX_TIME - 2))
    nbf = draw(st.one_of(st.none(), st.integers(iat + 1, model.MAX_TIME - 1)))
    start = iat if nbf is None else nbf
    exp = draw(st.integers(start + 1, model.MAX_TIME))
    today = dt.datetime.fromtimestamp(start, dt.timezone(dt.timedelta(hours=8))).date()  # the regions' date (spec 9.3)
    issue_day = dt.datetime.fromtimestamp(iat + model.REGION_UTC_OFFSET, dt.timezone.utc).date()
    # The issuer is one a verifier can trust (a known region); destinations are the other known
    # regions (spec 3.3), so that a gate in any of them can check them.
    issuer = draw(REGIONS)
    destinations = draw(st.lists(REGIONS.filter(lambda r: r != issuer), min_size=1, max_size=8, unique=True))
    residency = draw(st.sampled_from(sorted(model.RESIDENCY.values())))
    modalities = draw(st.lists(st.sampled_from(sorted(model.MODALITIES.values())), min_size=1, max_size=3, unique=True))
    xc: dict[str, Any] = {
        "doc_type": draw(st.sampled_from(sorted(model.DOC_TYPES.values()))),
        "doc_number": draw(st.from_regex(r"[A-Z0-9]{1,16}", fullmatch=True)),
        "residency": residency,
        "destinations": sorted(destinations),
        "channel": draw(st.sampled_from(sorted(model.CHANNELS.values()))),
        "enrolment": draw(st.from_regex(r"[A-Z0-9-]{1,32}", fullmatch=True)),
        "enrolment_expiry": _iso(draw(st.dates(today, LAST_DAY))),
        "biometrics": {m: draw(st.binary(min_size=16, max_size=16)).hex() for m in modalities},
    }
    optional: dict[str, st.SearchStrategy[Any]] = {
        "symbols": st.lists(st.from_regex(r"[A-Z0-9*]{1,3}", fullmatch=True), min_size=1, max_size=8, unique=True),
        "status": st.fixed_dictionaries(
            {"list": st.from_regex(r"[A-Za-z0-9._~:/-]{1,64}", fullmatch=True), "index": st.integers(0, model.MAX_TIME)}
        ),
        "family_name": _name(64),
        "given_name": _name(64),
        "name_zh": _name(32),
        # Not after the day of issue (rule R5), at the day, month or year it names.
        "birth_date": st.one_of(
            st.dates(FIRST_DAY, issue_day).map(_iso),
            st.integers(FIRST_DAY.year, issue_day.year).map(lambda y: f"{y:04d}"),
            st.tuples(st.integers(FIRST_DAY.year, issue_day.year), st.integers(1, 12))
            .filter(lambda t: t <= (issue_day.year, issue_day.month))
            .map(lambda t: f"{t[0]:04d}-{t[1]:02d}"),
        ),
        "extensions": st.dictionaries(
            st.one_of(st.integers(model.FIRST_EXTENSION_KEY, 2**63).filter(lambda k: k not in model.XC.by_key), st.integers(-(2**63), -1)).map(str),
            st.one_of(st.integers(-(2**64), 2**64 - 1), st.text(max_size=8), st.binary(max_size=8)).map(lambda v: cbor.encode(v).hex()),
            min_size=1,
            max_size=3,
        ),
    }
    if residency == "non-permanent":
        optional["stay_limit"] = st.dates(today, LAST_DAY).map(_iso)
    for name, strategy in optional.items():
        if draw(st.booleans()):
            xc[name] = draw(strategy)
    out: dict[str, Any] = {"iss": issuer, "iat": iat, "exp": exp, "cti": draw(st.binary(min_size=8, max_size=16)).hex(), "xc": xc}
    if nbf is not None:
        out["nbf"] = nbf
    return out


@examples(500)
@given(claims_strategy(), st.sampled_from(["hk-ed25519", "hk-es256"]), st.sampled_from([None, True, False]))
def test_issue_then_verify_gives_the_claims_back(claims: dict[str, Any], key: str, deflate: bool | None) -> None:
    text = credential.issue(claims, PRIVATE[key], deflate=deflate, policy=None)
    start = claims.get("nbf", claims["iat"])
    gate = next(r for r in sorted(model.REGIONS) if r != claims["iss"])
    verified = credential.verify(text, ANY_ISSUER, now=start, skew=0, destination=gate)
    assert verified.claims == claims
    assert credential.decode(text).claims == claims
    assert credential.issue(claims, PRIVATE[key], deflate=deflate, policy=None) == text, "issuance is deterministic"


@examples(200)
@given(claims_strategy())
def test_complete_claims_are_the_claims_issue_signs(claims: dict[str, Any]) -> None:
    completed = credential.complete_claims(claims)
    assert completed == claims, "claims already in the JSON view's form come back unchanged"
    key = PRIVATE["hk-ed25519"]
    assert credential.issue(completed, key, policy=None) == credential.issue(claims, key, policy=None)


def _noise(n: int) -> bytes:
    """``n`` bytes that DEFLATE cannot shorten, the same for the same ``n``."""
    return b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n // 32 + 1))[:n]


def _nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


# Extension values that push a credential towards or past every limit a verifier enforces: the text
# length (incompressible bytes), the inflated size (repetitive text), the depth and the item count.
BULKY = st.one_of(
    st.integers(0, 3200).map(_noise),
    st.tuples(st.sampled_from(["MACAU ", "X", "\u9673", "HK-MO "]), st.integers(1, 1500)).map(lambda t: t[0] * t[1]),
    st.integers(0, 8).map(_nested),
    st.integers(0, 64).flatmap(lambda n: st.lists(st.lists(st.integers(0, 3), max_size=n), max_size=n)),
)


def _unchecked_text(claims: dict[str, Any], key: str, deflate: bool | None) -> str:
    """What the issuer's procedure emits before its last step checks the limits (spec 9.1 steps 6 to 10)."""
    private = PRIVATE[key]
    alg = credential.cose.keys.algorithm_for(private)
    payload = cbor.encode(model.to_cbor(claims))
    protected = cose.protected_header(alg.cose_id, credential.kid_of(private))
    return textlayer.wrap(cose.build(protected, payload, alg.sign(private, cose.to_be_signed(protected, payload))), deflate)


@examples(150)
@given(
    claims_strategy(),
    st.dictionaries(st.integers(model.FIRST_EXTENSION_KEY, 40).map(str), BULKY, min_size=1, max_size=3),
    st.sampled_from(["hk-ed25519", "hk-es256"]),
    st.sampled_from([None, True, False]),
)
def test_the_issuer_emits_only_what_its_verifier_accepts(claims: dict[str, Any], bulky: dict[str, Any], key: str, deflate: bool | None) -> None:
    """Spec 9.1 step 11: issued, it verifies; refused, the verifier would have refused it too."""
    claims["xc"]["extensions"] = {k: cbor.encode(v).hex() for k, v in bulky.items()}
    start = claims.get("nbf", claims["iat"])
    try:
        text = credential.issue(claims, PRIVATE[key], deflate=deflate, policy=None)
    except ValueError:
        try:
            unchecked = _unchecked_text(claims, key, deflate)
        except ValueError:
            event("refused: an extension value past the limits on its own")
            return
        event(f"refused: a verifier says {rejected(unchecked, keys=ANY_ISSUER, now=start, skew=0).code.value}")
        return
    event("issued" + (" compressed" if text.startswith(textlayer.PREFIX_DEFLATED) else ""))
    assert credential.verify(text, ANY_ISSUER, now=start, skew=0).claims == claims


# --- the strict CBOR decoder -------------------------------------------------------------------

# Tag numbers that cbor2 leaves as plain tags (it interprets 0-5, 25, 28-30, 35-37, 100, 256, ...).
TAG_NUMBERS = st.one_of(st.integers(6, 24), st.integers(38, 99), st.integers(2**16, 2**64 - 1))
SCALARS = st.one_of(
    st.integers(-(2**64), 2**64 - 1),
    st.binary(max_size=40),
    st.text(max_size=20),
    st.booleans(),
    st.none(),
)
KEYS = st.one_of(st.integers(-(2**64), 2**64 - 1), st.text(max_size=8))


def _values(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return SCALARS
    inner = _values(depth - 1)
    return st.one_of(
        SCALARS,
        st.lists(inner, max_size=4),
        st.dictionaries(KEYS, inner, max_size=4),
        st.builds(cbor.Tag, TAG_NUMBERS, inner),
    )


CBOR_VALUES = _values(limits.MAX_DEPTH - 1)


def _as_cbor2(value: Any) -> Any:
    if isinstance(value, cbor.Tag):
        return cbor2.CBORTag(value.number, _as_cbor2(value.value))
    if isinstance(value, list):
        return [_as_cbor2(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_cbor2(v) for k, v in value.items()}
    return value


def _count(value: Any) -> int:
    if isinstance(value, list):
        return 1 + sum(map(_count, value))
    if isinstance(value, dict):
        return 1 + sum(1 + _count(v) for v in value.values())
    if isinstance(value, cbor.Tag):
        return 1 + _count(value.value)
    return 1


@dataclass
class Item:
    """Where one data item sits in a deterministic encoding."""

    start: int
    head_end: int
    end: int
    major: int
    info: int
    children: list[Item]


def _walk(data: bytes, pos: int = 0) -> Item:
    initial = data[pos]
    major, info = initial >> 5, initial & 0x1F
    size = {24: 1, 25: 2, 26: 4, 27: 8}.get(info, 0)
    arg = info if info < 24 else int.from_bytes(data[pos + 1 : pos + 1 + size], "big")
    head_end = pos + 1 + size
    children: list[Item] = []
    end = head_end
    if major in (2, 3):
        end = head_end + arg
    elif major in (4, 5, 6):
        count = arg if major == 4 else 2 * arg if major == 5 else 1
        for _ in range(count):
            children.append(_walk(data, end))
            end = children[-1].end
    return Item(pos, head_end, end, major, info, children)


def _items(item: Item) -> list[Item]:
    return [item] + [i for child in item.children for i in _items(child)]


def _longer_head(data: bytes, item: Item) -> bytes:
    """The same item with its head one size longer than needed."""
    arg = item.info if item.info < 24 else int.from_bytes(data[item.start + 1 : item.head_end], "big")
    size = {0: 1, 24: 2, 25: 4, 26: 8}[item.info if item.info >= 24 else 0]
    info = {1: 24, 2: 25, 4: 26, 8: 27}[size]
    return data[: item.start] + bytes((item.major << 5 | info,)) + arg.to_bytes(size, "big") + data[item.head_end :]


def _indefinite(data: bytes, item: Item) -> bytes:
    """The same container or string with an indefinite length (a string as one chunk)."""
    if item.major in (2, 3):
        return data[: item.start] + bytes((item.major << 5 | 31,)) + data[item.start : item.end] + b"\xff" + data[item.end :]
    return data[: item.start] + bytes((item.major << 5 | 31,)) + data[item.head_end : item.end] + b"\xff" + data[item.end :]


def _expect(data: bytes, code: ErrorCode) -> None:
    with pytest.raises(cbor.CBORError) as caught:
        cbor.decode(data)
    assert caught.value.code is code, caught.value


@examples(500)
@given(CBOR_VALUES)
def test_deterministic_encodings_round_trip_and_agree_with_cbor2(value: Any) -> None:
    encoded = cbor.encode(value)
    if _count(value) > limits.MAX_ITEMS:
        _expect(encoded, ErrorCode.LIMIT)
        return
    assert cbor.decode(encoded) == value
    assert cbor2.loads(encoded) == _as_cbor2(value)
    # cbor2's own encoding keeps the maps' insertion order: accepted exactly when it is the deterministic one.
    general = cbor2.dumps(_as_cbor2(value))
    if general == encoded:
        assert cbor.decode(general) == value
    else:
        _expect(general, ErrorCode.NOT_DETERMINISTIC)


SMALL_VALUES = _values(3).filter(lambda v: _count(v) < limits.MAX_ITEMS // 2)


@examples(500)
@given(SMALL_VALUES, st.data())
def test_every_non_deterministic_form_is_rejected(value: Any, data: st.DataObject) -> None:
    encoded = cbor.encode(value)
    items = _items(_walk(encoded))
    item = data.draw(st.sampled_from(items))
    # A longer head than needed, for any item but the simple values (there it is not well-formed).
    if item.major != 7 and item.info != 27:
        _expect(_longer_head(encoded, item), ErrorCode.NOT_DETERMINISTIC)
    if item.major in (2, 3, 4, 5):
        _expect(_indefinite(encoded, item), ErrorCode.NOT_DETERMINISTIC)
    maps = [i for i in items if i.major == 5 and i.children]
    if maps:
        m = data.draw(st.sampled_from(maps))
        pairs = [encoded[m.children[k].start : m.children[k + 1].end] for k in range(0, len(m.children), 2)]
        before, after = encoded[: m.start], encoded[m.end :]
        if len(pairs) < limits.MAX_CONTAINER_LENGTH:
            duplicate = _map_head(len(pairs) + 1) + pairs[0] + b"".join(pairs)
            _expect(before + duplicate + after, ErrorCode.NOT_DETERMINISTIC)
        if len(pairs) >= 2:
            swapped = encoded[m.start : m.head_end] + pairs[1] + pairs[0] + b"".join(pairs[2:])
            _expect(before + swapped + after, ErrorCode.NOT_DETERMINISTIC)
    _expect(encoded + data.draw(st.binary(min_size=1, max_size=4)), ErrorCode.CBOR)
    if len(encoded) > 1:
        cut = data.draw(st.integers(1, len(encoded) - 1))
        _expect(encoded[:cut], ErrorCode.CBOR)


def _map_head(n: int) -> bytes:
    return bytes((0xA0 | n,)) if n < 24 else bytes((0xB8, n))


def test_inflate_cap_is_exact() -> None:
    """A stream that inflates to exactly the cap is accepted; one byte more is a bomb (LIMIT)."""
    for size in (limits.MAX_INFLATED_BYTES - 1, limits.MAX_INFLATED_BYTES):
        assert len(compress.inflate(compress.deflate(os.urandom(size)))) == size
        assert len(compress.inflate(compress.deflate(b"\x00" * size))) == size
    for size in range(limits.MAX_INFLATED_BYTES + 1, limits.MAX_INFLATED_BYTES + 300, 7):
        for data in (b"\x00" * size, os.urandom(size)):
            with pytest.raises(compress.InflateLimitError):
                compress.inflate(compress.deflate(data))


# --- the fast reader and the careful reader agree ----------------------------------------------


def _careful(data: bytes) -> Any:
    """What the careful reader makes of ``data``, or the CBORError it raises."""
    decoder = cbor._Decoder(data)
    try:
        value, pos = decoder.item(0, 0)
    except cbor.CBORError as err:
        return err
    if pos != len(data) or decoder.flaw is not None:
        return cbor.CBORError(ErrorCode.CBOR, "rejected", pos)
    return value


@st.composite
def _near_deterministic(draw: st.DrawFn) -> bytes:
    """A deterministic encoding with one byte changed, inserted or removed: mostly the edge of the plain case."""
    data = bytearray(cbor.encode(draw(SMALL_VALUES)))
    i = draw(st.integers(0, len(data) - 1))
    action = draw(st.sampled_from(["change", "insert", "delete"]))
    if action == "change":
        data[i] = draw(st.integers(0, 255))
    elif action == "insert":
        data.insert(i, draw(st.integers(0, 255)))
    elif len(data) > 1:
        del data[i]
    return bytes(data)


@pytest.mark.skipif(not hasattr(cbor, "_fast"), reason="no separate fast reader")
@examples(1500)
@given(st.one_of(st.binary(max_size=120), SMALL_VALUES.map(cbor.encode), _near_deterministic()))
def test_the_fast_reader_returns_only_what_the_careful_reader_accepts(data: bytes) -> None:
    """The fast path may give up (the careful reader then names the flaw) but never return another value."""
    try:
        fast = cbor._fast(data)
    except (cbor._Irregular, RecursionError):
        return
    careful = _careful(data)
    assert not isinstance(careful, cbor.CBORError), f"fast reader accepted {data.hex()}: {careful}"
    assert careful == fast
