"""Signature algorithms, keys and key identifiers (spec section 4)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Callable, Protocol, Union, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from ..base.errors import ErrorCode, VerificationError
from ..base.times import MAX_TIME

PrivateKey = Union[ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey]
PublicKey = Union[ed25519.Ed25519PublicKey, ec.EllipticCurvePublicKey]

KID_BYTES = 8
# Order of the P-256 group: an ES256 signature's s must be at most half of it (low-S form).
_P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_ECDSA = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)


# Ed25519 point encodings a verifier refuses (spec 4.2). Only byte comparisons: no curve arithmetic.
_ED25519_P = 2**255 - 19
# The eight points of small order, canonically encoded (order 1, 2, 4, 4, 8, 8, 8, 8): with one of
# them as public key, anyone can make signatures that a cofactorless verifier accepts.
ED25519_SMALL_ORDER = frozenset(
    bytes.fromhex(h)
    for h in (
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    )
)
# x = 0 with the sign bit set: the points y = 1 and y = -1 again, an encoding RFC 8032 5.1.3 refuses.
_ED25519_NEGATIVE_ZERO = frozenset(
    bytes.fromhex(h)
    for h in (
        "0100000000000000000000000000000000000000000000000000000000000080",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    )
)


def ed25519_point_defect(encoded: bytes) -> str | None:
    """Why a 32-byte Ed25519 point encoding is refused (spec 4.2), or None.

    Non-canonical: y (the low 255 bits) not below p, or x = 0 with the sign bit set; small order:
    one of the eight encodings above. Both are byte tests that every implementation can make alike.
    """
    if int.from_bytes(encoded, "little") & ((1 << 255) - 1) >= _ED25519_P:
        return "non-canonical encoding (y >= p)"
    if encoded in _ED25519_NEGATIVE_ZERO:
        return "non-canonical encoding (x = 0 with the sign bit set)"
    if encoded in ED25519_SMALL_ORDER:
        return "a point of small order"
    return None


def _ed25519_sign(key: PrivateKey, message: bytes) -> bytes:
    return key.sign(message)  # type: ignore[call-arg]


def _ed25519_verify(key: PublicKey, signature: bytes, message: bytes) -> None:
    # OpenSSL compares the encoding of [S]B - [k]A with R byte for byte (cofactorless), which refuses a
    # non-canonical R, but it accepts R of small order (the identity) from a key holder who chooses it.
    defect = ed25519_point_defect(signature[:32])
    if defect is not None:
        raise InvalidSignature(f"Ed25519 R is {defect}")
    key.verify(signature, message)  # type: ignore[call-arg]


def es256_signature(r: int, s: int) -> bytes:
    """The ES256 signature bytes of spec 4.2: r || s, 32 bytes each, with s in low-S form. A key in
    memory and a key in a token (whose CKM_ECDSA gives r || s as it comes) both end here."""
    if s > _P256_N // 2:
        s = _P256_N - s
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _es256_sign(key: PrivateKey, message: bytes) -> bytes:
    return es256_signature(*decode_dss_signature(key.sign(message, _ECDSA)))  # type: ignore[call-arg]


def _es256_verify(key: PublicKey, signature: bytes, message: bytes) -> None:
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if s > _P256_N // 2:
        raise InvalidSignature("ES256 signature is not in low-S form")
    key.verify(encode_dss_signature(r, s), message, _ECDSA)  # type: ignore[call-arg]


def _is_p256(key: object) -> bool:
    return isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) and isinstance(
        key.curve, ec.SECP256R1
    )


@dataclass(frozen=True)
class Algorithm:
    """One row of the algorithm table: its name, COSE identifier, key test and signature primitives."""

    name: str
    cose_id: int
    signature_bytes: int
    fits: Callable[[object], bool]
    generate: Callable[[], PrivateKey]
    sign: Callable[[PrivateKey, bytes], bytes]
    verify: Callable[[PublicKey, bytes, bytes], None]


ALGORITHMS = (
    Algorithm(
        "Ed25519",
        -8,  # COSE "EdDSA"; with an Ed25519 key it is Ed25519 (RFC 8032), deterministic by construction
        64,
        lambda k: isinstance(k, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)),
        ed25519.Ed25519PrivateKey.generate,
        _ed25519_sign,
        _ed25519_verify,
    ),
    Algorithm(
        "ES256",
        -7,
        64,
        _is_p256,
        lambda: ec.generate_private_key(ec.SECP256R1()),
        _es256_sign,
        _es256_verify,
    ),
)
BY_NAME = {a.name: a for a in ALGORITHMS}
BY_COSE_ID = {a.cose_id: a for a in ALGORITHMS}


def algorithm_for(key: object) -> Algorithm:
    """The algorithm a key is for; TypeError for keys XC does not use."""
    for alg in ALGORITHMS:
        if alg.fits(key):
            return alg
    raise TypeError(f"unsupported key type {type(key).__name__}: XC uses Ed25519 or P-256 keys")


def generate_key(alg: str = "Ed25519") -> PrivateKey:
    """A new private key for ``alg`` ("Ed25519" or "ES256")."""
    try:
        return BY_NAME[alg].generate()
    except KeyError:
        raise ValueError(f"unknown algorithm {alg!r}; expected one of {sorted(BY_NAME)}") from None


def kid_of(key: PrivateKey | PublicKey | Signer) -> bytes:
    """The key identifier: the first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo. A key in a
    token (a ``Signer``) has it already, from the public key the token exports."""
    if isinstance(key, Signer):
        return key.kid
    public = key.public_key() if hasattr(key, "public_key") else key
    algorithm_for(public)
    spki = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()[:KID_BYTES]


@runtime_checkable
class Signer(Protocol):
    """A signing key as the signing code uses it: its algorithm, its kid, its public key, and
    ``sign(message)``, which returns the signature bytes of spec 4.2. A key in memory is wrapped in
    a ``MemorySigner``; a key in a PKCS#11 token (``pkcs11.TokenKey``) is one itself."""

    @property
    def algorithm(self) -> Algorithm: ...

    @property
    def kid(self) -> bytes: ...

    @property
    def public_key(self) -> PublicKey: ...

    def sign(self, message: bytes) -> bytes: ...


