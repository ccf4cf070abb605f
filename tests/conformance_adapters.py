"""Deliberately broken adapters for the conformance runner's tests: python conformance_adapters.py MODE.

expiry     an implementation that never checks exp
trailing   one whose CBOR reader ignores bytes after the item
hang       the reference, but it stops answering at tcId 3
crash      the reference, but it exits at tcId 3
garbage    the reference, but it answers tcId 3 with a line that is not JSON
es256      the reference, but it does not support ES256 (answers unsupported)
keys       the reference, but it trusts every public key (no small-order or invalid point checks)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "conformance"))

import adapter  # noqa: E402

import credential  # noqa: E402
from credential.text import cbor  # noqa: E402


def ignore_expiry(shared: dict[str, Any], test: dict[str, Any]) -> dict[str, Any]:
    out = adapter.verify(shared, test)
    if out.get("error") == "EXPIRED":
        text = test["text"] if "text" in test else test["scans"][-1]["text"]  # a presentation case: its last scan
        return {"verdict": "valid", "claims": credential.decode(text).claims}
    return out


_strict_decode = cbor.decode


def _lenient_decode(data: bytes, **options: Any) -> Any:
    try:
        return _strict_decode(data, **options)
    except cbor.CBORError as err:
        if "after the item" not in err.detail:
            raise
        return _strict_decode(data[: err.offset], **options)


def main(mode: str) -> None:
    if mode == "expiry":
        adapter.main(ignore_expiry)
        return
    if mode == "trailing":
        cbor.decode = _lenient_decode  # every reader of the package goes through cbor.decode
        adapter.main()
        return
    for line in sys.stdin:
        request = json.loads(line)
        test = request["test"]
        third = test["tcId"] == 3 and request["list"] == "tests"
        if third and mode == "hang":
            time.sleep(3600)
        if third and mode == "crash":
            sys.exit(5)
        if third and mode == "garbage":
            print("this is not JSON", flush=True)
            continue
        if mode == "keys" and request["list"] == "refusedKeys":
            print(json.dumps({"id": request["id"], "verdict": "accepted"}), flush=True)
            continue
        if mode == "es256" and "ES256" in test["flags"]:
            print(json.dumps({"id": request["id"], "verdict": "unsupported", "detail": "no ES256"}), flush=True)
            continue
        print(json.dumps(adapter.answer(request), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
