"""Presentations (spec 4.5, 9.6): the holder's API, the gate's configuration, the replay caches,
the QR round trip inside and after the window, and the command line."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

import credential
from credential import qr
from credential.base.errors import ErrorCode
from credential.claims import device
from credential.cli import main as cli
from credential.cose import sign1 as cose
from credential.gate import presentation
from credential.gate.replay import MAX_PRESENTATION_SKEW, Outcome
from credential.issuer import samples
from credential.text import cbor
from credential.text import wrap as textlayer

from .vectors import ROOT

ISSUER = credential.generate_key("Ed25519")
DEVICE = credential.generate_key("ES256")
TRUST = [credential.TrustedKey(ISSUER.public_key(), {"HK"})]
BOUND_CLAIMS = dict(samples.full(), cnf=credential.device_cnf(DEVICE))
BOUND = credential.issue(BOUND_CLAIMS, ISSUER, templates=samples.TEMPLATES, policy=None)
UNBOUND = credential.issue(samples.minimal(), ISSUER, templates=samples.TEMPLATES, policy=None)
MADE = samples.ISSUED_AT + 3603
STEP = presentation.step_of(MADE)
SHOWN = credential.present(BOUND, DEVICE, now=MADE, destination="MO")


def _code(text: str, now: int = MADE, gate: credential.Verifier | None = None, **options: object) -> ErrorCode:
    with pytest.raises(credential.VerificationError) as caught:
        (gate or credential.Verifier(TRUST, **options)).verify(text, now=now)  # type: ignore[arg-type]
    return caught.value.code


# --- the holder's side --------------------------------------------------------------------------


def test_present_refuses_what_it_cannot_present() -> None:
    with pytest.raises(TypeError, match="P-256"):
        credential.present(BOUND, credential.generate_key("Ed25519"), now=MADE, destination="MO")
    with pytest.raises(ValueError, match="another device key"):
        credential.present(BOUND, credential.generate_key("ES256"), now=MADE, destination="MO")
    with pytest.raises(ValueError, match="binds no device key"):
        credential.present(UNBOUND, DEVICE, now=MADE, destination="MO")
    with pytest.raises(ValueError, match="already a presentation"):
        credential.present(SHOWN, DEVICE, now=MADE, destination="MO")
    with pytest.raises(ValueError, match="region code"):
        credential.present(BOUND, DEVICE, now=MADE, destination="XX")
    with pytest.raises(ValueError, match="timezone-aware"):
        credential.present(BOUND, DEVICE, now=dt.datetime(2027, 1, 1), destination="MO")
    with pytest.raises(ValueError, match="not a credential"):
        credential.present("XC1:" + "0" * 10, DEVICE, now=MADE, destination="MO")


def test_presentation_is_deterministic_and_changes_with_the_step() -> None:
    assert credential.present(BOUND, DEVICE, now=MADE + 1, destination="MO") == SHOWN  # same step
    later = credential.present(BOUND, DEVICE, now=MADE + 10, destination="MO")
    assert later != SHOWN and credential.decode(later).presentation.step == STEP + 1  # type: ignore[union-attr]


def test_decode_shows_both_layers() -> None:
    layers = credential.decode(SHOWN)
    assert layers.presentation is not None and layers.presentation.destination == "MO"
    assert layers.cose == textlayer.unwrap(BOUND).message and layers.claims == credential.decode(BOUND).claims


# --- the gate's side ----------------------------------------------------------------------------


def test_result_says_form_step_and_device_check() -> None:
    gate = credential.Verifier(TRUST, destination="MO", replay=credential.MemoryReplayCache())
    result = gate.verify(SHOWN, now=MADE + 2)
    assert result.form == "presentation" and result.step == STEP
    assert "device" in result.checked and "replay" in result.checked and "destination" in result.checked
    bare = credential.verify(UNBOUND, TRUST, now=MADE)
    assert bare.form == "credential" and bare.step is None and {"device", "replay"} <= set(bare.skipped)
    unrecorded = credential.verify(SHOWN, TRUST, now=MADE)
    assert "device" in unrecorded.checked and "replay" in unrecorded.skipped


def test_configuration_mistakes_are_caught_when_built() -> None:
    with pytest.raises(TypeError, match="replay cache"):
        credential.Verifier(TRUST, replay={})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="presentation_skew"):
        credential.Verifier(TRUST, presentation_skew=61)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="presentation_skew"):
        credential.Verifier(TRUST, presentation_skew=True)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="require_presentation"):
        credential.Verifier(TRUST, require_presentation="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="capacity"):
        credential.MemoryReplayCache(0)
    with pytest.raises(TypeError, match="capacity"):
        credential.MemoryReplayCache(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="replay cache"):
        credential.SqliteReplayCache("/nonexistent-directory/replay.db")
    with pytest.raises(TypeError, match="file name"):
        credential.SqliteReplayCache(42)  # type: ignore[arg-type]


def test_window_edges_follow_the_presentation_skew() -> None:
    start, end = presentation.window(STEP)
    for skew in (0, 20, 60):
        gate = credential.Verifier(TRUST, presentation_skew=skew)
        assert gate.verify(SHOWN, now=start - skew).form == "presentation"
        assert gate.verify(SHOWN, now=end + skew - 1).form == "presentation"
        assert _code(SHOWN, start - skew - 1, gate) is ErrorCode.PRESENTATION_NOT_YET_VALID
        assert _code(SHOWN, end + skew, gate) is ErrorCode.PRESENTATION_EXPIRED


def test_a_presentation_decodes_the_device_key_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Step 15 checks the cnf point and step 18a verifies with it: one decompression between them."""
    holder = credential.generate_key("ES256")  # a key no other test has decoded
    bound = credential.issue(dict(samples.full(), cnf=credential.device_cnf(holder)), ISSUER, templates=samples.TEMPLATES, policy=None)
    shown = credential.present(bound, holder, now=MADE, destination="MO")
    decoded: list[bytes] = []
    original = ec.EllipticCurvePublicKey.from_encoded_point

    def counted(curve: ec.EllipticCurve, data: bytes) -> ec.EllipticCurvePublicKey:
        decoded.append(data)
        return original(curve, data)

    monkeypatch.setattr(ec.EllipticCurvePublicKey, "from_encoded_point", staticmethod(counted))
    device._decompressed.cache_clear()  # present() has read the claims, and so decoded the key, already
    assert credential.Verifier(TRUST).verify(shown, now=MADE).form == "presentation"
    assert len(decoded) == 1
    # A point that is not on the curve is refused every time, never remembered.
    for small in range(1, 64):
        x = small.to_bytes(32, "big")
        decoded.clear()
        try:
            device.point(x, True)
        except ValueError:
            with pytest.raises(ValueError):
                device.point(x, True)
            assert len(decoded) == 2
            break
    else:
        raise AssertionError("no x below 64 off the curve")


