"""Coverage-guided fuzzing of status list tokens (spec 17.2, 17.4): only VerificationError may escape
``read_token``, ``read_unverified`` and ``peek``, and a list that is read answers every index with a
value its ``bits`` can hold, or IndexError outside the list.

    python fuzz/fuzz_status.py CORPUS_DIR fuzz/seeds/status -max_total_time=60

The first input byte picks what the rest is:

    mode 0  the token's bytes
    mode 1  the token's payload (the claims), signed with the HK Ed25519 key
    mode 2  the compressed bytes ``lst`` of a well-formed claims map, signed: the inflater and the list
    mode 3  a protected header (its length in the next byte, at most 96) and a payload, signed

The last four bytes of the input also give an index to look up in a list that is read.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["credential"]):
    import credential
    from credential.lists import status_list
    from credential.text import cbor

import material

FILE = "status.json"
KEYS = material.key_set(FILE, material.document(FILE)["tests"][0]["verifier"]["keys"])
SIGNER = material.private_key(FILE, "hk-ed25519")
NOW = material.NOW
MODES = 4
MAX_PROTECTED = 96


def token_of(data: bytes) -> bytes:
    if not data:
        return b""
    mode, rest = data[0] % MODES, data[1:]
    if mode == 0:
        return rest
    if mode == 1:
        return material.signed(SIGNER, rest)
    if mode == 2:
        bits = 2 if data[0] & 0x80 else 1
        payload = status_list.claims("HK", "hk-1", issued_at=NOW - 60, expires=NOW + 86400, bits=bits, bit_array=b"\0")
        payload[status_list.CLAIM_STATUS_LIST]["lst"] = rest
        return material.signed(SIGNER, cbor.encode(payload))
    size = min(rest[0], MAX_PROTECTED) if rest else 0
    return material.signed(SIGNER, rest[1 + size :], rest[1 : 1 + size])


def check(data: bytes) -> None:
    token = token_of(data)
    index = int.from_bytes(data[-4:], "big") if data else 0
    for read in (lambda t: status_list.read_token(t, KEYS), status_list.read_unverified):
        try:
            held = read(token)
        except credential.VerificationError as err:
            assert err.code is credential.ErrorCode.STATUS_LIST_INVALID, err
            continue
        for i in (0, index):
            try:
                value = held.status(i)
            except IndexError:
                continue
            assert 0 <= value < (1 << held.bits), (i, value)
    try:
        status_list.peek(token)
    except credential.VerificationError as err:
        assert err.code is credential.ErrorCode.STATUS_LIST_INVALID, err


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
