"""A SoftHSM2 token in a temporary folder, for the PKCS#11 tests and bench/hsm.py.

The package never puts a private value into a token; these helpers do, and only here, so that the
same key can sign from a file and from the token and the results can be compared byte for byte. The
imported private key is sensitive and not extractable, like one made in the token.

SoftHSM2 reads its configuration (``SOFTHSM2_CONF``) when the module is initialised, so a process
uses one token folder at a time: ``use_token`` points the environment at a token and unloads the
module, and the next load reads the new configuration.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from credential.cose.keys import PrivateKey

MODULE = os.environ.get("XC_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")
LABEL = "xc-test"
PIN = "4729-test"
SO_PIN = "so-8316-test"
INSTALL_SOFTHSM = "apt-get install -y softhsm2"
INSTALL_CLIENT = "pip install -e '.[hsm]' (python-pkcs11)"
P256 = bytes.fromhex("06082a8648ce3d030107")
ED25519 = bytes.fromhex("06032b6570")


def fixed_key(alg: str) -> PrivateKey:
    """The same key in every run: Ed25519 from a seed, P-256 from a scalar."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    if alg == "Ed25519":
        return ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
    return ec.derive_private_key(0x7E57C0DE7E57C0DE7E57C0DE7E57C0DE7E57C0DE7E57C0DE7E57C0DE7E57C0DE, ec.SECP256R1())


def missing() -> str | None:
    """What is not installed for the token tests, with the line that installs it; None if nothing."""
    needs = []
    if shutil.which("softhsm2-util") is None or not os.path.isfile(MODULE):
        needs.append(f"SoftHSM2 (Debian: {INSTALL_SOFTHSM})")
    try:
        import pkcs11  # noqa: F401
    except ImportError:
        needs.append(f"python-pkcs11 ({INSTALL_CLIENT})")
    return " and ".join(needs) or None


def require() -> None:
    """Skip without SoftHSM2 or python-pkcs11, except in CI (CI=true), where .ci/run installs them."""
    reason = missing()
    if reason is not None:
        reason = "token tests need " + reason
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; CI installs them in .ci/run", pytrace=False)
        pytest.skip(reason)


@dataclass(frozen=True)
class Token:
    folder: Path
    conf: Path
    label: str = LABEL
    pin: str = PIN

    def env(self, **extra: str) -> dict[str, str]:
        """The environment a command needs to use this token: its configuration and the PIN."""
        env = {k: v for k, v in os.environ.items() if k not in ("XC_PKCS11_PIN", "SOFTHSM2_CONF")}
        return {**env, "SOFTHSM2_CONF": str(self.conf), "XC_PKCS11_PIN": self.pin, **extra}

    def uri(self, label: str, **attrs: str) -> str:
        return ";".join([f"pkcs11:token={self.label}", f"object={label}", *(f"{k}={v}" for k, v in attrs.items())])


def make_token(folder: Path, label: str = LABEL, mechanisms: str | None = None) -> Token:
    """A new, empty token in ``folder`` (its own configuration file and token directory)."""
    tokens = folder / "tokens"
    tokens.mkdir(parents=True)
    conf = folder / "softhsm2.conf"
    lines = [f"directories.tokendir = {tokens}", "objectstore.backend = file", "log.level = ERROR"]
    if mechanisms is not None:
        lines.append(f"slots.mechanisms = {mechanisms}")
    conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", SO_PIN, "--pin", PIN],
                   env=env, check=True, capture_output=True, timeout=60)
    return Token(folder, conf, label)


def use_token(token: Token) -> None:
    """Point this process at ``token``: the module is unloaded, so its next load reads the new configuration."""
    import pkcs11

    os.environ["SOFTHSM2_CONF"] = str(token.conf)
    pkcs11.unload(MODULE)


def session(token: Token) -> Any:
    """A read-write session on the token, logged in as its user."""
    import pkcs11

    return pkcs11.lib(MODULE).get_token(token_label=token.label).open(rw=True, user_pin=token.pin)


def _der_octets(data: bytes) -> bytes:
    return bytes([0x04, len(data)]) + data  # points are under 128 bytes: one length byte


def import_key(token: Token, key: PrivateKey, label: str, key_id: bytes | None = None, *, sign: bool = True,
               public_of: PrivateKey | None = None) -> None:
    """Put ``key`` in the token as a sensitive, non-extractable private key and its public key beside
    it. ``public_of`` puts another key's public half there instead (a mismatched pair)."""
    import pkcs11
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    A = pkcs11.Attribute
    if isinstance(key, ed25519.Ed25519PrivateKey):
        key_type, params = pkcs11.KeyType.EC_EDWARDS, ED25519
        value = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    else:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        key_type, params = pkcs11.KeyType.EC, P256
        value = key.private_numbers().private_value.to_bytes(32, "big")
    public = (public_of or key).public_key()
    encoding = serialization.Encoding.Raw if key_type == pkcs11.KeyType.EC_EDWARDS else serialization.Encoding.X962
    form = serialization.PublicFormat.Raw if key_type == pkcs11.KeyType.EC_EDWARDS else serialization.PublicFormat.UncompressedPoint
    point = public.public_bytes(encoding, form)
    common = {A.TOKEN: True, A.LABEL: label, A.KEY_TYPE: key_type, A.EC_PARAMS: params}
    if key_id is not None:
        common[A.ID] = key_id
    with session(token) as s:
        s.create_object({**common, A.CLASS: pkcs11.ObjectClass.PRIVATE_KEY, A.PRIVATE: True, A.SENSITIVE: True,
                         A.EXTRACTABLE: False, A.SIGN: sign, A.VALUE: value})
        s.create_object({**common, A.CLASS: pkcs11.ObjectClass.PUBLIC_KEY, A.VERIFY: True, A.EC_POINT: _der_octets(point)})


def generate_other(token: Token, kind: str, label: str) -> None:
    """A key pair XC does not sign with, made in the token: "rsa" (RSA-2048) or "p384" (EC P-384)."""
    import pkcs11

    A = pkcs11.Attribute
    with session(token) as s:
        if kind == "rsa":
            s.generate_keypair(pkcs11.KeyType.RSA, 2048, label=label, store=True)
        else:
            params = s.create_domain_parameters(pkcs11.KeyType.EC, {A.EC_PARAMS: bytes.fromhex("06052b81040022")}, local=True)
            params.generate_keypair(label=label, store=True)


def generate_secret(token: Token, label: str) -> None:
    import pkcs11

    with session(token) as s:
        s.generate_key(pkcs11.KeyType.AES, 256, label=label, store=True)


@contextmanager
def token_with(folder: Path, keys: Mapping[str, PrivateKey]) -> Iterator[Token]:
    """A token holding ``keys`` (label to key, ids 1, 2, ...), this process pointed at it; afterwards
    the module is unloaded and SOFTHSM2_CONF is as it was. Skips (or fails in CI) without SoftHSM2."""
    require()
    token = make_token(folder)
    saved = os.environ.get("SOFTHSM2_CONF")
    use_token(token)
    try:
        for number, (label, key) in enumerate(keys.items(), start=1):
            import_key(token, key, label, bytes([number]))
        yield token
    finally:
        import pkcs11

        pkcs11.unload(MODULE)
        if saved is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = saved
