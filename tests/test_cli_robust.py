"""The command line under an operator's mistakes and a hostile credential: no traceback, exit codes
that mean one thing each, bounded input, and no control character reaching the terminal.

Most cases run ``cli.main`` in this process (fast); those that depend on a real process (standard
input from /dev/zero, argv, file permissions, a closed pipe) run the installed command.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from credential.base.limits import MAX_TEXT_CHARS
from credential.cli import batch as cli_batch
from credential.cli import main as cli
from credential.cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, escape
from credential.cose import sign1 as cose
from credential.cose.keys import generate_key, kid_of, private_key_to_pem, public_key_to_pem
from credential import issue
from credential.issuer import samples
from credential.text import cbor
from credential.text import wrap as textlayer

from .vectors import Vector, document, vectors

SCRIPT = shutil.which("credential", path=str(Path(sys.executable).parent))
NOW = str(samples.ISSUED_AT + 60)
# ESC sequences that erase the line and move the cursor, a bare CR, BEL, C1 CSI, DEL, bidi overrides
# and isolates, a zero-width joiner, a line separator and an OSC title: what a crafted credential
# or file name could use to draw a fake "valid" line over the operator's screen.
NASTY = "\x1b[2K\r\x07\x9b1A\x7f\u202e\u2066\u200d\u2028\x1b]0;t\x07VALID"


def hostile_credential(key: Any) -> str:
    """Credential text whose unauthenticated protected header carries NASTY in a label (a COSE error)."""
    protected = cbor.encode({1: -8, 4: kid_of(key), NASTY[:24]: 0})
    payload = cbor.encode({1: "HK"})
    return textlayer.wrap(cose.build(protected, payload, bytes(64)), deflate=False)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-robust")
    key = generate_key("Ed25519")
    (path / "hk.pem").write_bytes(private_key_to_pem(key))
    (path / "hk.pub.pem").write_bytes(public_key_to_pem(key))
    (path / "rsa.pem").write_bytes(
        b"-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n"
        b"9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END PUBLIC KEY-----\n"
    )
    (path / "garbage.pem").write_text("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n")
    (path / "claims.json").write_text(json.dumps(samples.full()), encoding="utf-8")
    (path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (path / "nasty.json").write_text(json.dumps({"iss": NASTY}), encoding="utf-8")
    (path / "face.bin").write_bytes(samples.TEMPLATES["face"])
    (path / "empty.bin").write_bytes(b"")
    (path / "cred.txt").write_text(issue(samples.full(), key, templates=samples.TEMPLATES) + "\n")
    (path / "hostile.txt").write_text(hostile_credential(key))
    (path / "notimage.png").write_text("this is text, whatever the name says")
    (path / "cred.svg").write_text('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>')
    from PIL import Image

    Image.new("L", (120, 120), 255).save(path / "blank.png")
    import segno

    segno.make(NASTY, error="m", micro=False).save(str(path / "nasty.png"), scale=6)
    (path / "folder").mkdir()
    return path


def run(work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str,
        stdin: bytes = b"") -> tuple[int, str, str]:
    monkeypatch.chdir(work)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean(*outputs: str) -> None:
    """Nothing a terminal acts on: every character printable, or a newline this program wrote."""
    for output in outputs:
        raw = [c for c in output if not (c.isprintable() or c == "\n")]
        assert not raw, f"raw control characters {raw!r} in {output!r}"
        assert "Traceback" not in output


K = ("--trusted-key", "HK=hk.pub.pem")
# Every subcommand with bad arguments and inputs: (arguments, exit code, start of standard error).
MISTAKES = [
    # verify: what it is given to read
    (["verify", "blank.png", *K], EXIT_USAGE, "credential verify: blank.png: no QR code"),
    (["verify", "notimage.png", *K], EXIT_USAGE, "credential verify: notimage.png: not an image"),
    (["verify", "cred.svg", *K], EXIT_USAGE, "credential verify: cred.svg: an SVG"),
    (["verify", "missing.txt", *K], EXIT_USAGE, "credential verify: missing.txt: neither credential text"),
    (["verify", "folder", *K], EXIT_USAGE, "credential verify: folder: neither credential text"),
    (["verify", "A" * 300, *K], EXIT_USAGE, "credential verify: AAAA"),
    (["verify", "hostile.txt", *K, "--now", NOW], EXIT_INVALID, "COSE: "),
    (["verify", "XC1:" + "A" * MAX_TEXT_CHARS, *K, "--now", NOW], EXIT_INVALID, "LIMIT: "),
    # verify: the gate's configuration
    (["verify", "cred.txt"], EXIT_USAGE, "credential verify: give the keys this gate trusts"),
    (["verify", "cred.txt", "--trusted-key", "HK=hk.pub.pem", "--trusted-key", "HK=hk.pub.pem"], EXIT_USAGE, "credential verify: two keys share kid"),
    (["verify", "cred.txt", "--trusted-key", "HK=hk.pem"], EXIT_USAGE, "credential verify: --trusted-key HK=hk.pem:"),
    (["verify", "cred.txt", "--trusted-key", "HK=rsa.pem"], EXIT_USAGE, "credential verify: --trusted-key HK=rsa.pem: unsupported key type"),
    (["verify", "cred.txt", "--trusted-key", "HK=garbage.pem"], EXIT_USAGE, "credential verify: --trusted-key HK=garbage.pem:"),
    (["verify", "cred.txt", "--trusted-key", "HK=missing.pem"], EXIT_USAGE, "credential verify: --trusted-key missing.pem: No such file"),
    (["verify", "cred.txt", "--trusted-key", "HK="], EXIT_USAGE, "credential verify: --trusted-key 'HK=': expected"),
    (["verify", "cred.txt", *K, "--skew", "-5"], EXIT_USAGE, "credential verify: skew -5"),
    (["verify", "cred.txt", *K, "--skew", "9" * 40], EXIT_USAGE, "credential verify: skew"),
    (["verify", "cred.txt", *K, "--skew", "x"], EXIT_USAGE, "usage: credential verify"),
    (["verify", "cred.txt", *K, "--now", "1e400"], EXIT_USAGE, "credential verify: --now"),
    (["verify", "cred.txt", *K, "--now", "9" * 30], EXIT_USAGE, "credential verify: --now"),
    (["verify", "cred.txt", *K, "--now", "-1"], EXIT_USAGE, "credential verify: --now"),
    (["verify", "cred.txt", *K, "--template", "bogus=face.bin"], EXIT_USAGE, "credential verify: --template unknown modality"),
    (["verify", "cred.txt", *K, "--template", "face=empty.bin"], EXIT_USAGE, "credential verify: --template the face template"),
    (["verify", "cred.txt", *K, "--template", "face=missing.bin"], EXIT_USAGE, "credential verify: --template face missing.bin"),
    (["verify", "cred.txt", *K, "--template", "face"], EXIT_USAGE, "credential verify: --template 'face': expected"),
    (["verify", "cred.txt", *K, "--template", "face=face.bin", "--template", "face=face.bin"], EXIT_USAGE, "credential verify: --template 'face' given twice"),
    (["verify", "cred.txt", *K, "--destination", "mo"], EXIT_USAGE, "credential verify: destination"),
    (["verify", "cred.txt", *K, "--channel", "bogus"], EXIT_USAGE, "usage: credential verify"),
    # issue
    (["issue", "deep.json", "--key", "hk.pem"], EXIT_USAGE, "credential issue: deep.json: JSON nested deeper"),
    (["issue", "missing.json", "--key", "hk.pem"], EXIT_USAGE, "credential issue: claims missing.json: No such file"),
    (["issue", "folder", "--key", "hk.pem"], EXIT_USAGE, "credential issue: claims folder:"),
    (["issue", "hk.pem", "--key", "hk.pem"], EXIT_USAGE, "credential issue: hk.pem: not JSON"),
    (["issue", "claims.json", "--key", "hk.pub.pem"], EXIT_USAGE, "credential issue: --key hk.pub.pem:"),
    (["issue", "claims.json", "--key", "rsa.pem"], EXIT_USAGE, "credential issue: --key rsa.pem:"),
    (["issue", "claims.json", "--key", "garbage.pem"], EXIT_USAGE, "credential issue: --key garbage.pem:"),
    (["issue", "claims.json", "--key", "missing.pem"], EXIT_USAGE, "credential issue: --key missing.pem: No such file"),
    (["issue", "claims.json", "--key", "hk.pem", "--template", "bogus=face.bin"], EXIT_USAGE, "credential issue: --template unknown modality"),
    (["issue", "claims.json", "--key", "hk.pem", "--template", "face=empty.bin"], EXIT_USAGE, "credential issue: --template the face template"),
    (["issue", "claims.json", "--key", "hk.pem", "--template", "face=face.bin", "--out", "nodir/c.txt"], EXIT_USAGE, "credential issue: cannot write nodir/c.txt"),
    (["issue", "claims.json", "--key", "hk.pem", "--template", "face=face.bin", "--out", "cred.txt/c.txt"], EXIT_USAGE, "credential issue: cannot write cred.txt/c.txt"),
    (["issue", "claims.json", "--key", "hk.pem", "--failures", "f.jsonl"], EXIT_USAGE, "credential issue: --failures"),
    (["issue", "claims.json", "--key", "hk.pem", "--batch", "--jobs", "0"], EXIT_USAGE, "usage: credential issue"),
    (["issue", "missing.jsonl", "--key", "hk.pem", "--batch"], EXIT_USAGE, "credential issue: missing.jsonl: No such file"),
    (["issue", "claims.json", "--key", "hk.pem", "--batch", "--out", "nodir/x"], EXIT_USAGE, "credential issue: cannot write nodir/x"),
    (["issue", "claims.json", "--key", "hk.pem", "--batch", "--failures", "nodir/x"], EXIT_USAGE, "credential issue: cannot write nodir/x"),
    # keygen
    (["keygen", "--out", "hk.pem"], EXIT_USAGE, "credential keygen: hk.pub.pem exists"),
    (["keygen", "--out", "new.pem", "--public", "hk.pub.pem"], EXIT_USAGE, "credential keygen: hk.pub.pem exists"),
    (["keygen", "--out", "nodir/k.pem"], EXIT_USAGE, "credential keygen: cannot write nodir/k.pem"),
    (["keygen", "--out", "cred.txt/k.pem"], EXIT_USAGE, "credential keygen: cannot write cred.txt/k.pem"),
    (["keygen", "--out", "same.pem", "--public", "same.pem"], EXIT_USAGE, "credential keygen: the private and public keys"),
    (["keygen", "--out", "k.pem", "--alg", "RSA"], EXIT_USAGE, "usage: credential keygen"),
    (["keygen", "--out", "-"], EXIT_USAGE, "credential keygen: the private and public keys go to two different files"),
    # render
    (["render", "cred.txt", "--box", "0", "--out", "x.png"], EXIT_USAGE, "usage: credential render"),
    (["render", "cred.txt", "--box", "100000", "--out", "x.png"], EXIT_USAGE, "usage: credential render"),
    (["render", "claims.json", "--out", "x.png"], EXIT_INVALID, "PREFIX: "),
    (["render", "XC1:hello", "--out", "x.png"], EXIT_INVALID, "BASE45: "),
    (["render", "cred.txt", "--out", "nodir/x.png"], EXIT_USAGE, "credential render: cannot write nodir/x.png"),
    (["render", "cred.txt", "--out", "cred.txt/x.png"], EXIT_USAGE, "credential render: cannot write cred.txt/x.png"),
    (["render", "cred.txt", "--out", "folder"], EXIT_USAGE, "credential render: cannot write folder"),
    # decode and scan
    (["decode", "hostile.txt"], EXIT_INVALID, "COSE: "),
    (["decode", "missing.txt"], EXIT_USAGE, "credential decode: missing.txt"),
    (["scan", "blank.png"], EXIT_USAGE, "credential scan: blank.png: no QR code"),
    (["scan", "claims.json"], EXIT_USAGE, "credential scan: claims.json: not an image"),
    (["scan", "missing.png"], EXIT_USAGE, "credential scan: image missing.png: No such file"),
    # inspect and serve: a hostile credential is reported (exit 1), configuration mistakes exit 2
    (["inspect", "hostile.txt"], EXIT_INVALID, ""),
    (["inspect", "blank.png"], EXIT_USAGE, "credential inspect: blank.png: no QR code"),
    (["inspect", "missing.png"], EXIT_USAGE, "credential inspect: missing.png: no such file"),
    (["inspect", "cred.txt", "--now", NOW], EXIT_USAGE, "credential inspect: give the keys this gate trusts"),
    (["inspect", "cred.txt", "--trusted-key", "HK=garbage.pem"], EXIT_USAGE, "credential inspect: --trusted-key HK=garbage.pem"),
    (["serve", "--port", "70000"], EXIT_USAGE, "credential serve: --port 70000 is not a TCP port"),
    (["serve", "--destination", "MO"], EXIT_USAGE, "credential serve: give the keys this gate trusts"),
    # trust lists: a missing or refused list, pins without lists
    (["trust", "show", "missing.xctl"], EXIT_USAGE, "credential trust: trust list missing.xctl: No such file"),
    (["trust", "build", "missing.json"], EXIT_USAGE, "credential trust: trust list JSON missing.json: No such file"),
    (["trust", "show", "cred.txt"], EXIT_INVALID, "LIST_MALFORMED: "),
    (["verify", "cred.txt", "--list-key", "HK=hk.pub.pem"], EXIT_USAGE, "credential verify: give the gate's trust store with --trust-db"),
    (["verify", "cred.txt", "--list-key", "HK=hk.pub.pem", *K], EXIT_USAGE, "credential verify: give trusted keys with --trusted-key or trust lists"),
    (["conformance", "--impl", "/nonexistent/adapter"], EXIT_USAGE, "credential conformance: --impl '/nonexistent/adapter'"),
    (["conformance", "--impl", "true", "--vectors", "missing"], EXIT_USAGE, "credential conformance: --vectors"),
    (["conformance", "--impl", "true", "--timeout", "-1"], EXIT_USAGE, "credential conformance: --timeout -1"),
    (["inspect", "cred.txt", "--trusted-key", "HK=rsa.pem"], EXIT_USAGE, "credential inspect: --trusted-key HK=rsa.pem: unsupported key type"),
    (["serve", "--trusted-key", "HK=missing.pem"], EXIT_USAGE, "credential serve: --trusted-key missing.pem: No such file"),
    # demo
    (["demo", "--out", "cred.txt"], EXIT_USAGE, "credential demo: cannot write to cred.txt"),
    (["demo", "--out", "cred.txt/demo"], EXIT_USAGE, "credential demo: cannot write to cred.txt/demo"),
    # present (cli_present)
    (["present", "cred.txt", "--device-key", "missing.pem", "--destination", "MO"], EXIT_USAGE, "credential present: --device-key missing.pem"),
    (["present", "cred.txt", "--device-key", "hk.pub.pem", "--destination", "MO"], EXIT_USAGE, "credential present: --device-key hk.pub.pem"),
    (["present", "cred.txt", "--device-key", "hk.pem", "--destination", "MO"], EXIT_USAGE, "credential present: a device key is a P-256"),
    (["present", "cred.txt", "--device-key", "hk.pem"], EXIT_USAGE, "usage: credential present"),
    (["present", "missing.txt", "--device-key", "hk.pem", "--destination", "MO"], EXIT_USAGE, "credential present: missing.txt"),
    (["demo", "--live", "--steps", "0"], EXIT_USAGE, "credential demo: --steps is at least 1"),
    (["verify", "cred.txt", *K, "--replay-cache", "nodir/replay.db"], EXIT_USAGE, "credential verify: --replay-cache nodir/replay.db: cannot be opened"),
    (["verify", "cred.txt", *K, "--presentation-skew", "61"], EXIT_USAGE, "usage: credential verify"),
    # inspect and serve (cli_inspect)
    (["inspect", "missing.txt"], EXIT_USAGE, "credential inspect: missing.txt"),
    (["serve", "--bogus"], EXIT_USAGE, "usage: credential"),
    # status lists: the issuer's database, the gate's cache, the verifier's options
    (["status"], EXIT_USAGE, "usage: credential status"),
    (["status", "allocate", "--status-db", "missing.sqlite", "--list", "hk-1"], EXIT_USAGE, "credential status: --status-db missing.sqlite: no such database"),
    (["status", "allocate", "--status-db", "claims.json", "--list", "hk-1"], EXIT_USAGE, "credential status: --status-db claims.json is not a status list database"),
    (["status", "create", "--status-db", "new.sqlite", "--issuer", "hk", "--list", "hk-1", "--size", "8"], EXIT_USAGE, "credential status: --status-db issuer 'hk'"),
    (["status", "create", "--status-db", "new.sqlite", "--issuer", "HK", "--list", "hk 1", "--size", "8"], EXIT_USAGE, "credential status: list identifier"),
    (["status", "create", "--status-db", "new.sqlite", "--issuer", "HK", "--list", "hk-1", "--size", "0"], EXIT_USAGE, "usage: credential status create"),
    (["status", "revoke", "--status-db", "missing.sqlite", "--reason", "x"], EXIT_USAGE, "credential status: --status-db missing.sqlite"),
    (["status", "publish", "--status-db", "missing.sqlite", "--list", "hk-1", "--key", "hk.pem", "--out", "x"], EXIT_USAGE, "credential status: --status-db missing.sqlite: no such database"),
    (["status", "add", "cred.txt", "--status-cache", "gate.sqlite"], EXIT_USAGE, "credential status: give the keys this gate trusts"),
    (["status", "add", "cred.txt", "--status-cache", "gate.sqlite", "--trusted-key", "HK=hk.pub.pem"], EXIT_INVALID, "STATUS_LIST_INVALID: "),
    (["status", "add", "missing.token", "--status-cache", "gate.sqlite", "--trusted-key", "HK=hk.pub.pem"], EXIT_USAGE, "credential status: token missing.token: No such file"),
    (["status", "show"], EXIT_USAGE, "credential status: show one thing"),
    (["status", "show", "cred.txt"], EXIT_INVALID, "STATUS_LIST_INVALID: "),
    (["status", "show", "--status-cache", "missing.sqlite"], EXIT_USAGE, "credential status: --status-cache missing.sqlite: no such database"),
    (["verify", "cred.txt", *K, "--status-token", "cred.txt"], EXIT_USAGE, "credential verify: --status-token cred.txt: not a status list token"),
    (["verify", "cred.txt", *K, "--status-token", "missing.token"], EXIT_USAGE, "credential verify: --status-token missing.token: No such file"),
    (["verify", "cred.txt", *K, "--status-cache", "missing.sqlite"], EXIT_USAGE, "credential verify: --status-cache missing.sqlite: no such database"),
    (["verify", "cred.txt", *K, "--status-grace", "60"], EXIT_USAGE, "credential verify: --status-max-age and --status-grace need"),
    (["verify", "cred.txt", *K, "--status-max-age", "0"], EXIT_USAGE, "usage: credential verify"),
    # no subcommand, an unknown one, an unknown option
    ([], EXIT_USAGE, "usage: credential"),
    (["bogus"], EXIT_USAGE, "usage: credential"),
    (["verify", "cred.txt", *K, "--bogus"], EXIT_USAGE, "usage: credential"),
]


@pytest.mark.parametrize(("args", "code", "message"), MISTAKES, ids=lambda v: " ".join(v)[:60] if isinstance(v, list) else None)
def test_mistakes_exit_with_their_code_and_one_clean_message(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: list[str], code: int, message: str
) -> None:
    result, out, err = run(work, capsys, monkeypatch, *args)
    assert (result, err[: len(message)]) == (code, message), err
    assert_clean(out, err)
    if message.startswith("credential "):  # one line, never more
        assert err.count("\n") == 1


def test_every_subcommand_is_driven_with_a_mistake() -> None:
    commands = set(cli.parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert commands <= {args[0] for args, _, _ in MISTAKES if args}


# Every path by which input reaches the output, fed NASTY: a hostile credential's protected header,
# file names, argument values, options argparse does not know, a QR code's content, claims values.
INJECTIONS = [
    ["verify", "hostile.txt", *K, "--now", NOW],
    ["decode", "hostile.txt"],
    ["inspect", "hostile.txt"],
    ["inspect", "hostile.txt", "--json"],
    ["inspect", "hostile.txt", *K, "--now", NOW, "--json"],
    ["render", "hostile.txt", "--out", "x.png"],
    ["verify", NASTY, *K],
    ["verify", "XC1:" + NASTY, *K],
    ["verify", "XC9:" + NASTY, *K],
    ["verify", f"{NASTY}.png", *K],
    ["verify", "cred.txt", "--trusted-key", f"{NASTY}=hk.pub.pem"],
    ["verify", "cred.txt", "--trusted-key", f"HK={NASTY}"],
    ["verify", "cred.txt", *K, "--template", f"{NASTY}=face.bin"],
    ["trust", "show", f"{NASTY}.xctl"],
    ["verify", "cred.txt", "--list-key", f"{NASTY}=hk.pub.pem"],
    ["verify", "cred.txt", *K, "--now", NASTY],
    ["verify", "cred.txt", *K, "--destination", NASTY],
    ["verify", "cred.txt", *K, "--channel", NASTY],
    ["verify", "cred.txt", *K, NASTY],
    ["verify", "nasty.png", *K],
    ["scan", "nasty.png"],
    ["scan", NASTY],
    ["issue", "nasty.json", "--key", "hk.pem"],
    ["issue", NASTY, "--key", "hk.pem"],
    ["keygen", "--out", f"nodir/{NASTY}"],
    ["render", "cred.txt", "--out", f"nodir/{NASTY}"],
    ["demo", "--out", f"cred.txt/{NASTY}"],
    [NASTY],
]


@pytest.mark.parametrize("args", INJECTIONS, ids=lambda a: " ".join(a[:2]).encode("unicode_escape").decode()[:50])
def test_no_control_character_reaches_the_terminal(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    code, out, err = run(work, capsys, monkeypatch, *args)
    assert code == (EXIT_OK if args[:2] == ["scan", "nasty.png"] else code) and code in (EXIT_OK, EXIT_INVALID, EXIT_USAGE)
    assert_clean(out, err)
    assert out or err


def test_injection_reaches_the_message_escaped(work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The escaped form is there to read: the operator sees what the input held."""
    code, _, err = run(work, capsys, monkeypatch, "verify", "hostile.txt", *K, "--now", NOW)
    # The library already quotes header labels with repr; the CLI escapes whatever else may remain.
    assert code == EXIT_INVALID and err.startswith("COSE: ") and "\\x1b[2K\\r" in err
    code, out, _ = run(work, capsys, monkeypatch, "scan", "nasty.png")
    assert code == EXIT_OK and "\\u202e\\u2066" in out and out.endswith("VALID\n")


