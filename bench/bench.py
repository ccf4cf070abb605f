"""Speed of XC against its floor (raw signatures) and its peers (pycose, python-cwt), in one run.

    python bench/bench.py [--quick]

Prints Markdown: one table where every figure stands beside its baseline, measured in this same
process (interleaved rounds, median per call), then where verify's time goes. Ratios carry the
claims; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import NOW, ROOT, Suite, completed, fixed_key, fmt_time, markdown_table

import credential
from credential import qr
from credential.claims import model
from credential.cose import sign1 as cose
from credential.cose.keys import BY_COSE_ID
from credential.text import base45, cbor
from credential.text import wrap as textlayer

ALGS = ("Ed25519", "ES256")
TARGET_VERIFY_VS_RAW = 1.5
TARGET_ISSUE_VS_RAW = 2.0
TARGET_RENDER_S = 5e-3
TARGET_CLI_S = 0.150


def _qrcode_library_png(text: str, ecc: str, box: int = qr.DEFAULT_BOX) -> bytes:
    """A peer renderer: the qrcode library's fitting loop, 8 full masks, PIL drawing."""
    import qrcode
    from qrcode.util import MODE_ALPHA_NUM, QRData

    code = qrcode.QRCode(version=None, error_correction=getattr(qrcode.constants, f"ERROR_CORRECT_{ecc}"), border=qr.QUIET_ZONE, box_size=box)
    code.add_data(QRData(text, mode=MODE_ALPHA_NUM))
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out, kind="PNG")
    return out.getvalue()


def _peers(alg: str, message: bytes, public: Any) -> tuple[Any, Any]:
    from cwt import COSE, COSEKey
    from pycose.keys import CoseKey
    from pycose.messages import Sign1Message

    pycose_key = CoseKey.from_pem_public_key(credential.public_key_to_pem(public).decode())
    cwt_key = COSEKey.from_pem(credential.public_key_to_pem(public), kid=credential.kid_of(public))
    ctx = COSE.new()

    def pycose_verify() -> None:
        msg = Sign1Message.decode(message)
        msg.key = pycose_key
        if not msg.verify_signature():
            raise AssertionError("pycose refused our signature")

    def cwt_verify() -> None:
        ctx.decode(message, cwt_key)

    return pycose_verify, cwt_verify


def _subprocess_median(argv: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def startup_times(runs: int) -> dict[str, float]:
    """Cold processes (a new interpreter each run), bytecode cached as after any first run; median."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    python = sys.executable
    cli = str(Path(python).with_name("credential"))
    key = fixed_key("Ed25519")
    text = credential.issue(completed(), key, policy=None)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        pub = Path(tmp, "hk.pub.pem")
        pub.write_bytes(credential.public_key_to_pem(key))
        verify_argv = [cli, "verify", text, "--trusted-key", f"HK={pub}", "--now", str(NOW), "--destination", "MO"]
        subprocess.run(verify_argv, check=True, env=env, stdout=subprocess.DEVNULL)  # the CLI works, and .pyc exist
        subprocess.run([python, "-c", "import credential"], check=True, env=env)
        out["python -c pass"] = _subprocess_median([python, "-c", "pass"], runs, env)
        out["python -c 'import credential'"] = _subprocess_median([python, "-c", "import credential"], runs, env)
        out["credential verify TEXT (CLI)"] = _subprocess_median(verify_argv, runs, env)
        # No usable bytecode at all: the very first run after installing, or a read-only install without .pyc.
        nocache = dict(env, PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=str(Path(tmp, "empty")))
        out["credential verify TEXT (CLI), no .pyc"] = _subprocess_median(verify_argv, max(3, runs // 2), nocache)
    return out


def import_offenders(limit: int = 12) -> list[tuple[str, float, float]]:
    """The costliest imports (two levels deep) when the CLI's verify path is imported: name, cumulative, self."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    code = "import credential.cli.main, credential.gate.verify"
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env, capture_output=True, text=True, check=True)
    rows = []
    for line in result.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or "self [us]" in line:
            continue
        own, cumulative, name = int(parts[0].split(":")[1]), int(parts[1]), parts[2][1:]
        depth = (len(name) - len(name.lstrip(" "))) // 2
        if depth <= 2:
            rows.append(("&nbsp;" * 2 * depth + name.strip(), cumulative / 1e6, own / 1e6))
    rows.sort(key=lambda r: -r[1])
    return rows[:limit]


