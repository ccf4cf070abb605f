"""Signing keys held in a PKCS#11 token (a hardware security module): the private value never leaves it.

A ``TokenKey`` signs wherever a private key object is accepted (issue, batch issue, trust list
signing, status list publication). It is named by a PKCS#11 URI (RFC 7512), for example
``pkcs11:token=hk-issuer;object=hk-2026``, and exposes what the signing code needs: its algorithm,
its public key (read from the token's public key object), its kid (spec 4.3, from that public key)
and ``sign(message)``, which returns the COSE signature bytes of spec 4.2:

- Ed25519: CKM_EDDSA over the message (Ed25519 is deterministic, so the token's signature is the
  same bytes a file key gives);
- ES256: CKM_ECDSA over the SHA-256 digest, which a token returns as r || s, put in low-S form.

Every signature the token returns is verified with the public key before it is used, so a token
that signs with another key or mechanism fails at once instead of issuing credentials no gate
accepts. Opening a key makes one such signature, so that a wrong PIN, key or mechanism is found
before any input is read.

The package never asks a token for a private value: ``generate_token_key`` creates the pair inside
the token, sensitive and not extractable, and only the public key leaves it. The URI, the PIN and
the module are read by ``pkcs11_uri``; no message names a PIN.

python-pkcs11 is an optional dependency (the ``hsm`` extra); it is imported only when a token is
used.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from .keys import BY_NAME, Algorithm, PublicKey, es256_signature, kid_of
from .pkcs11_uri import ENV_MODULE, ENV_PIN, TokenError, TokenUri, parse_uri, resolve_module, resolve_pin

__all__ = ["TokenError", "TokenKey", "TokenKeySpec", "algorithm_of", "generate_token_key", "open_token_key"]

INSTALL = "pip install 'crossing-credential[hsm]' (python-pkcs11)"

# DER encodings of the curve parameters (CKA_EC_PARAMS). PKCS#11 3.0 lets an Edwards curve be named
# by its OID or by the printable string "edwards25519"; SoftHSM 2.6.1 stores the string.
P256_PARAMS = bytes.fromhex("06082a8648ce3d030107")  # OID 1.2.840.10045.3.1.7
ED25519_OID = bytes.fromhex("06032b6570")  # OID 1.3.101.112, RFC 8410
ED25519_PARAMS = frozenset({ED25519_OID, b"\x13\x0cedwards25519"})
PROBE = b"XC v1 token key check"  # signed once when a key is opened, and verified



def _pkcs11() -> Any:
    try:
        import pkcs11
    except ImportError:
        raise TokenError(f"signing with a token needs python-pkcs11: {INSTALL}") from None
    return pkcs11


def _load(module: str) -> Any:
    pkcs11 = _pkcs11()
    if not os.path.isfile(module):
        raise TokenError(f"PKCS#11 module {module} does not exist (set module-path in the URI or {ENV_MODULE})")
    try:
        return pkcs11.lib(module)
    except pkcs11.PKCS11Error as err:
        raise TokenError(f"PKCS#11 module {module} cannot be loaded: {_reason(err)}") from None


def _reason(err: Exception) -> str:
    """A PKCS#11 failure in words: python-pkcs11 names it by its exception class (PinIncorrect...)."""
    name = type(err).__name__
    words = re.sub(r"(?<!^)([A-Z])", r" \1", name).lower()
    detail = str(err)
    return f"{words} ({detail})" if detail and len(detail) < 200 else words


# --- finding the token and the key -----------------------------------------------------------------

# URI attribute -> how to read it from (library, slot, token). Data, so that each attribute RFC 7512
# defines is compared the same way.
_TOKEN_FIELDS: dict[str, Callable[[Any, Any, Any], object]] = {
    "token": lambda lib, slot, token: token.label,
    "manufacturer": lambda lib, slot, token: token.manufacturer_id,
    "serial": lambda lib, slot, token: token.serial.decode("ascii", "replace") if isinstance(token.serial, bytes) else token.serial,
    "model": lambda lib, slot, token: token.model,
    "library-manufacturer": lambda lib, slot, token: lib.manufacturer_id,
    "library-description": lambda lib, slot, token: lib.library_description,
    "library-version": lambda lib, slot, token: "%d.%d" % lib.library_version,
    "slot-manufacturer": lambda lib, slot, token: slot.manufacturer_id,
    "slot-description": lambda lib, slot, token: slot.slot_description,
    "slot-id": lambda lib, slot, token: str(slot.slot_id),
}


