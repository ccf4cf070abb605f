"""Times as the spec counts them (sections 3.1 and 9.3): whole epoch seconds in 0..2^32-1.

Every layer reads times: the claims, the verifier's clock, trust and status lists. The range and the
one conversion from a caller's clock live here so that each layer agrees with the others.
"""

from __future__ import annotations

import datetime as _dt
import math
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
