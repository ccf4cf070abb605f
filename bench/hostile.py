"""The costliest inputs a gate can be shown: time and peak memory against a valid credential.

    python bench/hostile.py            # prints a Markdown table and writes bench/hostile.md
    python bench/hostile.py --quick    # fewer repetitions, for a smoke test

Candidates are every negative and acceptable conformance vector plus generated worst cases at the
limits of spec section 10 (the longest text, the most items, the deepest nesting, the largest
inflation, the most string chunks). Each is verified in this process with its vector's key set and
time; the time is the best of several rounds of many calls, the memory is tracemalloc's peak during
one call. Both are reported as ratios to verifying the minimal valid Ed25519 credential, and to the
costliest valid vector (peak memory grows with the input: a 3391-character credential cannot cost
what a 294-character one does, so the memory target is taken against the largest valid input).
Targets: at most 10x the time and 2x the memory.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import credential  # noqa: E402
from credential.base import limits  # noqa: E402
from credential.claims.model import XC_CLAIM  # noqa: E402
from credential.cose import sign1 as cose
from credential.text import base45, cbor, compress
from credential.text import wrap as textlayer

VECTORS = ROOT / "test-vectors" / "xc1.json"
OUTPUT = ROOT / "bench" / "hostile.md"
TIME_TARGET = 10.0
MEMORY_TARGET = 2.0


@dataclass
class Candidate:
    name: str
    text: str
    call: Callable[[], Any]


def _verifier(document: dict[str, Any], test: dict[str, Any]) -> Callable[[str], Any]:
    """A verify call with the vector's configuration, its key set built once beforehand."""
    v = test["verifier"]
    pems = document["keys"]
    keyset = credential.KeySet(
        credential.TrustedKey(pems[name]["publicKeyPem"].encode(), frozenset(issuers)) for name, issuers in v["keys"].items()
    )
    templates = None
    if v["templates"] is not None:
        templates = {m: bytes.fromhex(t) for m, t in document["templates"][v["templates"]].items()}
    revoked = {bytes.fromhex(x) for x in v["revoked"]}

    def run(text: str) -> Any:
        try:
            return credential.verify(
                text, keyset, now=v["now"], skew=v["skew"], destination=v["destination"], channel=v["channel"], revoked=revoked, templates=templates
            )
        except credential.VerificationError as err:
            return err.code

    return run


