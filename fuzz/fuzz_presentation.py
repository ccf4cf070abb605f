"""Coverage-guided fuzzing of presentations (spec 4.5, 9.2 steps 5a to 5e, 9.6): only VerificationError
may escape the gate, and only ValueError or TypeError the holder's ``present``.

    python fuzz/fuzz_presentation.py CORPUS_DIR fuzz/seeds/presentation -max_total_time=60

The first input byte picks what the rest is:

    mode 0  the presentation text itself (bytes, read as Latin-1)
    mode 1  the presentation's COSE bytes behind "XP1:"
    mode 2  raw DEFLATE bytes behind "XP1Z:"
    mode 3  the presentation payload, signed by the holder's device key, behind "XP1:"
    mode 4  a choice of vector credential (1 byte), a step offset (1 byte, signed), a destination
            (2 bytes) and a device key choice (1 byte): a well-formed presentation of a real credential
    mode 5  a credential payload signed by the issuer key, presented with the holder's device key;
            the same credential also goes to ``credential.present``

Every gate gets a fresh replay cache; bit 0x80 of the first byte also requires a presentation and
hands the gate the enrolled templates.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["credential"]):
    import credential
    from credential.gate import presentation
    from credential.text import base45
    from credential.text import wrap as textlayer

import material

FILE = "presentations.json"
DOC = material.document(FILE)
KEYS = material.key_set(FILE, DOC["tests"][0]["verifier"]["keys"])
DEVICE = [material.private_key(FILE, name, "deviceKeys") for name in DOC["deviceKeys"]]
ISSUER = material.private_key(FILE, "hk-ed25519")
MESSAGES = [textlayer.unwrap(entry["text"]).message for entry in DOC["credentials"].values()]
TEMPLATES = {m: bytes.fromhex(t) for m, t in DOC["templates"]["enrolled"].items()}
NOW = material.NOW
STEP = presentation.step_of(NOW)
MODES = 6


def presented(message: bytes, step: int, destination: str, key: object) -> str:
    return presentation.wrap(presentation.build(message, step, destination, key))  # type: ignore[arg-type]


def text_of(data: bytes) -> tuple[bytes | str, str | None]:
    """(the text the gate reads, the credential text for ``present`` or None)."""
    if not data:
        return b"", None
    mode, rest = data[0] % MODES, data[1:]
    if mode == 0:
        return rest, None
    if mode == 1:
        return textlayer.PRESENTATION_PREFIXES[0] + base45.encode(rest), None
    if mode == 2:
        return textlayer.PRESENTATION_PREFIXES[1] + base45.encode(rest), None
    if mode == 3:
        return presentation.wrap(material.signed(DEVICE[0], rest, presentation.PROTECTED)), None
    if mode == 4:
        head = rest[:5].ljust(5, b"\0")
        message = MESSAGES[head[0] % len(MESSAGES)]
        offset = int.from_bytes(head[1:2], "big", signed=True)
        destination = head[2:4].decode("latin-1")
        if not destination.isascii() or not destination.isalpha() or not destination.isupper():
            destination = "MO"
        return presented(message, STEP + offset, destination, DEVICE[head[4] % len(DEVICE)]), None
    message = material.signed(ISSUER, rest)
    return presented(message, STEP, "MO", DEVICE[0]), textlayer.PREFIX + base45.encode(message)


def check(data: bytes) -> None:
    text, credential_text = text_of(data)
    extra = bool(data) and data[0] & 0x80
    gate = credential.Verifier(
        KEYS, destination="MO", replay=credential.MemoryReplayCache(16), require_presentation=bool(extra)
    )
    try:
        gate.verify(text, now=NOW, templates=TEMPLATES if extra else None)
    except credential.VerificationError as err:
        assert isinstance(err.code, credential.ErrorCode), err
    if credential_text is not None:
        try:
            credential.present(credential_text, DEVICE[0], now=NOW, destination="MO")
        except ValueError:
            pass


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