def test_bare_bound_credential_and_required_presentations() -> None:
    assert _code(BOUND) is ErrorCode.PRESENTATION_REQUIRED
    assert _code(UNBOUND, require_presentation=True) is ErrorCode.PRESENTATION_REQUIRED
    assert credential.Verifier(TRUST, require_presentation=True).verify(SHOWN, now=MADE).form == "presentation"


def _random_nonce_presentation() -> str:
    """The same step signed again as phone hardware signs: a random nonce, then low-S. Other bytes, same identity."""
    shown = presentation.parse(textlayer.unwrap(SHOWN).message)
    r, s = decode_dss_signature(DEVICE.sign(shown.to_be_signed, ec.ECDSA(hashes.SHA256())))  # type: ignore[call-arg]
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    signature = r.to_bytes(32, "big") + min(s, n - s).to_bytes(32, "big")
    return presentation.wrap(cose.build(presentation.PROTECTED, shown.payload, signature), deflate=False)


def test_replay_is_keyed_on_credential_and_step_not_on_bytes() -> None:
    again = _random_nonce_presentation()
    assert again != SHOWN
    gate = credential.Verifier(TRUST, replay=credential.MemoryReplayCache())
    gate.verify(SHOWN, now=MADE)
    assert _code(again, MADE + 1, gate) is ErrorCode.REPLAY
    assert _code(textlayer.wrap(textlayer.unwrap(SHOWN).message, True, textlayer.PRESENTATION_PREFIXES), MADE + 1, gate) is ErrorCode.REPLAY
    # The next step of the same credential is a new presentation.
    assert gate.verify(credential.present(BOUND, DEVICE, now=MADE + 10, destination="MO"), now=MADE + 11).step == STEP + 1


