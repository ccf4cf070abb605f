"""Scanning robustness: rendered credentials through seeded degradations, decoded with credential.qr.scan.

    python bench/robustness.py [--trials N] [--jobs J] [--quick]
    python bench/robustness.py --templates --levels M --degradations-only --scale 1.7 --trials 8

The second form measures one configuration in a few minutes: the credential with encrypted templates
that spec 8.5.7 recommends, one level, the degradation table only. ``--scale`` makes the code span that
many times more camera pixels (shown larger on the phone, or read from closer): the widths of the
capture and of the downscale steps grow with it, while lens blur stays in camera pixels, since
defocus is a property of the camera, not of the code.

A full-profile credential (354 characters) is drawn at ECC levels L, M and Q the way a phone shows it
and a gate camera sees it, then degraded one way at a time, at four severities each:

- The code, quiet zone included, spans the same number of camera pixels at every level (260 unless
  a degradation changes it): a phone screen has one size, so a higher level means smaller modules
  (L 4.0, M 3.8, Q 3.2 pixels per module). That is the trade the ECC level buys.
- Every capture has what any photo has: the screen's dark and light are grey 25 and 230, the code
  sits on a grey 110 surround, area-sampled at a random sub-pixel phase, lens blur of 0.35 pixel,
  sensor noise of 2 grey levels, and a PNG-lossless result unless JPEG is the degradation.

Every image comes from its own seeded RNG, so a run reproduces exactly. Each image is decoded twice:
with a single zxing-cpp pass with default options (what qr.scan did before this suite) and with
credential.qr.scan as it is now; a decode only counts if it returns the credential text. Then: which
zxing-cpp options and preprocessing recover the failures, the pixels per module needed, the quiet
zone against busy backgrounds, and fixed masks against the chosen one. Prints Markdown.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import zxingcpp
from common import issued, markdown_table
from PIL import Image, ImageFilter, ImageOps

from credential import qr

LEVELS = ("L", "M", "Q")
BASE_WIDTH = 260  # camera pixels across the code and its quiet zone
SCREEN_WIDTH = 414  # screen pixels across the code and its quiet zone (moire)
DARK, LIGHT, SURROUND = 25, 230, 110
NOISE = 2.0
LENS_BLUR = 0.35
TEXT = issued("Ed25519", "full")

DEGRADATIONS: dict[str, tuple[str, tuple[Any, ...]]] = {
    # name: (what the severity means, four severities)
    "rotation": ("degrees (random sign, +-2)", (10, 20, 30, 45)),
    "perspective": ("corner shift, fraction of width", (0.04, 0.08, 0.14, 0.20)),
    "blur": ("Gaussian sigma, camera pixels (L/M/Q modules)", (1.2, 1.6, 2.0, 2.4)),
    "jpeg": ("JPEG quality", (30, 15, 8, 4)),
    "downscale": ("camera pixels across (L/M/Q px per module)", (200, 160, 130, 100)),
    "low contrast": ("dark-light difference, grey levels", (40, 20, 12, 8)),
    "glare": ("added light at the spot's centre, grey levels", (80, 140, 200, 255)),
    "occlusion": ("share of the code covered", (0.02, 0.05, 0.09, 0.14)),
    "moire": ("screen-door depth (screen photographed)", (0.2, 0.3, 0.4, 0.5)),
    "combined": ("a phone photo, worse at each step", (2, 3, 3.5, 4)),
}


# --- rendering and capture --------------------------------------------------------------------


@lru_cache(maxsize=None)
def _penalty(sym: qr.Symbol) -> int:
    """ISO/IEC 18004 penalty of the symbol as placed (format and version information included), by segno."""
    from segno import encoder

    return int(encoder.evaluate_mask([bytearray(row) for row in sym.rows()], sym.size, sym.size))


def symbol(level: str, mask: int | None = None) -> qr.Symbol:
    return qr.build(TEXT, level, mask=mask)


def module_grid(sym: qr.Symbol, quiet: int) -> np.ndarray:
    """1.0 for light, 0.0 for dark, one cell per module, quiet zone included."""
    n = sym.size
    side = n + 2 * quiet
    grid = np.ones((side, side), dtype=np.float32)
    grid[quiet : quiet + n, quiet : quiet + n] = 1.0 - np.frombuffer(sym.modules, dtype=np.uint8).reshape(n, n)
    return grid


def _perspective_coefficients(dst: list[tuple[float, float]], src: list[tuple[float, float]]) -> list[float]:
    """PIL's PERSPECTIVE data: maps output (dst) points back to input (src) points."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return list(np.linalg.solve(np.array(rows, dtype=float), np.array(rhs, dtype=float)))