@dataclass(frozen=True)
class MemorySigner:
    """A private key held in memory (loaded from a file, or generated), as a ``Signer``."""

    key: PrivateKey
    algorithm: Algorithm = field(init=False)
    kid: bytes = field(init=False)
    public_key: PublicKey = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "algorithm", algorithm_for(self.key))
        object.__setattr__(self, "public_key", self.key.public_key())
        object.__setattr__(self, "kid", kid_of(self.public_key))

    def sign(self, message: bytes) -> bytes:
        return self.algorithm.sign(self.key, message)


SigningKey = Union[PrivateKey, Signer]


def signer_for(key: object, what: str = "signing") -> Signer:
    """The ``Signer`` for a private key or a token key; TypeError for anything else (a public key,
    say), with ``what`` naming the operation in the message."""
    if hasattr(key, "private_bytes"):
        return MemorySigner(key)  # type: ignore[arg-type]
    if isinstance(key, Signer):
        return key
    algorithm_for(key)  # an unknown key type is named as such
    raise TypeError(f"{what} needs a private key (or a key in a token)")


def private_key_to_pem(key: PrivateKey) -> bytes:
    """PKCS#8 PEM, unencrypted: protect the file, not the bytes."""
    algorithm_for(key)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def public_key_to_pem(key: PrivateKey | PublicKey) -> bytes:
    public = key.public_key() if hasattr(key, "public_key") else key
    algorithm_for(public)
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _as_bytes(pem: bytes | str) -> bytes:
    return pem.encode("ascii") if isinstance(pem, str) else pem


def load_private_key(pem: bytes | str) -> PrivateKey:
    """Load an unencrypted PKCS#8 or traditional PEM private key for Ed25519 or P-256."""
    key = serialization.load_pem_private_key(_as_bytes(pem), password=None)
    algorithm_for(key)
    return key  # type: ignore[return-value]


def load_public_key(pem: bytes | str) -> PublicKey:
    """Load a PEM SubjectPublicKeyInfo for Ed25519 or P-256."""
    key = serialization.load_pem_public_key(_as_bytes(pem))
    algorithm_for(key)
    return key  # type: ignore[return-value]


