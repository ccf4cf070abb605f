"""Encrypted reference templates (spec 8.5): a gate decrypts only what is addressed to it, checks it
against the binding digests, and a party without a key learns nothing beyond the padded length."""

from __future__ import annotations

import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, x25519

import credential
from credential import Template, qr
from credential.claims import model
from credential.claims import templates as sealing
from credential.issuer import samples
from credential.issuer.issue import complete
from credential.text import cbor

SIGNER = credential.generate_key()
TRUST = [credential.TrustedKey(SIGNER.public_key(), frozenset({"HK"}))]
MO_GATE = credential.generate_decryption_key("X25519")
HK_GATE = credential.generate_decryption_key("P-256")
OTHER = credential.generate_decryption_key("X25519")
NOW = samples.ISSUED_AT + 60
TEMPLATES = {
    "face": Template(-1, samples.synthetic_face(128)),
    "fingerprint": Template(1, samples.synthetic_fingerprints(2)),
}


def _issue(templates: Any = TEMPLATES, recipients: Any = (MO_GATE, HK_GATE), **options: Any) -> str:
    keys = [k.public_key() for k in recipients]
    return credential.issue(samples.minimal(), SIGNER, templates=templates, recipients=keys, policy=None, **options)


TEXT = _issue()


def _verify(text: str, **options: Any) -> credential.VerifiedCredential:
    return credential.verify(text, TRUST, now=NOW, **options)


def _code(text: str, **options: Any) -> str:
    with pytest.raises(credential.VerificationError) as caught:
        _verify(text, **options)
    return caught.value.code.value


def _signed_with(sealed_value: Any, templates: Any = TEMPLATES) -> str:
    """A credential whose key 24 holds ``sealed_value`` as given, signed by the issuer (so that only
    the step under test can refuse it)."""
    claims = complete(samples.minimal(), templates)
    value = model.to_cbor(claims)
    value[model.XC_CLAIM][24] = sealed_value
    from credential.cose import sign1 as cose
    from credential.cose.keys import kid_of
    from credential.text import wrap as textlayer

    payload = cbor.encode(value)
    alg = credential.cose.keys.algorithm_for(SIGNER)
    protected = cose.protected_header(alg.cose_id, kid_of(SIGNER))
    return textlayer.wrap(cose.build(protected, payload, alg.sign(SIGNER, cose.to_be_signed(protected, payload))))


def _sealed(text: str) -> list[Any]:
    return cbor.decode(bytes.fromhex(credential.decode(text).claims["xc"]["templates"]))  # type: ignore[index]


def test_destination_gate_decrypts_a_scanned_png_and_checks_the_binding() -> None:
    scanned = qr.scan(qr.render(TEXT, box=4))
    assert scanned == TEXT
    verified = _verify(scanned, decryption_keys=[MO_GATE], require_templates={"face", "fingerprint"})
    assert verified.templates == TEMPLATES
    assert "templates" in verified.checked
    cti = verified.cti
    for modality, template in verified.templates.items():
        assert credential.biometric_digest(modality, template.data, cti).hex() == verified.claims["xc"]["biometrics"][modality]
    credential.check_biometrics(verified, {m: t.data for m, t in verified.templates.items()})


def test_every_recipient_decrypts_and_p256_is_allowed() -> None:
    assert _verify(TEXT, decryption_keys=[HK_GATE]).templates == TEMPLATES
    assert _verify(TEXT, decryption_keys=[OTHER, HK_GATE]).templates == TEMPLATES


def test_another_key_cannot() -> None:
    assert _code(TEXT, decryption_keys=[OTHER]) == "NOT_A_RECIPIENT"


def test_a_recipient_kid_that_names_the_gate_but_wraps_for_another_key_does_not_decrypt() -> None:
    value = _sealed(_issue(recipients=[OTHER]))
    value[3][0][1][sealing.HEADER_KID] = credential.recipient_kid(MO_GATE)
    assert _code(_signed_with(value), decryption_keys=[MO_GATE]) == "DECRYPTION"