def capture(
    grid: np.ndarray,
    rng: random.Random,
    *,
    width: int | None = None,
    dark: float = DARK,
    light: float = LIGHT,
    angle: float = 0.0,
    perspective: float = 0.0,
    blur_px: float = LENS_BLUR,
    glare: float = 0.0,
    occlusion: float = 0.0,
    noise: float = NOISE,
    surround: np.ndarray | None = None,
    jpeg: int | None = None,
) -> Any:
    """The code as a gate camera sees it: a PIL image, or JPEG bytes when ``jpeg`` is a quality."""
    width = BASE_WIDTH if width is None else width  # read at call time: --scale changes it
    side = grid.shape[0]
    fine_px = 8  # screen drawn at 8 pixels per module, then area-sampled by the camera
    screen = np.kron(dark + (light - dark) * grid, np.ones((fine_px, fine_px), dtype=np.float32))
    if occlusion:  # something over the screen: a rectangle of a finger-like grey, in module units
        area = occlusion * side * side
        aspect = rng.uniform(0.5, 2.0)
        h = max(1.0, (area / aspect) ** 0.5)
        w = max(1.0, area / h)
        top, left = rng.uniform(0, side - h), rng.uniform(0, side - w)
        screen[int(top * fine_px) : int((top + h) * fine_px), int(left * fine_px) : int((left + w) * fine_px)] = rng.uniform(120, 200)
    fine_side = screen.shape[0]
    pad = max(fine_px, fine_side // width + 2)  # the phase below spans one camera pixel, which can exceed a module
    picture = Image.fromarray(np.pad(screen, pad, mode="edge"), "F")
    phase = rng.uniform(0, 1) * fine_side / width  # sub-pixel phase of the sampling grid, in fine pixels
    start = pad - phase
    picture = picture.resize((width, width), Image.Resampling.BOX, box=(start, start, start + fine_side, start + fine_side))
    margin = int(0.3 * width) + 24
    canvas_side = width + 2 * margin
    if surround is None:
        canvas = np.full((canvas_side, canvas_side), SURROUND, dtype=np.float32)
    else:
        canvas = np.array(Image.fromarray(surround, "F").resize((canvas_side, canvas_side)), dtype=np.float32)
    canvas[margin : margin + width, margin : margin + width] = np.asarray(picture)
    frame = Image.fromarray(canvas, "F")
    if angle:
        frame = frame.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=SURROUND)
    if perspective:
        square = [(margin, margin), (margin + width, margin), (margin + width, margin + width), (margin, margin + width)]
        moved = [(x + rng.uniform(-1, 1) * perspective * width, y + rng.uniform(-1, 1) * perspective * width) for x, y in square]
        frame = frame.transform(frame.size, Image.Transform.PERSPECTIVE, _perspective_coefficients(moved, square), Image.Resampling.BICUBIC, fillcolor=SURROUND)
    pixels = np.asarray(frame, dtype=np.float32)
    if glare:  # a reflection: a soft bright spot over part of the code, saturating the sensor
        cy = margin + rng.uniform(0.15, 0.85) * width
        cx = margin + rng.uniform(0.15, 0.85) * width
        sigma = rng.uniform(0.12, 0.22) * width
        yy, xx = np.mgrid[0 : pixels.shape[0], 0 : pixels.shape[1]]
        pixels = pixels + glare * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma * sigma))
    frame = Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8), "L")
    if blur_px > 0:
        frame = frame.filter(ImageFilter.GaussianBlur(blur_px))
    pixels = np.asarray(frame, dtype=np.float32)
    if noise:
        pixels = pixels + np.random.default_rng(rng.getrandbits(32)).normal(0, noise, pixels.shape).astype(np.float32)
    image = Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8), "L")
    if jpeg is None:
        return image
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=jpeg)
    return out.getvalue()


