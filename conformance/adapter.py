#!/usr/bin/env python3
"""The reference implementation's conformance adapter (spec section 14A): an example to copy.

The runner (``credential conformance --impl 'python conformance/adapter.py'``) writes one JSON
request per line to standard input; this program answers each with one JSON line on standard output,
in the same order, and exits when standard input ends. An adapter for another implementation does
the same three things with that implementation's API:

1. Build the verifier's configuration from ``test.verifier`` and the file's ``shared`` members (the
   test keys and templates), and verify ``test.text`` at ``test.verifier.now``.
2. Answer ``valid`` with the claims (JSON view), or ``invalid`` with the error code.
3. For a case with ``test.issuance``, issue its claims with the named private key and return the
   text as ``issued``.

Anything the implementation does not support (a verifier option it has no input for, a vector file
of a feature it lacks) is answered ``unsupported``, never guessed: the runner counts it as skipped.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import credential

# The members of test.verifier this adapter understands, per vector file format. A case whose
# verifier has any other member is answered "unsupported".
KNOWN_VERIFIER_OPTIONS = {
    "XC1 conformance vectors": {"now", "skew", "keys", "destination", "channel", "revoked", "templates"},
}


class Unsupported(Exception):
    """This adapter cannot run the case as the vector asks; the runner skips it."""


def _templates(shared: dict[str, Any], name: str | None) -> dict[str, bytes] | None:
    if name is None:
        return None
    return {modality: bytes.fromhex(value) for modality, value in shared["templates"][name].items()}


def _verifier(shared: dict[str, Any], options: dict[str, Any]) -> credential.Verifier:
    keys = credential.KeySet(
        credential.TrustedKey(shared["keys"][name]["publicKeyPem"].encode(), frozenset(issuers))
        for name, issuers in options["keys"].items()
    )
    return credential.Verifier(
        keys,
        skew=options["skew"],
        destination=options["destination"],
        channel=options["channel"],
        revoked=options["revoked"],
    )


def verify(shared: dict[str, Any], test: dict[str, Any]) -> dict[str, Any]:
    options = test["verifier"]
    unknown = set(options) - KNOWN_VERIFIER_OPTIONS.get(shared.get("format", ""), set())
    if unknown:
        raise Unsupported(f"verifier options this adapter does not know: {', '.join(sorted(unknown))}")
    try:
        verified = _verifier(shared, options).verify(test["text"], now=options["now"], templates=_templates(shared, options["templates"]))
    except credential.VerificationError as err:
        return {"verdict": "invalid", "error": err.code.value, "detail": err.detail}
    return {"verdict": "valid", "claims": verified.claims}


def issue(shared: dict[str, Any], test: dict[str, Any]) -> str:
    issuance = test["issuance"]
    key = credential.load_private_key(shared["keys"][issuance["key"]]["privateKeyPem"])
    return credential.issue(issuance["claims"], key, templates=_templates(shared, issuance["templates"]), deflate=issuance["deflate"])


def answer(request: dict[str, Any], check: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] = verify) -> dict[str, Any]:
    """The answer to one request; ``check`` is the verification step (tests swap it for broken ones)."""
    shared, test = request["shared"], request["test"]
    try:
        out = {"id": request["id"], **check(shared, test)}
        if "issuance" in test:
            out["issued"] = issue(shared, test)
    except Unsupported as why:
        return {"id": request["id"], "verdict": "unsupported", "detail": str(why)}
    return out


def main(check: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] = verify) -> None:
    for line in sys.stdin:
        print(json.dumps(answer(json.loads(line), check), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