def _generated(document: dict[str, Any], run: Callable[[str], Any]) -> list[tuple[str, str]]:
    """Worst cases at the limits, made here rather than taken from the vectors."""
    private = credential.load_private_key(document["keys"]["hk-ed25519"]["privateKeyPem"])
    alg = credential.cose.keys.algorithm_for(private)
    protected = cose.protected_header(alg.cose_id, credential.kid_of(private))
    valid = next(t for t in document["tests"] if t["result"] == "valid")
    payload = credential.decode(valid["text"]).payload

    def signed(payload: bytes) -> bytes:
        return cose.build(protected, payload, alg.sign(private, cose.to_be_signed(protected, payload)))

    def with_extension(value: Any) -> bytes:
        claims = cbor.decode(payload)
        claims[XC_CLAIM][30] = value  # an extension key with no assigned meaning
        return cbor.encode(claims)

    def plain(message: bytes) -> str:
        return textlayer.PREFIX + base45.encode(message)

    room = (limits.MAX_TEXT_CHARS - len(textlayer.PREFIX)) // 3 * 2  # bytes in the longest Base45 body
    out = [
        ("longest text: Base45 of zero bytes", plain(bytes(room))),
        ("longest text, bad character at its very end", plain(bytes(room - 1))[:-1] + "a"),
        ("longest text, a triplet above 65535 at its end", plain(bytes(room))[:-3] + "GGW"),
        ("longest text of version digits", "XC" + "9" * (limits.MAX_TEXT_CHARS - 3) + ":"),
        ("longest text, first character non-ASCII", "\u00e9" * limits.MAX_TEXT_CHARS),
        ("most string chunks: one-byte chunks of an indefinite byte string", plain(b"\x5f" + b"\x41\x00" * (room // 2 - 1) + b"\xff")),
        ("most string chunks: empty chunks", plain(b"\x5f" + b"\x40" * (room - 2) + b"\xff")),
        ("most items, unsigned: 256 items in the unprotected header", plain(b"\xd2\x84\x41\xa0" + cbor.encode({i: [0, 0, 0] for i in range(63)}) + b"\x40\x40")),
        ("most items, signed: claims of 256 items", plain(signed(with_extension([list(range(60)), list(range(60)), list(range(60)), list(range(19))])))),
        ("deepest nesting, signed: an extension nested to the limit", plain(signed(with_extension([[[[[[0]]]]]])))),
        ("deepest nesting, unsigned: 2000 levels", plain(b"\x81" * 2000)),
        ("largest inflation: a bomb of 2.5 MiB", textlayer.PREFIX_DEFLATED + base45.encode(compress.deflate(b"\x00" * (5 << 19)))),
        ("largest inflation: the cap exactly, then CBOR fails at its end", textlayer.PREFIX_DEFLATED + base45.encode(compress.deflate(b"\x40" * (limits.MAX_INFLATED_BYTES - 1) + b"\xff"))),
        ("longest signed payload: one extension of zero bytes fills the text", plain(signed(with_extension(bytes(room - len(signed(with_extension(b""))) - 2))))),
        ("longest signed payload: one extension of varied bytes fills the text", plain(signed(with_extension((bytes(range(1, 256)) * 16)[: room - len(signed(with_extension(b""))) - 2])))),
    ]
    return out


def _seconds_per_call(call: Callable[[], Any], rounds: int, budget: float) -> float:
    """Best of ``rounds`` rounds, each of as many calls as fit in ``budget`` seconds (at least one)."""
    start = time.perf_counter()
    call()
    once = max(time.perf_counter() - start, 1e-7)
    n = max(1, int(budget / once))
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            call()
        best = min(best, (time.perf_counter() - start) / n)
    return best


def _peak_bytes(call: Callable[[], Any]) -> int:
    call()  # warm caches (regex compilation, key objects) outside the measurement
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        call()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def measure(quick: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    document = json.loads(VECTORS.read_text(encoding="utf-8"))
    tests = document["tests"]
    baseline_test = next(t for t in tests if t["result"] == "valid" and "Ed25519" in t["flags"] and "MinimalProfile" in t["flags"])
    baseline_run = _verifier(document, baseline_test)
    candidates = [
        Candidate(f"tc{t['tcId']}: {t['comment']}", t["text"], (lambda r, x: lambda: r(x))(_verifier(document, t), t["text"]))
        for t in tests
        if t["result"] != "valid"
    ]
    default = next(t for t in tests if t["result"] == "invalid" and t["verifier"]["templates"] is None and not t["verifier"]["revoked"])
    run_default = _verifier(document, default)
    for name, text in _generated(document, run_default):
        candidates.append(Candidate(f"generated: {name}", text, (lambda x: lambda: run_default(x))(text)))
    valid = [
        Candidate(f"tc{t['tcId']} (valid): {t['comment']}", t["text"], (lambda r, x: lambda: r(x))(_verifier(document, t), t["text"]))
        for t in tests
        if t["result"] == "valid"
    ]

    rounds, budget = (2, 0.005) if quick else (5, 0.03)
    base_text = baseline_test["text"]
    base_time = _seconds_per_call(lambda: baseline_run(base_text), rounds, budget * 4)
    base_memory = _peak_bytes(lambda: baseline_run(base_text))
    rows = []
    for candidate in candidates + valid:
        result = candidate.call()
        accepted = isinstance(result, credential.VerifiedCredential)
        rows.append(
            {
                "name": candidate.name,
                "chars": len(candidate.text),
                "result": "valid" if accepted else str(result),
                "seconds": _seconds_per_call(candidate.call, rounds, budget),
                "peak": _peak_bytes(candidate.call),
                "valid": accepted,  # a generated input that verifies is a yardstick, not a hostile input
            }
        )
    baseline = {"name": f"tc{baseline_test['tcId']}: {baseline_test['comment']}", "chars": len(base_text), "seconds": base_time, "peak": base_memory}
    # The baseline again at the end, so that a slow start (frequency scaling, a busy neighbour) does not flatter the ratios.
    baseline["seconds"] = min(base_time, _seconds_per_call(lambda: baseline_run(base_text), rounds, budget * 4))
    return baseline, rows


def report(baseline: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    hostile = [r for r in rows if not r["valid"]]
    by_time = sorted(hostile, key=lambda r: r["seconds"], reverse=True)
    by_memory = sorted(hostile, key=lambda r: r["peak"], reverse=True)
    t0, m0 = baseline["seconds"], baseline["peak"]
    valid_t = max((r for r in rows if r["valid"]), key=lambda r: r["seconds"])
    valid_m = max((r for r in rows if r["valid"]), key=lambda r: r["peak"])

    def line(r: dict[str, Any]) -> str:
        name = r["name"] if len(r["name"]) <= 90 else r["name"][:87] + "..."
        return (
            f"| {name} | {r['chars']} | {r['result']} | {r['seconds'] * 1e6:.0f} | {r['seconds'] / t0:.2f}x | {r['seconds'] / valid_t['seconds']:.2f}x "
            f"| {r['peak'] / 1024:.1f} | {r['peak'] / m0:.2f}x | {r['peak'] / valid_m['peak']:.2f}x |"
        )

    head = (
        "| input | chars | result | us | time / minimal | time / costliest valid | peak KiB | memory / minimal | memory / largest valid |\n"
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    worst_t, worst_m = by_time[0], by_memory[0]
    verdict_t = "within" if worst_t["seconds"] / t0 <= TIME_TARGET else "OVER"
    verdict_m = "within" if worst_m["peak"] / valid_m["peak"] <= MEMORY_TARGET else "OVER"
    lines = [
        "# Hostile inputs: the worst cost of one verification",
        "",
        f"Generated by `python bench/hostile.py` ({platform.python_implementation()} {platform.python_version()}, {platform.machine()}).",
        f"{len(hostile)} rejected inputs (every negative and acceptable vector, and generated worst cases at the limits) against {len(rows) - len(hostile)} valid ones (the valid vectors and the generated inputs that verify).",
        f"Minimal valid credential: {baseline['name']} ({baseline['chars']} characters), {t0 * 1e6:.0f} us and {m0 / 1024:.1f} KiB peak.",
        f"Costliest valid in time: {valid_t['name']} ({valid_t['chars']} characters), {valid_t['seconds'] * 1e6:.0f} us.",
        f"Largest valid in memory: {valid_m['name']} ({valid_m['chars']} characters), {valid_m['peak'] / 1024:.1f} KiB peak.",
        "",
        f"- Worst time: {worst_t['seconds'] / t0:.2f}x the minimal credential, {worst_t['seconds'] / valid_t['seconds']:.2f}x the costliest valid one "
        f"({verdict_t} the {TIME_TARGET:.0f}x target): {worst_t['name']}",
        f"- Worst peak memory: {worst_m['peak'] / valid_m['peak']:.2f}x the largest valid credential ({verdict_m} the {MEMORY_TARGET:.0f}x target), "
        f"{worst_m['peak'] / m0:.2f}x the minimal one: {worst_m['name']}",
        "",
        "## Slowest ten",
        "",
        head,
        *(line(r) for r in by_time[:10]),
        "",
        "## Largest peak memory, ten",
        "",
        head,
        *(line(r) for r in by_memory[:10]),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions; do not write bench/hostile.md")
    args = parser.parse_args(argv)
    baseline, rows = measure(args.quick)
    text = report(baseline, rows)
    print(text)
    if not args.quick:
        OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