@pytest.mark.parametrize("where", ["ciphertext", "iv", "wrapped", "ephemeral"])
def test_tampered_encryption_is_refused(where: str) -> None:
    value = _sealed(TEXT)
    if where == "ciphertext":
        value[2] = bytes([value[2][0] ^ 1]) + value[2][1:]
    elif where == "iv":
        value[1][sealing.HEADER_IV] = bytes(12)
    elif where == "wrapped":
        value[3][0][2] = bytes(24)
    else:
        value[3][0][1][sealing.HEADER_EPHEMERAL][sealing.KEY_X] = bytes(32)  # a small-order X25519 point
    assert _code(_signed_with(value), decryption_keys=[MO_GATE]) == "DECRYPTION"


def test_ciphertext_changed_after_signing_fails_the_signature_first() -> None:
    message = bytearray(credential.decode(TEXT).cose)
    ciphertext = _sealed(TEXT)[2]
    at = bytes(message).index(ciphertext[:16])
    message[at] ^= 1
    from credential.text import wrap as textlayer

    assert _code(textlayer.wrap(bytes(message), False), decryption_keys=[MO_GATE]) == "SIGNATURE"


def test_ciphertext_of_another_credential_does_not_open() -> None:
    """iss and cti are the associated data: the same ciphertext under another cti fails."""
    value = _sealed(TEXT)
    sealed = sealing.parse(value)
    keys = sealing.DecryptionKeys([MO_GATE])
    assert set(sealing.open_sealed(sealed, keys, bytes.fromhex(samples.minimal()["cti"]), issuer="HK")) == {"face", "fingerprint"}
    with pytest.raises(credential.VerificationError) as caught:
        sealing.open_sealed(sealed, keys, bytes.fromhex("00112233445566ff"), issuer="HK")
    assert caught.value.code.value == "DECRYPTION"


def test_ciphertext_moved_to_another_issuers_credential_with_the_same_cti_does_not_open() -> None:
    """cti is unique per issuer only: an issuer of the other authority that copies a credential's cti,
    binding digests and key 24 into a credential of its own gets one whose templates do not decrypt."""
    mo_signer = credential.generate_key()
    copied = dict(samples.minimal("MO"), cti=samples.minimal()["cti"])
    copied["xc"] = dict(copied["xc"], destinations=["HK"], biometrics=credential.decode(TEXT).claims["xc"]["biometrics"],
                        templates=credential.decode(TEXT).claims["xc"]["templates"])
    moved = credential.issue(copied, mo_signer, policy=None)
    trust = [credential.TrustedKey(mo_signer.public_key(), frozenset({"MO"}))]
    with pytest.raises(credential.VerificationError) as caught:
        credential.verify(moved, trust, now=samples.ISSUED_AT + 60, decryption_keys=[HK_GATE])
    assert caught.value.code.value == "DECRYPTION"
    with pytest.raises(credential.VerificationError):
        sealing.open_sealed(sealing.parse(_sealed(TEXT)), sealing.DecryptionKeys([MO_GATE]), bytes.fromhex(samples.minimal()["cti"]), issuer="MO")
    with pytest.raises(ValueError, match="region code"):
        sealing.external_aad("hk", b"12345678")


def test_templates_that_do_not_match_the_binding_digests_are_refused() -> None:
    cti = bytes.fromhex(samples.minimal()["cti"])
    other = {"face": Template(-1, samples.synthetic_face(128, "someone else")), "fingerprint": TEMPLATES["fingerprint"]}
    sealed = sealing.seal(other, [MO_GATE.public_key()], cti, issuer="HK")
    assert _code(_signed_with(cbor.decode(sealed)), decryption_keys=[MO_GATE]) == "BIOMETRIC_MISMATCH"


def test_required_but_absent() -> None:
    plain = credential.issue(samples.minimal(), SIGNER, templates=samples.TEMPLATES, policy=None)
    assert _code(plain, decryption_keys=[MO_GATE], require_templates={"face"}) == "TEMPLATES_REQUIRED"
    face_only = _issue(templates={"face": TEMPLATES["face"]})
    assert _code(face_only, decryption_keys=[MO_GATE], require_templates={"fingerprint"}) == "TEMPLATES_REQUIRED"
    skipped = _verify(plain, decryption_keys=[MO_GATE])
    assert skipped.templates is None and "templates" in skipped.skipped


