"""Write the fuzzer's seed corpus (fuzz/seeds/) from the conformance vectors, one file per input.

    python fuzz/make_seeds.py

Each vector gives the seeds of the harness modes it can feed (see fuzz_verify.py): its text, its
COSE bytes, its DEFLATE bytes, and its payload and protected header for re-signing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEEDS = HERE / "seeds"
VECTORS = HERE.parent / "test-vectors" / "xc1.json"
MAX_SEED = 1500  # bytes; the fuzzer grows inputs up to its -max_len by itself


def seeds() -> set[bytes]:
    out: set[bytes] = set()
    for test in json.loads(VECTORS.read_text(encoding="utf-8"))["tests"]:
        text = test["text"]
        if len(text) <= 600:  # keep the corpus small: the long vectors are there for the limits
            out.add(b"\x00" + text.encode("utf-8"))
        layers = test.get("layers")
        if not layers:
            continue
        out.add(b"\x01" + bytes.fromhex(layers["cose"]))
        if layers["deflated"]:
            out.add(b"\x02" + bytes.fromhex(layers["deflated"]))
        payload = bytes.fromhex(layers["payload"])
        protected = bytes.fromhex(layers["protected"])
        out.add(b"\x03" + payload)
        if test["result"] == "valid":  # the re-signing modes need only a few good payloads to start from
            out.add(b"\x04" + payload)
        if len(protected) <= 96 and (test["result"] == "valid" or "CoseProtected" in test["flags"]):
            out.add(b"\x05" + bytes((len(protected),)) + protected + payload)
    return out


def main() -> None:
    shutil.rmtree(SEEDS, ignore_errors=True)
    SEEDS.mkdir()
    found = {seed for seed in seeds() if len(seed) <= MAX_SEED}
    for seed in found:
        (SEEDS / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    print(f"wrote {len(found)} seeds, {sum(map(len, found))} bytes, to {SEEDS}")


if __name__ == "__main__":
    main()