def _wanted(uri: TokenUri, name: str) -> str | None:
    value = uri.get(name)
    if name == "library-version" and value is not None and "." not in value:
        return value + ".0"  # RFC 7512: "1" means version 1.0
    return value


def _find_token(lib: Any, uri: TokenUri) -> Any:
    pkcs11 = _pkcs11()
    matches = []
    for slot in lib.get_slots(token_present=True):
        try:
            token = slot.get_token()
        except (pkcs11.TokenNotPresent, pkcs11.TokenNotRecognised):
            continue
        if all(_wanted(uri, n) is None or str(read(lib, slot, token)).strip() == _wanted(uri, n) for n, read in _TOKEN_FIELDS.items()):
            matches.append(token)
    if not matches:
        raise TokenError(f"no token matches {uri.describe()} in module {lib.so}")
    if len(matches) > 1:
        raise TokenError(f"{len(matches)} tokens match {uri.describe()}: name one with token= or serial=")
    return matches[0]


def _login(token: Any, pin: str | None, uri: TokenUri, rw: bool = False) -> Any:
    pkcs11 = _pkcs11()
    needs_login = bool(token.flags & pkcs11.TokenFlag.LOGIN_REQUIRED)
    if needs_login and pin is None:
        raise TokenError(f"token {token.label} needs a PIN: set {ENV_PIN}, or give --pin-file (pin-source in the URI)")
    refusals = {
        pkcs11.PinIncorrect: "refused the PIN (wrong PIN)",
        pkcs11.PinInvalid: "refused the PIN (not a valid PIN)",
        pkcs11.PinLenRange: "refused the PIN (wrong length)",
        pkcs11.PinLocked: "has locked the PIN after too many wrong ones",
        pkcs11.PinExpired: "says the PIN has expired",
        pkcs11.UserPinNotInitialized: "has no user PIN yet",
    }
    try:
        return token.open(rw=rw, user_pin=pin)
    except pkcs11.UserAlreadyLoggedIn:
        # Login is per process, not per session (PKCS#11 5.6): another key of this token is open.
        return token.open(rw=rw)
    except tuple(refusals) as err:
        raise TokenError(f"token {token.label} {refusals[type(err)]}") from None
    except pkcs11.PKCS11Error as err:
        raise TokenError(f"token {token.label}: cannot open a session: {_reason(err)}") from None


def _match(uri: TokenUri) -> dict[Any, Any]:
    pkcs11 = _pkcs11()
    attrs: dict[Any, Any] = {}
    if uri.get("object") is not None:
        attrs[pkcs11.Attribute.LABEL] = uri.get("object")
    if uri.id is not None:
        attrs[pkcs11.Attribute.ID] = uri.id
    return attrs


def _find_private(session: Any, uri: TokenUri) -> Any:
    pkcs11 = _pkcs11()
    found = list(session.get_objects({**_match(uri), pkcs11.Attribute.CLASS: pkcs11.ObjectClass.PRIVATE_KEY}))
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise TokenError(f"{len(found)} private keys match {uri.describe()}: add id= to name one")
    others = sorted({_class_name(o) for o in session.get_objects(_match(uri))})
    if others:
        raise TokenError(f"{uri.describe()} names a {' and a '.join(others)}, not a private key: a signing key is a private key")
    raise TokenError(f"no private key {uri.describe()} in token {session.token.label} (or the PIN does not show it)")


def _class_name(obj: Any) -> str:
    return str(obj.object_class.name).lower().replace("_", " ")


def algorithm_of(key_type: Any, params: bytes) -> Algorithm:
    """The XC algorithm of a token key, from its CKA_KEY_TYPE and CKA_EC_PARAMS; TokenError otherwise."""
    pkcs11 = _pkcs11()
    if key_type == pkcs11.KeyType.EC_EDWARDS and params in ED25519_PARAMS:
        return BY_NAME["Ed25519"]
    if key_type == pkcs11.KeyType.EC and params == P256_PARAMS:
        return BY_NAME["ES256"]
    kind = getattr(key_type, "name", str(key_type))
    raise TokenError(f"the key is a {kind} key{' on another curve' if kind.startswith('EC') else ''}: XC signs with Ed25519 or P-256 (ES256) keys")


def _unwrap_point(point: bytes, size: int) -> bytes:
    """CKA_EC_POINT: a DER OCTET STRING around the point (PKCS#11), or the bare point (some tokens)."""
    if len(point) == size + 2 and point[0] == 0x04 and point[1] == size:
        return point[2:]
    if len(point) == size:
        return point
    raise TokenError(f"the token's public key is {len(point)} bytes, not a {size}-byte point")


