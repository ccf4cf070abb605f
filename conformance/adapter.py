#!/usr/bin/env python3
"""The reference implementation's conformance adapter (spec section 15): an example to copy.

The runner (``credential conformance --impl 'python conformance/adapter.py'``) writes one JSON
request per line to standard input; this program answers each with one JSON line on standard output,
in the same order, and exits when standard input ends. An adapter for another implementation does
the same three things with that implementation's API:

1. Build the verifier's configuration from ``test.verifier`` and the file's ``shared`` members (the
   test keys and templates), and verify ``test.text`` at ``test.verifier.now``.
   A case with ``test.scans`` (``presentations.json``, spec 14.7) is one gate reading several texts in
   order, each at its own ``now``: verify them all with one verifier (one replay cache), and answer
   with the outcome of every scan as ``scans``, the last one's members repeated at the top. A scan
   with ``replayCacheDown`` is read while the gate's replay cache cannot be reached: make the cache
   fail for that scan only, as an unreachable store does.
2. Answer ``valid`` with what the verifier returns: the claims (JSON view), ``alg``, ``kid`` and
   ``form``, for a presentation its ``step``, and for a gate with decryption keys the ``templates``
   it decrypted (null when step 21a did not run); or ``invalid`` with the error code.
3. For a case with ``test.issuance``, issue its claims with the named private key and return the
   text as ``issued``; for a scan with ``made``, present the named credential with the named device
   key as the holder and return the text as that scan's ``presented``.

The request's ``spec`` names the folder of the specification files (``name-characters.txt``, the
schemas), for an implementation that reads them at run time; this one carries its own copy.

Anything the implementation does not support (a verifier option it has no input for, a vector file
of a feature it lacks) is answered ``unsupported``, never guessed: the runner counts it as skipped.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import credential


class Unsupported(Exception):
    """This adapter cannot run the case as the vector asks; the runner skips it."""


def _templates(shared: dict[str, Any], name: str | None) -> dict[str, bytes] | None:
    if name is None:
        return None
    return {modality: bytes.fromhex(value) for modality, value in shared["templates"][name].items()}


def _keys(shared: dict[str, Any], value: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "trust": credential.KeySet(
            credential.TrustedKey(shared["keys"][name]["publicKeyPem"].encode(), frozenset(issuers)) for name, issuers in value.items()
        )
    }


def _decryption_keys(shared: dict[str, Any], value: list[str] | None) -> dict[str, Any]:
    if value is None:
        return {}
    keys = [credential.load_decryption_key(shared["recipientKeys"][name]["privateKeyPem"]) for name in value]
    return {"decryption_keys": credential.DecryptionKeys(keys)}


def _status_lists(shared: dict[str, Any], value: list[dict[str, Any]] | None) -> dict[str, Any]:
    if value is None:
        return {}
    held = credential.StatusCache()
    for entry in value:
        held.store(entry["issuer"], entry["list"], bytes.fromhex(shared["lists"][entry["token"]]["token"]), entry["fetchedAt"])
    return {"status": held}


def _gate(shared: dict[str, Any], gate: dict[str, Any]) -> credential.TrustStore:
    """The trust store of a trust.json case (spec 14.6): pins, grace, and held lists loaded at their issue times."""
    pins = {authority: [shared["keys"][name]["publicKeyPem"] for name in names] for authority, names in gate["pins"].items()}
    store = credential.TrustStore(pins, grace=gate["grace"])
    for name in gate["held"]:
        store.load(bytes.fromhex(shared["lists"][name]["signed"]), now=shared["lists"][name]["issued"])
    return store


def _option(name: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A member that maps to the Verifier argument ``name`` as it is; null leaves the default."""
    return lambda shared, value: {} if value is None else {name: value}


def _per_traveller(shared: dict[str, Any], value: Any) -> dict[str, Any]:
    return {}  # now and templates are given to verify, not to the Verifier


