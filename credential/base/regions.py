"""The regions this version knows (spec 3.3).

Every destination names one, and a verifier's configuration names its own region and the issuers its
keys vouch for from it; adding a region is a revision of the spec.
"""

from __future__ import annotations

REGIONS = {"HK": "Hong Kong SAR", "MO": "Macau SAR"}
# Both regions keep UTC+08:00 all year (no daylight saving): their civil dates are the dates of the
# claims, and a date ends at 24:00 there, 16:00 UTC (spec 3.4, 9.3).
REGION_UTC_OFFSET = 8 * 3600