def _public_key(alg: Algorithm, point: bytes) -> PublicKey:
    try:
        if alg.name == "Ed25519":
            return ed25519.Ed25519PublicKey.from_public_bytes(_unwrap_point(point, 32))
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unwrap_point(point, 65))
    except ValueError as err:
        raise TokenError(f"the token's public key is not a valid {alg.name} key: {err}") from None


def _find_public(session: Any, private: Any, uri: TokenUri) -> Any:
    """The public key object beside the private key: the same CKA_ID if it has one, else the same label."""
    pkcs11 = _pkcs11()
    A = pkcs11.Attribute
    key_id = private[A.ID]
    match = {A.ID: key_id} if key_id else {A.LABEL: private[A.LABEL]}
    found = list(session.get_objects({**match, A.CLASS: pkcs11.ObjectClass.PUBLIC_KEY, A.KEY_TYPE: private.key_type}))
    if len(found) != 1:
        what = f"id {bytes(key_id).hex()}" if key_id else f"label {private[A.LABEL]}"
        raise TokenError(f"{len(found) or 'no'} public key objects with {what} beside {uri.describe()}: the token must hold exactly one")
    return found[0]


# --- the signer -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenKeySpec:
    """What a worker process needs to open the same key in its own session (a session cannot cross
    processes). The PIN is kept out of its printed form."""

    uri: str
    module: str
    pin: str | None = field(default=None, repr=False)


class TokenKey:
    """A signing key in a PKCS#11 token. Open it with ``open_token_key``; close it when done (or use
    it in a ``with`` block). One object is used by one thread."""

    def __init__(self, spec: TokenKeySpec) -> None:
        pkcs11 = _pkcs11()
        uri = parse_uri(spec.uri)
        self.spec = spec
        self.uri = uri
        self._session: Any = None
        lib = _load(spec.module)
        try:
            token = _find_token(lib, uri)
            self._session = _login(token, spec.pin, uri)
            self._open(pkcs11, token, uri)
        except pkcs11.PKCS11Error as err:
            self.close()
            raise TokenError(f"{uri.describe()}: the token failed: {_reason(err)}") from None
        except BaseException:
            self.close()
            raise

    def _open(self, pkcs11: Any, token: Any, uri: TokenUri) -> None:
        A = pkcs11.Attribute
        self._private = _find_private(self._session, uri)
        try:
            self.algorithm = algorithm_of(self._private.key_type, bytes(self._private[A.EC_PARAMS]))
        except pkcs11.AttributeTypeInvalid:
            self.algorithm = algorithm_of(self._private.key_type, b"")
        if not self._private[A.SIGN]:
            raise TokenError(f"token {token.label} does not let {uri.describe()} sign (CKA_SIGN is false)")
        self._mechanism = pkcs11.Mechanism.EDDSA if self.algorithm.name == "Ed25519" else pkcs11.Mechanism.ECDSA
        self._check_mechanism(token)
        public = _find_public(self._session, self._private, uri)
        self.public_key: PublicKey = _public_key(self.algorithm, bytes(public[A.EC_POINT]))
        self.kid: bytes = kid_of(self.public_key)
        self.sign(PROBE)  # a wrong pair, a refused mechanism or a faulty token shows here, before any input

    def _check_mechanism(self, token: Any) -> None:
        name = f"CKM_{self._mechanism.name}"
        if self._mechanism not in token.slot.get_mechanisms():
            raise TokenError(f"token {token.label} does not offer {name}, which {self.algorithm.name} signing needs")
        info = token.slot.get_mechanism_info(self._mechanism)
        if not info.flags & _pkcs11().MechanismFlag.SIGN:
            raise TokenError(f"token {token.label} does not sign with {name}")

    def sign(self, message: bytes) -> bytes:
        """The COSE signature of spec 4.2 over ``message``, made in the token and checked here."""
        pkcs11 = _pkcs11()
        data = message if self.algorithm.name == "Ed25519" else hashlib.sha256(message).digest()
        try:
            raw = self._private.sign(data, mechanism=self._mechanism)
        except pkcs11.PKCS11Error as err:
            raise TokenError(f"token refused to sign with {self.uri.describe()} (CKM_{self._mechanism.name}): {_reason(err)}") from None
        if len(raw) != 64:
            raise TokenError(f"the token returned a {len(raw)}-byte {self.algorithm.name} signature, not 64 bytes")
        signature = raw if self.algorithm.name == "Ed25519" else es256_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        try:
            self.algorithm.verify(self.public_key, signature, message)
        except InvalidSignature:
            raise TokenError(f"the token's signature does not verify with the public key of {self.uri.describe()}") from None
        return signature

    def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            try:
                session.close()
            except _pkcs11().PKCS11Error:
                pass  # the session is gone already (token removed): nothing is left to close

    def __enter__(self) -> TokenKey:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TokenKey({self.uri.describe()}, {self.algorithm.name}, kid {self.kid.hex()})"

    def __reduce__(self) -> Any:
        raise TypeError("a token key cannot be pickled: give a worker its spec (TokenKey.spec) to open its own session")


