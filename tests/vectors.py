"""Load the published vectors into small objects, and run one through the reference verifier."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import credential

ROOT = Path(__file__).resolve().parent.parent
VECTOR_FILE = ROOT / "test-vectors" / "xc1.json"


@cache
def document() -> dict[str, Any]:
    return json.loads(VECTOR_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Vector:
    raw: dict[str, Any]

    @property
    def id(self) -> str:
        return f"xc1.json#{self.raw['tcId']}"

    @property
    def valid(self) -> bool:
        return self.raw["result"] == "valid"

    def has_flag(self, flag: str) -> bool:
        return flag in self.raw["flags"]

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def templates(self, name: str | None) -> dict[str, bytes] | None:
        if name is None:
            return None
        return {m: bytes.fromhex(t) for m, t in document()["templates"][name].items()}

    def keyset(self) -> credential.KeySet:
        pems = document()["keys"]
        return credential.KeySet(
            credential.TrustedKey(pems[name]["publicKeyPem"].encode(), frozenset(issuers))
            for name, issuers in self.raw["verifier"]["keys"].items()
        )

    def verifier(self) -> credential.Verifier:
        v = self.raw["verifier"]
        return credential.Verifier(
            self.keyset(),
            skew=v["skew"],
            destination=v["destination"],
            channel=v["channel"],
            revoked={bytes.fromhex(x) for x in v["revoked"]},  # type: ignore[arg-type]
        )

    def verify(self) -> credential.VerifiedCredential:
        v = self.raw["verifier"]
        return self.verifier().verify(self.raw["text"], now=v["now"], templates=self.templates(v["templates"]))


def vectors() -> list[Vector]:
    return [Vector(t) for t in document()["tests"]]


def negative_counts() -> dict[str, int]:
    """Negative cases per error code across every vector file: the core file and each feature's own (spec 14)."""
    counts: dict[str, int] = {}
    for path in sorted((ROOT / "test-vectors").glob("*.json")):
        for test in json.loads(path.read_text(encoding="utf-8"))["tests"]:
            if test["result"] == "invalid":
                counts[test["error"]] = counts.get(test["error"], 0) + 1
    return counts


def load_generator(filename: str) -> ModuleType:
    """A vector generator from test-vectors/, loaded as a module (the folder is not a package).

    The generators import their shared helpers (``import generate``) from that folder, and
    dataclasses look their module up in ``sys.modules``, so both are set up first."""
    folder = str(ROOT / "test-vectors")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(f"xc_vectors_{Path(filename).stem}", ROOT / "test-vectors" / filename)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