def peak_verify_memory(text: str, keyset: credential.KeySet) -> int:
    credential.verify(text, keyset, now=NOW)
    tracemalloc.start()
    tracemalloc.reset_peak()
    credential.verify(text, keyset, now=NOW)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main_table(quick: bool) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    suite = Suite(target=0.02 if quick else 0.05, rounds=5 if quick else 9)
    material: dict[str, Any] = {}
    for alg in ALGS:
        key = fixed_key(alg)
        public = key.public_key()
        claims = completed()
        text = credential.issue(claims, key, policy=None)
        layers = credential.decode(text)
        tbs, sig = layers.to_be_signed, layers.signature
        keyset = credential.KeySet([credential.TrustedKey(public, {"HK"})])
        material[alg] = (text, keyset, layers)
        if alg == "Ed25519":
            suite.add(f"{alg} raw sign", lambda k=key, m=tbs: k.sign(m))
            suite.add(f"{alg} raw verify", lambda p=public, s=sig, m=tbs: p.verify(s, m))
        else:
            random_k = ec.ECDSA(hashes.SHA256())
            rfc6979 = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
            der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
            suite.add(f"{alg} raw sign", lambda k=key, m=tbs, a=random_k: k.sign(m, a))
            suite.add(f"{alg} raw sign RFC 6979", lambda k=key, m=tbs, a=rfc6979: k.sign(m, a))
            suite.add(f"{alg} raw verify", lambda p=public, s=der, m=tbs, a=random_k: p.verify(s, m, a))
        pycose_verify, cwt_verify = _peers(alg, layers.cose, public)
        suite.add(f"{alg} pycose decode+verify", pycose_verify)
        suite.add(f"{alg} python-cwt decode+verify", cwt_verify)
        suite.add(f"{alg} credential.verify(text)", lambda t=text, ks=keyset: credential.verify(t, ks, now=NOW))
        suite.add(f"{alg} credential.issue", lambda c=claims, k=key: credential.issue(c, k, policy=None))

    text, keyset, _ = material["Ed25519"]
    box4, box10 = qr.render(text, box=4), qr.render(text, box=10)
    for ecc in ("L", "M", "Q"):
        suite.add(f"qr.render PNG {ecc}", lambda e=ecc: qr.render(text, ecc=e))
        suite.add(f"qrcode library PNG {ecc}", lambda e=ecc: _qrcode_library_png(text, e))
    suite.add("qr.build M (symbol only)", lambda: qr.build(text, "M"))
    suite.add("qr.render SVG M", lambda: qr.render(text, "svg"))
    suite.add("qr.scan box-4 PNG", lambda: qr.scan(box4))
    suite.add("qr.scan box-10 PNG", lambda: qr.scan(box10))
    suite.add("qr.scan box-4 + verify", lambda: credential.verify(qr.scan(box4), keyset, now=NOW))
    suite.run()

    rows: list[list[Any]] = []

    def row(what: str, seconds: float, base: str | None = None, target: str = "", met: bool | None = None) -> None:
        if base is None:
            rows.append([what, fmt_time(seconds), "", "", "", target, ""])
            return
        ratio = seconds / suite[base]
        verdict = "" if met is None else ("yes" if met else "**no**")
        rows.append([what, fmt_time(seconds), base, fmt_time(suite[base]), f"{ratio:.2f}x", target, verdict])

    for alg in ALGS:
        rows.append([f"**{alg}**", "", "", "", "", "", ""])
        row(f"{alg} raw sign (floor)", suite[f"{alg} raw sign"])
        if alg == "ES256":
            row(f"{alg} raw sign, RFC 6979 as issue uses", suite[f"{alg} raw sign RFC 6979"], f"{alg} raw sign")
        row(f"{alg} raw verify (floor)", suite[f"{alg} raw verify"])
        for peer in ("pycose decode+verify", "python-cwt decode+verify"):
            row(f"{alg} {peer} (peer)", suite[f"{alg} {peer}"], f"{alg} raw verify")
        ours = suite[f"{alg} credential.verify(text)"]
        raw_verify = suite[f"{alg} raw verify"]
        row(f"{alg} credential.verify(text)", ours, f"{alg} raw verify", f"<= {TARGET_VERIFY_VS_RAW}x", ours / raw_verify <= TARGET_VERIFY_VS_RAW)
        row(f"{alg} credential.verify(text)", ours, f"{alg} pycose decode+verify", "<= 1x", ours <= suite[f"{alg} pycose decode+verify"])
        row(f"{alg} credential.verify(text)", ours, f"{alg} python-cwt decode+verify", "", None)
        sign_base = f"{alg} raw sign RFC 6979" if alg == "ES256" else f"{alg} raw sign"
        issue_s = suite[f"{alg} credential.issue"]
        row(f"{alg} credential.issue", issue_s, sign_base, f"<= {TARGET_ISSUE_VS_RAW}x", issue_s / suite[sign_base] <= TARGET_ISSUE_VS_RAW)
        if alg == "ES256":
            row(f"{alg} credential.issue", issue_s, f"{alg} raw sign", "", None)
    rows.append([f"**QR ({len(text)} characters, full profile)**", "", "", "", "", "", ""])
    for ecc in ("L", "M", "Q"):
        seconds = suite[f"qr.render PNG {ecc}"]
        label = f"qr.render PNG box 8, ECC {ecc} (version {qr.version(text, ecc)})"
        row(label, seconds, f"qrcode library PNG {ecc}", "< 5 ms", seconds < TARGET_RENDER_S)
    row("qr.build M (symbol, no image)", suite["qr.build M (symbol only)"], "qrcode library PNG M")
    row("qr.render SVG M", suite["qr.render SVG M"])
    row("qr.scan box-4 PNG", suite["qr.scan box-4 PNG"], "Ed25519 credential.verify(text)")
    row("qr.scan box-10 PNG", suite["qr.scan box-10 PNG"], "Ed25519 credential.verify(text)")
    row("qr.scan box-4 + credential.verify", suite["qr.scan box-4 + verify"], "Ed25519 credential.verify(text)")

    rows.append(["**Memory**", "", "", "", "", "", ""])
    for alg in ALGS:
        text_a, keyset_a, _ = material[alg]
        peak = peak_verify_memory(text_a, keyset_a)
        rows.append([f"{alg} credential.verify peak memory (tracemalloc)", f"{peak / 1024:.1f} KiB", "", "", "", "", ""])

    rows.append(["**Start-up (new process each run, median)**", "", "", "", "", "", ""])
    startup = startup_times(5 if quick else 11)
    bare = startup["python -c pass"]
    for name, seconds in startup.items():
        if name == "python -c pass":
            rows.append([f"`{name}` (interpreter floor)", fmt_time(seconds), "", "", "", "", ""])
            continue
        target, met = ("< 150 ms", seconds < TARGET_CLI_S) if name.startswith("credential verify") else ("", None)
        verdict = "" if met is None else ("yes" if met else "**no**")
        rows.append([f"`{name}`", fmt_time(seconds), "`python -c pass`", fmt_time(bare), f"{seconds / bare:.2f}x", target, verdict])

    header = ["measurement", "time", "baseline (same run)", "baseline time", "ratio", "target", "met"]
    return markdown_table(header, rows)


