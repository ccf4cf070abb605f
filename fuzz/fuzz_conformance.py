"""Coverage-guided fuzzing of the conformance runner's reading of answers (spec 15): whatever line an
adapter writes, the runner gives the case an outcome without raising, its JSON report is JSON, its
JUnit XML parses, and its table holds no control character.

    python fuzz/fuzz_conformance.py CORPUS_DIR fuzz/seeds/conformance -max_total_time=60

The first two input bytes pick a case of the published vector files (every list, in the runner's
order); the rest is the answer line.
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET

import atheris

with atheris.instrument_imports(include=["credential"]):
    from credential.tools import conformance

import material

FILES = conformance.load([material.VECTORS])
CASES = [(vectors, listed, case) for vectors in FILES for listed, case in vectors.cases()]
CONTROL = re.compile("[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\ufffe\\uffff\\ud800-\\udfff]")


def check(data: bytes) -> None:
    if len(data) < 2:
        return
    vectors, listed, case = CASES[int.from_bytes(data[:2], "big") % len(CASES)]
    line = data[2:].split(b"\n", 1)[0]
    answer, problem = conformance.read_answer(line)
    outcome = conformance.assess(vectors, case, listed, answer, problem)
    assert outcome.outcome in (conformance.PASSED, conformance.FAILED, conformance.SKIPPED)
    summary = conformance.Summary("fuzz", [outcome])
    json.dumps(summary.as_dict())
    ET.fromstring(conformance.junit(summary))
    shown = conformance.table(summary)
    assert not CONTROL.search(shown), ascii(shown)


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
