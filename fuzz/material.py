"""Keys, texts and time of the conformance vectors, for the fuzz harnesses: what each harness signs
its inputs with and configures its verifier with, so that inputs get past the signature.

A harness imports ``credential`` under atheris's instrumentation first and this module after it, so
that the package this module uses is the instrumented one.
"""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path
from typing import Any

import credential
from credential.cose import keys
from credential.cose import sign1 as cose

class _Formatted(logging.Handler):
    """Formats every record the package logs and keeps nothing: a log call that cannot format its
    message is a finding, and the fuzzer's output stays free of warnings."""

    def emit(self, record: logging.LogRecord) -> None:
        self.format(record)


_LOG = logging.getLogger("credential")
_LOG.addHandler(_Formatted())
_LOG.propagate = False

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "test-vectors"
NOW = 1798761600 + 3600  # the verification time of every vector file


@cache
def document(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


@cache
def private_key(file: str, name: str, member: str = "keys") -> Any:
    return credential.load_private_key(document(file)[member][name]["privateKeyPem"])


def key_set(file: str, names: dict[str, list[str]] | None = None) -> credential.KeySet:
    """The issuer keys of a vector file, each trusted for its issuers (all of them when ``names`` is None)."""
    entries = document(file)["keys"]
    chosen = names or {name: entry["issuers"] for name, entry in entries.items() if entry.get("trustedByDefault")}
    return credential.KeySet(
        credential.TrustedKey(private_key(file, name).public_key(), frozenset(issuers)) for name, issuers in chosen.items()
    )


def signed(key: Any, payload: bytes, protected: bytes | None = None) -> bytes:
    """A COSE_Sign1 of spec 4.1 over ``payload``, with the protected header of ``key`` unless one is given."""
    alg = keys.algorithm_for(key)
    if protected is None:
        protected = cose.protected_header(alg.cose_id, keys.kid_of(key))
    return cose.build(protected, payload, alg.sign(key, cose.to_be_signed(protected, payload)))
