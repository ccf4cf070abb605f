"""The inspector page's server against hostile requests: form parsing time and image scanning memory.

    python bench/page_server.py            # prints a Markdown table and writes bench/page_server.md
    python bench/page_server.py --quick    # fewer repetitions, for a smoke test

Forms: ``credential.tools.forms.parse`` on bodies of the largest size a browser would send for a
pasted text (700 KiB; the server refuses more than 4 MiB unread), shaped to be costly (many header
lines, many delimiters, a long value of short lines), as a ratio to parsing a plain form of the same
size in this process, and beside the standard library's ``email`` parser on the same bodies.
Images: peak memory (VmHWM, Linux) of a child process that runs ``qr.scan`` on a PNG
of 13000 x 13000 pixels, and on an ICO holding it, as a ratio to one that scans a rendered
credential: the pixel check must refuse them from the header, before decoding. (Before that check,
scanning that PNG took 843 MiB.)
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from credential.tools import forms  # noqa: E402

OUTPUT = ROOT / "bench" / "page_server.md"
SIZE = 700 * 1024
ALLOWED = frozenset({"text", "image"})
CONTENT_TYPE = "multipart/form-data; boundary=x"


def _bodies() -> dict[str, bytes]:
    part = b'Content-Disposition: form-data; name="image"; filename="a.png"\r\n\r\n'
    return {
        "plain: one field of 700 KiB (baseline)": b"--x\r\n" + part + b"a" * SIZE + b"\r\n--x--\r\n",
        "a value of 700 KiB of short lines": b"--x\r\n" + part + b"a\r\n" * (SIZE // 3) + b"\r\n--x--\r\n",
        "700 KiB of part header lines": b"--x\r\n" + b"a: b\r\n" * (SIZE // 6) + b"\r\n\r\n--x--\r\n",
        "700 KiB of empty parts": b"--x\r\n" + (b'Content-Disposition: form-data; name="text"\r\n\r\n\r\n--x') * (SIZE // 55) + b"--\r\n",
        "700 KiB urlencoded, 8 fields": b"&".join(b"f%d=" % i + b"a" * (SIZE // 8) for i in range(8)),
    }


def _ours(body: bytes) -> Callable[[], object]:
    content_type = "application/x-www-form-urlencoded" if b"=" in body[:4] else CONTENT_TYPE

    def run() -> object:
        try:
            return forms.parse(content_type, body, {f"f{i}" for i in range(8)} | ALLOWED)
        except forms.FormError as err:
            return err

    return run


def _email(body: bytes) -> Callable[[], object]:
    from email.parser import BytesParser
    from email.policy import HTTP

    head = b"Content-Type: " + CONTENT_TYPE.encode() + b"\r\n\r\n"
    return lambda: BytesParser(policy=HTTP).parsebytes(head + body)


def _best(call: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


# VmHWM, the peak resident set of this process's own memory since exec (Linux): getrusage would
# count the parent's at the fork too.
_SCAN = """
import sys
from credential import qr
data = open(sys.argv[1], "rb").read()
try:
    qr.scan(data)
    said = "read"
except qr.ScanError as err:
    said = str(err)[:70]
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(peak, said)
"""


_BLANK = "import sys; from PIL import Image; Image.new('1', (13000, 13000), 1).save(sys.argv[1], 'PNG')"


def _scan_peak(path: Path) -> tuple[float, str]:
    """Maximum resident set (MiB) of a child process scanning ``path``, and what it said."""
    done = subprocess.run([sys.executable, "-c", _SCAN, str(path)], capture_output=True, text=True, check=True, cwd=ROOT)
    kib, said = done.stdout.strip().split(" ", 1)
    if "pixels is larger" in said:
        said = "refused: too many pixels"
    elif "not a readable image" in said:
        said = "refused: not a format read"
    return int(kib) / 1024, said


def _images(folder: Path) -> list[tuple[str, float, str]]:
    sys.path.insert(0, str(ROOT / "tests"))
    from credential import qr
    from credential.issuer import samples

    from tests.test_qr import ico_around

    import credential

    text = credential.issue(samples.full(), credential.generate_key("Ed25519"), templates=samples.TEMPLATES)
    # 169 megapixels in about 46 KB, made in a process of its own to keep this one small.
    made = folder / "blank.png"
    subprocess.run([sys.executable, "-c", _BLANK, str(made)], check=True)
    blank = made.read_bytes()
    files = {
        "a rendered credential (baseline)": qr.render(text),
        f"a white PNG of 13000 x 13000 pixels ({len(blank) // 1024} KiB)": blank,
        "an ICO holding that PNG": ico_around(blank),
    }
    out = []
    for name, data in files.items():
        path = folder / f"{len(out)}.img"
        path.write_bytes(data)
        peak, said = _scan_peak(path)
        out.append((name, peak, said))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds = 3 if args.quick else 15
    bodies = _bodies()
    baseline = _best(_ours(next(iter(bodies.values()))), rounds)
    lines = [
        "# The inspector page's server: hostile forms and images",
        "",
        f"Generated by `python bench/page_server.py` (CPython {platform.python_version()}, {platform.machine()}).",
        "",
        "## Forms of 700 KiB",
        "",
        "| body | result | forms.parse ms | / plain form | email.parser ms | email / forms |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, body in bodies.items():
        ours = _best(_ours(body), rounds)
        result = _ours(body)()
        said = "refused" if isinstance(result, forms.FormError) else "parsed"
        theirs = _best(_email(body), max(1, rounds // 5)) if "urlencoded" not in name else None
        email = f"{theirs * 1000:.0f}" if theirs is not None else "-"
        ratio = f"{theirs / ours:.0f}x" if theirs is not None else "-"
        lines.append(f"| {name} | {said} | {ours * 1000:.2f} | {ours / baseline:.2f}x | {email} | {ratio} |")
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        images = _images(Path(folder))
    base_peak = images[0][1]
    lines += ["", "## Images (peak resident memory of a process that scans one)", "", "| image | outcome | peak MiB | / baseline |", "| --- | --- | ---: | ---: |"]
    for name, peak, said in images:
        lines.append(f"| {name} | {said} | {peak:.0f} | {peak / base_peak:.2f}x |")
    report = "\n".join(lines) + "\n"
    print(report)
    if not args.quick:
        OUTPUT.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
