"""The spec's machine-readable parts: every vector's CBOR against the CDDL, every claims view against
the JSON Schema, and the worked example of Appendix A reproduced from the code."""

from __future__ import annotations

import json
import re
from functools import cache

import jsonschema
import pytest
from cddl_verifier import Validator

from .vectors import ROOT, Vector, negative_counts, vectors

SPEC = ROOT / "spec"
VALID = [v for v in vectors() if v.valid]
# What CDDL cannot express (spec/xc.cddl header): cross-field rules, list order and repeats, and the
# name rule beyond what a category pattern approximates (the table of Unicode 14.0.0, marks, NFC).
BEYOND_CDDL = {"ClaimsCross", "ClaimsList", "NameNfc", "Plausibility", "NameInvisible", "NameMark", "NameUnassigned", "NameUnicodeVersion", "NameNoncharacter"}
ROOTS = {"cose": "xc-cose", "protected": "xc-protected", "payload": "xc-claims", "toBeSigned": "xc-sig-structure"}


@cache
def cddl() -> Validator:
    return Validator((SPEC / "xc.cddl").read_text(encoding="utf-8"))


@cache
def claims_schema() -> dict:  # type: ignore[type-arg]
    schema = json.loads((SPEC / "claims.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema  # type: ignore[no-any-return]


def _issuer_input_schema() -> dict:  # type: ignore[type-arg]
    schema = claims_schema()
    return {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/issuer-input"}


@pytest.mark.parametrize("vector", VALID, ids=lambda v: v.id)
def test_valid_vector_layers_match_the_cddl(vector: Vector) -> None:
    for layer, root in ROOTS.items():
        result = cddl().validate(bytes.fromhex(vector["layers"][layer]), root, require_deterministic=True)
        assert result.valid, (layer, result.diagnostics)


@pytest.mark.parametrize("vector", VALID, ids=lambda v: v.id)
def test_valid_vector_claims_match_the_json_schema(vector: Vector) -> None:
    jsonschema.validate(vector["claims"], claims_schema(), cls=jsonschema.Draft202012Validator)
    if "issuance" in vector.raw:
        jsonschema.validate(vector["issuance"]["claims"], _issuer_input_schema(), cls=jsonschema.Draft202012Validator)


def test_cddl_rejects_the_claims_vectors_it_can_express() -> None:
    claims_vectors = [v for v in vectors() if v["result"] == "invalid" and v["error"] == "CLAIMS" and "layers" in v.raw]
    assert claims_vectors
    for vector in claims_vectors:
        result = cddl().validate(bytes.fromhex(vector["layers"]["payload"]), "xc-claims", require_deterministic=True)
        if result.valid:
            assert BEYOND_CDDL & set(vector["flags"]), f"{vector.id} is expressible in CDDL but accepted by it"


def test_json_schema_refuses_what_the_claims_model_refuses() -> None:
    view = VALID[0]["claims"]
    validator = jsonschema.Draft202012Validator(claims_schema())
    cases = [
        ("iss", "hk"),
        ("cti", "0"),
        ("xc.residency", "visitor"),
        ("xc.enrolment_expiry", "2031-02-30"),
        ("xc.destinations", ["TW"]),
        ("xc.family_name", "CHAN\u3164"),
        ("xc.given_name", "TAI\u2800MAN"),
    ]
    for path, bad in cases:
        broken = json.loads(json.dumps(view))
        target = broken
        *parents, last = path.split(".")
        for name in parents:
            target = target[name]
        target[last] = bad
        assert not validator.is_valid(broken), path


def test_json_schema_name_pattern_is_the_name_table_in_the_bmp() -> None:
    """The schema's character class refuses, in the BMP, exactly the table's refused characters that
    Unicode 14.0.0 assigns, and the noncharacters (unassigned ones it leaves to the table, spec 3.2)."""
    import unicodedata

    from credential.claims import model as claims

    pattern = claims_schema()["$defs"]["xc"]["properties"]["family_name"]["pattern"]
    refused_class = re.compile(re.search(r"\(\?:(\[\^[^\]]*\])", pattern).group(1).replace("[^", "["))
    for point in range(0x10000):
        c = chr(point)
        noncharacter = 0xFDD0 <= point <= 0xFDEF or point & 0xFFFE == 0xFFFE
        expected = claims.name_class(point) == "refused" and (unicodedata.category(c) != "Cn" or noncharacter)
        assert bool(refused_class.fullmatch(c)) == expected, hex(point)


def test_every_error_code_of_the_code_is_in_the_spec_table() -> None:
    import credential

    text = (SPEC / "xc-v1.md").read_text(encoding="utf-8")
    table = text[text.index("### 9.4 Error codes") : text.index("## 10 Limits")]
    listed = re.findall(r"^\| `([A-Z_0-9]+)` \|", table, re.MULTILINE)
    assert listed == [code.value for code in credential.ErrorCode]


def test_limits_in_the_spec_are_the_code_limits() -> None:
    from credential.base import limits

    text = (SPEC / "xc-v1.md").read_text(encoding="utf-8")
    section = text[text.index("## 10 Limits") : text.index("## 11 Versioning")]
    for name in ("MAX_TEXT_CHARS", "MAX_INFLATED_BYTES", "MAX_DEPTH", "MAX_ITEMS", "MAX_CONTAINER_LENGTH", "MAX_PROTECTED_BYTES"):
        assert str(getattr(limits, name)) in section, name


def _code_blocks(section: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", section, re.DOTALL)


def test_appendix_a_is_what_the_code_produces() -> None:
    import hashlib

    from cryptography.hazmat.primitives.asymmetric import ed25519

    import credential
    from credential.issuer import samples

    text = (SPEC / "xc-v1.md").read_text(encoding="utf-8")
    appendix = text[text.index("## Appendix A") :]
    key = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"XC1 example issuer key").digest())
    issued = credential.issue(samples.full(), key, templates=samples.TEMPLATES)
    layers = credential.decode(issued)

    kid_block = _code_blocks(appendix[appendix.index("### A.1") : appendix.index("### A.2")])[1]
    assert f"kid           {credential.kid_of(key).hex()}" in kid_block
    message = _code_blocks(appendix[appendix.index("### A.6") : appendix.index("### A.7")])[1]
    assert "".join(message.split()) == layers.cose.hex()
    credential_text = _code_blocks(appendix[appendix.index("### A.7") :])[0]
    assert credential_text.rstrip("\n") == issued
    verified = credential.verify(
        issued,
        [credential.TrustedKey(key.public_key(), frozenset({"HK"}))],
        now=1798765200,
        destination="MO",
        templates=samples.TEMPLATES,
    )
    returned = _code_blocks(appendix[appendix.index("### A.2") : appendix.index("### A.3")])[-1]
    assert json.loads(returned) == verified.claims


def test_readme_size_table_is_what_the_script_prints() -> None:
    import subprocess
    import sys

    printed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "sizes.py")], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in ("sizes", "template-sizes"):
        table = readme[readme.index(f"<!-- {block}:begin -->") + len(f"<!-- {block}:begin -->") : readme.index(f"<!-- {block}:end -->")]
        assert table.strip() in printed, block
    spec = (SPEC / "xc-v1.md").read_text(encoding="utf-8")
    section = spec[spec.index("#### 8.5.7") : spec.index("#### 8.5.8")]
    first_table = re.search(r"(?:^\|.*\n)+", section, re.MULTILINE)
    assert first_table is not None and first_table.group(0).count("\n") > 10
    assert first_table.group(0).strip() in printed


def test_readme_vector_counts_are_the_file_counts() -> None:
    import credential


    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    counts = negative_counts()  # every vector file: the core file and each feature's own
    for code in credential.ErrorCode:
        assert f"| `{code.value}` | {counts.get(code.value, 0)} |" in readme, code.value
    assert f"holds {len(vectors())} cases" in readme


def test_the_text_limit_is_what_a_qr_code_holds_at_level_m() -> None:
    """Spec 10: issuers and verifiers share one text limit, the alphanumeric capacity of version 40 at M."""
    from credential import qr
    from credential.base import limits

    assert limits.MAX_TEXT_CHARS == qr.capacity(40, "M")
