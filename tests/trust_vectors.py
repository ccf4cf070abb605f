"""Load the trust list vectors (test-vectors/trust.json) and run one through the reference gate."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import credential

from .vectors import ROOT

TRUST_FILE = ROOT / "test-vectors" / "trust.json"


@cache
def document() -> dict[str, Any]:
    return json.loads(TRUST_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def signed_list(name: str) -> bytes:
    return bytes.fromhex(document()["lists"][name]["signed"])


@dataclass(frozen=True)
class TrustVector:
    raw: dict[str, Any]

    @property
    def id(self) -> str:
        return f"trust.json#{self.raw['tcId']}"

    @property
    def valid(self) -> bool:
        return self.raw["result"] == "valid"

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def store(self) -> credential.TrustStore:
        """The gate before the case: its pins and grace, and its held lists, each loaded at its issue time."""
        gate, keys, lists = self.raw["gate"], document()["keys"], document()["lists"]
        pins = {authority: [keys[name]["publicKeyPem"] for name in names] for authority, names in gate["pins"].items()}
        store = credential.TrustStore(pins, grace=gate["grace"])
        for name in gate["held"]:
            store.load(signed_list(name), now=lists[name]["issued"])
        return store

    def run(self) -> Any:
        """Load the list (a list case) or verify the credential (a credential case)."""
        store = self.store()
        if self.raw["kind"] == "list":
            return store.load(signed_list(self.raw["load"]["list"]), now=self.raw["load"]["now"])
        v = self.raw["verifier"]
        verifier = credential.Verifier(store, destination=v["destination"], channel=v["channel"], skew=v["skew"])
        return verifier.verify(self.raw["text"], now=v["now"])


def trust_vectors() -> list[TrustVector]:
    return [TrustVector(t) for t in document()["tests"]]
