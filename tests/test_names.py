"""The name rule (spec 3.2): the published table of Unicode 14.0.0, and the rule read from it."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credential.claims import model as claims
from credential.claims import name_characters

from .vectors import ROOT, load_generator

TABLE = ROOT / "spec" / "name-characters.txt"
PINNED = unicodedata.unidata_version == name_characters.UNICODE_VERSION


def _generator() -> Any:
    return load_generator("name_characters.py")


GENERATOR = _generator()
RANGES = GENERATOR.parse_table(TABLE.read_text(encoding="utf-8"))


def test_the_module_holds_the_ranges_of_the_published_table() -> None:
    assert RANGES == sorted(
        (low, high, kind) for kind in GENERATOR.CLASSES for low, high in getattr(name_characters, kind.upper())
    )
    assert name_characters.UNICODE_VERSION == GENERATOR.UNICODE_VERSION == "14.0.0"


def test_the_ranges_are_ordered_disjoint_and_maximal() -> None:
    for (low, high, kind), (next_low, _, next_kind) in zip(RANGES, RANGES[1:]):
        assert low <= high < next_low
        assert high + 1 < next_low or kind != next_kind


@pytest.mark.skipif(not PINNED, reason="the derivation needs the Unicode 14.0.0 data that Python 3.11 ships")
def test_the_published_files_are_the_derivation() -> None:
    ranges = GENERATOR.derive()
    assert TABLE.read_text(encoding="utf-8") == GENERATOR.table_text(ranges), "run python test-vectors/name_characters.py"
    module = ROOT / "credential" / "claims" / "name_characters.py"
    assert module.read_text(encoding="utf-8") == GENERATOR.module_text(ranges), "run python test-vectors/name_characters.py"


def test_every_character_assigned_in_14_keeps_its_class_under_this_python() -> None:
    """On any Python from 3.11 on: a character the table treats as assigned and admitted (ordinary or
    a mark) still has a category the rule admits, and is a mark exactly when the table says so. On
    Python 3.11 this is the derivation itself; later Unicode data must not move them."""
    for point in range(0x110000):
        kind = claims.name_class(point)
        if kind in (None, "mark") and point != 0x20:
            category = unicodedata.category(chr(point))
            assert category not in GENERATOR.REFUSED_CATEGORIES | {"Cn"}, hex(point)
            assert (category in GENERATOR.MARK_CATEGORIES) == (kind == "mark"), hex(point)


@pytest.mark.parametrize(
    ("point", "kind"),
    [
        (0x41, None),
        (0x20, None),
        (0x9673, None),
        (0x282E2, None),  # CJK Extension B, assigned
        (0x0301, "mark"),
        (0x093E, "mark"),  # DEVANAGARI VOWEL SIGN AA, Mc
        (0x00A0, "refused"),
        (0x0890, "refused"),  # Cf since 14.0
        (0x3164, "refused"),
        (0x2800, "refused"),
        (0x034F, "refused"),
        (0xFE0F, "refused"),
        (0xE0100, "refused"),
        (0xE000, "refused"),
        (0xFDD0, "refused"),
        (0x0378, "refused"),  # unassigned, outside planes 2 and 3
        (0x1E030, "refused"),  # a letter of 15.0, unassigned in 14.0, plane 1
        (0x31350, "unassigned"),  # CJK Extension H (15.0), plane 3
        (0x2EBF0, "unassigned"),  # CJK Extension I (15.1), plane 2
        (0x2FFFE, "refused"),  # a noncharacter in plane 2
        (0x3FFFF, "refused"),
        (0x40000, "refused"),  # plane 4, unassigned
    ],
)
def test_classes(point: int, kind: str | None) -> None:
    assert claims.name_class(point) == kind


@pytest.mark.parametrize(
    ("name", "defect"),
    [
        ("CHAN", None),
        ("\u00c9LODIE", None),
        ("\u0915\u0941\u092e\u093e\u0930", None),
        ("\U00031350\u0301", None),  # a mark after an unassigned starter
        ("\u0301A", "begins the name"),
        ("A \u0301B", "follows a space"),
        ("A\u3164", "U+3164 is refused"),
        ("Cafe\u0301", "normalization"),
        ("\U00031350e\u0301", "normalization"),
    ],
)
def test_name_rules(name: str, defect: str | None) -> None:
    found = claims._name_defect(name)
    assert (found is None) if defect is None else (found is not None and defect in found)


# Characters that make NFC interesting: composable pairs, reordered marks, Hangul, unassigned starters.
_NFC_ALPHABET = st.sampled_from(
    ["e", "E", "A", "\u0301", "\u0300", "\u0323", "\u0302", "\u1100", "\u1161", "\u11a8", "\uac00", "\u00e9", "\U00031350", "\U0002ebf0", "\u9673"]
)


@pytest.mark.skipif(not PINNED, reason="compares with whole-string NFC of Unicode 14.0.0")
@settings(max_examples=400, deadline=None)
@given(st.lists(_NFC_ALPHABET, min_size=1, max_size=8).map("".join))
def test_nfc_judged_by_runs_is_nfc_of_the_whole_name(name: str) -> None:
    """Cutting at code points unassigned in 14.0 (starters that never compose) changes no verdict."""
    runs_say = claims._name_defect(name)
    whole_says = unicodedata.is_normalized("NFC", name)
    if runs_say is None or "normalization" in runs_say:
        assert (runs_say is None) == whole_says, name
