"""What an issuer accepts beyond the exact JSON view (spec 9.1), and how it becomes the JSON view.

The JSON view (spec 3.6) has one form for each value. People and programs that issue hand over
values in the forms they have: Python datetimes and dates, destinations in any order, names typed on
a system that decomposes accents (NFD), identity numbers as printed with the check character in
brackets. ``normalize`` turns each of these into the one form of the JSON view; everything else is
passed through unchanged for the claims model to check, so a value of a shape not listed here is
refused there, with the path of the field, never silently changed.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from ..base.times import parse_iso_time

TIME_FIELDS = ("exp", "nbf", "iat")
DATE_FIELDS = ("enrolment_expiry", "stay_limit", "birth_date")
NAME_FIELDS = ("family_name", "given_name", "name_zh")
# A document number as printed, with one check character in brackets at the end: Hong Kong
# A123456(3), Macau 1234567(8). The claims hold it without the brackets (spec 3.2).
_BRACKETED_CHECK = re.compile(r"([A-Z0-9]{1,15})\(([A-Z0-9])\)")


def _time(value: Any, path: str) -> Any:
    """A timezone-aware datetime, or ISO 8601 text with its offset (``times.ISO_TIME``, the form JSON
    input has), becomes whole epoch seconds (rounded down); other values pass."""
    if isinstance(value, str):
        return parse_iso_time(value, path)
    if not isinstance(value, _dt.datetime):
        if isinstance(value, _dt.date):
            raise TypeError(f"{path}: a date has no time of day; give an aware datetime or epoch seconds")
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{path}: a naive datetime has no time zone; give an aware one, e.g. tzinfo=timezone.utc")
    return math.floor(value.timestamp())


def _date(value: Any, path: str) -> Any:
    """A ``datetime.date`` becomes YYYY-MM-DD; a datetime is refused (which zone's date would it be?)."""
    if isinstance(value, _dt.datetime):
        raise TypeError(f"{path}: give a datetime.date or YYYY-MM-DD text, not a datetime (dates are the regions' civil dates)")
    if isinstance(value, _dt.date):
        return value.isoformat()
    return value


def _name(value: Any, path: str) -> Any:
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _doc_number(value: Any, path: str) -> Any:
    if isinstance(value, str):
        match = _BRACKETED_CHECK.fullmatch(value)
        if match:
            return match.group(1) + match.group(2)
    return value


def _destinations(value: Any, path: str) -> Any:
    """Ascending order of the encodings (spec 3.2); only a list of text is sorted, the rest is checked later."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return sorted(value, key=lambda v: v.encode("utf-8"))
    return value


_TOP: dict[str, Callable[[Any, str], Any]] = {name: _time for name in TIME_FIELDS}
_XC: dict[str, Callable[[Any, str], Any]] = {
    **{name: _date for name in DATE_FIELDS},
    **{name: _name for name in NAME_FIELDS},
    "doc_number": _doc_number,
    "destinations": _destinations,
}


def normalize(claims: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``claims`` with every value an issuer may give in another form put in the JSON view's form."""
    if not isinstance(claims, Mapping):
        raise TypeError(f"claims are a mapping in the JSON view (spec section 3), not {type(claims).__name__}")
    out = {name: _TOP[name](value, name) if name in _TOP else value for name, value in claims.items()}
    xc = out.get("xc")
    if isinstance(xc, Mapping):
        out["xc"] = {name: _XC[name](value, f"xc.{name}") if name in _XC else value for name, value in xc.items()}
    return out
