"""The conformance runner (spec section 15): every vector of every vector file, through another
implementation's adapter program, one JSON request and one JSON answer per line.

The runner knows nothing of what a vector file configures: it passes each file's shared members and
each test case as they are, and compares the answer with the case's ``result``. A new vector file
needs nothing here; an adapter that does not know its features answers ``unsupported``.
"""

from __future__ import annotations

import builtins
import json
import os
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
# Members of a vector file that are not passed to the adapter: the cases (sent one by one) and
# documentation.
_NOT_SHARED = frozenset({"tests", "notes", "schema", "numberOfTests"})
# The lists of cases a vector file may hold (spec 15), with what each case expects: "tests" are
# verified and judged by their result; the others must be refused (14.5): an issuance the issuer must
# refuse, a public key the verifier's configuration must refuse.
CASE_LISTS = {"tests": None, "issuerTests": "refused", "refusedKeys": "refused"}


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
    issuance check, or None for a case without ``issuance``."""

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
    seconds: float = 0.0


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
        counted = {PASSED: 0, FAILED: 0, SKIPPED: 0}
        for outcome in self.outcomes:
            if outcome.issuance is not None:
                counted[outcome.issuance] += 1
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
            "byFlag": self.grouped("flag"),
            "byExpected": self.grouped("expected"),
            "results": [asdict(o) for o in self.outcomes],
        }


def load(paths: Iterable[Path]) -> list[VectorFile]:
    """The vector files at ``paths`` (files, or folders whose ``*.json`` files hold ``tests``), by name."""
    found: list[VectorFile] = []
    for path in paths:
        candidates = sorted(path.glob("*.json")) if path.is_dir() else [path]
        for candidate in candidates:
            document = json.loads(candidate.read_text(encoding="utf-8"))
            if isinstance(document, dict) and isinstance(document.get("tests"), list):
                found.append(VectorFile(candidate.name, document))
    if not found:
        raise ValueError(f"no vector files (JSON with a tests list) in {', '.join(map(str, paths))}")
    return found


def request(vectors: VectorFile, test: dict[str, Any], listed: str = "tests") -> dict[str, Any]:
    """The request for one case (spec 15)."""
    ident = f"{vectors.name}#{test['tcId']}" if listed == "tests" else f"{vectors.name}#{listed}:{test['tcId']}"
    return {"protocol": PROTOCOL, "id": ident, "file": vectors.name, "list": listed, "shared": vectors.shared, "test": test}


def expected_of(test: dict[str, Any], listed: str = "tests") -> str:
    if CASE_LISTS.get(listed) is not None:
        return str(CASE_LISTS[listed])
    if test["result"] == "valid":
        return "valid"
    if test["result"] == "acceptable":
        return " or ".join(test["errors"])
    return str(test["error"])


def judge(test: dict[str, Any], answer: dict[str, Any], listed: str = "tests") -> tuple[str, str, str | None]:
    """(outcome, reason, what the implementation said) for one answer; the answer is well-formed."""
    verdict = answer["verdict"]
    if verdict == "unsupported":
        return SKIPPED, str(answer.get("detail") or "the implementation does not support this case"), "unsupported"
    if listed != "tests":
        if verdict == "refused":
            return PASSED, "", verdict
        what = "issued what the issuer must refuse" if listed == "issuerTests" else "trusted a key that must be refused"
        return FAILED, f"{what}: answered {verdict}", verdict
    got = "valid" if verdict == "valid" else str(answer.get("error"))
    if test["result"] == "valid":
        if verdict != "valid":
            return FAILED, f"refused a valid credential with {got}: {answer.get('detail', '')}".rstrip(": "), got
        if answer.get("claims") != test["claims"]:
            return FAILED, "accepted, but the claims differ from the vector's", got
        return PASSED, "", got
    allowed = test["errors"] if test["result"] == "acceptable" else [test["error"]]
    if verdict == "valid":
        return FAILED, f"accepted a credential that must be refused with {' or '.join(allowed)}", got
    if got not in allowed:
        return FAILED, f"refused with {got}, expected {' or '.join(allowed)}", got
    return PASSED, "", got


def _check_answer(answer: Any, ident: str, listed: str) -> str | None:
    """What is wrong with an answer's form, or None."""
    if not isinstance(answer, dict):
        return "the answer is not a JSON object"
    if answer.get("id") != ident:
        return f"the answer is for id {answer.get('id')!r}, not {ident!r}"
    verdict = answer.get("verdict")
    allowed = ("valid", "invalid", "unsupported") if listed == "tests" else ("refused", "accepted", "unsupported")
    if verdict not in allowed:
        return f"verdict {verdict!r} is not {', '.join(allowed[:-1])} or {allowed[-1]}"
    if verdict == "invalid" and not isinstance(answer.get("error"), str):
        return "an invalid verdict needs an error code"
    if verdict == "valid" and not isinstance(answer.get("claims"), dict):
        return "a valid verdict needs the claims"
    if "issued" in answer and not isinstance(answer["issued"], str):
        return "issued is the credential text, a string"
    return None