def moire_capture(grid: np.ndarray, rng: random.Random, depth: float, width: int | None = None) -> Any:
    """A photographed screen: each screen pixel has dark gaps, sampled by a camera grid that does not line up."""
    width = BASE_WIDTH if width is None else width
    screen_px = max(1, round(SCREEN_WIDTH / grid.shape[0]))  # whole screen pixels per module, as an app draws
    sub = 3  # subpixels per screen pixel
    cells = np.kron(DARK + (LIGHT - DARK) * grid, np.ones((screen_px * sub, screen_px * sub), dtype=np.float32))
    door = np.ones((sub, sub), dtype=np.float32)
    door[sub - 1, :] = door[:, sub - 1] = 1 - depth
    side = cells.shape[0]
    cells *= np.tile(door, (side // sub, side // sub))
    source = Image.fromarray(cells, "F")
    scale = side / width  # source pixels per camera pixel
    angle = np.radians(rng.uniform(1, 4) * rng.choice((-1, 1)))
    margin = 40
    out_side = width + 2 * margin
    cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
    centre_out = out_side / 2
    centre_in = side / 2
    # Point sampling (bilinear, no prefilter): the camera's grid aliases the screen's.
    coefficients = (cos, -sin, centre_in - cos * centre_out + sin * centre_out, sin, cos, centre_in - sin * centre_out - cos * centre_out)
    frame = source.transform((out_side, out_side), Image.Transform.AFFINE, coefficients, Image.Resampling.BILINEAR, fillcolor=SURROUND)
    frame = Image.fromarray(np.clip(np.asarray(frame) + 0.5, 0, 255).astype(np.uint8), "L")
    frame = frame.filter(ImageFilter.GaussianBlur(LENS_BLUR))
    pixels = np.asarray(frame, dtype=np.float32)
    pixels = pixels + np.random.default_rng(rng.getrandbits(32)).normal(0, NOISE, pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8), "L")


def phone_photo(grid: np.ndarray, rng: random.Random, step: float) -> Any:
    """Several mild faults at once, all growing with ``step``: tilt, perspective, blur, dimmer screen, glare, noise, size, JPEG."""
    return capture(
        grid,
        rng,
        angle=rng.uniform(2, 4 * step) * rng.choice((-1, 1)),
        perspective=0.02 * step,
        blur_px=max(LENS_BLUR, 0.3 * step),
        dark=DARK + 12 * step,
        light=LIGHT - 15 * step,
        glare=35 * step,
        noise=NOISE + step,
        width=round(BASE_WIDTH - 20 * step),
        jpeg=round(70 - 12 * step),
    )


def degraded(level: str, name: str, severity: int, rng: random.Random, mask: int | None = None) -> Any:
    sym = symbol(level, mask)
    grid = module_grid(sym, qr.QUIET_ZONE)
    value = DEGRADATIONS[name][1][severity]
    if name == "rotation":
        return capture(grid, rng, angle=(value + rng.uniform(-2, 2)) * rng.choice((-1, 1)))
    if name == "perspective":
        return capture(grid, rng, perspective=value)
    if name == "blur":  # defocus is physical: the same pixels at every level, so more modules at Q
        return capture(grid, rng, blur_px=value)
    if name == "jpeg":
        return capture(grid, rng, jpeg=value)
    if name == "downscale":
        return capture(grid, rng, width=value)
    if name == "low contrast":
        middle = rng.uniform(110, 170)
        return capture(grid, rng, dark=middle - value / 2, light=middle + value / 2)
    if name == "glare":
        return capture(grid, rng, glare=value)
    if name == "occlusion":
        return capture(grid, rng, occlusion=value)
    if name == "moire":
        return moire_capture(grid, rng, value)
    if name == "combined":
        return phone_photo(grid, rng, value)
    raise ValueError(name)


# --- decoding ---------------------------------------------------------------------------------


def _as_l(image: Any) -> Image.Image:
    if isinstance(image, (bytes, bytearray)):
        image = Image.open(io.BytesIO(image))
        image.load()
    return image if image.mode in ("L", "RGB") else image.convert("L")


def _zxing(image: Image.Image, binarizer: Any = None) -> str | None:
    options = {} if binarizer is None else {"binarizer": binarizer}
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, **options)
    return str(found[0].text) if found else None


