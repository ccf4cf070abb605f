"""Coverage-guided fuzzing of the verifier (spec sections 5 to 10): only VerificationError may escape.

    python fuzz/fuzz_verify.py CORPUS_DIR fuzz/seeds -max_total_time=60     # or: make fuzz

The first input byte picks what the rest of the input is, so that the fuzzer reaches every layer
instead of dying at the prefix or at the signature:

    mode 0  the credential text itself (bytes, read as Latin-1 by the verifier)
    mode 1  COSE bytes behind "XC1:"
    mode 2  raw DEFLATE bytes behind "XC1Z:"
    mode 3  a claims payload, signed with the Ed25519 test key, behind "XC1:"
    mode 4  a claims payload, signed with the ES256 test key, behind "XC1Z:"
    mode 5  a protected header (length in the next byte, at most 96) and a payload, signed with Ed25519

Bit 0x80 of the first byte also gives the verifier a destination and biometric templates.
Every input goes through both ``credential.decode`` and ``credential.verify`` with a fixed key set
and time; any other exception is a finding. A credential that verifies must also decode to the
same claims. The bytes after the mode byte also go to both CBOR readers: the fast reader of the
plain case must never return a value the careful reader rejects or reads differently.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["credential"]):
    import credential
    from credential.cose import keys
    from credential.cose import sign1 as cose
    from credential.text import base45, cbor
    from credential.text import wrap as textlayer

ROOT = Path(__file__).resolve().parent.parent
_DOC = json.loads((ROOT / "test-vectors" / "xc1.json").read_text(encoding="utf-8"))
_PRIVATE = {name: credential.load_private_key(entry["privateKeyPem"]) for name, entry in _DOC["keys"].items()}
KEYSET = credential.KeySet(
    credential.TrustedKey(_PRIVATE[name].public_key(), frozenset(entry["issuers"]))
    for name, entry in _DOC["keys"].items()
    if entry["trustedByDefault"]
)
NOW = 1798761600 + 3600  # the vectors' verification time
TEMPLATES = {m: bytes.fromhex(t) for m, t in _DOC["templates"]["enrolled"].items()}
REVOKED = {bytes.fromhex("00112233445566ff")}
MODES = 6
MAX_PROTECTED = 96


def signed(key_name: str, protected: bytes | None, payload: bytes) -> bytes:
    key = _PRIVATE[key_name]
    alg = keys.algorithm_for(key)
    if protected is None:
        protected = cose.protected_header(alg.cose_id, keys.kid_of(key))
    return cose.build(protected, payload, alg.sign(key, cose.to_be_signed(protected, payload)))


def text_of(data: bytes) -> bytes | str:
    """The credential text a fuzzer input stands for (see the module docstring)."""
    if not data:
        return b""
    mode, rest = data[0] % MODES, data[1:]
    if mode == 0:
        return rest
    if mode == 1:
        return textlayer.PREFIX + base45.encode(rest)
    if mode == 2:
        return textlayer.PREFIX_DEFLATED + base45.encode(rest)
    if mode == 3:
        return textlayer.PREFIX + base45.encode(signed("hk-ed25519", None, rest))
    if mode == 4:
        return textlayer.wrap(signed("hk-es256", None, rest), deflate=True)
    size = min(rest[0], MAX_PROTECTED) if rest else 0
    return textlayer.PREFIX + base45.encode(signed("hk-ed25519", rest[1 : 1 + size], rest[1 + size :]))


def same_reading(data: bytes) -> None:
    """The fast CBOR reader returns a value only where the careful one returns the same, flawless."""
    fast = getattr(cbor, "_fast", None)
    if fast is None:
        return
    try:
        value = fast(data)
    except (cbor._Irregular, RecursionError):
        return
    decoder = cbor._Decoder(data)
    careful, end = decoder.item(0, 0)
    assert end == len(data) and decoder.flaw is None and careful == value, f"readers disagree on {data.hex()}"


def check(data: bytes) -> None:
    same_reading(data[1:])
    text = text_of(data)
    extra = bool(data) and data[0] & 0x80
    try:
        layers = credential.decode(text)
    except credential.VerificationError as err:
        assert isinstance(err.code, credential.ErrorCode), err
        layers = None
    try:
        verified = credential.verify(
            text,
            KEYSET,
            now=NOW,
            destination="MO" if extra else None,
            revoked=REVOKED if extra else (),
            templates=TEMPLATES if extra else None,
        )
    except credential.VerificationError as err:
        assert isinstance(err.code, credential.ErrorCode), err
        return
    assert layers is not None and layers.claims == verified.claims, "verified but does not decode to the same claims"


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
