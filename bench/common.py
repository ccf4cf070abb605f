"""Shared by the benchmark scripts: sample credentials, keys, and timeit-style interleaved timing."""

from __future__ import annotations

import importlib
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import credential  # noqa: E402
from credential.issuer import samples  # noqa: E402

issuing = importlib.import_module("credential.issuer.issue")  # the module; credential.issue is the function

NOW = samples.ISSUED_AT + 3600  # one hour after issuance: valid


def completed(profile: str = "full") -> dict[str, Any]:
    """The sample claims with cti, iat and the biometric binding filled in, so issuing draws nothing."""
    claims = samples.full() if profile == "full" else samples.minimal()
    return issuing.complete(claims, samples.TEMPLATES)


def fixed_key(alg: str) -> Any:
    """A deterministic key per algorithm, so runs are comparable (Ed25519 from a seed, P-256 from a scalar)."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    if alg == "Ed25519":
        return ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    return ec.derive_private_key(0x5EED5EED5EED5EED5EED5EED5EED5EED5EED5EED5EED5EED5EED5EED5EED5EED, ec.SECP256R1())


def issued(alg: str, profile: str = "full") -> str:
    return credential.issue(completed(profile), fixed_key(alg), policy=None)


@dataclass
class Case:
    name: str
    fn: Callable[[], Any]
    number: int = 0
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


class Suite:
    """Cases timed in interleaved rounds: every case once per round, so drift hits all of them alike.

    Like timeit: each case is calibrated to run ``number`` calls per sample (about ``target``
    seconds), and the per-call time of a case is the median over ``rounds`` samples.
    """

    def __init__(self, target: float = 0.04, rounds: int = 9) -> None:
        self.cases: dict[str, Case] = {}
        self.target = target
        self.rounds = rounds

    def add(self, name: str, fn: Callable[[], Any]) -> None:
        self.cases[name] = Case(name, fn)

    @staticmethod
    def _time(fn: Callable[[], Any], number: int) -> float:
        clock = time.perf_counter
        start = clock()
        for _ in range(number):
            fn()
        return clock() - start

    def run(self) -> None:
        for case in self.cases.values():
            case.fn()  # warm caches and lazy imports
            number = 1
            while True:
                took = self._time(case.fn, number)
                if took >= self.target / 4:
                    break
                number *= 4
            case.number = max(1, round(number * self.target / max(took, 1e-9)))
        for _ in range(self.rounds):
            for case in self.cases.values():
                case.samples.append(self._time(case.fn, case.number) / case.number)

    def __getitem__(self, name: str) -> float:
        return self.cases[name].median


def fmt_time(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} us"


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# The configuration spec 8.5.7 recommends: a face template of 128 bytes and two fingerprints of 40
# minutiae (synthetic), encrypted to two recipient authorities, padded to 384 bytes.
RECOMMENDED_FACE_BYTES = 128
RECOMMENDED_FINGERS = 2
RECOMMENDED_PADDING = 384


def recipient_keys(count: int) -> list[Any]:
    """Fixed X25519 recipient keys, so sizes and images are the same on every run."""
    from cryptography.hazmat.primitives.asymmetric import x25519

    return [x25519.X25519PrivateKey.from_private_bytes(bytes([i + 1]) * 32).public_key() for i in range(count)]


def template_set(face_bytes: int, fingers: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if face_bytes:
        out["face"] = credential.Template(-1, samples.synthetic_face(face_bytes))
    if fingers:
        out["fingerprint"] = credential.Template(1, samples.synthetic_fingerprints(fingers))
    return out


def recommended_templates_text(key: Any, recipients: int = 2) -> str:
    claims = issuing.complete(samples.minimal())
    tpl = template_set(RECOMMENDED_FACE_BYTES, RECOMMENDED_FINGERS)
    return credential.issue(claims, key, templates=tpl, recipients=recipient_keys(recipients), padded_size=RECOMMENDED_PADDING, policy=None)