def test_only_accepted_presentations_are_recorded() -> None:
    cache = credential.MemoryReplayCache()
    gate = credential.Verifier(TRUST, replay=cache)
    with pytest.raises(credential.VerificationError):
        gate.verify(SHOWN, now=MADE, templates={"face": b"someone else"})  # refused at step 21, before 21b
    assert len(cache) == 0
    gate.verify(SHOWN, now=MADE)
    assert len(cache) == 1


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_cache_expiry_capacity_and_fail_closed(kind: str, tmp_path: Path) -> None:
    cache: credential.MemoryReplayCache | credential.SqliteReplayCache
    cache = credential.MemoryReplayCache(2) if kind == "memory" else credential.SqliteReplayCache(tmp_path / "replay.db", 2)
    assert cache.check_and_record("a", 100, 150) is Outcome.RECORDED
    assert cache.check_and_record("a", 149, 150) is Outcome.SEEN
    assert cache.check_and_record("b", 120, 170) is Outcome.RECORDED
    assert cache.check_and_record("c", 149, 199) is Outcome.FULL  # two live entries: nothing is evicted
    assert cache.check_and_record("a", 149, 150) is Outcome.SEEN
    # Kept for the clock allowance beyond its expiry: a gate whose clock is behind may still be in its window.
    assert cache.check_and_record("a", 150 + MAX_PRESENTATION_SKEW - 1, 150) is Outcome.SEEN
    assert cache.check_and_record("c", 150 + MAX_PRESENTATION_SKEW - 1, 199) is Outcome.FULL
    assert cache.check_and_record("c", 150 + MAX_PRESENTATION_SKEW, 270) is Outcome.RECORDED  # "a" expired at 150
    assert cache.check_and_record("a", 150 + MAX_PRESENTATION_SKEW, 270) is Outcome.FULL
    assert len(cache) == 2


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_gates_with_different_skews_sharing_a_cache_accept_a_presentation_once(kind: str, tmp_path: Path) -> None:
    """The reproducer: gate A (skew 0) accepts in the last second of the window; gate B (skew 20) on the
    same cache still within its window must see the entry."""
    cache: credential.MemoryReplayCache | credential.SqliteReplayCache
    cache = credential.MemoryReplayCache() if kind == "memory" else credential.SqliteReplayCache(tmp_path / "replay.db")
    end = presentation.window(STEP)[1]
    strict = credential.Verifier(TRUST, presentation_skew=0, replay=cache)
    lenient = credential.Verifier(TRUST, presentation_skew=20, replay=cache)
    widest = credential.Verifier(TRUST, presentation_skew=MAX_PRESENTATION_SKEW, replay=cache)
    strict.verify(SHOWN, now=end - 1)
    assert _code(SHOWN, end + 10, lenient) is ErrorCode.REPLAY
    assert _code(SHOWN, end + MAX_PRESENTATION_SKEW - 1, widest) is ErrorCode.REPLAY


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_gate_whose_clock_runs_ahead_does_not_purge_live_entries(kind: str, tmp_path: Path) -> None:
    cache: credential.MemoryReplayCache | credential.SqliteReplayCache
    cache = credential.MemoryReplayCache() if kind == "memory" else credential.SqliteReplayCache(tmp_path / "replay.db")
    end = presentation.window(STEP)[1]
    gate = credential.Verifier(TRUST, presentation_skew=20, replay=cache)
    gate.verify(SHOWN, now=end - 1)
    # Another gate on the cache, its clock 60 s ahead, records something else at the same real moment.
    real = end + 10
    assert cache.check_and_record("another presentation", real + MAX_PRESENTATION_SKEW, real + 200) is Outcome.RECORDED
    assert _code(SHOWN, real, gate) is ErrorCode.REPLAY  # the entry survived: still inside this gate's window


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_peek_answers_as_check_and_record_would_and_records_nothing(kind: str, tmp_path: Path) -> None:
    cache: credential.MemoryReplayCache | credential.SqliteReplayCache
    cache = credential.MemoryReplayCache(2) if kind == "memory" else credential.SqliteReplayCache(tmp_path / "replay.db", 2)
    assert cache.peek("a", 100) is Outcome.RECORDED
    assert cache.peek("a", 100) is Outcome.RECORDED and len(cache) == 0  # looking twice records nothing
    cache.check_and_record("a", 100, 150)
    assert cache.peek("a", 120) is Outcome.SEEN
    cache.check_and_record("b", 120, 170)
    assert cache.peek("c", 149) is Outcome.FULL
    assert cache.peek("a", 150 + MAX_PRESENTATION_SKEW - 1) is Outcome.SEEN  # live for the clock allowance after 150
    assert cache.peek("a", 150 + MAX_PRESENTATION_SKEW) is Outcome.RECORDED  # expired at 150, allowance passed
    assert cache.peek("c", 150 + MAX_PRESENTATION_SKEW) is Outcome.RECORDED  # "a" no longer live
    assert cache.check_and_record("b", 150 + MAX_PRESENTATION_SKEW, 170) is Outcome.SEEN  # peeking changed nothing
    assert cache.check_and_record("c", 150 + MAX_PRESENTATION_SKEW, 200) is Outcome.RECORDED