# How each member of test.verifier becomes arguments of credential.Verifier, for every vector file this
# adapter knows. A case whose verifier has a member not listed here is answered "unsupported".
OPTIONS: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {
    "now": _per_traveller,
    "templates": _per_traveller,
    "keys": _keys,
    "skew": _option("skew"),
    "destination": _option("destination"),
    "channel": _option("channel"),
    "revoked": _option("revoked"),
    # test-vectors/status.json (spec 17, step 19a)
    "statusLists": _status_lists,
    "statusMaxAge": _option("status_max_age"),
    "statusGrace": _option("status_grace"),
    # test-vectors/templates.json (spec 8.5, step 21a)
    "decryptionKeys": _decryption_keys,
    "requireTemplates": lambda shared, value: {} if value is None else {"require_templates": frozenset(value)},
    # test-vectors/presentations.json (spec 4.5, 9.6): a replay cache that starts empty, for the whole case
    "presentationSkew": _option("presentation_skew"),
    "requirePresentation": _option("require_presentation"),
    "replayCapacity": lambda shared, value: {} if value is None else {"replay": _Switchable(credential.MemoryReplayCache(value))},
}


class _Switchable(credential.ReplayCache):
    """The case's replay cache, which a scan with ``replayCacheDown`` finds unreachable."""

    def __init__(self, cache: credential.ReplayCache) -> None:
        self.cache, self.capacity, self.down = cache, cache.capacity, False

    def check_and_record(self, key: str, now: int, expires: int) -> Any:
        if self.down:
            raise credential.ReplayCacheError("replay cache: connection refused")
        return self.cache.check_and_record(key, now, expires)

    def peek(self, key: str, now: int) -> Any:
        if self.down:
            raise credential.ReplayCacheError("replay cache: connection refused")
        return self.cache.peek(key, now)


def configuration(shared: dict[str, Any], test: dict[str, Any]) -> tuple[credential.Verifier, int | None, dict[str, bytes] | None]:
    """The verifier a case configures, its verification time (None when each scan has its own) and the
    traveller's templates."""
    options = test["verifier"]
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise Unsupported(f"verifier inputs this adapter does not know: {', '.join(unknown)}")
    arguments: dict[str, Any] = {"trust": _gate(shared, test["gate"])} if "gate" in test else {}
    for name, value in options.items():
        arguments.update(OPTIONS[name](shared, value))
    return credential.Verifier(**arguments), options.get("now"), _templates(shared, options.get("templates"))


def _outcome(verifier: credential.Verifier, text: str, now: int, templates: dict[str, bytes] | None) -> dict[str, Any]:
    """The verdict, and with valid what the verifier returns (spec 9.2, 15): claims, alg, kid, form, the
    step of a presentation and, when the gate decrypts, the templates step 21a returned."""
    try:
        verified = verifier.verify(text, now=now, templates=templates)
    except credential.VerificationError as err:
        return {"verdict": "invalid", "error": err.code.value, "detail": err.detail}
    out = {"verdict": "valid", "claims": verified.claims, "alg": verified.alg, "kid": verified.kid.hex(), "form": verified.form}
    if verified.step is not None:
        out["step"] = verified.step
    if verifier.decryption_keys is not None:
        decrypted = verified.templates
        out["templates"] = None if decrypted is None else {m: {"format": t.format, "data": t.data.hex()} for m, t in decrypted.items()}
    return out


def present(shared: dict[str, Any], made: dict[str, Any]) -> str:
    """The holder's side of a scan with ``made`` (spec 9.6, 14.7): present the named credential."""
    device_key = credential.load_private_key(shared["deviceKeys"][made["deviceKey"]]["privateKeyPem"])
    return credential.present(
        shared["credentials"][made["credential"]]["text"], device_key,
        now=made["now"], destination=made["destination"], deflate=made["deflate"],
    )


def load_list(shared: dict[str, Any], test: dict[str, Any]) -> dict[str, Any]:
    """A list case of trust.json: load the list into the case's gate (spec 16.5)."""
    store = _gate(shared, test["gate"])
    try:
        loaded = store.load(bytes.fromhex(shared["lists"][test["load"]["list"]]["signed"]), now=test["load"]["now"])
    except credential.TrustListError as err:
        return {"verdict": "invalid", "error": err.code.value, "detail": err.detail}
    return {"verdict": "valid", "claims": loaded.to_json()}