def scan_before(image: Any) -> str | None:
    """qr.scan as it was before this suite: one zxing-cpp pass, default options."""
    return _zxing(_as_l(image))


def scan_now(image: Any) -> str | None:
    try:
        return qr.scan(image)
    except qr.ScanError:
        return None


B = zxingcpp.Binarizer
VARIANTS: dict[str, Callable[[Image.Image], str | None]] = {
    "binarizer GlobalHistogram": lambda im: _zxing(im, B.GlobalHistogram),
    "binarizer FixedThreshold": lambda im: _zxing(im, B.FixedThreshold),
    "autocontrast (1% cut)": lambda im: _zxing(ImageOps.autocontrast(im.convert("L"), cutoff=1)),
    "equalize": lambda im: _zxing(ImageOps.equalize(im.convert("L"))),
    "Gaussian blur 1 px": lambda im: _zxing(im.filter(ImageFilter.GaussianBlur(1))),
    "median 3x3": lambda im: _zxing(im.filter(ImageFilter.MedianFilter(3))),
    "upscale 2x bicubic": lambda im: _zxing(im.resize((im.width * 2, im.height * 2), Image.Resampling.BICUBIC)),
    "upscale 2x + GlobalHistogram": lambda im: _zxing(im.resize((im.width * 2, im.height * 2), Image.Resampling.BICUBIC), B.GlobalHistogram),
    "downscale 1/2 (box)": lambda im: _zxing(im.reduce(2)),
    "blur 1 px + GlobalHistogram": lambda im: _zxing(im.filter(ImageFilter.GaussianBlur(1)), B.GlobalHistogram),
    "unsharp mask (2 px, 200%)": lambda im: _zxing(im.filter(ImageFilter.UnsharpMask(2, 200, 0))),
    "upscale 2x + autocontrast": lambda im: _zxing(ImageOps.autocontrast(im.resize((im.width * 2, im.height * 2), Image.Resampling.BICUBIC), cutoff=1)),
}


def _timed(fn: Callable[[Any], str | None], image: Any) -> tuple[bool, float]:
    start = time.perf_counter()
    text = fn(image)
    took = time.perf_counter() - start
    if text is not None and text != TEXT:
        raise AssertionError(f"wrong decode: {text[:40]}...")  # never expected: Reed-Solomon and the format check
    return text == TEXT, took


def run_task(task: tuple[Any, ...]) -> dict[str, Any]:
    kind, level, name, severity, trial, extra = task
    # Common random numbers: every level (and every mask, every quiet zone) meets the same tilts,
    # positions and noise, so the comparisons between them are paired.
    rng = random.Random(f"{kind}|{name}|{trial}|{severity if kind != 'quiet' else ''}|{extra if kind == 'size' else ''}")
    if kind == "main":
        image = degraded(level, name, severity, rng)
    elif kind == "mask":
        image = phone_photo(module_grid(symbol(level, extra), qr.QUIET_ZONE), rng, severity)
    elif kind == "size":
        sym = symbol(level)
        grid = module_grid(sym, qr.QUIET_ZONE)
        width = round(extra * grid.shape[0])
        image = capture(grid, rng, width=width, angle=rng.uniform(-3, 3), blur_px=0.5, jpeg=70)
    elif kind == "quiet":
        image = quiet_zone_capture(level, severity, name, rng)
    else:
        raise ValueError(kind)
    before, before_s = _timed(scan_before, image)
    now, now_s = _timed(scan_now, image)
    out = {"task": task, "before": before, "now": now, "before_s": before_s, "now_s": now_s}
    if kind == "main" and not before:
        picture = _as_l(image)
        out["variants"] = {v: _timed(fn, picture) for v, fn in VARIANTS.items()}
    return out


QUIET_ZONES = (0, 1, 2, 4)
QUIET_BLUR = 0.35  # Gaussian sigma in modules: a slightly defocused camera
BACKGROUNDS = ("light page", "dark UI", "busy UI")


