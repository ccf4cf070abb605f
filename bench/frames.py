"""From camera frame to verdict: qr.scan_frame then verify, on synthetic 1920x1080 grey frames.

    python bench/frames.py [--trials N] [--quick] > bench/frames.md

Three codes, each as a gate meets it: a full-profile credential (354 characters, version 11 at M)
verified with a key set; a presentation of a device-bound credential (version 15) verified with the
shared SQLite replay cache; a credential with the encrypted templates of spec 8.5.7 (version 23)
verified with the gate's decryption key, the templates decrypted.

Each frame is a gate camera's view of a phone: the code and its quiet zone span CODE_PX camera
pixels (a phone screen has one size, so larger versions have smaller modules), on a grey phone
face, somewhere inside the scanner window (the middle 960x720 of the frame), on a background
scene; every frame is tilted a few degrees, slightly defocused and noisy, and each degradation adds
one fault (the capture of bench/robustness.py, drawn into a whole frame). Frames come from seeded
RNGs, so a run reproduces exactly.

Printed, as Markdown: which first pass to use (every candidate on every frame: read rate and time),
the frame forms scan_frame takes (array, raw bytes, PIL image, region), and the frame-to-verdict
table (p50 and p99 per code and degradation) beside bare zxing-cpp on the same frames, with its
default options and with its rotate, downscale and invert passes off. Timing is single-process,
each call timed alone, ROUNDS rounds interleaved over the candidates.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import NOW, completed, fixed_key, markdown_table, recipient_keys, recommended_templates_text

import numpy as np
import zxingcpp
from PIL import Image, ImageFilter, ImageOps

import credential
from credential import qr
from robustness import capture, module_grid

FRAME_W, FRAME_H = 1920, 1080
WINDOW = (480, 180, 960, 720)  # the scanner window: left, top, width, height
CODE_PX = 420  # camera pixels across the code and its quiet zone (a phone about 15 cm from the camera)
PATCH = 600  # the phone face around the code, square, camera pixels
ROUNDS = 3
TARGET = 0.003  # seconds, frame to verdict
BASE_BLUR = 0.6  # defocus of every frame, camera pixels
BASE_NOISE = 3.0  # sensor noise of every frame, grey levels

# name: what it changes from the base frame
DEGRADATIONS = {
    "base": "tilted 2-5 degrees, defocus 0.6 px, noise 3 grey levels",
    "rotation 30": "tilted 28-32 degrees",
    "perspective": "corners moved up to 8% of the code's width",
    "defocus 1.5": "defocus 1.5 px",
    "JPEG 40": "the whole frame JPEG-compressed at quality 40",
    "small code": "the code 300 px across",
    "low contrast": "dark and light 30 grey levels apart",
    "glare": "a bright spot (up to +140) over the code",
    "occlusion": "5% of the code covered",
    "busy scene": "a textured, cluttered background",
    "noise 8": "sensor noise 8 grey levels",
    "dim": "the whole frame at 40% brightness",
}


# --- the codes and their verifiers ------------------------------------------------------------


class Code:
    """A text to show and the verifier a gate uses for it; ``reset`` undoes a verify's side effects."""

    def __init__(self, name: str, text: str, verifier: credential.Verifier, now: int, reset: Callable[[], None] = lambda: None) -> None:
        self.name, self.text, self.verifier, self.now, self.reset = name, text, verifier, now, reset
        self.version = qr.version(text)
        self.label = f"{name} (v{self.version})"

    def verdict(self, text: str) -> Any:
        return self.verifier.verify(text, now=self.now)