# --- several gate processes sharing one SQLite cache -------------------------------------------

_GATE = textwrap.dedent(
    """
    import os, signal, sys
    import credential
    from credential.cose import keys
    issuer = keys.load_public_key(sys.argv[1].encode())
    text, now, db, die = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5] == "die"
    gate = credential.Verifier([credential.TrustedKey(issuer, {"HK"})], replay=credential.SqliteReplayCache(db))
    sys.stdin.readline()  # start together
    try:
        gate.verify(text, now=now)
        print("valid", flush=True)
    except credential.VerificationError as err:
        print(err.code.value, flush=True)
    if die:
        os.kill(os.getpid(), signal.SIGKILL)  # no clean shutdown: the committed entry must survive
    """
)


def _gate_process(db: Path, text: str = SHOWN, now: int = MADE, die: bool = False) -> subprocess.Popen[str]:
    pem = credential.public_key_to_pem(ISSUER).decode()
    return subprocess.Popen(
        [sys.executable, "-c", _GATE, pem, text, str(now), str(db), "die" if die else "live"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_sharing_the_sqlite_cache_accept_a_presentation_once(tmp_path: Path) -> None:
    db = tmp_path / "replay.db"
    gates = [_gate_process(db), _gate_process(db)]
    for gate in gates:  # both are ready to verify; release them at once
        assert gate.stdin is not None
        gate.stdin.write("go\n")
        gate.stdin.flush()
    results = sorted(gate.communicate(timeout=60)[0].strip() for gate in gates)
    assert results == ["REPLAY", "valid"], results
    # A third process, later, still refuses it.
    third = _gate_process(db)
    assert third.communicate("go\n", timeout=60)[0].strip() == "REPLAY"


def test_an_entry_survives_the_process_that_recorded_it_being_killed(tmp_path: Path) -> None:
    db = tmp_path / "replay.db"
    dying = _gate_process(db, die=True)
    out, _ = dying.communicate("go\n", timeout=60)
    assert out.strip() == "valid" and dying.returncode == -signal.SIGKILL
    gate = credential.Verifier(TRUST, replay=credential.SqliteReplayCache(db))
    assert _code(SHOWN, MADE + 1, gate) is ErrorCode.REPLAY


def test_sqlite_cache_is_reopened_after_fork(tmp_path: Path) -> None:
    cache = credential.SqliteReplayCache(tmp_path / "replay.db")
    assert cache.check_and_record("before", 1, 100) is Outcome.RECORDED
    pid = os.fork()
    if pid == 0:  # the child must not use the parent's connection
        code = 0 if cache.check_and_record("before", 2, 100) is Outcome.SEEN and cache.check_and_record("child", 2, 100) is Outcome.RECORDED else 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert cache.check_and_record("child", 3, 100) is Outcome.SEEN


# --- done when: a PNG scanned inside its window passes, and after it fails ----------------------


def test_png_scanned_inside_the_window_passes_and_after_it_fails(tmp_path: Path) -> None:
    png = tmp_path / "presentation.png"
    png.write_bytes(qr.render(SHOWN))
    scanned = qr.scan(png)
    assert scanned == SHOWN
    gate = credential.Verifier(TRUST, destination="MO", replay=credential.SqliteReplayCache(tmp_path / "replay.db"))
    assert gate.verify(scanned, now=MADE + 5, templates=samples.TEMPLATES).form == "presentation"
    assert _code(qr.scan(png), MADE + 6, gate) is ErrorCode.REPLAY
    _, end = presentation.window(STEP)
    assert _code(qr.scan(png), end + gate.presentation_skew, gate) is ErrorCode.PRESENTATION_EXPIRED
    fresh = credential.Verifier(TRUST, destination="MO")
    assert _code(qr.scan(png), end + fresh.presentation_skew, fresh) is ErrorCode.PRESENTATION_EXPIRED


# --- command line -------------------------------------------------------------------------------


def test_cli_present_then_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "device.pem").write_bytes(credential.private_key_to_pem(DEVICE))
    (tmp_path / "issuer.pub.pem").write_bytes(credential.public_key_to_pem(ISSUER))
    (tmp_path / "credential.txt").write_text(BOUND + "\n")
    out = tmp_path / "shown.txt"
    args = ["present", str(tmp_path / "credential.txt"), "--device-key", str(tmp_path / "device.pem"), "--destination", "MO"]
    assert cli.main([*args, "--now", str(MADE), "--out", str(out)]) == 0
    assert out.read_text().strip() == SHOWN
    assert cli.main(["verify", str(out), "--trusted-key", f"HK={tmp_path / 'issuer.pub.pem'}", "--now", str(MADE + 3)]) == 0
    assert '"form": "presentation"' in capsys.readouterr().out
    assert cli.main(["verify", str(out), "--trusted-key", f"HK={tmp_path / 'issuer.pub.pem'}", "--now", str(MADE + 300)]) == 1
    assert capsys.readouterr().err.startswith("PRESENTATION_EXPIRED")
    # A gate's replay cache on the command line: the second reading of the same code is refused.
    db = str(tmp_path / "gate.db")
    gate = ["verify", str(out), "--trusted-key", f"HK={tmp_path / 'issuer.pub.pem'}", "--now", str(MADE + 3), "--replay-cache", db]
    assert cli.main(gate) == 0
    capsys.readouterr()
    assert cli.main(gate) == 1 and capsys.readouterr().err.startswith("REPLAY: ")
    assert cli.main(["verify", BOUND, "--trusted-key", f"HK={tmp_path / 'issuer.pub.pem'}", "--now", str(MADE)]) == 1
    assert capsys.readouterr().err.startswith("PRESENTATION_REQUIRED: ")
    assert cli.main([*args[:3], str(tmp_path / "issuer.pub.pem"), "--destination", "MO"]) == 2  # a public key
    assert cli.main([*args[:-1], "XX"]) == 2
    assert cli.main(["present", UNBOUND, "--device-key", str(tmp_path / "device.pem"), "--destination", "MO"]) == 2
    assert "binds no device key" in capsys.readouterr().err


def _modules_from_terminal(drawing: str) -> list[list[bool]]:
    """Light modules as True, from the half-block drawing (a block is light)."""
    top = {" ": False, "\u2580": True, "\u2584": False, "\u2588": True}
    bottom = {" ": False, "\u2580": False, "\u2584": True, "\u2588": True}
    rows: list[list[bool]] = []
    for line in drawing.splitlines():
        rows.append([top[c] for c in line])
        rows.append([bottom[c] for c in line])
    return rows


def test_terminal_qr_scans(tmp_path: Path) -> None:
    from PIL import Image

    from credential.cli import present as cli_present

    light = _modules_from_terminal(cli_present.terminal_qr(SHOWN))
    size = len(light[0])
    image = Image.new("L", (size * 4 + 32, len(light) * 4 + 32), 255)
    for y, row in enumerate(light):
        for x, is_light in enumerate(row):
            if not is_light:
                image.paste(0, (16 + 4 * x, 16 + 4 * y, 20 + 4 * x, 20 + 4 * y))
    assert qr.scan(image) == SHOWN


def test_demo_live_stops_after_its_steps_without_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "credential.cli", "demo", "--live", "--steps", "2", "--speed", "200"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "step 2/2" in result.stdout and "this code accepted; the same code again REPLAY" in result.stdout


def test_demo_live_stops_on_ctrl_c_without_a_traceback() -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "credential.cli", "demo", "--live", "--steps", "1000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        # A shell that starts its jobs in the background leaves SIGINT ignored, and Python then keeps it
        # ignored: the child gets the default, as a terminal's Ctrl-C finds it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert demo.stdout is not None
    for line in demo.stdout:  # wait for the first code, then interrupt the wait for the next step
        if line.startswith("gate MO"):
            break
    demo.send_signal(signal.SIGINT)
    out, err = demo.communicate(timeout=60)
    assert demo.returncode == cli.EXIT_INTERRUPTED and "Traceback" not in err and "stopped" in out


def test_cli_usage_errors_for_demo_live() -> None:
    assert cli.main(["demo", "--live", "--steps", "0"]) == 2
    assert cli.main(["demo", "--live", "--speed", "0"]) == 2


def test_presentation_wrapper_parse_errors_name_presentation() -> None:
    body = cbor.encode(cbor.Tag(18, [presentation.PROTECTED, {}, b"\x80", b"\x00" * 64]))
    assert _code(presentation.wrap(body, deflate=False)) is ErrorCode.PRESENTATION


def test_every_bit_flip_of_a_presentation_is_refused_with_a_code() -> None:
    """Each single-bit change of the presentation message, re-encoded as text, is refused with a code of
    spec 9.4 (no other exception), at the step that owns it; none is accepted."""
    message = textlayer.unwrap(SHOWN).message
    gate = credential.Verifier(TRUST, destination="MO")
    seen: set[ErrorCode] = set()
    for index in range(len(message)):
        for bit in range(8):
            flipped = bytearray(message)
            flipped[index] ^= 1 << bit
            with pytest.raises(credential.VerificationError) as caught:
                gate.verify(presentation.wrap(bytes(flipped), deflate=False), now=MADE)
            seen.add(caught.value.code)
    assert {ErrorCode.DEVICE_SIGNATURE, ErrorCode.SIGNATURE, ErrorCode.PRESENTATION} <= seen
