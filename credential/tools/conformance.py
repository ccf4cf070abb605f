"""The conformance runner (spec section 15): every vector of every vector file, through another
implementation's adapter program, one JSON request and one JSON answer per line.

The runner knows nothing of what a vector file configures: it passes each file's shared members and
each test case as they are, and compares the answer with the case's ``result``. A new vector file
needs nothing here; an adapter that does not know its features answers ``unsupported``.
"""

from __future__ import annotations

import builtins
import json
import math
import os
import re
import selectors
import shlex
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PROTOCOL = "XC conformance 1"
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
DEFAULT_TIMEOUT = 10.0  # seconds per vector, starting the adapter included
MAX_ANSWER_BYTES = 1 << 20  # one answer line; claims are at most a few KiB
STDERR_KEPT = 4096  # bytes of the adapter's standard error kept per vector: its end, shown with a failure
# Members of a vector file that are not passed to the adapter: the cases (sent one by one) and
# documentation.
_NOT_SHARED = frozenset({"tests", "notes", "schema", "numberOfTests"})
# The lists of cases a vector file may hold (spec 15), with what each case expects: "tests" are
# verified and judged by their result; the others must be refused (14.5): an issuance the issuer must
# refuse, a public key the verifier's configuration must refuse.
CASE_LISTS = {"tests": None, "issuerTests": "refused", "refusedKeys": "refused"}
# What a verifier returns with valid besides the claims (spec 9.2, 15), and the forms each may take.
RETURNED = ("alg", "kid", "form", "step")
ALGORITHMS = ("Ed25519", "ES256")
FORMS = ("credential", "presentation")
MAX_STEP = 429496729  # the largest time step of 9.6: 2^32 - 1 seconds, in steps of 10
_KID = re.compile("[0-9a-f]{16}")
_CODE = re.compile("[A-Z][A-Z0-9_]*")
# The members an answer and a scan's answer may have (spec 15, conformance.schema.json).
ANSWER_MEMBERS = frozenset({"id", "verdict", "error", "claims", *RETURNED, "templates", "scans", "issued", "detail"})
SCAN_MEMBERS = frozenset({"verdict", "error", "claims", *RETURNED, "presented", "detail"})
# Characters that must not reach a terminal or an XML document as they are: C0 and C1 controls, DEL,
# the noncharacters U+FFFE and U+FFFF and lone surrogates (XML 1.0's Char production excludes them).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def escaped(text: str, lines: bool = False) -> str:
    """``text`` with every control character written as a Python escape (\\x07, \\ufffe); with
    ``lines``, line feeds and tabs are kept. Text from an adapter goes through this before it is shown."""
    pattern = _CONTROL_BUT_LINES if lines else _CONTROL
    return pattern.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