def open_token_key(uri: str, *, pin: str | None = None, pin_file: str | None = None, module: str | None = None,
                   environ: Mapping[str, str] | None = None) -> TokenKey:
    """Open the signing key a PKCS#11 URI names, logging in with the PIN from exactly one of ``pin``,
    ``pin_file``, the URI's pin-source or XC_PKCS11_PIN. ValueError for a malformed URI, TokenError
    for a token, key, PIN or mechanism that cannot be used."""
    parsed = parse_uri(uri)
    spec = TokenKeySpec(uri, resolve_module(parsed, module, environ), resolve_pin(parsed, pin=pin, pin_file=pin_file, environ=environ))
    return TokenKey(spec)


def generate_token_key(uri: str, alg: str = "Ed25519", *, pin: str | None = None, pin_file: str | None = None,
                       module: str | None = None, environ: Mapping[str, str] | None = None) -> TokenKey:
    """Create a key pair inside the token, under the URI's object label (and id, if it has one;
    otherwise the id is the kid), and open it. The private key is sensitive and not extractable: only
    the public key ever leaves the token. An object already there under that label or id is refused."""
    if alg not in BY_NAME:
        raise ValueError(f"unknown algorithm {alg!r}; expected one of {sorted(BY_NAME)}")
    parsed = parse_uri(uri)
    if parsed.get("object") is None:
        raise ValueError("PKCS#11 URI for a new key names its label: object=LABEL")
    module_path = resolve_module(parsed, module, environ)
    secret = resolve_pin(parsed, pin=pin, pin_file=pin_file, environ=environ)
    pkcs11 = _pkcs11()
    lib = _load(module_path)
    try:
        token = _find_token(lib, parsed)
        with _login(token, secret, parsed, rw=True) as session:
            _generate(pkcs11, session, token, parsed, alg)
    except pkcs11.PKCS11Error as err:
        raise TokenError(f"token failed while making {parsed.describe()}: {_reason(err)}") from None
    return TokenKey(TokenKeySpec(uri, module_path, secret))


def _generate(pkcs11: Any, session: Any, token: Any, parsed: TokenUri, alg: str) -> None:
    A = pkcs11.Attribute
    clashes = [{A.LABEL: parsed.get("object")}] + ([{A.ID: parsed.id}] if parsed.id is not None else [])
    if any(list(session.get_objects(match)) for match in clashes):
        raise TokenError(f"token {token.label} already holds an object {parsed.describe()}: a key in a token is never replaced")
    key_type, params = (pkcs11.KeyType.EC_EDWARDS, ED25519_OID) if alg == "Ed25519" else (pkcs11.KeyType.EC, P256_PARAMS)
    common: dict[Any, object] = {A.TOKEN: True, A.LABEL: parsed.get("object")}
    if parsed.id is not None:
        common[A.ID] = parsed.id
    try:
        domain = session.create_domain_parameters(key_type, {A.EC_PARAMS: params}, local=True)
        public, private = domain.generate_keypair(
            store=True,
            public_template={**common, A.VERIFY: True, A.PRIVATE: False},
            private_template={**common, A.SIGN: True, A.PRIVATE: True, A.SENSITIVE: True, A.EXTRACTABLE: False,
                              A.DERIVE: False, A.DECRYPT: False, A.UNWRAP: False},
        )
    except pkcs11.PKCS11Error as err:
        raise TokenError(f"token {token.label} cannot create an {alg} key pair: {_reason(err)}") from None
    if private[A.EXTRACTABLE] or not private[A.SENSITIVE]:
        private.destroy()  # a key that could leave the token is no key of ours
        public.destroy()
        raise TokenError(f"token {token.label} made the private key extractable or not sensitive: refused, and removed")
    if parsed.id is None:
        kid = kid_of(_public_key(BY_NAME[alg], bytes(public[A.EC_POINT])))
        public[A.ID] = kid  # so that a URI can name the key by its kid: id=%..
        private[A.ID] = kid
