"""Write the fuzzers' seed corpora (fuzz/seeds/<harness>/) from the conformance vectors, one file per input.

    python fuzz/make_seeds.py

Each vector gives the seeds of the harness modes it can feed (see each fuzz_*.py): its text, its COSE
bytes, its DEFLATE bytes, and its payload and protected header for re-signing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEEDS = HERE / "seeds"
VECTORS = HERE.parent / "test-vectors"
MAX_SEED = 1500  # bytes; the fuzzer grows inputs up to its -max_len by itself
MAX_CONFORMANCE_SEED = 4400  # an answer with its claims; the longest (many scans) are left out

sys.path.insert(0, str(HERE.parent))
from credential.cose import sign1 as cose  # noqa: E402
from credential.gate import presentation  # noqa: E402
from credential.lists import status_list  # noqa: E402
from credential.text import base45, cbor  # noqa: E402
from credential.text import wrap as textlayer  # noqa: E402


def document(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def verify_seeds() -> Iterator[bytes]:
    for test in document("xc1.json")["tests"]:
        text = test["text"]
        if len(text) <= 600:  # keep the corpus small: the long vectors are there for the limits
            yield b"\x00" + text.encode("utf-8")
        layers = test.get("layers")
        if not layers:
            continue
        yield b"\x01" + bytes.fromhex(layers["cose"])
        if layers["deflated"]:
            yield b"\x02" + bytes.fromhex(layers["deflated"])
        payload = bytes.fromhex(layers["payload"])
        protected = bytes.fromhex(layers["protected"])
        yield b"\x03" + payload
        if test["result"] == "valid":  # the re-signing modes need only a few good payloads to start from
            yield b"\x04" + payload
        if len(protected) <= 96 and (test["result"] == "valid" or "CoseProtected" in test["flags"]):
            yield b"\x05" + bytes((len(protected),)) + protected + payload


def _raw(text: str) -> tuple[int, bytes] | None:
    """(0 plain or 1 deflated, the bytes Base45 carries) of a text, or None if it does not unwrap that far."""
    for i, prefix in enumerate((textlayer.PRESENTATION_PREFIXES[0], textlayer.PRESENTATION_PREFIXES[1])):
        if text.startswith(prefix):
            try:
                return i, base45.decode(text[len(prefix):])
            except Exception:
                return None
    return None


def presentation_seeds() -> Iterator[bytes]:
    doc = document("presentations.json")
    for test in doc["tests"]:
        for scan in test["scans"]:
            yield b"\x00" + scan["text"].encode("utf-8")
            raw = _raw(scan["text"])
            if raw is None:
                continue
            yield bytes((1 + raw[0],)) + raw[1]
            try:
                yield b"\x03" + presentation.parse(textlayer.unwrap(scan["text"]).message).payload
            except Exception:
                pass
    for i, (name, entry) in enumerate(doc["credentials"].items()):
        yield bytes((4, i, 0)) + b"MO" + b"\x00"
        yield b"\x05" + cose.parse(textlayer.unwrap(entry["text"]).message).payload


def status_seeds() -> Iterator[bytes]:
    for entry in document("status.json")["lists"].values():
        token = bytes.fromhex(entry["token"])
        yield b"\x00" + token
        try:
            sign1 = cose.parse(token)
        except Exception:
            continue
        yield b"\x01" + sign1.payload
        if len(sign1.protected) <= 96:
            yield b"\x03" + bytes((len(sign1.protected),)) + sign1.protected + sign1.payload
        try:
            value = cbor.decode(sign1.payload)
            lst = value[status_list.CLAIM_STATUS_LIST]["lst"]
            yield (b"\x82" if value[status_list.CLAIM_STATUS_LIST]["bits"] == 2 else b"\x02") + lst
        except Exception:
            pass


def trust_seeds() -> Iterator[bytes]:
    for entry in document("trust.json")["lists"].values():
        signed = bytes.fromhex(entry["signed"])
        for first in (0, 0x81):  # the 0x80 bit: with held lists
            yield bytes((first,)) + signed
        payload = bytes.fromhex(entry["payload"]) if entry.get("payload") else None
        if payload is not None:
            yield b"\x01" + payload
            yield b"\x82" + bytes((3,)) + cose.protected_header(-8, b"\0" * 8)[:3] + payload


def templates_seeds() -> Iterator[bytes]:
    for test in document("templates.json")["tests"]:
        layers = test.get("layers") or {}
        if layers.get("templates"):
            yield b"\x00" + bytes.fromhex(layers["templates"])
        if layers.get("plaintext"):
            yield b"\x01" + bytes.fromhex(layers["plaintext"])
            yield b"\x81" + bytes.fromhex(layers["plaintext"])
        if layers.get("payload"):
            yield b"\x02" + bytes.fromhex(layers["payload"])


def conformance_seeds() -> Iterator[bytes]:
    """The reference adapter's answer to every case, and a few broken ones (fuzz_conformance.py)."""
    from credential.tools import conformance

    sys.path.insert(0, str(HERE.parent / "conformance"))
    import adapter

    cases = [(vectors, listed, case) for vectors in conformance.load([VECTORS]) for listed, case in vectors.cases()]
    for number, (vectors, listed, case) in enumerate(cases):
        index = number.to_bytes(2, "big")
        answer = adapter.answer(conformance.request(vectors, case, listed))
        line = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        if len(line) <= MAX_CONFORMANCE_SEED:
            yield index + line
        if number % 50 == 0:
            yield index + json.dumps({"id": answer["id"], "verdict": "invalid", "error": "CBOR", "detail": "\x1b[2J"}).encode()
            yield index + b"not json"


HARNESSES: dict[str, Callable[[], Iterator[bytes]]] = {
    "verify": verify_seeds,
    "presentation": presentation_seeds,
    "status": status_seeds,
    "trust": trust_seeds,
    "templates": templates_seeds,
    "conformance": conformance_seeds,
}


def write(name: str, found: set[bytes]) -> None:
    folder = SEEDS / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    kept = {seed for seed in found if len(seed) <= (MAX_CONFORMANCE_SEED + 2 if name == "conformance" else MAX_SEED)}
    for seed in kept:
        (folder / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    print(f"{name}: wrote {len(kept)} seeds, {sum(map(len, kept))} bytes, to {folder}")


def main() -> None:
    names = sys.argv[1:] or list(HARNESSES)
    for name in names:
        write(name, set(HARNESSES[name]()))


if __name__ == "__main__":
    main()