VERIFY_STEPS = (
    "arguments (text, key set, time)",
    "text layer: prefix + Base45 decode",
    "cose.parse: COSE_Sign1 CBOR decode, profile checks, protected header decode",
    "algorithm + key lookup",
    "Sig_structure (cose.to_be_signed)",
    "signature check (keys.Algorithm.verify)",
    "payload CBOR decode (cbor.decode)",
    "claims.from_cbor",
    "validity, revocation, entitlement checks",
    "result object",
)


def verify_in_context(text: str, keyset: credential.KeySet, runs: int) -> tuple[list[float], float]:
    """verify's procedure step by step with a clock between the steps (medians over ``runs``).

    It mirrors credential/verify.py at this commit; the last figure is the real verify, timed
    alongside, so a drift between the two shows.
    """
    verifying = sys.modules["credential.gate.verify"]
    clock = time.perf_counter_ns
    samples: list[list[int]] = [[] for _ in VERIFY_STEPS]
    whole = []
    for _ in range(runs):
        t0 = clock()
        data = verifying.as_text(text)
        keys = keyset if isinstance(keyset, credential.KeySet) else credential.KeySet(keyset)
        seconds = verifying.epoch_seconds(NOW)
        t1 = clock()
        message = textlayer.unwrap(data).message
        t2 = clock()
        sign1 = cose.parse(message)
        t3 = clock()
        algorithm = BY_COSE_ID.get(sign1.alg)
        trusted = keys.get(sign1.kid)
        t4 = clock()
        tbs = cose.to_be_signed(sign1.protected, sign1.payload)
        t5 = clock()
        algorithm.verify(trusted.key, sign1.signature, tbs)
        t6 = clock()
        decoded = cbor.decode(sign1.payload)
        t7 = clock()
        claims = model.from_cbor(decoded)
        t8 = clock()
        xc = claims["xc"]
        start = claims.get("nbf", claims["iat"])
        valid = start <= seconds + 300 and seconds - 300 < claims["exp"]
        cti = bytes.fromhex(claims["cti"])
        today = verifying._today(seconds)
        valid = valid and "MO" in xc["destinations"] and all(xc[f] >= today for f in ("enrolment_expiry", "stay_limit") if f in xc)
        t9 = clock()
        verifying.VerifiedCredential(claims, claims["iss"], sign1.kid, algorithm.name, cti)
        t10 = clock()
        stamps = (t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10)
        for i in range(len(VERIFY_STEPS)):
            samples[i].append(stamps[i + 1] - stamps[i])
        t0 = clock()
        credential.verify(text, keyset, now=NOW, destination="MO")
        whole.append(clock() - t0)
    return [statistics.median(x) / 1e9 for x in samples], statistics.median(whole) / 1e9