def refuse_weak_point(key: PublicKey) -> None:
    """A key set refuses an Ed25519 public key of small order or in a non-canonical encoding (spec 4.2)."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        defect = ed25519_point_defect(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        if defect is not None:
            raise ValueError(f"Ed25519 public key is {defect}: a key set refuses it (spec 4.2)")


def region_codes(value: object, what: str, *, known: bool = True) -> frozenset[str]:
    """A non-empty set of region codes, known ones (spec 3.3) unless ``known`` is False (then any
    [A-Z]{2}); a bare string is a mistake, not a set of letters."""
    from ..base.regions import REGIONS

    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{what} is a collection of region codes such as {{'HK'}}, not {type(value).__name__}")
    codes = list(value)
    if not codes:
        raise ValueError(f"{what} is empty: name the issuers this key vouches for")
    for code in codes:
        if not isinstance(code, str):
            raise TypeError(f"{what}: region codes are strings, not {type(code).__name__}")
        if not known and len(code) == 2 and all("A" <= c <= "Z" for c in code):
            continue
        if code not in REGIONS:
            raise ValueError(f"{what}: {code!r} is not a region code of spec section 3.3 ({', '.join(sorted(REGIONS))})")
    return frozenset(codes)


PROFILES = ("minimal", "full")  # spec 3.5; profile_of in claims.py says which one a credential has
STATES = ("active", "retired", "withdrawn")  # spec 16.2


def check_time(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} is whole epoch seconds, not {type(value).__name__}")
    if not 0 <= value <= MAX_TIME:
        raise ValueError(f"{what} {value} is outside 0..{MAX_TIME}")
    return value


def check_profiles(value: object) -> frozenset[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"profiles is a collection of profile names such as {{'minimal'}}, not {type(value).__name__}")
    names = frozenset(value)
    if not names:
        raise ValueError("profiles is empty: name the profiles this key may sign")
    unknown = sorted(str(n) for n in names - set(PROFILES))
    if unknown:
        raise ValueError(f"profiles: {', '.join(unknown)} not among {', '.join(PROFILES)} (spec 3.5)")
    return names


def check_lifecycle(not_before: int | None, not_after: int | None, state: str, compromised: int | None) -> None:
    """A key's signing period and state (spec 16.2): times in range, a non-empty period, a known
    state, and a compromise time exactly when the key is withdrawn."""
    for name, value in (("not_before", not_before), ("not_after", not_after), ("compromised", compromised)):
        if value is not None:
            check_time(value, name)
    if not_before is not None and not_after is not None and not_before > not_after:
        raise ValueError(f"signing period from {not_before} to {not_after} is empty")
    if state not in STATES:
        raise ValueError(f"state {state!r} is not one of {', '.join(STATES)}")
    if (state == "withdrawn") != (compromised is not None):
        raise ValueError("a withdrawn key has a compromise time, and only a withdrawn key has one")


@dataclass(frozen=True)
class TrustedKey:
    """A verifier's public key and what it vouches for (spec 9.2 steps 11 to 16a). Trust always names
    its issuers: there is no key trusted for any issuer.

    The other limits are optional for a key configured by hand (None: no limit) and always present
    for a key from a trust list (spec 16): the destinations and profiles it may sign for, its signing
    period (``not_before`` to ``not_after``, both included, compared with ``iat``), its state, the
    compromise time of a withdrawn key, and ``trusted_until``, the first second at which the trust
    list that holds it is stale. ``list_due`` is that list's next update, from which on the key is
    used only within the gate's grace and every use is logged (16.5, 16.8), and ``listed_by`` names
    the list (authority and sequence) for that log.
    """

    key: PublicKey
    issuers: frozenset[str]
    destinations: frozenset[str] | None = None
    profiles: frozenset[str] | None = None
    not_before: int | None = None
    not_after: int | None = None
    state: str = "active"
    compromised: int | None = None
    trusted_until: int | None = None
    list_due: int | None = None
    listed_by: str | None = None
    kid: bytes = field(init=False)
    algorithm: Algorithm = field(init=False)

    def __post_init__(self) -> None:
        key = self.key
        if isinstance(key, (bytes, str)):
            key = load_public_key(key)
            object.__setattr__(self, "key", key)
        if hasattr(key, "private_bytes"):
            raise TypeError("a verifier is given public keys, not private ones")
        object.__setattr__(self, "algorithm", algorithm_for(key))
        refuse_weak_point(key)
        object.__setattr__(self, "kid", kid_of(key))
        object.__setattr__(self, "issuers", region_codes(self.issuers, "issuers"))
        if self.destinations is not None:
            object.__setattr__(self, "destinations", region_codes(self.destinations, "destinations"))
        if self.profiles is not None:
            object.__setattr__(self, "profiles", check_profiles(self.profiles))
        check_lifecycle(self.not_before, self.not_after, self.state, self.compromised)
        if self.trusted_until is not None:
            check_time(self.trusted_until, "trusted_until")
        if self.list_due is not None:
            check_time(self.list_due, "list_due")
            if self.trusted_until is None or self.list_due > self.trusted_until:
                raise ValueError("list_due is a trust list's next update, at or before trusted_until")

    def check_authorized(self, issuer: str, destinations: Iterable[str], profile: str) -> None:
        """Step 16: the key vouches for this issuer, every destination and this profile; raise
        ISSUER_NOT_AUTHORIZED naming the first that it does not."""
        kid = self.kid.hex()
        if issuer not in self.issuers:
            raise VerificationError(ErrorCode.ISSUER_NOT_AUTHORIZED, f"key {kid} may sign for {', '.join(sorted(self.issuers))}, not {issuer}")
        if self.destinations is not None:
            outside = sorted(set(destinations) - self.destinations)
            if outside:
                raise VerificationError(
                    ErrorCode.ISSUER_NOT_AUTHORIZED,
                    f"key {kid} may sign for destinations {', '.join(sorted(self.destinations))}, not {', '.join(outside)}",
                )
        if self.profiles is not None and profile not in self.profiles:
            raise VerificationError(
                ErrorCode.ISSUER_NOT_AUTHORIZED, f"key {kid} may sign the {' and '.join(sorted(self.profiles))} profile, not {profile}"
            )

    def check_signed_at(self, iat: int) -> None:
        """Step 16a: the key could have signed at ``iat``: before the compromise of a withdrawn key
        (KEY_WITHDRAWN), and within its signing period (SIGNING_PERIOD). Anything else the key signs
        with a time of signing (a status list token, for example) is checked the same way."""
        kid = self.kid.hex()
        if self.compromised is not None and iat >= self.compromised:
            raise VerificationError(ErrorCode.KEY_WITHDRAWN, f"key {kid} was compromised at {self.compromised}; signed at {iat}")
        if (self.not_before is not None and iat < self.not_before) or (self.not_after is not None and iat > self.not_after):
            raise VerificationError(
                ErrorCode.SIGNING_PERIOD, f"key {kid} may sign from {self.not_before} to {self.not_after}; signed at {iat}"
            )


class KeySet:
    """The keys a verifier trusts, indexed by kid. Build it once; verifying then costs one lookup."""

    def __init__(self, keys: Iterable[TrustedKey]) -> None:
        if isinstance(keys, (bytes, str, TrustedKey)) or not isinstance(keys, Iterable):
            raise TypeError("keys must be an iterable of TrustedKey objects")
        self._by_kid: dict[bytes, TrustedKey] = {}
        for item in keys:
            if not isinstance(item, TrustedKey):
                raise TypeError(
                    f"a key set holds TrustedKey objects, not {type(item).__name__}: "
                    "say which issuers each key vouches for, e.g. TrustedKey(key, {'HK'})"
                )
            if item.kid in self._by_kid:
                raise ValueError(f"two keys share kid {item.kid.hex()}; a key set holds each key once")
            self._by_kid[item.kid] = item
        if not self._by_kid:
            raise ValueError("the key set is empty: it would refuse every credential")

    def get(self, kid: bytes) -> TrustedKey | None:
        return self._by_kid.get(kid)

    def __iter__(self) -> Iterator[TrustedKey]:
        return iter(self._by_kid.values())

    def __len__(self) -> int:
        return len(self._by_kid)


class KeyLookup(Protocol):
    """What a verifier asks of its trust: the key a kid names, how many keys there are, and all of
    them (for tools that show the configuration). A ``KeySet`` and a ``TrustStore`` (trust.py) both
    answer it."""

    def get(self, kid: bytes) -> TrustedKey | None: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[TrustedKey]: ...