def test_limits_are_checked_before_any_decryption() -> None:
    value = _sealed(TEXT)
    extra = _sealed(_issue(recipients=[OTHER, credential.generate_decryption_key(), credential.generate_decryption_key()]))[3]
    value[3] = value[3] + extra
    assert len(value[3]) == 5
    assert _code(_signed_with(value), decryption_keys=[MO_GATE]) == "LIMIT"
    cti = bytes.fromhex(samples.minimal()["cti"])
    long = sealing._encrypt(bytes([0x80]) + bytes(1087), [MO_GATE.public_key()], cti, bytes(16), bytes(12), [OTHER], issuer="HK")
    assert _code(_signed_with(long), decryption_keys=[MO_GATE]) == "LIMIT"


@pytest.mark.parametrize(
    "plaintext, reason",
    [
        (cbor.encode([[1, -1, b"x"]]), "no padding mark"),
        (cbor.encode([[1, -1, b"x"]]) + b"\x80" + bytes(2), "not a multiple of 64"),
        (b"\x81\x83\x01\x20\x41x" + b"\x80", "fine: control"),
        (b"\x81\x83\x01\x38\x00\x41x" + b"\x80", "non-minimal head"),
        (cbor.encode([[1, 1, b"x"]]) + b"\x80", "fingerprint format for a face"),
        (cbor.encode([[2, 1, b"x"], [1, -1, b"y"]]) + b"\x80", "modalities out of order"),
        (cbor.encode([]) + b"\x80", "empty"),
        (cbor.encode([[1, -1, b""]]) + b"\x80", "empty template"),
    ],
)
def test_malformed_plaintext_is_claims(plaintext: bytes, reason: str) -> None:
    padded = plaintext + bytes(-len(plaintext) % 64) if reason != "not a multiple of 64" else plaintext
    cti = bytes.fromhex(samples.minimal()["cti"])
    keys = sealing.DecryptionKeys([MO_GATE])
    sealed = sealing.Sealed(os.urandom(12), b"", ())
    value = sealing._encrypt(padded, [MO_GATE.public_key()], cti, os.urandom(16), os.urandom(12), [credential.generate_decryption_key()], issuer="HK")
    if reason == "not a multiple of 64":
        with pytest.raises(credential.VerificationError) as caught:
            sealing.open_sealed(sealing.Sealed(value[1][5], value[2], (sealing.Recipient(value[3][0][1][4], value[3][0][1][-1], value[3][0][2]),)), keys, cti, issuer="HK")
        assert caught.value.code.value == "CLAIMS"
        return
    sealed = sealing.parse(value)
    if reason == "fine: control":
        assert sealing.open_sealed(sealed, keys, cti, issuer="HK") == {"face": Template(-1, b"x")}
        return
    with pytest.raises(credential.VerificationError) as caught:
        sealing.open_sealed(sealed, keys, cti, issuer="HK")
    assert caught.value.code.value == "CLAIMS", reason


@pytest.mark.parametrize(
    "change",
    ["tag", "protected", "extra header", "short iv", "ciphertext length", "no recipients", "recipient alg", "kid length", "duplicate kid", "key type", "p256 uncompressed"],
)
def test_clear_structure_is_checked_at_step_15_by_every_verifier(change: str) -> None:
    value = _sealed(TEXT)
    if change == "tag":
        value = cbor.Tag(96, value)
    elif change == "protected":
        value[0] = b"\xa1\x01\x03"
    elif change == "extra header":
        value[1][4] = b"kid"
    elif change == "short iv":
        value[1][5] = bytes(8)
    elif change == "ciphertext length":
        value[2] = value[2][:-1]
    elif change == "no recipients":
        value[3] = []
    elif change == "recipient alg":
        value[3][0][0] = cbor.encode({1: -31})
    elif change == "kid length":
        value[3][0][1][4] = bytes(7)
    elif change == "duplicate kid":
        value[3][1][1][4] = value[3][0][1][4]
    elif change == "key type":
        value[3][0][1][-1][1] = 2
    else:
        value[3][1][1][-1][-3] = bytes(32)
    text = _signed_with(value)
    assert _code(text) == "CLAIMS"  # no decryption key configured: still refused