ISSUE_STEPS = (
    "issue.complete (defaults)",
    "claims.to_cbor",
    "cbor.encode(claims)",
    "cbor.decode(payload) (issuer's limits check)",
    "kid_of(key) + protected header",
    "Sig_structure (cose.to_be_signed)",
    "signature (keys.Algorithm.sign)",
    "cose.build",
    "text.wrap (DEFLATE trial + Base45)",
)


def issue_in_context(key: Any, claims: dict[str, Any], runs: int) -> tuple[list[float], float]:
    """issue's procedure step by step with a clock between the steps; mirrors credential/issue.py at this commit."""
    from credential.cose import keys as keymod

    issuing = sys.modules["credential.issuer.issue"]
    clock = time.perf_counter_ns
    samples: list[list[int]] = [[] for _ in ISSUE_STEPS]
    whole = []
    algorithm = keymod.algorithm_for(key)
    for _ in range(runs):
        t0 = clock()
        full = issuing.complete(claims, None)
        t1 = clock()
        value = model.to_cbor(full)
        t2 = clock()
        payload = cbor.encode(value)
        t3 = clock()
        cbor.decode(payload)
        t4 = clock()
        protected = cose.protected_header(algorithm.cose_id, keymod.kid_of(key))
        t5 = clock()
        tbs = cose.to_be_signed(protected, payload)
        t6 = clock()
        signature = algorithm.sign(key, tbs)
        t7 = clock()
        message = cose.build(protected, payload, signature)
        t8 = clock()
        textlayer.wrap(message)
        t9 = clock()
        stamps = (t0, t1, t2, t3, t4, t5, t6, t7, t8, t9)
        for i in range(len(ISSUE_STEPS)):
            samples[i].append(stamps[i + 1] - stamps[i])
        t0 = clock()
        credential.issue(claims, key, policy=None)
        whole.append(clock() - t0)
    return [statistics.median(x) / 1e9 for x in samples], statistics.median(whole) / 1e9


def _share(seconds: float, steps: list[float]) -> list[str]:
    return [fmt_time(seconds), f"{100 * seconds / sum(steps):.0f}%"]