@dataclass(frozen=True)
class VectorFile:
    name: str
    document: dict[str, Any]

    @property
    def shared(self) -> dict[str, Any]:
        return {key: value for key, value in self.document.items() if key not in _NOT_SHARED and key not in CASE_LISTS}

    @property
    def tests(self) -> list[dict[str, Any]]:
        return list(self.document["tests"])

    def cases(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(list name, case) for every case of every list the file holds, ``tests`` first."""
        for name in CASE_LISTS:
            for case in self.document.get(name) or ():
                yield name, case


@dataclass
class Outcome:
    """One vector's result: ``outcome`` passed, failed or skipped; ``issuance`` the same for the
    issuance check, or None for a case without ``issuance``; ``presentation`` the same for the holder
    check of a case with scans made by the holder (14.7), or None; ``stderr`` the end of what the
    adapter wrote to standard error for this case (escaped), or None."""

    id: str
    file: str
    list: str
    tcId: int  # noqa: N815 - the vector files' own name
    comment: str
    flags: builtins.list[str]  # "list" is the name of the case list above
    expected: str
    outcome: str
    reason: str = ""
    got: str | None = None
    issuance: str | None = None
    presentation: str | None = None
    seconds: float = 0.0
    stderr: str | None = None


@dataclass
class Summary:
    implementation: str
    outcomes: list[Outcome] = field(default_factory=list)

    def counts(self, outcomes: Iterable[Outcome] | None = None) -> dict[str, int]:
        counted = {PASSED: 0, FAILED: 0, SKIPPED: 0}
        for outcome in self.outcomes if outcomes is None else outcomes:
            counted[outcome.outcome] += 1
        return counted

    def issuance_counts(self) -> dict[str, int]:
        return self._check_counts("issuance")

    def presentation_counts(self) -> dict[str, int]:
        return self._check_counts("presentation")

    def _check_counts(self, check: str) -> dict[str, int]:
        counted = {PASSED: 0, FAILED: 0, SKIPPED: 0}
        for outcome in self.outcomes:
            value = getattr(outcome, check)
            if value is not None:
                counted[value] += 1
        return counted

    def grouped(self, key: str) -> dict[str, dict[str, int]]:
        """Counts by flag (``key`` "flag") or by expected result or error code ("expected")."""
        groups: dict[str, list[Outcome]] = {}
        for outcome in self.outcomes:
            names = outcome.flags if key == "flag" else [outcome.expected]
            for name in names:
                groups.setdefault(name, []).append(outcome)
        return {name: self.counts(groups[name]) for name in sorted(groups)}

    @property
    def failed(self) -> bool:
        return any(o.outcome == FAILED for o in self.outcomes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "protocol": PROTOCOL,
            "implementation": self.implementation,
            "totals": self.counts(),
            "issuance": self.issuance_counts(),
            "presentation": self.presentation_counts(),
            "byFlag": self.grouped("flag"),
            "byExpected": self.grouped("expected"),
            "results": [{k: v for k, v in asdict(o).items() if not (k == "stderr" and v is None)} for o in self.outcomes],
        }


def spec_folder(spec: Path | None = None) -> Path:
    """The specification folder the vectors go with: ``spec``, or the copy this package ships with.
    ValueError when it is not one (it has no name-characters.txt, 3.2)."""
    if spec is None:
        from . import published

        try:
            spec = published.folder("spec")
        except FileNotFoundError as err:
            raise ValueError(str(err)) from None
    spec = Path(spec).resolve()
    if not (spec / "name-characters.txt").is_file():
        raise ValueError(f"{spec} is not a specification folder: it has no name-characters.txt")
    return spec


def load(paths: Iterable[Path], spec: Path | None = None) -> list[VectorFile]:
    """The vector files at ``paths`` (files, or folders whose ``*.json`` files hold ``tests``), by name.

    Each file is checked before any case runs (spec 15): its cases have unique positive integer
    ``tcId``s and ``flags`` lists, and the file follows the schema its ``schema`` member names, found
    by file name in the specification folder ``spec``. ValueError names the file and the case."""
    paths = list(paths)
    folder = spec_folder(spec)
    found: list[VectorFile] = []
    for path in paths:
        candidates = sorted(path.glob("*.json")) if path.is_dir() else [path]
        for candidate in candidates:
            document = json.loads(candidate.read_text(encoding="utf-8"))
            if isinstance(document, dict) and isinstance(document.get("tests"), list):
                _check_file(candidate, document, folder)
                found.append(VectorFile(candidate.name, document))
    if not found:
        raise ValueError(f"no vector files (JSON with a tests list) in {', '.join(map(str, paths))}")
    return found


def _check_file(path: Path, document: dict[str, Any], spec: Path) -> None:
    for listed in CASE_LISTS:
        cases = document.get(listed)
        if cases is None:
            continue
        if not isinstance(cases, list):
            raise ValueError(f"{path}: {listed} is not a list of cases")
        seen: set[int] = set()
        for index, case in enumerate(cases):
            where = f"{path}: {listed}[{index}]"
            tc_id = case.get("tcId") if isinstance(case, dict) else None
            if type(tc_id) is not int or tc_id < 1:
                raise ValueError(f"{where}: the case has no positive integer tcId")
            if tc_id in seen:
                raise ValueError(f"{where}: tcId {tc_id} is used twice")
            seen.add(tc_id)
            if not isinstance(case.get("flags", []), list):
                raise ValueError(f"{where}: flags is not a list")
    named = document.get("schema")
    if named is None:
        return
    if not isinstance(named, str):
        raise ValueError(f"{path}: schema is not a file name")
    schema_path = spec / Path(named).name
    if not schema_path.is_file():
        raise ValueError(f"{path}: its schema {Path(named).name} is not in {spec}")
    import jsonschema
    from referencing import Registry, Resource

    # A schema may refer to another of the folder by its $id (trust.json's lists, for one).
    schemas = [json.loads(other.read_text(encoding="utf-8")) for other in sorted(spec.glob("*.schema.json"))]
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas if isinstance(schema, dict) and "$id" in schema
    )
    validator = jsonschema.Draft202012Validator(json.loads(schema_path.read_text(encoding="utf-8")), registry=registry)
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        at = list(error.absolute_path)
        where = f"{at[0]}[{at[1]}]" + "".join(f".{p}" for p in at[2:]) if len(at) > 1 and at[0] in CASE_LISTS else "/".join(map(str, at))
        raise ValueError(f"{path}: {where or 'top level'}: {error.message} (schema {schema_path.name})")


def request(vectors: VectorFile, test: dict[str, Any], listed: str = "tests", spec: Path | None = None) -> dict[str, Any]:
    """The request for one case (spec 15); ``spec`` the specification folder (default: this package's)."""
    ident = f"{vectors.name}#{test['tcId']}" if listed == "tests" else f"{vectors.name}#{listed}:{test['tcId']}"
    return {
        "protocol": PROTOCOL, "id": ident, "file": vectors.name, "list": listed, "spec": str(spec_folder(spec)),
        "shared": vectors.shared, "test": test,
    }


def expected_of(test: dict[str, Any], listed: str = "tests") -> str:
    if CASE_LISTS.get(listed) is not None:
        return str(CASE_LISTS[listed])
    if test["result"] == "valid":
        return "valid"
    if test["result"] == "acceptable":
        return " or ".join(test["errors"])
    return str(test["error"])


def _returns(test: dict[str, Any]) -> bool:
    """Whether a valid answer to ``test`` carries alg, kid and form: every case of tests but a list case
    of trust.json, which verifies no credential."""
    return test.get("kind") != "list"


def judge(test: dict[str, Any], answer: dict[str, Any], listed: str = "tests") -> tuple[str, str, str | None]:
    """(outcome, reason, what the implementation said) for one answer; the answer is well-formed."""
    verdict = answer["verdict"]
    if verdict == "unsupported":
        return SKIPPED, escaped(str(answer.get("detail") or "the implementation does not support this case")), "unsupported"
    if listed != "tests":
        if verdict == "refused":
            return PASSED, "", verdict
        what = "issued what the issuer must refuse" if listed == "issuerTests" else "trusted a key that must be refused"
        return FAILED, f"{what}: answered {verdict}", verdict
    if "scans" in test:  # every scan judged against its own expectations; the first that fails is named
        scans = test["scans"]
        for number, (scan, got_scan) in enumerate(zip(scans, answer["scans"]), start=1):
            outcome, reason, got = _judge_one(scan, got_scan, returns=True)
            if outcome == FAILED:
                return FAILED, f"scan {number} of {len(scans)}: {reason}", got
        return PASSED, "", _got(answer)
    return _judge_one(test, answer, returns=_returns(test), decrypted="decryptionKeys" in test.get("verifier", {}) and test["verifier"]["decryptionKeys"] is not None)


def _got(answer: dict[str, Any]) -> str:
    return "valid" if answer["verdict"] == "valid" else str(answer.get("error"))


def _judge_one(expected: dict[str, Any], answer: dict[str, Any], *, returns: bool, decrypted: bool = False) -> tuple[str, str, str | None]:
    """One outcome (a case's, or a scan's) against its expected result (spec 15, Judgement)."""
    got = _got(answer)
    if expected["result"] == "valid":
        if answer["verdict"] != "valid":
            detail = escaped(str(answer.get("detail", "")))
            return FAILED, f"refused a valid credential with {got}: {detail}".rstrip(": "), got
        if answer.get("claims") != expected["claims"]:
            return FAILED, "accepted, but the claims differ from the vector's", got
        for name in RETURNED if returns else ():
            if answer.get(name) != expected.get(name):
                return FAILED, f"accepted, but {name} is {escaped(repr(answer.get(name)))}, expected {expected.get(name)!r}", got
        if decrypted and answer.get("templates") != expected.get("decrypted"):
            return FAILED, "accepted, but the decrypted templates differ from the vector's decrypted", got
        return PASSED, "", got
    allowed = expected["errors"] if expected["result"] == "acceptable" else [expected["error"]]
    if answer["verdict"] == "valid":
        return FAILED, f"accepted a credential that must be refused with {' or '.join(allowed)}", got
    if got not in allowed:
        return FAILED, f"refused with {got}, expected {' or '.join(allowed)}", got
    return PASSED, "", got


def _check_outcome(answer: dict[str, Any], returns: bool) -> str | None:
    """What is wrong with the members of one outcome (an answer's or a scan's), or None."""
    if "error" in answer and not (isinstance(answer["error"], str) and _CODE.fullmatch(answer["error"])):
        return "error is not an error code (capital letters, digits and _)"
    verdict = answer["verdict"]
    if verdict == "invalid" and "error" not in answer:
        return "an invalid verdict needs an error code"
    if verdict != "valid":
        return None
    if not isinstance(answer.get("claims"), dict):
        return "a valid verdict needs the claims"
    if not returns:
        return None
    if answer.get("alg") not in ALGORITHMS:
        return f"a valid verdict needs alg, one of {', '.join(ALGORITHMS)}"
    if not (isinstance(answer.get("kid"), str) and _KID.fullmatch(answer["kid"])):
        return "a valid verdict needs kid, 16 lowercase hexadecimal digits"
    if answer.get("form") not in FORMS:
        return f"a valid verdict needs form, one of {', '.join(FORMS)}"
    step = answer.get("step")
    if answer["form"] == "presentation" and not (type(step) is int and 0 <= step <= MAX_STEP):
        return f"a valid presentation needs step, an integer in 0..{MAX_STEP}"
    if answer["form"] == "credential" and "step" in answer:
        return "a credential has no step"
    return None


def _check_answer(answer: Any, ident: str, listed: str, test: dict[str, Any] | None = None) -> str | None:
    """What is wrong with an answer's form for the case ``test``, or None."""
    if not isinstance(answer, dict):
        return "the answer is not a JSON object"
    if answer.get("id") != ident:
        return escaped(f"the answer is for id {answer.get('id')!r}, not {ident!r}")
    verdict = answer.get("verdict")
    allowed = ("valid", "invalid", "unsupported") if listed == "tests" else ("refused", "accepted", "unsupported")
    if verdict not in allowed:
        return escaped(f"verdict {verdict!r} is not {', '.join(allowed[:-1])} or {allowed[-1]}")
    unknown = sorted(set(answer) - ANSWER_MEMBERS)
    if unknown:
        return escaped(f"member {unknown[0]!r} is not part of an answer (spec 15)")
    if "issued" in answer and not isinstance(answer["issued"], str):
        return "issued is the credential text, a string"
    if "detail" in answer and not isinstance(answer["detail"], str):
        return "detail is a string"
    if listed != "tests" or verdict == "unsupported":
        return None
    test = test or {}
    problem = _check_outcome(answer, returns=_returns(test))
    if problem is not None:
        return problem
    if "scans" in test:
        return _check_scans(answer, test["scans"])
    if verdict == "valid" and test.get("verifier", {}).get("decryptionKeys") is not None and "templates" not in answer:
        return "a valid verdict of a gate with decryption keys needs templates (null when step 21a did not run)"
    return None


def _check_scans(answer: dict[str, Any], scans: list[dict[str, Any]]) -> str | None:
    got = answer.get("scans")
    if not isinstance(got, list) or len(got) != len(scans):
        return f"a case with {len(scans)} scans needs scans, a list of {len(scans)} outcomes"
    for number, scan in enumerate(got, start=1):
        where = f"scan {number} of {len(scans)}"
        if not isinstance(scan, dict) or scan.get("verdict") not in ("valid", "invalid"):
            return f"{where}: not an object with the verdict valid or invalid"
        unknown = sorted(set(scan) - SCAN_MEMBERS)
        if unknown:
            return escaped(f"{where}: member {unknown[0]!r} is not part of a scan's outcome (spec 15)")
        problem = _check_outcome(scan, returns=True)
        if problem is not None:
            return f"{where}: {problem}"
        if "presented" in scan and not isinstance(scan["presented"], str):
            return f"{where}: presented is the presentation text, a string"
    last = got[-1]
    for name in ("verdict", "error", "claims", *RETURNED):
        if answer.get(name) != last.get(name):
            return f"the answer's {name} does not repeat the last scan's"
    return None


class Adapter:
    """The implementation's adapter program: started once, restarted after a timeout or a crash.

    Its standard error is read along with its answers, so that a chatty adapter never blocks on a
    full pipe; the last STDERR_KEPT bytes written while a vector ran are kept for that vector."""

    def __init__(self, command: str, cwd: Path | None = None) -> None:
        self.argv = shlex.split(command)
        if not self.argv:
            raise ValueError("the implementation command is empty")
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.buffer = b""
        self.stderr = b""

    def _start(self) -> subprocess.Popen[bytes]:
        if self.process is None or self.process.poll() is not None:
            self.buffer = b""
            # Its own session, so that a timeout stops the adapter and whatever it started.
            self.process = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=self.cwd,
                start_new_session=True,
            )
            assert self.process.stderr is not None
            os.set_blocking(self.process.stderr.fileno(), False)
        return self.process

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                process.kill()
        self._drain(process)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:  # a write the adapter never read, flushed on close
                    pass
        process.wait()

    def _drain(self, process: subprocess.Popen[bytes]) -> bool:
        """Read what standard error holds now, keeping its end; False once it is closed."""
        assert process.stderr is not None
        while True:
            try:
                chunk = os.read(process.stderr.fileno(), 65536)
            except BlockingIOError:
                return True
            except (OSError, ValueError):
                return False
            if not chunk:
                return False
            self.stderr = (self.stderr + chunk)[-STDERR_KEPT:]

    def ask(self, message: dict[str, Any], timeout: float) -> tuple[Any, str | None, str | None]:
        """(answer, None, stderr), or (None, what went wrong, stderr); a timeout or a dead adapter is
        restarted next time. ``stderr`` is the end of what the adapter wrote meanwhile (escaped), or None."""
        self.stderr = b""
        process = self._start()
        assert process.stdin is not None and process.stdout is not None
        failed_write: list[str] = []
        # Written from a thread: an adapter that stops reading must not stop the runner; the time limit
        # covers the writing too, and stopping the adapter ends a write that blocks.
        writer = threading.Thread(target=self._write, args=(process, message, failed_write), daemon=True)
        writer.start()
        deadline = time.monotonic() + timeout
        line, problem = self._line(process, deadline, timeout)
        writer.join(timeout=max(0.0, deadline - time.monotonic()) if problem is None else 0)
        if problem is None and writer.is_alive():
            problem = f"the adapter answered but did not read the whole request within {timeout:g} s"
        if problem is None:
            self._drain(process)
        if problem is not None or failed_write:
            self.stop()
            writer.join()
            # A write that failed because the adapter was stopped is not why the vector failed.
            if problem is None or (failed_write and problem.startswith("the adapter exited")):
                problem = "the adapter exited before reading the request"
            return None, problem, self._stderr_text()
        answer, problem = read_answer(line)
        return answer, problem, self._stderr_text()

    def _stderr_text(self) -> str | None:
        return escaped(self.stderr.decode("utf-8", errors="replace"), lines=True) if self.stderr else None

    @staticmethod
    def _write(process: subprocess.Popen[bytes], message: dict[str, Any], failed: list[str]) -> None:
        assert process.stdin is not None
        try:
            process.stdin.write(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n")
            process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            failed.append("write")

    def _line(self, process: subprocess.Popen[bytes], deadline: float, timeout: float) -> tuple[bytes, str | None]:
        assert process.stdout is not None and process.stderr is not None
        fd, err_fd = process.stdout.fileno(), process.stderr.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            selector.register(err_fd, selectors.EVENT_READ)
            while b"\n" not in self.buffer:
                if len(self.buffer) > MAX_ANSWER_BYTES:
                    return b"", f"an answer line longer than {MAX_ANSWER_BYTES} bytes"
                left = deadline - time.monotonic()
                ready = selector.select(left) if left > 0 else []
                if not ready:
                    return b"", f"no answer within {timeout:g} s"
                for key, _ in ready:
                    if key.fd == err_fd:
                        if not self._drain(process):
                            selector.unregister(err_fd)
                        continue
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        self._drain(process)
                        code = process.wait()
                        return b"", f"the adapter exited (status {code}) without answering"
                    self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line, None


def read_answer(line: bytes) -> tuple[Any, str | None]:
    """(the answer line as JSON, None), or (None, why it is not JSON): not UTF-8, not JSON, or nested
    deeper than the reader goes."""
    try:
        return json.loads(line), None
    except (ValueError, UnicodeDecodeError) as err:
        return None, escaped(f"the answer is not JSON ({err})")
    except RecursionError:
        return None, "the answer is not JSON this runner can read: it is nested too deeply"


def check_timeout(timeout: object) -> float:
    """A time limit the runner can keep: a positive finite number of seconds, else ValueError."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"the time limit must be a positive finite number of seconds, not {timeout}")
    return float(timeout)


def run(
    command: str, files: list[VectorFile], *, timeout: float = DEFAULT_TIMEOUT, cwd: Path | None = None, spec: Path | None = None
) -> Summary:
    """Every case of every file through the adapter ``command``; ``spec`` is the specification folder
    the requests name (default: the copy this package ships with)."""
    timeout = check_timeout(timeout)
    folder = spec_folder(spec)
    summary = Summary(command)
    adapter = Adapter(command, cwd)
    try:
        for vectors in files:
            for listed, case in vectors.cases():
                summary.outcomes.append(_one(adapter, vectors, case, listed, timeout, folder))
    finally:
        adapter.stop()
    return summary


def _one(adapter: Adapter, vectors: VectorFile, test: dict[str, Any], listed: str, timeout: float, spec: Path) -> Outcome:
    message = request(vectors, test, listed, spec)
    started = time.monotonic()
    answer, problem, stderr = adapter.ask(message, timeout)
    outcome = assess(vectors, test, listed, answer, problem)
    outcome.seconds = round(time.monotonic() - started, 4)
    outcome.stderr = stderr
    return outcome


def assess(vectors: VectorFile, test: dict[str, Any], listed: str, answer: Any, problem: str | None = None) -> Outcome:
    """The outcome of one case from the adapter's answer (already read as JSON), or from what went
    wrong getting it: the answer's form, the judgement, and the issuance and holder checks."""
    ident = f"{vectors.name}#{test['tcId']}" if listed == "tests" else f"{vectors.name}#{listed}:{test['tcId']}"
    outcome = Outcome(
        ident, vectors.name, listed, test["tcId"], test.get("comment", ""), list(test.get("flags", [])),
        expected_of(test, listed), FAILED,
    )
    problem = problem or _check_answer(answer, ident, listed, test)
    has_issuance = "issuance" in test and listed == "tests"
    made = [i for i, scan in enumerate(test.get("scans") or ()) if "made" in scan] if listed == "tests" else []
    if problem is not None:
        outcome.reason = problem
        outcome.issuance = FAILED if has_issuance else None
        outcome.presentation = FAILED if made else None
        return outcome
    outcome.outcome, outcome.reason, outcome.got = judge(test, answer, listed)
    if has_issuance:
        if outcome.outcome == SKIPPED or "issued" not in answer:
            outcome.issuance = SKIPPED
        elif answer["issued"] == test["text"]:
            outcome.issuance = PASSED
        else:
            outcome.issuance = FAILED
            _fail(outcome, "the issued text differs from the vector's")
    if made:
        presented = [i for i in made if outcome.outcome != SKIPPED and "presented" in answer["scans"][i]]
        differ = [i for i in presented if answer["scans"][i]["presented"] != test["scans"][i]["text"]]
        outcome.presentation = FAILED if differ else PASSED if presented else SKIPPED
        for i in differ:
            _fail(outcome, f"scan {i + 1}: the presented text differs from the vector's")
    return outcome


def _fail(outcome: Outcome, reason: str) -> None:
    outcome.outcome = FAILED
    outcome.reason = "; ".join(filter(None, [outcome.reason, reason]))


def table(summary: Summary) -> str:
    """The summary as text: totals, then counts by flag and by expected result, then each failure with
    the end of the adapter's standard error. Everything is escaped: a terminal never receives a
    control character from an adapter or a vector file."""

    def rows(title: str, groups: dict[str, dict[str, int]]) -> Iterator[str]:
        width = max([len(title)] + [len(escaped(name)) for name in groups])
        yield f"{title:<{width}}  {'passed':>6}  {'failed':>6}  {'skipped':>7}"
        for name, c in groups.items():
            yield f"{escaped(name):<{width}}  {c[PASSED]:>6}  {c[FAILED]:>6}  {c[SKIPPED]:>7}"

    totals, issued, presented = summary.counts(), summary.issuance_counts(), summary.presentation_counts()
    lines = [
        f"{escaped(summary.implementation)}: {len(summary.outcomes)} vectors: "
        f"{totals[PASSED]} passed, {totals[FAILED]} failed, {totals[SKIPPED]} skipped",
        f"issuance: {issued[PASSED]} passed, {issued[FAILED]} failed, {issued[SKIPPED]} skipped",
        f"presentation: {presented[PASSED]} passed, {presented[FAILED]} failed, {presented[SKIPPED]} skipped",
        "",
        *rows("by expected result", summary.grouped("expected")),
        "",
        *rows("by flag", summary.grouped("flag")),
    ]
    failures = [o for o in summary.outcomes if o.outcome == FAILED]
    if failures:
        lines += ["", "failed:"]
        for o in failures:
            lines.append(escaped(f"  {o.id} ({', '.join(o.flags)}): {o.reason}"))
            if o.stderr:
                lines += ["    adapter's standard error (its end):"] + [f"    | {row}" for row in escaped(o.stderr, lines=True).splitlines()]
    return "\n".join(lines)


def junit(summary: Summary) -> bytes:
    """The outcomes as JUnit XML: one test suite per vector file, one test case per vector. Every text
    is escaped, as XML 1.0 cannot hold most control characters."""
    root = ET.Element("testsuites", name="XC conformance", tests=str(len(summary.outcomes)))
    by_file: dict[str, list[Outcome]] = {}
    for outcome in summary.outcomes:
        by_file.setdefault(outcome.file, []).append(outcome)
    for name, outcomes in by_file.items():
        counts = summary.counts(outcomes)
        suite = ET.SubElement(
            root, "testsuite", name=escaped(name), tests=str(len(outcomes)), failures=str(counts[FAILED]),
            skipped=str(counts[SKIPPED]), errors="0", time=f"{sum(o.seconds for o in outcomes):.3f}",
        )
        for o in outcomes:
            label = f"tcId {o.tcId}" if o.list == "tests" else f"{o.list} {o.tcId}"
            case = ET.SubElement(suite, "testcase", classname=escaped(name), name=escaped(f"{label}: {o.comment}"), time=f"{o.seconds:.4f}")
            if o.outcome == FAILED:
                failure = ET.SubElement(case, "failure", message=escaped(o.reason), type=escaped(o.expected))
                failure.text = escaped(f"expected {o.expected}, got {o.got}; flags {', '.join(o.flags)}")
            elif o.outcome == SKIPPED:
                ET.SubElement(case, "skipped", message=escaped(o.reason))
            if o.stderr:
                ET.SubElement(case, "system-err").text = escaped(o.stderr, lines=True)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