def test_without_a_key_only_the_padded_length_shows() -> None:
    cti = bytes.fromhex("0011223344556677")
    a = {"face": Template(-1, samples.synthetic_face(128, "a"))}
    b = {"face": Template(-1, samples.synthetic_face(100, "b")), "fingerprint": Template(1, samples.synthetic_fingerprints(1, 20))}
    size = max(sealing.padded_length(a), sealing.padded_length(b))
    recipients = [MO_GATE.public_key()]
    one, two = (sealing.seal(t, recipients, cti, size, issuer="HK") for t in (a, b))
    assert len(one) == len(two)
    # Same size, and no template byte string, digest-free modality list or format in the clear.
    for sealed, templates in ((one, a), (two, b)):
        for template in templates.values():
            for start in range(0, len(template.data) - 8, 8):
                assert template.data[start : start + 8] not in sealed
        view = sealing.parse(cbor.decode(sealed)).describe()
        assert set(view) == {"alg", "iv_bytes", "ciphertext_bytes", "padded_plaintext_bytes", "recipients"}
        assert view["padded_plaintext_bytes"] == size
    # Two encryptions of the same templates share nothing but the structure.
    again = sealing.seal(a, recipients, cti, size, issuer="HK")
    assert again != one and len(again) == len(one)


def test_issuer_pads_to_a_fixed_size_so_holders_cannot_be_told_apart() -> None:
    smaller = {"face": Template(-1, samples.synthetic_face(90)), "fingerprint": Template(1, samples.synthetic_fingerprints(1, 25))}
    assert sealing.padded_length(smaller) < sealing.padded_length(TEMPLATES)
    assert len(_issue(templates=smaller, padded_size=448)) == len(_issue(padded_size=448))


def test_by_default_every_holder_within_the_recommended_configuration_has_one_key_24_length() -> None:
    """The reproducer: a face alone and a face with two fingerprints once gave 272 and 400 bytes of key 24."""
    face_only = {"face": Template(-1, samples.synthetic_face(128, "a"))}
    recommended = {"face": Template(-1, samples.synthetic_face(128, "b")), "fingerprint": Template(1, samples.synthetic_fingerprints(2, 40))}
    assert sealing.padded_length(face_only) < sealing.padded_length(recommended) == sealing.DEFAULT_PADDED_SIZE
    cti = bytes.fromhex(samples.minimal()["cti"])
    lengths = {len(sealing.seal(t, [MO_GATE.public_key()], cti, issuer="HK")) for t in (face_only, recommended)}
    assert len(lengths) == 1
    views = [sealing.parse(cbor.decode(sealing.seal(t, [MO_GATE.public_key()], cti, issuer="HK"))).describe() for t in (face_only, recommended)]
    assert {v["padded_plaintext_bytes"] for v in views} == {sealing.DEFAULT_PADDED_SIZE}
    larger = {"face": Template(-1, samples.synthetic_face(512))}  # beyond the recommended configuration: the smallest length above
    assert sealing.parse(cbor.decode(sealing.seal(larger, [MO_GATE.public_key()], cti, issuer="HK"))).describe()["padded_plaintext_bytes"] == \
        sealing.padded_length(larger)


def test_kdf_context_is_the_one_the_spec_prints() -> None:
    assert sealing._kdf_context().hex() == "842283f6f6f683f6f6f682188044a101381c"


def test_an_independent_cose_library_decrypts_a_p256_recipient() -> None:
    pytest.importorskip("pycose")
    import cbor2
    from pycose.keys import EC2Key
    from pycose.keys.curves import P256
    from pycose.messages import EncMessage

    cti = bytes.fromhex(samples.minimal()["cti"])
    sealed = cbor.decode(sealing.seal(TEMPLATES, [HK_GATE.public_key()], cti, issuer="HK"))
    # pycose reads only uncompressed points: give it the same ephemeral key as x and y (the
    # recipient's unprotected header is outside the associated data, so nothing else changes).
    # This is the first of the two gaps spec 8.5.1 names; the point is decompressed with the COSE key's
    # own x and sign bit, nothing of this package.
    ephemeral = sealed[3][0][1][-1]
    point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), (b"\x03" if ephemeral[-3] else b"\x02") + ephemeral[-2])
    ephemeral[-3] = point.public_numbers().y.to_bytes(32, "big")
    message = EncMessage.from_cose_obj(cbor2.loads(cbor.encode(sealed)), allow_unknown_attributes=False)
    message.external_aad = cbor.encode(["HK", cti])  # spec 8.5.2: [iss, cti]
    numbers = HK_GATE.private_numbers()  # type: ignore[union-attr]
    recipient = message.recipients[0]
    recipient.key = EC2Key(
        crv=P256,
        d=numbers.private_value.to_bytes(32, "big"),
        x=numbers.public_numbers.x.to_bytes(32, "big"),
        y=numbers.public_numbers.y.to_bytes(32, "big"),
    )
    padded = message.decrypt(recipient)
    assert sealing.read_padded(padded) == TEMPLATES