def _step_rows(
    names: tuple[str, ...],
    columns: dict[str, tuple[list[float], float]],
    whole_label: str,
    extra: Callable[[int], list[list[str]]] = lambda i: [],
) -> list[list[str]]:
    """One row per step with each algorithm's time and share, then their sum and the whole call."""
    rows = []
    for i, step in enumerate(names):
        rows.append([step] + [cell for alg in ALGS for cell in _share(columns[alg][0][i], columns[alg][0])])
        rows.extend(extra(i))
    rows.append(["**sum of the steps**"] + [cell for alg in ALGS for cell in (f"**{fmt_time(sum(columns[alg][0]))}**", "100%")])
    rows.append([whole_label] + [cell for alg in ALGS for cell in (fmt_time(columns[alg][1]), "")])
    return rows


def verify_profile(quick: bool) -> str:
    """Where verify's time goes: in context (a clock between the steps), and a few sub-steps alone."""
    runs = 3000 if quick else 20000
    columns = {}
    isolated = Suite(target=0.02 if quick else 0.05, rounds=5 if quick else 9)
    for alg in ALGS:
        key = fixed_key(alg)
        text = credential.issue(completed(), key, policy=None)
        keyset = credential.KeySet([credential.TrustedKey(key.public_key(), {"HK"})])
        columns[alg] = verify_in_context(text, keyset, runs)
        body = text[len(textlayer.PREFIX) :]
        message = base45.decode(body)
        sign1 = cose.parse(message)
        isolated.add(f"{alg}|base45.decode", lambda b=body: base45.decode(b))
        isolated.add(f"{alg}|cbor.decode(COSE_Sign1)", lambda m=message: cbor.decode(m))
        isolated.add(f"{alg}|cbor.decode(protected header)", lambda p=sign1.protected: cbor.decode(p))
    isolated.run()
    rows = []
    def isolated_rows(i: int) -> list[list[str]]:
        names = {1: ["base45.decode"], 2: ["cbor.decode(COSE_Sign1)", "cbor.decode(protected header)"]}.get(i, [])
        return [
            [f"&nbsp;&nbsp;of which {name} (alone, hot loop)"]
            + [cell for alg in ALGS for cell in _share(isolated[f"{alg}|{name}"], columns[alg][0])]
            for name in names
        ]

    rows = _step_rows(VERIFY_STEPS, columns, "credential.gate.verify itself, timed alongside", isolated_rows)
    header = ["step of verify (full profile)", "Ed25519", "share", "ES256", "share"]
    table = f"Medians over {runs} runs with a clock between the steps:\n\n" + markdown_table(header, rows)

    issue_columns = {}
    for alg in ALGS:
        issue_columns[alg] = issue_in_context(fixed_key(alg), completed(), runs)
    rows = _step_rows(ISSUE_STEPS, issue_columns, "credential.issuer.issue itself, timed alongside")
    issue_table = markdown_table(["step of issue (full profile, claims completed)", "Ed25519", "share", "ES256", "share"], rows)

    key = fixed_key("Ed25519")
    text = credential.issue(completed(), key, policy=None)
    keyset = credential.KeySet([credential.TrustedKey(key.public_key(), {"HK"})])
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(2000):
        credential.verify(text, keyset, now=NOW)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(18)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    profile = "\n".join(line.replace(str(ROOT) + "/", "").replace(sys.prefix + "/", "") for line in lines[start:])
    offenders = import_offenders()
    imports = markdown_table(["import (CLI verify path, depth <= 2)", "cumulative", "self"], [[n, fmt_time(c), fmt_time(o)] for n, c, o in offenders])
    return (
        table
        + "\n\nIssuance, the same way (claims already completed, as in the speed table):\n\n"
        + issue_table
        + "\n\ncProfile of 2000 Ed25519 verifies, by own time (profiling inflates small calls):\n\n```\n"
        + profile
        + "\n```\n\nImport time of the CLI's verify path (`python -X importtime`, one run):\n\n"
        + imports
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer and shorter rounds (for a smoke test)")
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"## Speed (one run; {os.cpu_count()} cores, Python {sys.version.split()[0]})\n")
    print(main_table(args.quick))
    print("\n### Where verify's time goes\n")
    print(verify_profile(args.quick))
    print(f"\n_bench.py took {time.perf_counter() - started:.0f} s._", file=sys.stderr)


if __name__ == "__main__":
    main()
