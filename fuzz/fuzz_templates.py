"""Coverage-guided fuzzing of encrypted templates, XC key 24 (spec 8.5, 9.2 steps 15 and 21a): only
VerificationError may escape the clear-structure check, the decryption and the plaintext reader.

    python fuzz/fuzz_templates.py CORPUS_DIR fuzz/seeds/templates -max_total_time=60

The first input byte picks what the rest is:

    mode 0  the CBOR encoding of key 24's value: the clear structure, then decryption with the gate's keys
    mode 1  a padded plaintext, encrypted with fixed material to the gate's X25519 key (bit 0x80: its
            P-256 key): unpadding and the plaintext reader behind a good decryption
    mode 2  a whole claims payload, signed with the HK Ed25519 key and verified by a gate that
            decrypts and requires the face and fingerprint templates
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["credential"]):
    import credential
    from credential.claims import templates as sealing
    from credential.text import base45, cbor
    from credential.text import wrap as textlayer

from cryptography.hazmat.primitives.asymmetric import ec, x25519

import material

FILE = "templates.json"
DOC = material.document(FILE)
VERIFIER = DOC["tests"][0]["verifier"]
KEYS = material.key_set(FILE, VERIFIER["keys"])
ISSUER = material.private_key(FILE, "hk-ed25519")
GATE_KEYS = [credential.load_decryption_key(DOC["recipientKeys"][name]["privateKeyPem"]) for name in ("mo-gate-x25519", "hk-gate-p256")]
DECRYPTION = sealing.DecryptionKeys(GATE_KEYS)
EPHEMERAL = [x25519.X25519PrivateKey.from_private_bytes(bytes(range(1, 33))), ec.derive_private_key(7, ec.SECP256R1())]
CTI = bytes.fromhex("5f1e0c7a9b3d2468")
CEK, IV = bytes(range(16)), bytes(range(12))
GATE = credential.Verifier(
    KEYS, decryption_keys=GATE_KEYS, require_templates=frozenset(VERIFIER["requireTemplates"])
)
NOW = material.NOW
MODES = 3


def opened(value_bytes: bytes) -> None:
    try:
        sealed = sealing.parse(cbor.decode(value_bytes))
    except sealing.ShapeError:
        return
    except credential.VerificationError as err:
        assert isinstance(err.code, credential.ErrorCode), err
        return
    try:
        found = sealing.open_sealed(sealed, DECRYPTION, CTI)
    except credential.VerificationError as err:
        assert isinstance(err.code, credential.ErrorCode), err
        return
    assert found and all(isinstance(t, credential.Template) for t in found.values())


def check(data: bytes) -> None:
    if not data:
        return
    mode, rest = data[0] % MODES, data[1:]
    if mode == 0:
        opened(rest)
    elif mode == 1:
        which = 1 if data[0] & 0x80 else 0
        recipient = GATE_KEYS[which].public_key()
        opened(cbor.encode(sealing._encrypt(rest, [recipient], CTI, CEK, IV, [EPHEMERAL[which]])))
    else:
        text = textlayer.PREFIX + base45.encode(material.signed(ISSUER, rest))
        try:
            GATE.verify(text, now=NOW)
        except credential.VerificationError as err:
            assert isinstance(err.code, credential.ErrorCode), err


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