def quiet_zone_capture(level: str, quiet: int, background: str, rng: random.Random) -> Any:
    """The code with ``quiet`` light modules around it, on a phone screen's background, mildly degraded."""
    sym = symbol(level)
    grid = module_grid(sym, quiet)
    # Surround the quiet zone with 6 modules of app background, in module units.
    pad = 6
    side = grid.shape[0] + 2 * pad
    if background == "light page":
        scene = np.full((side, side), 0.93, dtype=np.float32)
    elif background == "dark UI":
        scene = np.full((side, side), 0.05, dtype=np.float32)
    else:  # busy: dark and light blocks of random size right up to the code, like text and buttons
        scene = np.full((side, side), 0.5, dtype=np.float32)
        for _ in range(120):
            h, w = rng.randint(1, 3), rng.randint(1, 6)
            top, left = rng.randint(0, side - h), rng.randint(0, side - w)
            scene[top : top + h, left : left + w] = rng.choice((0.0, 0.1, 1.0))
    scene[pad : pad + grid.shape[0], pad : pad + grid.shape[0]] = grid
    modules_across = qr.QUIET_ZONE * 2 + sym.size
    width = round(BASE_WIDTH / modules_across * side)
    blur = QUIET_BLUR * width / side  # in modules, as camera pixels
    return capture(scene, rng, width=width, angle=rng.uniform(-8, 8), perspective=0.03, blur_px=blur, jpeg=60)


# --- the run ----------------------------------------------------------------------------------


def tasks(trials: int) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for level in LEVELS:
        for name in DEGRADATIONS:
            for severity in range(4):
                out += [("main", level, name, severity, t, None) for t in range(trials)]
        for ppm in SIZES:
            out += [("size", level, "", 0, t, ppm) for t in range(trials)]
    for quiet in QUIET_ZONES:
        for background in BACKGROUNDS:
            out += [("quiet", "M", background, quiet, t, None) for t in range(trials)]
    for mask in (None, *range(8)):
        for step in MASK_STEPS:
            out += [("mask", "M", "combined", step, t, mask) for t in range(2 * trials)]
    return out