class Adapter:
    """The implementation's adapter program: started once, restarted after a timeout or a crash."""

    def __init__(self, command: str, cwd: Path | None = None) -> None:
        self.argv = shlex.split(command)
        if not self.argv:
            raise ValueError("the implementation command is empty")
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.buffer = b""

    def _start(self) -> subprocess.Popen[bytes]:
        if self.process is None or self.process.poll() is not None:
            self.buffer = b""
            # Its own session, so that a timeout stops the adapter and whatever it started.
            self.process = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=self.cwd, start_new_session=True
            )
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
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        process.wait()

    def ask(self, message: dict[str, Any], timeout: float) -> tuple[Any, str | None]:
        """(answer, None), or (None, what went wrong); a timeout or a dead adapter is restarted next time."""
        process = self._start()
        assert process.stdin is not None and process.stdout is not None
        failed_write: list[str] = []
        # Written from a thread: an adapter that stops reading must not stop the runner; the time limit
        # covers the writing too, and stopping the adapter ends a write that blocks.
        writer = threading.Thread(target=self._write, args=(process, message, failed_write), daemon=True)
        writer.start()
        line, problem = self._line(process, time.monotonic() + timeout, timeout)
        writer.join(timeout=0 if problem else None)
        if problem is not None or failed_write:
            self.stop()
            writer.join()
            return None, problem if problem and not failed_write else "the adapter exited before reading the request"
        try:
            return json.loads(line), None
        except (ValueError, UnicodeDecodeError) as err:
            return None, f"the answer is not JSON ({err})"

    @staticmethod
    def _write(process: subprocess.Popen[bytes], message: dict[str, Any], failed: list[str]) -> None:
        assert process.stdin is not None
        try:
            process.stdin.write(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n")
            process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            failed.append("write")

    def _line(self, process: subprocess.Popen[bytes], deadline: float, timeout: float) -> tuple[bytes, str | None]:
        assert process.stdout is not None
        fd = process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self.buffer:
                if len(self.buffer) > MAX_ANSWER_BYTES:
                    return b"", f"an answer line longer than {MAX_ANSWER_BYTES} bytes"
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    return b"", f"no answer within {timeout:g} s"
                chunk = os.read(fd, 65536)
                if not chunk:
                    code = process.wait()
                    return b"", f"the adapter exited (status {code}) without answering"
                self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line, None


def run(command: str, files: list[VectorFile], *, timeout: float = DEFAULT_TIMEOUT, cwd: Path | None = None) -> Summary:
    """Every case of every file through the adapter ``command``."""
    if not timeout > 0:
        raise ValueError(f"the time limit must be positive, not {timeout}")
    summary = Summary(command)
    adapter = Adapter(command, cwd)
    try:
        for vectors in files:
            for listed, case in vectors.cases():
                summary.outcomes.append(_one(adapter, vectors, case, listed, timeout))
    finally:
        adapter.stop()
    return summary


def _one(adapter: Adapter, vectors: VectorFile, test: dict[str, Any], listed: str, timeout: float) -> Outcome:
    message = request(vectors, test, listed)
    outcome = Outcome(
        message["id"], vectors.name, listed, test["tcId"], test.get("comment", ""), list(test.get("flags", [])),
        expected_of(test, listed), FAILED,
    )
    started = time.monotonic()
    answer, problem = adapter.ask(message, timeout)
    outcome.seconds = round(time.monotonic() - started, 4)
    problem = problem or _check_answer(answer, message["id"], listed)
    has_issuance = "issuance" in test and listed == "tests"
    if problem is not None:
        outcome.reason = problem
        outcome.issuance = FAILED if has_issuance else None
        return outcome
    outcome.outcome, outcome.reason, outcome.got = judge(test, answer, listed)
    if has_issuance:
        if outcome.outcome == SKIPPED or "issued" not in answer:
            outcome.issuance = SKIPPED
        elif answer["issued"] == test["text"]:
            outcome.issuance = PASSED
        else:
            outcome.issuance = FAILED
            outcome.outcome = FAILED
            outcome.reason = "; ".join(filter(None, [outcome.reason, "the issued text differs from the vector's"]))
    return outcome


def table(summary: Summary) -> str:
    """The summary as text: totals, then counts by flag and by expected result."""

    def rows(title: str, groups: dict[str, dict[str, int]]) -> Iterator[str]:
        width = max([len(title)] + [len(name) for name in groups])
        yield f"{title:<{width}}  {'passed':>6}  {'failed':>6}  {'skipped':>7}"
        for name, c in groups.items():
            yield f"{name:<{width}}  {c[PASSED]:>6}  {c[FAILED]:>6}  {c[SKIPPED]:>7}"

    totals, issued = summary.counts(), summary.issuance_counts()
    lines = [
        f"{summary.implementation}: {len(summary.outcomes)} vectors: "
        f"{totals[PASSED]} passed, {totals[FAILED]} failed, {totals[SKIPPED]} skipped",
        f"issuance: {issued[PASSED]} passed, {issued[FAILED]} failed, {issued[SKIPPED]} skipped",
        "",
        *rows("by expected result", summary.grouped("expected")),
        "",
        *rows("by flag", summary.grouped("flag")),
    ]
    failures = [o for o in summary.outcomes if o.outcome == FAILED]
    if failures:
        lines += ["", "failed:"] + [f"  {o.id} ({', '.join(o.flags)}): {o.reason}" for o in failures]
    return "\n".join(lines)


def junit(summary: Summary) -> bytes:
    """The outcomes as JUnit XML: one test suite per vector file, one test case per vector."""
    root = ET.Element("testsuites", name="XC conformance", tests=str(len(summary.outcomes)))
    by_file: dict[str, list[Outcome]] = {}
    for outcome in summary.outcomes:
        by_file.setdefault(outcome.file, []).append(outcome)
    for name, outcomes in by_file.items():
        counts = summary.counts(outcomes)
        suite = ET.SubElement(
            root, "testsuite", name=name, tests=str(len(outcomes)), failures=str(counts[FAILED]),
            skipped=str(counts[SKIPPED]), errors="0", time=f"{sum(o.seconds for o in outcomes):.3f}",
        )
        for o in outcomes:
            label = f"tcId {o.tcId}" if o.list == "tests" else f"{o.list} {o.tcId}"
            case = ET.SubElement(suite, "testcase", classname=name, name=f"{label}: {o.comment}", time=f"{o.seconds:.4f}")
            if o.outcome == FAILED:
                failure = ET.SubElement(case, "failure", message=o.reason, type=o.expected)
                failure.text = f"expected {o.expected}, got {o.got}; flags {', '.join(o.flags)}"
            elif o.outcome == SKIPPED:
                ET.SubElement(case, "skipped", message=o.reason)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