def codes(folder: Path) -> list[Code]:
    issuer = fixed_key("Ed25519")
    trusted = [credential.TrustedKey(issuer.public_key(), {"HK"})]
    claims = completed("full")
    full = credential.issue(claims, issuer, policy=None)
    device = fixed_key("ES256")
    bound = credential.issue(dict(claims, cnf=credential.device_cnf(device)), issuer, policy=None)
    shown_at = claims["iat"] + 60
    shown = credential.present(bound, device, now=shown_at, destination="MO")
    replay_path = folder / "replay.db"
    replay = credential.SqliteReplayCache(replay_path)

    def forget() -> None:
        # A presentation is accepted once; the timed loop shows the same one again, so the entry is
        # removed between calls, outside the timing (the cache's own schema).
        with sqlite3.connect(replay_path) as db:
            db.execute("DELETE FROM presented")
            db.execute("UPDATE presented_count SET entries = 0")

    from cryptography.hazmat.primitives.asymmetric import x25519

    gate_key = x25519.X25519PrivateKey.from_private_bytes(bytes([1]) * 32)  # recipient_keys(2)[0]'s private key
    assert gate_key.public_key().public_bytes_raw() == recipient_keys(1)[0].public_bytes_raw()
    templates = recommended_templates_text(issuer)
    return [
        Code("credential", full, credential.Verifier(trusted), NOW),
        Code("presentation", shown, credential.Verifier(trusted, destination="MO", replay=replay), shown_at, forget),
        Code("templates", templates, credential.Verifier(trusted, decryption_keys=[gate_key], require_templates={"face", "fingerprint"}), NOW),
    ]


# --- frames -----------------------------------------------------------------------------------


def scene(rng: random.Random, busy: bool) -> np.ndarray:
    """A background: a soft gradient with a few flat shapes, or (busy) texture and clutter."""
    gen = np.random.default_rng(rng.getrandbits(32))
    if busy:
        coarse = gen.uniform(30, 220, (FRAME_H // 16 + 2, FRAME_W // 16 + 2)).astype(np.float32)
        out = np.asarray(Image.fromarray(coarse, "F").resize((FRAME_W + 32, FRAME_H + 32), Image.Resampling.BICUBIC))[:FRAME_H, :FRAME_W].copy()
        shapes = 60
    else:
        yy, xx = np.mgrid[0:FRAME_H, 0:FRAME_W].astype(np.float32)
        out = 70 + 50 * xx / FRAME_W + 30 * yy / FRAME_H
        shapes = 8
    for _ in range(shapes):
        h, w = rng.randrange(5, 260), rng.randrange(5, 260)
        top, left = rng.randrange(FRAME_H - 4), rng.randrange(FRAME_W - 4)
        out[top : top + h, left : left + w] = rng.uniform(0, 255)
    return out


def empty_frame(trial: int) -> np.ndarray:
    """A frame with no code in it (plain and busy scenes in turn): what a gate sees between travellers."""
    rng = random.Random(f"empty|{trial}")
    image = Image.fromarray(np.clip(scene(rng, trial % 2 == 1) + 0.5, 0, 255).astype(np.uint8), "L").filter(ImageFilter.GaussianBlur(BASE_BLUR))
    noisy = np.asarray(image, dtype=np.float32) + np.random.default_rng(rng.getrandbits(32)).normal(0, BASE_NOISE, (FRAME_H, FRAME_W)).astype(np.float32)
    return np.clip(noisy + 0.5, 0, 255).astype(np.uint8)


def frame(code: Code, degradation: str, trial: int) -> np.ndarray:
    """One seeded 1080p grey frame (uint8, shape (1080, 1920)) showing ``code`` with ``degradation``."""
    rng = random.Random(f"{code.name}|{degradation}|{trial}")
    grid = module_grid(qr.build(code.text, "M"), qr.QUIET_ZONE)
    angle = rng.uniform(2, 5) * rng.choice((-1, 1))
    options: dict[str, Any] = {}
    if degradation == "rotation 30":
        angle = rng.uniform(28, 32) * rng.choice((-1, 1))
    elif degradation == "perspective":
        options["perspective"] = 0.08
    elif degradation == "small code":
        options["width"] = 300
    elif degradation == "low contrast":
        middle = rng.uniform(110, 160)
        options.update(dark=middle - 15, light=middle + 15)
    elif degradation == "glare":
        options["glare"] = 140
    elif degradation == "occlusion":
        options["occlusion"] = 0.05
    options.setdefault("width", CODE_PX)
    # The code on its phone face, tilted; blur and noise are the whole frame's, added below.
    phone = capture(grid, rng, angle=angle, blur_px=0.0, noise=0.0, **options)
    cut = (phone.width - PATCH) // 2
    phone = phone.crop((cut, cut, cut + PATCH, cut + PATCH))
    pixels = scene(rng, degradation == "busy scene")
    left, top, wide, high = WINDOW
    x, y = left + rng.randrange(wide - PATCH + 1), top + rng.randrange(high - PATCH + 1)
    pixels[y : y + PATCH, x : x + PATCH] = np.asarray(phone, dtype=np.float32)
    if degradation == "dim":
        pixels *= 0.4
    image = Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8), "L")
    image = image.filter(ImageFilter.GaussianBlur(1.5 if degradation == "defocus 1.5" else BASE_BLUR))
    sigma = 8.0 if degradation == "noise 8" else BASE_NOISE
    noisy = np.asarray(image, dtype=np.float32) + np.random.default_rng(rng.getrandbits(32)).normal(0, sigma, (FRAME_H, FRAME_W)).astype(np.float32)
    out = np.clip(noisy + 0.5, 0, 255).astype(np.uint8)
    if degradation == "JPEG 40":
        buffer = io.BytesIO()
        Image.fromarray(out, "L").save(buffer, format="JPEG", quality=40)
        out = np.asarray(Image.open(buffer).convert("L")).copy()
    return out