def test_escape_leaves_text_and_json_readable() -> None:
    assert escape("陳大文 CHAN, TAI MAN") == "陳大文 CHAN, TAI MAN"
    assert escape("a\nb") == "a\\u000ab" and escape("a\nb", newlines=False) == "a\nb"
    hostile = "\U000e0041\u202e\x9b\x1b"
    escaped = json.dumps({"name": hostile}, ensure_ascii=False)
    assert json.loads(escape(escaped))["name"] == hostile  # still JSON, and the same value
    assert escape("\ud800") == "\\ud800"  # a lone surrogate from undecodable argv bytes


# --- text or file, and bounded reading ------------------------------------------------------------


def vector_arguments(work: Path, vector: Vector) -> list[str]:
    """The command line that verifies ``vector`` as its verifier configuration says."""
    config = vector["verifier"]
    args = ["--now", str(config["now"]), "--skew", str(config["skew"])]
    for name, issuers in config["keys"].items():
        (work / f"{name}.pub.pem").write_text(document()["keys"][name]["publicKeyPem"])
        args += ["--trusted-key", f"{','.join(issuers)}={name}.pub.pem"]
    for option in ("destination", "channel"):
        if config[option] is not None:
            args += [f"--{option}", config[option]]
    for modality, template in (vector.templates(config["templates"]) or {}).items():
        (work / f"{modality}.template").write_bytes(template)
        args += ["--template", f"{modality}={modality}.template"]
    return args


