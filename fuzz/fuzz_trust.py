"""Coverage-guided fuzzing of signed trust lists (spec 16.2 to 16.5): only TrustListError may escape a
gate's ``TrustStore.load`` and the inspection's ``parse``; a list the store holds vouches for each of
its keys, and a credential verified against the store fails only with VerificationError.

    python fuzz/fuzz_trust.py CORPUS_DIR fuzz/seeds/trust -max_total_time=60

The first input byte picks what the rest is:

    mode 0  the signed list's bytes
    mode 1  the list document (the payload), signed with HK's pinned list-signing key
    mode 2  a protected header (its length in the next byte, at most 96) and a payload, signed with it

Bit 0x80 of the first byte makes the gate hold the vectors' HK and MO lists first, so that rollback,
a key listed by two authorities and replacement are reached too.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["credential"]):
    import credential
    from credential.lists import trust

import material

FILE = "trust.json"
DOC = material.document(FILE)
PINS = {
    authority: [material.private_key(FILE, name).public_key() for name in names]
    for authority, names in DOC["tests"][0]["gate"]["pins"].items()
}
SIGNER = material.private_key(FILE, "hk-list")
HELD = [bytes.fromhex(DOC["lists"][name]["signed"]) for name in ("hk-1", "mo-7")]
TEXT = DOC["tests"][0]["text"]
NOW = material.NOW
MODES = 3
MAX_PROTECTED = 96


def signed_of(data: bytes) -> bytes:
    if not data:
        return b""
    mode, rest = data[0] % MODES, data[1:]
    if mode == 0:
        return rest
    if mode == 1:
        return material.signed(SIGNER, rest)
    size = min(rest[0], MAX_PROTECTED) if rest else 0
    return material.signed(SIGNER, rest[1 + size :], rest[1 : 1 + size])


def check(data: bytes) -> None:
    signed = signed_of(data)
    try:
        trust.parse(signed)
    except credential.TrustListError:
        pass
    store = credential.TrustStore(PINS, grace=86400)
    try:
        if data and data[0] & 0x80:
            for held in HELD:
                store.load(held, now=NOW)
        try:
            document = store.load(signed, now=NOW)
        except credential.TrustListError as err:
            assert isinstance(err.code, credential.ListError), err
            return
        for listed in document.keys:
            assert store.get(listed.kid) is not None, listed.kid.hex()
        try:
            credential.verify(TEXT, store, now=NOW, destination="MO")
        except credential.VerificationError as err:
            assert isinstance(err.code, credential.ErrorCode), err
    finally:
        store.close()


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