# --- what is timed ----------------------------------------------------------------------------

QR_ONLY = qr.qr_model_2()  # the QR code of ISO/IEC 18004 only, as qr.scan_frame reads
OFF = {"try_rotate": False, "try_downscale": False, "try_invert": False}
GH = zxingcpp.Binarizer.GlobalHistogram


def _zxing(image: Any, **options: Any) -> str | None:
    found = zxingcpp.read_barcodes(image, formats=QR_ONLY, **options)
    return str(found[0].text) if found else None


def _view(pixels: np.ndarray, step: int = 1, region: tuple[int, int, int, int] | None = None) -> Any:
    left, top, wide, high = region or (0, 0, pixels.shape[1], pixels.shape[0])
    flat = memoryview(pixels).cast("B")[top * pixels.shape[1] + left :]
    return zxingcpp.ImageView(flat, wide // step, high // step, zxingcpp.ImageFormat.Lum, row_stride=pixels.shape[1] * step, pix_stride=step)


# First passes considered: bare zxing-cpp calls over the frame in place (each a zero-copy view).
CANDIDATES: dict[str, Callable[[np.ndarray], str | None]] = {
    "zxing-cpp defaults (rotate, downscale, invert on), full frame": lambda px: _zxing(px),
    "rotate, downscale, invert off, full frame": lambda px: _zxing(px, **OFF),
    "off, full frame, GlobalHistogram binarizer": lambda px: _zxing(px, binarizer=GH, **OFF),
    "off, every 2nd pixel and row (zero-copy view)": lambda px: _zxing(_view(px, 2), **OFF),
    "off, every 2nd pixel, GlobalHistogram": lambda px: _zxing(_view(px, 2), binarizer=GH, **OFF),
    "off, every 3rd pixel and row": lambda px: _zxing(_view(px, 3), **OFF),
    "off, scanner window (960x720)": lambda px: _zxing(_view(px, 1, WINDOW), **OFF),
    "off, scanner window, every 2nd pixel": lambda px: _zxing(_view(px, 2, WINDOW), **OFF),
}
DEFAULTS = "zxing-cpp defaults (rotate, downscale, invert on), full frame"
FAST = "rotate, downscale, invert off, full frame"


def scan_before(picture: Image.Image) -> str:
    """qr.scan as it was before scan_frame: zxing-cpp's defaults on the PIL image, then contrast
    stretching and equalizing (its sharpen and upscale retries skipped frames over 2 megapixels)."""
    text = _zxing(picture)
    for prepare in (lambda im: ImageOps.autocontrast(im, cutoff=1), ImageOps.equalize):
        if text is not None:
            break
        text = _zxing(prepare(picture))
    if text is None:
        raise qr.ScanError("no QR code found in the image")
    return text


def _scan(fn: Callable[[], str]) -> Callable[[], str | None]:
    def run() -> str | None:
        try:
            return fn()
        except qr.ScanError:
            return None

    return run


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def verdict(code: Code, scan: Callable[[], str]) -> bool:
    """Frame to verdict: scan, then verify; True when the credential was read and accepted."""
    try:
        text = scan()
    except qr.ScanError:
        return False
    try:
        code.verdict(text)
    except credential.VerificationError:
        return False
    return True


def measure(code: Code, pixels: np.ndarray) -> dict[str, tuple[bool, list[float]]]:
    """Every candidate and every form of scan_frame on one frame, ROUNDS times, interleaved."""
    raw = pixels.tobytes()
    picture = Image.fromarray(pixels, "L")
    runs: dict[str, Callable[[], Any]] = {name: (lambda fn=fn: fn(pixels)) for name, fn in CANDIDATES.items()}
    runs.update(
        {
            "scan_frame(array)": _scan(lambda: qr.scan_frame(pixels)),
            "scan_frame(bytes, width, height)": _scan(lambda: qr.scan_frame(raw, FRAME_W, FRAME_H)),
            "scan_frame(PIL image)": _scan(lambda: qr.scan_frame(picture)),
            "scan_frame(array, region=window)": _scan(lambda: qr.scan_frame(pixels, region=WINDOW)),
            "qr.scan(PIL image)": _scan(lambda: qr.scan(picture)),
            "qr.scan before (PIL image)": _scan(lambda: scan_before(picture)),
        }
    )
    out: dict[str, tuple[bool, list[float]]] = {}
    for _ in range(ROUNDS):
        for name, fn in runs.items():
            text, took = timed(fn)
            if text is not None and text != code.text:
                raise AssertionError(f"{name} read a wrong text")  # never expected: Reed-Solomon and the format check
            ok, times = out.get(name, (True, []))
            out[name] = (ok and text == code.text, times + [took])
        verdicts: dict[str, Callable[[], str]] = {
            "verdict": lambda: qr.scan_frame(pixels),
            "verdict, region": lambda: qr.scan_frame(pixels, region=WINDOW),
            "verdict before": lambda: scan_before(picture),
        }
        for name, scan in verdicts.items():
            code.reset()
            accepted, took = timed(lambda: verdict(code, scan))
            ok, times = out.get(name, (True, []))
            out[name] = (ok and accepted, times + [took])
    return out


def measure_empty(pixels: np.ndarray) -> dict[str, list[float]]:
    """What a frame without a code costs each way of scanning (every pass runs, and finds nothing)."""
    picture = Image.fromarray(pixels, "L")
    runs: dict[str, Callable[[], Any]] = {
        "scan_frame(array)": _scan(lambda: qr.scan_frame(pixels)),
        "scan_frame(array, region=window)": _scan(lambda: qr.scan_frame(pixels, region=WINDOW)),
        "scan_frame(array, retries=False)": _scan(lambda: qr.scan_frame(pixels, retries=False)),
        "scan_frame(array, region=window, retries=False)": _scan(lambda: qr.scan_frame(pixels, region=WINDOW, retries=False)),
        "qr.scan before (PIL image)": _scan(lambda: scan_before(picture)),
        DEFAULTS: lambda: _zxing(pixels),
        FAST: lambda: _zxing(pixels, **OFF),
    }
    out: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(ROUNDS):
        for name, fn in runs.items():
            text, took = timed(fn)
            assert text is None
            out[name].append(took)
    return out


# --- report -----------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def pcts(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def cell(rows: list[tuple[bool, list[float]]], with_rate: bool = True) -> str:
    reads = sum(ok for ok, _ in rows)
    p50, p99 = pcts([t for _, times in rows for t in times])
    rate = f"{100 * reads / len(rows):.0f}%, " if with_rate else ""
    return f"{rate}{ms(p50)} / {ms(p99)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=12, help="frames per code and degradation (default 12)")
    parser.add_argument("--quick", action="store_true", help="2 frames per cell, a smoke test")
    args = parser.parse_args()
    trials = 2 if args.quick else args.trials
    load = os.getloadavg()[0]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        shown = codes(Path(folder))
        results: dict[tuple[str, str], list[dict[str, tuple[bool, list[float]]]]] = {}
        for code in shown:
            code.reset()
            code.verdict(code.text)  # warm imports and caches
            for degradation in DEGRADATIONS:
                results[(code.name, degradation)] = [measure(code, frame(code, degradation, t)) for t in range(trials)]
        empty = [measure_empty(empty_frame(t)) for t in range(trials)]
    took = time.perf_counter() - started
    frames_count = trials * len(DEGRADATIONS)

    def pooled(code: Code, name: str, degradations: Any = DEGRADATIONS) -> list[tuple[bool, list[float]]]:
        return [r[name] for d in degradations for r in results[(code.name, d)]]

    print("## From camera frame to verdict (bench/frames.py)\n")
    print(
        f"Synthetic {FRAME_W}x{FRAME_H} grey frames, {trials} per code and degradation ({frames_count} per code); the code spans "
        f"{CODE_PX} camera pixels with its quiet zone ({', '.join(f'{c.label}: {CODE_PX / (4 * c.version + 25):.1f} px per module' for c in shown)}), "
        f"inside the scanner window {WINDOW[2]}x{WINDOW[3]}. Python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"zxing-cpp {_version('zxing-cpp')}, load average {load:.2f} at the start; {took:.0f} s. Times in ms, each call timed alone, "
        f"{ROUNDS} rounds per frame; p99 over {frames_count * ROUNDS} calls per code ({trials * ROUNDS} per degradation).\n"
    )
    print("### Summary\n")
    print(
        "All degradations pooled; read rate, then p50 / p99 ms. Frame to verdict is `qr.scan_frame(array)` then "
        "`Verifier.verify`; the target is a p50 under 3 ms on a 1080p frame.\n"
    )
    summary = []
    for code in shown:
        p50, p99 = pcts([t for _, times in pooled(code, "verdict") for t in times])
        met = "met" if p50 < TARGET else "**missed**"
        p99_note = "met" if p99 < TARGET else "missed"
        summary.append(
            [code.label]
            + [cell(pooled(code, name)) for name in ("verdict", "verdict, region", "verdict before", DEFAULTS, FAST)]
            + [f"p50: {met}; p99: {p99_note}"]
        )
    print(
        markdown_table(
            ["code", "frame to verdict", "with the scanner window", "before: qr.scan, verify", "zxing-cpp defaults", "zxing-cpp, passes off", f"{TARGET * 1e3:.0f} ms"],
            summary,
        )
    )
    print("\n### First pass: which zxing-cpp call to try first\n")
    print("Each cell: frames read, then p50 / p99 of one call (a miss costs what follows it).\n")
    header = ["first pass"] + [c.label for c in shown]
    rows = [[name] + [cell(pooled(c, name)) for c in shown] for name in CANDIDATES]
    print(markdown_table(header, rows))
    print("\n### What scan_frame takes\n")
    print("qr.scan_frame's passes (global-histogram binarizer, then the local one, both with zxing-cpp's own retries off; then zxing-cpp's defaults, then the preprocessed retries), by the form of the frame; qr.scan decodes an image, then reads it the same way.\n")
    forms = ["scan_frame(array)", "scan_frame(bytes, width, height)", "scan_frame(PIL image)", "scan_frame(array, region=window)", "qr.scan(PIL image)", "qr.scan before (PIL image)"]
    print(markdown_table(["call"] + [c.label for c in shown], [[name] + [cell(pooled(c, name)) for c in shown] for name in forms]))
    print(f"\nA frame with no code ({trials} frames, plain and busy scenes): what each call costs to find nothing, p50 / p99 ms.\n")
    print(markdown_table(["call", "no code"], [[name, cell([(True, times) for times in (e[name] for e in empty)], with_rate=False)] for name in empty[0]]))
    print("\n### Frame to verdict\n")
    print(
        "`qr.scan_frame(array)` then `Verifier.verify` (the share of frames accepted, p50 / p99 ms), the same with the scanner "
        "window as region, and qr.scan as it was before (zxing-cpp's defaults on the PIL image, then its retries) then verify; beside "
        "bare zxing-cpp on the same frames: its default options, and its rotate, downscale and invert passes off (read rate, p50 / p99).\n"
    )
    columns = ["verdict", "verdict, region", "verdict before", DEFAULTS, FAST]
    header = ["code", "frames", "frame to verdict", "with the scanner window", "before: qr.scan, verify", "zxing-cpp defaults", "zxing-cpp, passes off"]
    rows = []
    for code in shown:
        rows.append([f"**{code.label}**", "all"] + [cell(pooled(code, name)) for name in columns])
        for degradation in DEGRADATIONS:
            rows.append(["", degradation] + [cell(pooled(code, name, [degradation])) for name in columns])
    print(markdown_table(header, rows))
    print("\nDegradations (each on top of the base frame):\n")
    for name, meaning in DEGRADATIONS.items():
        print(f"- {name}: {meaning}")


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    main()