VALID = [v for v in vectors() if v.valid and not v["verifier"]["revoked"]]


@pytest.mark.parametrize("vector", VALID, ids=lambda v: v.id)
def test_every_valid_vector_verifies_given_as_text(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, vector: Vector
) -> None:
    code, out, err = run(work, capsys, monkeypatch, "verify", vector["text"], *vector_arguments(work, vector))
    assert code == EXIT_OK, err
    assert json.loads(out)["claims"] == vector["claims"]


def test_long_credential_text_on_the_command_line(work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A valid text one file-name component of which is over 255 bytes: asking the file system
    whether it names a file raised OSError ("File name too long")."""
    # The first component: an earlier one that names no directory would give "no such file" first.
    vector = next(v for v in VALID if len(v["text"].split("/")[0]) > 255)
    with pytest.raises(OSError):
        Path(vector["text"]).exists()
    code, out, err = run(work, capsys, monkeypatch, "verify", vector["text"], *vector_arguments(work, vector))
    assert code == EXIT_OK, err
    assert json.loads(out)["valid"] is True
    assert run(work, capsys, monkeypatch, "decode", vector["text"])[0] == EXIT_OK
    not_text = "A" * 300  # no prefix, no such file: a usage mistake, not a crash
    code, _, err = run(work, capsys, monkeypatch, "verify", not_text, *vector_arguments(work, vector))
    assert code == EXIT_USAGE and "File name too long" in err


def test_a_file_whose_name_looks_like_text_is_read_with_a_path(work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    (work / "XC1:saved").write_text((work / "cred.txt").read_text())
    assert run(work, capsys, monkeypatch, "verify", "XC1:saved", *K, "--now", NOW)[0] == EXIT_INVALID  # text: BASE45
    assert run(work, capsys, monkeypatch, "verify", "./XC1:saved", *K, "--now", NOW)[0] == EXIT_OK


class Endless(io.RawIOBase):
    """An endless stream of one byte that counts what is read from it."""

    def __init__(self, byte: bytes) -> None:
        self.byte, self.read_bytes = byte, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), 8192)
        buffer[:size] = self.byte * size
        self.read_bytes += size
        return size


@pytest.mark.parametrize("command", [["verify", "-", *K], ["decode", "-"], ["render", "-", "--out", "x.png"]])
def test_endless_standard_input_is_refused_after_the_limit(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(work)
    endless = Endless(b"A")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(endless, buffer_size=8192)))
    assert cli.main(command) == EXIT_INVALID
    assert capsys.readouterr().err.startswith("LIMIT: ")
    assert endless.read_bytes <= MAX_TEXT_CHARS + 3 + 8192  # one buffer past the limit at most


@pytest.mark.parametrize(("suffix", "code"), [("", EXIT_INVALID), ("\n", EXIT_INVALID), ("\r\n", EXIT_INVALID)])
def test_input_at_the_limit_is_read_and_one_more_character_is_limit(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, suffix: str, code: int
) -> None:
    at_limit = "XC1:" + "0" * (MAX_TEXT_CHARS - 4)
    (work / "at.txt").write_text(at_limit + suffix)
    (work / "over.txt").write_text(at_limit + "0" + suffix)
    result, _, err = run(work, capsys, monkeypatch, "verify", "at.txt", *K, "--now", NOW)
    assert result == code and not err.startswith("LIMIT")  # read whole, then refused further on
    result, _, err = run(work, capsys, monkeypatch, "verify", "over.txt", *K, "--now", NOW)
    assert result == EXIT_INVALID and err.startswith("LIMIT: ")
    result, _, err = run(work, capsys, monkeypatch, "verify", "-", *K, "--now", NOW, stdin=(at_limit + "0" + suffix).encode())
    assert result == EXIT_INVALID and err.startswith("LIMIT: ")


def test_credential_image_from_standard_input(work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(work, capsys, monkeypatch, "render", "cred.txt", "--out", "cred.png")[0] == EXIT_OK
    code, out, err = run(work, capsys, monkeypatch, "verify", "-", *K, "--now", NOW, stdin=(work / "cred.png").read_bytes())
    assert code == EXIT_OK, err


# --- verify output --------------------------------------------------------------------------------


def test_verify_says_what_it_did_not_check(work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(work, capsys, monkeypatch, "verify", "cred.txt", *K, "--now", NOW, "--destination", "MO")
    view = json.loads(out)
    assert code == EXIT_OK and view["checked"] == ["destination"] and "revocation" in view["skipped"]
    assert err.startswith("VALID: HK credential ") and err.count("\n") == 1
    checked, not_checked = err.split("; NOT checked: ")
    assert "destination" in checked and set(not_checked.strip().split(", ")) == set(view["skipped"])
    code, _, err = run(work, capsys, monkeypatch, "verify", "cred.txt", *K, "--now", NOW, "--destination", "MO",
                       "--channel", "e-channel", "--template", "face=face.bin")
    # A credential shown by itself also leaves out the presentation's checks (device, replay); no status
    # lists and no decryption keys here.
    assert code == EXIT_OK and set(err.strip().split("; NOT checked: ")[1].split(", ")) == {"device", "revocation", "status", "templates", "replay"}


# --- keygen ---------------------------------------------------------------------------------------


def test_keygen_refuses_to_overwrite_and_force_replaces_owner_only(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(work)
    old = os.umask(0o022)
    try:
        assert run(work, capsys, monkeypatch, "keygen", "--out", "gen.pem")[0] == EXIT_OK
        private = (work / "gen.pem").read_bytes()
        assert stat.S_IMODE((work / "gen.pem").stat().st_mode) == 0o600
        code, _, err = run(work, capsys, monkeypatch, "keygen", "--out", "gen.pem")
        assert code == EXIT_USAGE and "--force" in err
        assert (work / "gen.pem").read_bytes() == private
        (work / "gen.pub.pem").unlink()  # the private key alone still refuses
        code, _, err = run(work, capsys, monkeypatch, "keygen", "--out", "gen.pem")
        assert code == EXIT_USAGE and "gen.pem exists" in err
        (work / "gen.pem").chmod(0o644)
        assert run(work, capsys, monkeypatch, "keygen", "--out", "gen.pem", "--force")[0] == EXIT_OK
        assert (work / "gen.pem").read_bytes() != private
        assert stat.S_IMODE((work / "gen.pem").stat().st_mode) == 0o600
        assert not [p for p in work.iterdir() if p.name.startswith(".key-")]
    finally:
        os.umask(old)


def test_keygen_private_key_is_never_readable_by_others(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is created 0600: watch the mode os.open is asked for, not the mode after a chmod."""
    modes: list[int] = []
    real_open = os.open

    def spy(path: Any, flags: int, mode: int = 0o777, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith("spy.pem"):
            modes.append(mode)
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.chdir(work)
    monkeypatch.setattr(os, "open", spy)
    assert cli.main(["keygen", "--out", "spy.pem"]) == EXIT_OK
    assert modes == [0o600]


# --- as a separate process ------------------------------------------------------------------------


def process(work: Path, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    assert SCRIPT, "the credential command is installed with the package"
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.run([SCRIPT, *args], cwd=work, stderr=subprocess.PIPE, timeout=30, **kwargs)


def test_dev_zero_on_standard_input_ends_fast(work: Path) -> None:
    with open("/dev/zero", "rb") as zero:
        result = process(work, "verify", "-", *K, "--now", NOW, stdin=zero)
    assert result.returncode == EXIT_INVALID and result.stderr.startswith(b"LIMIT: ")


def test_long_text_argument_as_a_process(work: Path) -> None:
    # The first component: an earlier one that names no directory would give "no such file" first.
    vector = next(v for v in VALID if len(v["text"].split("/")[0]) > 255)
    result = process(work, "verify", vector["text"], *vector_arguments(work, vector))
    assert result.returncode == EXIT_OK, result.stderr
    assert b"Traceback" not in result.stderr


def test_hostile_credential_as_a_process(work: Path) -> None:
    result = process(work, "verify", "hostile.txt", *K, "--now", NOW)
    assert result.returncode == EXIT_INVALID
    assert_clean(result.stdout.decode("utf-8"), result.stderr.decode("utf-8"))


def test_closed_output_pipe_is_not_a_traceback(work: Path) -> None:
    reader, writer = os.pipe()
    os.close(reader)
    try:
        result = process(work, "decode", "cred.txt", stdout=writer)
    finally:
        os.close(writer)
    assert result.returncode == EXIT_USAGE
    assert result.stderr == b"credential decode: output closed before it was all written\n"


# --- batch progress -------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("terminal", "quiet", "drawn"), [(True, False, True), (True, True, False), (False, False, False)])
def test_progress_bar_only_on_a_terminal(work: Path, monkeypatch: pytest.MonkeyPatch, terminal: bool, quiet: bool, drawn: bool) -> None:
    (work / "three.jsonl").write_text("{}\n\n{}\n{}\n")
    stream = Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    args = cli.parser().parse_args(["issue", "--batch", str(work / "three.jsonl"), "--key", "k.pem", *(["--quiet"] if quiet else [])])
    progress = cli_batch.progress_for(args, 1024)
    assert (progress is not None) == drawn
    if progress is not None:
        progress(3)
        assert stream.getvalue().startswith("\r[") and " 3/3 " in stream.getvalue()


def test_render_refuses_a_png_to_a_terminal(work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    class BinaryTerminal(io.TextIOWrapper):
        def isatty(self) -> bool:
            return True

    screen = BinaryTerminal(io.BytesIO(), encoding="utf-8")
    monkeypatch.chdir(work)
    monkeypatch.setattr(sys, "stdout", screen)
    assert cli.main(["render", "cred.txt"]) == EXIT_USAGE
    assert screen.buffer.getvalue() == b""  # type: ignore[attr-defined]
    assert "binary output to a terminal" in capsys.readouterr().err
    assert cli.main(["render", "cred.txt", "--format", "svg"]) == EXIT_OK  # SVG is text
