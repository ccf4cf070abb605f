"""Issue, render to a real PNG, scan it with zxing-cpp, verify: both algorithms, both profiles."""

from __future__ import annotations

import pytest

import credential
from credential import qr
from credential.issuer import samples


@pytest.mark.parametrize("alg", ["Ed25519", "ES256"])
@pytest.mark.parametrize("profile", [samples.minimal, samples.full])
def test_png_round_trip(alg: str, profile) -> None:  # type: ignore[no-untyped-def]
    key = credential.generate_key(alg)
    text = credential.issue(profile(), key, templates=samples.TEMPLATES, birth_date=samples.BIRTH_DATE)
    scanned = qr.scan(qr.render(text, "png"))
    assert scanned == text
    verified = credential.verify(scanned, [credential.TrustedKey(key.public_key(), {"HK"})], now=samples.ISSUED_AT, destination="MO", templates=samples.TEMPLATES)
    assert verified.alg == alg and verified.claims["xc"]["doc_number"] == "A1234563"