SIZES = (1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
MASK_STEPS = (3.5, 3.75)


def pct(hits: int, total: int) -> str:
    return f"{100 * hits / total:.0f}%" if total else "-"


def report(results: list[dict[str, Any]], trials: int, seconds: float) -> str:
    by: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        kind, level, name, severity, _, extra = r["task"]
        by[(kind, level, name, severity, extra)].append(r)

    def rate(key: tuple[Any, ...], field: str = "now") -> tuple[int, int]:
        rows = by[key]
        return sum(r[field] for r in rows), len(rows)

    out = []
    ppm = {lvl: BASE_WIDTH / (symbol(lvl).size + 2 * qr.QUIET_ZONE) for lvl in LEVELS}
    sizes = ", ".join(f"{lvl}: version {symbol(lvl).version}, {symbol(lvl).size} modules, {ppm[lvl]:.2f} px/module" for lvl in LEVELS)
    out.append(f"{trials} images per cell; the credential is {len(TEXT)} characters ({sizes} at {BASE_WIDTH} px across).")
    out.append("Each cell: decode rate with `credential.qr.scan` now, and in brackets a single default zxing-cpp pass (qr.scan before).\n")
    rows = []
    totals = {lvl: [0, 0, 0] for lvl in LEVELS}
    for name, (meaning, values) in DEGRADATIONS.items():
        for severity, value in enumerate(values):
            label = value
            if name == "downscale":
                label = f"{value} px ({'/'.join(f'{value / (symbol(l).size + 8):.2f}' for l in LEVELS)})"
            if name == "blur":
                label = f"{value} px ({'/'.join(f'{value / ppm[l]:.2f}' for l in LEVELS)})"
            cells = []
            for lvl in LEVELS:
                hits, total = rate(("main", lvl, name, severity, None))
                before, _ = rate(("main", lvl, name, severity, None), "before")
                totals[lvl][0] += hits
                totals[lvl][1] += before
                totals[lvl][2] += total
                cells.append(f"{pct(hits, total)} ({pct(before, total)})")
            rows.append([name if severity == 0 else "", meaning if severity == 0 else "", label, *cells])
    rows.append(["**all**", "", "", *[f"**{pct(t[0], t[2])}** ({pct(t[1], t[2])})" for t in totals.values()]])
    out.append(markdown_table(["degradation", "severity is", "severity", "L", "M", "Q"], rows))

    out.append("\n### Pixels per module (capture: 0-3 degree tilt, 0.5 px lens blur, noise, JPEG 70)\n")
    rows = []
    for value in SIZES:
        cells = []
        for lvl in LEVELS:
            hits, total = rate(("size", lvl, "", 0, value))
            before, _ = rate(("size", lvl, "", 0, value), "before")
            cells.append(f"{pct(hits, total)} ({pct(before, total)})")
        rows.append([f"{value}", *cells])
    out.append(markdown_table(["camera px per module", "L", "M", "Q"], rows))

    out.append(f"\n### Quiet zone (level M, on a phone background, tilt up to 8 degrees, perspective, blur {QUIET_BLUR} modules, JPEG 60)\n")
    rows = []
    for quiet in QUIET_ZONES:
        cells = []
        for background in BACKGROUNDS:
            hits, total = rate(("quiet", "M", background, quiet, None))
            before, _ = rate(("quiet", "M", background, quiet, None), "before")
            cells.append(f"{pct(hits, total)} ({pct(before, total)})")
        rows.append([f"{quiet} modules", *cells])
    out.append(markdown_table(["quiet zone", *BACKGROUNDS], rows))

    out.append("\n### Mask: the penalty-chosen mask against each fixed mask (level M, combined degradation)\n")
    rows = []
    for mask in (None, *range(8)):
        cells = []
        for step in MASK_STEPS:
            hits, total = rate(("mask", "M", "combined", step, mask))
            cells.append(pct(hits, total))
        chosen = symbol("M").mask
        label = f"chosen by penalty (mask {chosen})" if mask is None else f"fixed mask {mask}"
        rows.append([label, _penalty(symbol("M", mask)), *cells])
    out.append(markdown_table(["mask", "penalty", *[f"combined, step {step} ({2 * trials} images)" for step in MASK_STEPS]], rows))

    failures = [r for r in results if "variants" in r]
    out.append(f"\n### What recovers the {len(failures)} images a single default pass could not read\n")
    rows = []
    for variant in VARIANTS:
        hits = sum(r["variants"][variant][0] for r in failures)
        times = [r["variants"][variant][1] for r in failures]
        rows.append([variant, f"{hits} ({pct(hits, len(failures))})", f"{1e3 * statistics.median(times):.1f} ms" if times else "-", f"{1e3 * max(times):.1f} ms" if times else "-"])
    out.append(markdown_table(["retry with", "recovered", "median time of the retry", "slowest"], rows))
    names = list(DEGRADATIONS)
    short = {v: f"v{i + 1}" for i, v in enumerate(VARIANTS)}
    rows = []
    for name in names:
        these = [r for r in failures if r["task"][2] == name]
        rows.append([name, len(these), *[sum(r["variants"][v][0] for r in these) for v in VARIANTS]])
    out.append("\nRecovered, by degradation (" + ", ".join(f"{short[v]} = {v}" for v in VARIANTS) + "):\n")
    out.append(markdown_table(["degradation", "unread", *short.values()], rows))
    remaining = list(failures)
    chosen_order = []
    while remaining:
        best = max(VARIANTS, key=lambda v: sum(r["variants"][v][0] for r in remaining))
        gained = sum(r["variants"][best][0] for r in remaining)
        if gained == 0:
            break
        chosen_order.append(f"{best} (+{gained})")
        remaining = [r for r in remaining if not r["variants"][best][0]]
    out.append("\nGreedy cascade over these failures: " + (", then ".join(chosen_order) or "nothing helps") + f"; {len(remaining)} stay unread.\n")

    main = [r for r in results if r["task"][0] == "main"]
    ok_times = [r["now_s"] for r in main if r["now"]]
    fail_now = [r["now_s"] for r in main if not r["now"]]
    fail_before = [r["before_s"] for r in main if not r["before"]]

    def q(values: list[float], p: float) -> str:
        return f"{1e3 * float(np.percentile(values, p)):.1f} ms" if values else "-"

    out.append(
        markdown_table(
            ["qr.scan time on these images", "median", "95th percentile"],
            [
                ["read (now)", q(ok_times, 50), q(ok_times, 95)],
                ["not read, single pass (before)", q(fail_before, 50), q(fail_before, 95)],
                ["not read, qr.scan now (all retries)", q(fail_now, 50), q(fail_now, 95)],
            ],
        )
    )
    out.append(f"\n_robustness.py: {len(results)} images in {seconds:.0f} s._")
    return "\n".join(out)


def templates_text() -> str:
    """The configuration spec 8.5.7 recommends: a 128-byte face template and two fingerprints of 40
    minutiae, encrypted to two recipients, minimal profile, Ed25519 (synthetic templates, fixed keys)."""
    from common import fixed_key, recommended_templates_text

    return recommended_templates_text(fixed_key("Ed25519"))


def report_degradations(results: list[dict[str, Any]], trials: int, seconds: float, scale: float) -> str:
    by: dict[tuple[Any, ...], list[bool]] = defaultdict(list)
    for r in results:
        _, level, name, severity, _, _ = r["task"]
        by[(level, name, severity)].append(r["now"])
    sizes = ", ".join(
        f"{lvl}: version {symbol(lvl).version}, {symbol(lvl).size} modules, {BASE_WIDTH / (symbol(lvl).size + 2 * qr.QUIET_ZONE):.2f} px/module"
        for lvl in LEVELS
    )
    out = [f"{trials} images per cell; {len(TEXT)} characters ({sizes} at {BASE_WIDTH} px across, camera scale {scale}).\n"]
    rows = []
    for name, (meaning, values) in DEGRADATIONS.items():
        for severity, value in enumerate(values):
            rows.append([name, str(value)] + [pct(sum(by[(l, name, severity)]), len(by[(l, name, severity)])) for l in LEVELS])
    out.append(markdown_table(["degradation", "severity", *LEVELS], rows))
    for lvl in LEVELS:
        hits = [h for (l, _, _), v in by.items() if l == lvl for h in v]
        out.append(f"\nAll degradations at {lvl}: {pct(sum(hits), len(hits))} of {len(hits)} images.")
    out.append(f"\n_robustness.py: {len(results)} images in {seconds:.0f} s._")
    return "\n".join(out)


def main() -> None:
    global TEXT, LEVELS, BASE_WIDTH
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=24, help="images per cell (default 24)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: one per core)")
    parser.add_argument("--quick", action="store_true", help="4 images per cell")
    parser.add_argument("--templates", action="store_true", help="the credential with encrypted templates of spec 8.5.7")
    parser.add_argument("--levels", default="".join(LEVELS), help="ECC levels to measure, e.g. M (default LMQ)")
    parser.add_argument("--degradations-only", action="store_true", help="only the degradation table")
    parser.add_argument("--scale", type=float, default=1.0, help="the code spans this many times more camera pixels")
    args = parser.parse_args()
    trials = 4 if args.quick else args.trials
    if args.templates:
        TEXT = templates_text()
    LEVELS = tuple(args.levels)
    if args.scale != 1.0:
        BASE_WIDTH = round(BASE_WIDTH * args.scale)
        meaning, values = DEGRADATIONS["downscale"]
        DEGRADATIONS["downscale"] = (meaning, tuple(round(v * args.scale) for v in values))
    getattr(symbol, "cache_clear", lambda: None)()  # built from TEXT, which may have just changed
    work = tasks(trials)
    if args.degradations_only:
        work = [t for t in work if t[0] == "main"]
    start = time.perf_counter()
    if args.jobs > 1:
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            results = pool.map(run_task, work, chunksize=16)
    else:
        results = [run_task(t) for t in work]
    took = time.perf_counter() - start
    print("## Scanning robustness (seeded; decoded with credential.qr.scan)\n")
    if args.degradations_only:
        print(report_degradations(results, trials, took, args.scale))
    else:
        print(report(results, trials, took))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
