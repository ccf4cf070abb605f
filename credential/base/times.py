"""Times as the spec counts them (sections 3.1 and 9.3): whole epoch seconds in 0..2^32-1.

Every layer reads times: the claims, the verifier's clock, trust and status lists. The range and the
one conversion from a caller's clock live here so that each layer agrees with the others.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Union

MAX_TIME = 0xFFFFFFFF  # the last second a claims or list time can hold (spec 3.1)
MAX_SKEW = 86400  # a day: more than that is a broken clock, not skew (spec 9.3)
# Verification times a verifier accepts: from the epoch to the last second a claims time can hold,
# plus the largest skew, so that every comparison of spec 9.3 stays meaningful.
LATEST_TIME = MAX_TIME + MAX_SKEW
Clock = Union[_dt.datetime, int, float]


def epoch_seconds(now: Clock) -> int:
    """The verification time as whole seconds; a naive datetime is a caller mistake."""
    if isinstance(now, _dt.datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be a timezone-aware datetime")
        seconds = math.floor(now.timestamp())
    elif isinstance(now, bool) or not isinstance(now, (int, float)):
        raise TypeError("now must be a timezone-aware datetime or epoch seconds")
    elif isinstance(now, float) and not math.isfinite(now):
        raise ValueError(f"now must be a finite time, not {now}")
    else:
        seconds = math.floor(now)
    if not 0 <= seconds <= LATEST_TIME:
        raise ValueError(f"now {seconds} is outside 0..{LATEST_TIME} epoch seconds")
    return seconds


def iso_time(seconds: int) -> str:
    """Epoch seconds as ISO 8601 in UTC, as people read times in error details: 2027-01-01T00:00:00Z."""
    return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# The one ISO 8601 layout a JSON input time may take (spec 9.1): a calendar date, a time of day to the
# second with an optional fraction, and a UTC offset, "Z" or +HH:MM / -HH:MM. Nothing else: no week
# dates, no ordinal dates, no basic (unpunctuated) form, no leap second, no offset-less local time.
ISO_TIME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})T(?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.[0-9]{1,9})?"
    r"(?P<offset>Z|[+-][0-9]{2}:[0-9]{2})"
)
_DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_iso_time(text: str, what: str) -> int:
    """ISO 8601 text of ``ISO_TIME`` as whole epoch seconds, rounded down (a fraction is dropped);
    ValueError naming ``what`` for any other text, and for a time without an offset, which names no
    instant."""
    match = ISO_TIME.fullmatch(text)
    if match is None:
        if _DATE_ONLY.fullmatch(text):
            raise ValueError(f"{what}: {text!r} is a date without a time of day; give a time with its offset, e.g. {text}T00:00:00+08:00")
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+", text):
            raise ValueError(f"{what}: {text!r} has no UTC offset and so names no instant; add Z or +08:00")
        raise ValueError(f"{what}: {text!r} is not an ISO 8601 time YYYY-MM-DDTHH:MM:SS with Z or a +HH:MM offset")
    offset = "+00:00" if match["offset"] == "Z" else match["offset"]
    try:
        moment = _dt.datetime.fromisoformat(f"{match['date']}T{match['time']}{offset}")
    except ValueError as err:  # a month 13, a 25th hour, an offset past 23:59
        raise ValueError(f"{what}: {text!r} is not a valid time ({err})") from None
    seconds = math.floor(moment.timestamp())
    if not 0 <= seconds <= MAX_TIME:
        raise ValueError(f"{what}: {text!r} is outside 1970-01-01T00:00:00Z..{iso_time(MAX_TIME)}")
    return seconds