def verify(shared: dict[str, Any], test: dict[str, Any]) -> dict[str, Any]:
    if test.get("kind") == "list":
        return load_list(shared, test)
    verifier, now, templates = configuration(shared, test)
    if "scans" in test:  # one gate, several readings in order: every outcome, and the last one repeated
        scans = []
        for scan in test["scans"]:
            if isinstance(verifier.replay, _Switchable):
                verifier.replay.down = scan.get("replayCacheDown", False)
            elif scan.get("replayCacheDown"):
                raise Unsupported("a scan with the replay cache down, at a gate without one")
            outcome = _outcome(verifier, scan["text"], scan["now"], templates)
            if "made" in scan:
                outcome["presented"] = present(shared, scan["made"])
            scans.append(outcome)
        last = {name: value for name, value in scans[-1].items() if name != "presented"}
        return {"scans": scans, **last}
    if now is None:
        raise Unsupported("the case gives no verification time")
    return _outcome(verifier, test["text"], now, templates)


def issue(shared: dict[str, Any], test: dict[str, Any]) -> str:
    issuance = test["issuance"]
    key = credential.load_private_key(shared["keys"][issuance["key"]]["privateKeyPem"])
    if "encryption" in issuance:
        return _issue_with_templates(shared, issuance, key)
    # policy=None: issuance vectors test the encoding; who is eligible is each authority's own (spec 9.5).
    return credential.issue(
        issuance["claims"], key, templates=_templates(shared, issuance["templates"]), deflate=issuance["deflate"], policy=None
    )


def _issue_with_templates(shared: dict[str, Any], issuance: dict[str, Any], key: Any) -> str:
    """A templates.json issuance (spec 14.6): encrypt with the case's fixed material, then issue."""
    from cryptography.hazmat.primitives.asymmetric import ec, x25519

    from credential.claims import templates as sealing

    def template_set(name: str) -> dict[str, Any]:
        return {m: sealing.Template(t["format"], bytes.fromhex(t["data"])) for m, t in shared["templates"][name].items()}

    def ephemeral(hex_key: str, recipient: str) -> Any:
        raw = bytes.fromhex(hex_key)
        if shared["recipientKeys"][recipient]["curve"] == "X25519":
            return x25519.X25519PrivateKey.from_private_bytes(raw)
        return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())

    recipients = issuance["recipients"]
    material = issuance["encryption"]
    claims = dict(issuance["claims"])
    sealed = sealing._seal_from_parts(  # the private seam: fixed material, for vectors only (spec 8.5.6)
        template_set(issuance["templates"]),
        [credential.load_recipient_key(shared["recipientKeys"][r]["publicKeyPem"]) for r in recipients],
        bytes.fromhex(claims["cti"]),
        bytes.fromhex(material["cek"]),
        bytes.fromhex(material["iv"]),
        [ephemeral(k, r) for k, r in zip(material["ephemeralKeys"], recipients)],
        issuance["paddedSize"],
        issuer=claims["iss"],
    )
    claims["xc"] = dict(claims["xc"], templates=sealed.hex())
    bound = {m: t.data for m, t in template_set(issuance["boundTemplates"]).items()}
    return credential.issue(claims, key, templates=bound, policy=None)


def refuse_issuance(shared: dict[str, Any], test: dict[str, Any]) -> dict[str, Any]:
    """An issuerTests case: the issuer must refuse (spec 14.5)."""
    try:
        issue(shared, test)
    except (ValueError, TypeError) as err:
        return {"verdict": "refused", "detail": str(err)}
    return {"verdict": "accepted"}


def refuse_key(shared: dict[str, Any], test: dict[str, Any]) -> dict[str, Any]:
    """A refusedKeys case: a key set holding this key must be refused as a configuration mistake."""
    try:
        credential.KeySet([credential.TrustedKey(test["publicKeyPem"].encode(), frozenset({"HK"}))])
    except (ValueError, TypeError) as err:
        return {"verdict": "refused", "detail": str(err)}
    return {"verdict": "accepted"}


# What each list of cases asks (the request's "list", spec 15).
LISTS: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {
    "issuerTests": refuse_issuance,
    "refusedKeys": refuse_key,
}


def answer(request: dict[str, Any], check: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] = verify) -> dict[str, Any]:
    """The answer to one request; ``check`` is the verification step (tests swap it for broken ones)."""
    shared, test, listed = request["shared"], request["test"], request.get("list", "tests")
    if listed != "tests":
        if listed not in LISTS:
            return {"id": request["id"], "verdict": "unsupported", "detail": f"no answer for cases of the list {listed}"}
        return {"id": request["id"], **LISTS[listed](shared, test)}
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
