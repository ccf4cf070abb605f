"""Deliberately broken adapters for the conformance runner's tests: python conformance_adapters.py MODE.

expiry     an implementation that never checks exp
trailing   one whose CBOR reader ignores bytes after the item
hang       the reference, but it stops answering at tcId 3
crash      the reference, but it exits at tcId 3
garbage    the reference, but it answers tcId 3 with a line that is not JSON
es256      the reference, but it does not support ES256 (answers unsupported)
keys       the reference, but it trusts every public key (no small-order or invalid point checks)
lastscan   verifies only the last scan of a case with scans, with a fresh gate, and answers every scan so
wrongkid   the reference, but the kid of every valid outcome is another key's
noform     the reference, but no valid outcome has form
badpresent the reference, but every presented text has its last character changed
notemplates the reference, but it leaves out the decrypted templates (and alters them every other case)
unread     answers unsupported after reading only the first 4 KiB of the first request, then reads nothing
noisy      the reference, but it writes 10 MB to standard error for every request
controls   the reference, but tcId 3 is refused with a detail full of control characters
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


def _accepted(text: str) -> dict[str, Any]:
    """A valid outcome for ``text`` as a verifier that skips a check would give it."""
    layers = credential.decode(text)
    out = {"verdict": "valid", "claims": layers.claims, "alg": {-8: "Ed25519", -7: "ES256"}[layers.alg], "kid": layers.kid.hex()}
    if layers.presentation is None:
        return {**out, "form": "credential"}
    return {**out, "form": "presentation", "step": layers.presentation.step}


def _top(scan: dict[str, Any]) -> dict[str, Any]:
    """A scan's outcome as the answer's own members repeat it (without the holder's presented text)."""
    return {k: v for k, v in scan.items() if k != "presented"}


def ignore_expiry(shared: dict[str, Any], test: dict[str, Any]) -> dict[str, Any]:
    out = adapter.verify(shared, test)
    if "scans" in out:
        scans = [_accepted(scan["text"]) if got.get("error") == "EXPIRED" else got for scan, got in zip(test["scans"], out["scans"])]
        return {"scans": scans, **_top(scans[-1])}
    if out.get("error") == "EXPIRED":
        return _accepted(test["text"])
    return out


def last_scan_only(shared: dict[str, Any], test: dict[str, Any]) -> dict[str, Any]:
    """A gate that judges only the last scan, without the replay history the earlier scans build."""
    if "scans" not in test:
        return adapter.verify(shared, test)
    last = adapter.verify(shared, {**test, "scans": test["scans"][-1:]})["scans"][0]
    return {"scans": [last for _ in test["scans"]], **_top(last)}


def _changed(out: dict[str, Any], change: Any) -> dict[str, Any]:
    if "scans" in out:
        scans = [change(scan) for scan in out["scans"]]
        return {**_top(change(out)), "scans": scans}
    return change(out)


def _other_kid(outcome: dict[str, Any]) -> dict[str, Any]:
    if outcome.get("verdict") != "valid" or "kid" not in outcome:
        return outcome
    return {**outcome, "kid": "%016x" % (int(outcome["kid"], 16) ^ 1)}


def _no_form(outcome: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in outcome.items() if k not in ("form", "step")}


def _bad_presented(outcome: dict[str, Any]) -> dict[str, Any]:
    if "presented" not in outcome:
        return outcome
    text = outcome["presented"]
    return {**outcome, "presented": text[:-1] + ("0" if text[-1] != "0" else "1")}


def _no_templates(test: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any]:
    if outcome.get("templates") is None:
        return outcome
    if test["tcId"] % 2:
        return {k: v for k, v in outcome.items() if k != "templates"}
    altered = {m: {**t, "format": t["format"] + 1} for m, t in outcome["templates"].items()}
    return {**outcome, "templates": altered}


CHANGES = {
    "wrongkid": lambda shared, test: _changed(adapter.verify(shared, test), _other_kid),
    "noform": lambda shared, test: _changed(adapter.verify(shared, test), _no_form),
    "badpresent": lambda shared, test: _changed(adapter.verify(shared, test), _bad_presented),
    "notemplates": lambda shared, test: _no_templates(test, adapter.verify(shared, test)),
    "lastscan": last_scan_only,
}


_strict_decode = cbor.decode


def _lenient_decode(data: bytes, **options: Any) -> Any:
    try:
        return _strict_decode(data, **options)
    except cbor.CBORError as err:
        if "after the item" not in err.detail:
            raise
        return _strict_decode(data[: err.offset], **options)


def unread() -> None:
    """Answer unsupported after reading at most 4 KiB of each request: a request longer than the pipe's
    buffer leaves the runner's write blocked."""
    import os
    import re

    start = os.read(0, 4096)
    ident = re.search(rb'"id": "([^"]*)"', start)
    answer = {"id": ident.group(1).decode() if ident else "", "verdict": "unsupported", "detail": "not read"}
    print(json.dumps(answer), flush=True)
    time.sleep(3600)  # and read nothing more


def main(mode: str) -> None:
    if mode == "expiry":
        adapter.main(ignore_expiry)
        return
    if mode in CHANGES:
        adapter.main(CHANGES[mode])
        return
    if mode == "unread":
        unread()
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
        if mode == "noisy":
            for _ in range(10):
                sys.stderr.write("x" * 1_000_000)
            sys.stderr.write("\nthe end of the noise\n")
            sys.stderr.flush()
        if third and mode == "controls":
            refused = {"verdict": "invalid", "error": "CBOR", "detail": "\x1b[2J\x00\x07 cleared"}
            scans = {"scans": [refused for _ in test["scans"]]} if "scans" in test else {}
            print(json.dumps({"id": request["id"], **refused, **scans}), flush=True)
            sys.stderr.write("\x1b[31mred\x00\n")
            sys.stderr.flush()
            continue
        if mode == "es256" and "ES256" in test["flags"]:
            print(json.dumps({"id": request["id"], "verdict": "unsupported", "detail": "no ES256"}), flush=True)
            continue
        print(json.dumps(adapter.answer(request), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