def test_an_independent_cose_library_decrypts_an_x25519_recipient(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spec 8.5.1's second gap: a general COSE library (pycose 1.1) lacks ECDH-ES with OKP X25519 keys.
    With X25519 key agreement supplied, and nothing else changed, it decrypts key 24 as sealed."""
    pytest.importorskip("pycose")
    import cbor2
    from cryptography.hazmat.primitives import serialization
    from pycose import algorithms
    from pycose.keys import OKPKey
    from pycose.keys.curves import X25519
    from pycose.messages import EncMessage

    original = algorithms._EcdhHkdf._ecdh.__func__  # type: ignore[attr-defined]

    def _ecdh(cls: Any, curve: Any, private_key: Any, public_key: Any) -> bytes:
        if curve is X25519:
            return x25519.X25519PrivateKey.from_private_bytes(private_key.d).exchange(x25519.X25519PublicKey.from_public_bytes(public_key.x))
        return original(cls, curve, private_key, public_key)  # type: ignore[no-any-return]

    monkeypatch.setattr(algorithms._EcdhHkdf, "_ecdh", classmethod(_ecdh))
    cti = bytes.fromhex(samples.minimal()["cti"])
    sealed = sealing.seal(TEMPLATES, [MO_GATE.public_key()], cti, issuer="HK")
    message = EncMessage.from_cose_obj(cbor2.loads(sealed), allow_unknown_attributes=False)
    message.external_aad = cbor.encode(["HK", cti])  # spec 8.5.2: [iss, cti]
    recipient = message.recipients[0]
    raw = serialization.Encoding.Raw
    recipient.key = OKPKey(
        crv=X25519,
        d=MO_GATE.private_bytes(raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()),
        x=MO_GATE.public_key().public_bytes(raw, serialization.PublicFormat.Raw),
    )
    assert sealing.read_padded(message.decrypt(recipient)) == TEMPLATES


def test_configuration_mistakes_fail_when_the_verifier_is_built() -> None:
    with pytest.raises(ValueError, match="needs decryption_keys"):
        credential.Verifier(TRUST, require_templates={"face"})
    with pytest.raises(ValueError, match="unknown modality"):
        credential.Verifier(TRUST, decryption_keys=[MO_GATE], require_templates={"voice"})
    with pytest.raises(TypeError, match="collection of modality"):
        credential.Verifier(TRUST, decryption_keys=[MO_GATE], require_templates="face")
    with pytest.raises(ValueError, match="empty"):
        credential.Verifier(TRUST, decryption_keys=[])
    with pytest.raises(ValueError, match="share kid"):
        credential.Verifier(TRUST, decryption_keys=[MO_GATE, MO_GATE])
    with pytest.raises(TypeError, match="private key"):
        credential.Verifier(TRUST, decryption_keys=[MO_GATE.public_key()])
    with pytest.raises(TypeError, match="private key"):
        credential.Verifier(TRUST, decryption_keys=[SIGNER])
    with pytest.raises(TypeError):
        credential.Verifier(TRUST, decryption_keys=[ec.generate_private_key(ec.SECP384R1())])
    with pytest.raises(TypeError, match="collection"):
        credential.Verifier(TRUST, decryption_keys=MO_GATE)


def test_issuer_mistakes_are_refused() -> None:
    recipients = [MO_GATE.public_key()]
    with pytest.raises(ValueError, match="nothing to encrypt"):
        credential.issue(samples.minimal(), SIGNER, recipients=recipients, policy=None)
    with pytest.raises(TypeError, match="Template"):
        credential.issue(samples.minimal(), SIGNER, templates=samples.TEMPLATES, recipients=recipients, policy=None)
    with pytest.raises(ValueError, match="multiple of 64"):
        _issue(padded_size=400)
    with pytest.raises(ValueError, match="multiple of 64"):
        _issue(padded_size=128)
    with pytest.raises(ValueError, match="without recipients"):
        credential.issue(samples.minimal(), SIGNER, templates=TEMPLATES, padded_size=448, policy=None)
    with pytest.raises(ValueError, match="more than 4"):
        _issue(recipients=[credential.generate_decryption_key() for _ in range(5)])
    with pytest.raises(ValueError, match="named twice"):
        _issue(recipients=[MO_GATE, MO_GATE])
    with pytest.raises(TypeError, match="X25519 or P-256"):
        credential.issue(samples.minimal(), SIGNER, templates=TEMPLATES, recipients=[SIGNER.public_key()], policy=None)
    with pytest.raises(ValueError, match="is for fingerprint"):
        _issue(templates={"face": Template(1, b"x")})
    with pytest.raises(ValueError, match="neither registered"):
        Template(7, b"x")
    with pytest.raises(TypeError):
        Template(True, b"x")


def test_recipient_kid_is_derived_like_a_signing_kid() -> None:
    import hashlib

    from cryptography.hazmat.primitives import serialization

    key = x25519.X25519PrivateKey.from_private_bytes(bytes(range(32)))
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert spki[:12].hex() == "302a300506032b656e032100"
    assert credential.recipient_kid(key) == credential.recipient_kid(key.public_key()) == hashlib.sha256(spki).digest()[:8]
    pem = credential.decryption_key_to_pem(key)
    assert credential.recipient_kid(credential.load_decryption_key(pem)) == credential.recipient_kid(key)
    public = credential.load_recipient_key(credential.recipient_key_to_pem(key))
    assert credential.recipient_kid(public) == credential.recipient_kid(key)
    with pytest.raises(TypeError):
        credential.load_recipient_key(credential.public_key_to_pem(SIGNER))


def test_json_view_round_trips_and_refuses_key_24_as_an_extension() -> None:
    claims = credential.decode(TEXT).claims
    assert claims is not None
    assert model.to_cbor(claims) == cbor.decode(credential.decode(TEXT).payload)
    claims["xc"]["templates"] = claims["xc"]["templates"][:-2]
    with pytest.raises(ValueError, match="xc.templates"):
        model.to_cbor(claims)


def test_x25519_reads_a_u_coordinate_as_rfc_7748_does() -> None:
    """Spec 8.5.2: a u of p or more, or with the top bit set, is reduced as RFC 7748 says: u = 9 + p and
    u = 9 with the top bit set agree on the same secret as the base point u = 9."""
    p = 2**255 - 19
    gate = x25519.X25519PrivateKey.from_private_bytes(bytes(range(32)))
    base = gate.exchange(x25519.X25519PublicKey.from_public_bytes((9).to_bytes(32, "little")))
    assert gate.exchange(x25519.X25519PublicKey.from_public_bytes((9 + p).to_bytes(32, "little"))) == base
    assert gate.exchange(x25519.X25519PublicKey.from_public_bytes((9 | 1 << 255).to_bytes(32, "little"))) == base


def test_the_issuer_writes_canonical_ephemeral_keys() -> None:
    """Spec 8.5.6: an issuer's X25519 ephemeral u is below p with the top bit clear; its P-256 x below the field."""
    p, p256 = 2**255 - 19, 2**256 - 2**224 + 2**192 + 2**96 - 1
    cti = bytes.fromhex(samples.minimal()["cti"])
    for _ in range(20):
        sealed = cbor.decode(sealing.seal(TEMPLATES, [MO_GATE.public_key(), HK_GATE.public_key()], cti, issuer="HK"))
        u = sealed[3][0][1][sealing.HEADER_EPHEMERAL][sealing.KEY_X]
        x = sealed[3][1][1][sealing.HEADER_EPHEMERAL][sealing.KEY_X]
        assert int.from_bytes(u, "little") < p and not u[31] & 0x80
        assert int.from_bytes(x, "big") < p256
