"""Who may be issued a credential (spec 9.5): the issuing authority's policy, as data.

Eligibility is the issuer's decision, made before it signs; a verifier never checks it (it checks
what the credential says, spec 9.2). Each issuing region has one table per phase of the scheme;
a table is a tuple of rules, each a named requirement with the wording of the policy and a check
over the claims (JSON view, completed) and the holder's birth date. ``issue`` applies the first
phase's table of the claims' issuer unless the caller passes another policy, or ``None``.

The age rule needs the holder's birth date, which a minimal-profile credential does not carry
(spec 3.5). The issuer has it in its records: it is given to ``issue`` as ``birth_date``, used for
the check and never written into the credential. A full-profile credential's ``xc.birth_date`` is
used when no separate birth date is given.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union

REGION_UTC_OFFSET = _dt.timedelta(hours=8)  # both regions' civil time (spec 9.3)


class IneligibleError(ValueError):
    """The holder does not meet a rule of the issuer's eligibility policy; ``rule`` names it."""

    def __init__(self, policy: str, rule: str, requirement: str, detail: str) -> None:
        super().__init__(f"eligibility ({policy}): {rule}: {requirement}; {detail}")
        self.policy = policy
        self.rule = rule


@dataclass(frozen=True)
class Holder:
    """What a rule looks at: the completed claims (JSON view), and the birth date's latest possible day."""

    claims: Mapping[str, Any]
    birth_date: _dt.date | None

    @property
    def xc(self) -> Mapping[str, Any]:
        return self.claims["xc"]  # type: ignore[no-any-return]

    @property
    def start(self) -> _dt.date:
        """The regions' civil date (UTC+08:00) on which the credential becomes valid."""
        seconds = self.claims.get("nbf", self.claims["iat"])
        return (_dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=seconds) + REGION_UTC_OFFSET).date()


# A check returns None when the rule holds, or what it found instead.
Check = Callable[[Holder], Union[str, None]]


def age_on(born: _dt.date, day: _dt.date) -> int:
    """Completed years: a birthday on 29 February is reached on 1 March in common years."""
    years = day.year - born.year
    birthday = (born.month, born.day) if calendar.isleap(day.year) or (born.month, born.day) != (2, 29) else (3, 1)
    return years - ((day.month, day.day) < birthday)


def minimum_age(years: int) -> Check:
    def check(holder: Holder) -> str | None:
        if holder.birth_date is None:
            return "the holder's birth date is not known: give birth_date= from the issuer's records (it is not put in the credential), or policy=None to issue without eligibility checks"
        age = age_on(holder.birth_date, holder.start)
        return None if age >= years else f"aged {age} on {holder.start.isoformat()}"

    return check


def field_in(name: str, allowed: frozenset[str]) -> Check:
    def check(holder: Holder) -> str | None:
        value = holder.xc.get(name)
        return None if value in allowed else f"{name} is {value!r}"

    return check


def permanent_or_symbol(symbols: frozenset[str]) -> Check:
    """A permanent identity card, or a card bearing one of ``symbols``."""

    def check(holder: Holder) -> str | None:
        if holder.xc.get("residency") == "permanent" or symbols & set(holder.xc.get("symbols", ())):
            return None
        return f"residency {holder.xc.get('residency')!r} with symbols {holder.xc.get('symbols', [])}"

    return check


def enrolled_for_other_region(holder: Holder) -> str | None:
    """Registered for the automated clearance of the other region: its e-Channel, enrolment valid at the start."""
    other = {"HK": "MO", "MO": "HK"}.get(holder.claims.get("iss", ""))
    if other is None or other not in holder.xc.get("destinations", ()):
        return f"destinations {holder.xc.get('destinations')} do not include {other or 'the other region'}"
    if holder.xc.get("channel") != "e-channel":
        return f"channel is {holder.xc.get('channel')!r}"
    expiry = holder.xc.get("enrolment_expiry")
    if not isinstance(expiry, str) or expiry < holder.start.isoformat():
        return f"enrolment expired on {expiry} before {holder.start.isoformat()}"
    return None


@dataclass(frozen=True)
class Rule:
    name: str
    requirement: str  # the policy's own wording
    check: Check


@dataclass(frozen=True)
class Policy:
    """One issuing region's eligibility rules for one phase of the scheme."""

    name: str
    region: str
    rules: tuple[Rule, ...]

    def check(self, claims: Mapping[str, Any], birth_date: _dt.date | None = None) -> None:
        """Raise IneligibleError for the first rule the holder does not meet (ValueError subclass)."""
        if claims.get("iss") != self.region:
            raise ValueError(f"eligibility ({self.name}): the policy is {self.region}'s, the claims are issued by {claims.get('iss')!r}")
        holder = Holder(claims, birth_date)
        for rule in self.rules:
            found = rule.check(holder)
            if found is not None:
                raise IneligibleError(self.name, rule.name, rule.requirement, found)


AGE = Rule("age", "aged 11 or over on the first day of validity", minimum_age(11))
IDENTITY_CARD = Rule("document", "holds the region's identity card", field_in("doc_type", frozenset({"identity-card"})))
CLEARANCE = Rule(
    "clearance",
    "registered for the other region's automated clearance (its e-Channel, enrolment valid on the first day)",
    enrolled_for_other_region,
)
HK_CARD = Rule(
    "status",
    "holds a permanent identity card, or one marked *, *** or R",
    permanent_or_symbol(frozenset({"*", "***", "R"})),
)
PERMANENT = Rule("status", "permanent resident", field_in("residency", frozenset({"permanent"})))
ANY_RESIDENT = Rule("status", "permanent or non-permanent resident", field_in("residency", frozenset({"permanent", "non-permanent"})))

# The tables (spec 9.5). The first phase is what the regions run today; the non-permanent phase
# extends the scheme to non-permanent residents, with every other rule unchanged.
FIRST_PHASE: Mapping[str, Policy] = {
    "HK": Policy("HK first phase", "HK", (AGE, IDENTITY_CARD, HK_CARD, CLEARANCE)),
    "MO": Policy("MO first phase", "MO", (PERMANENT,)),
}
NON_PERMANENT_PHASE: Mapping[str, Policy] = {
    "HK": Policy("HK non-permanent phase", "HK", (AGE, IDENTITY_CARD, ANY_RESIDENT, CLEARANCE)),
    "MO": Policy("MO non-permanent phase", "MO", (ANY_RESIDENT,)),
}
PHASES: Mapping[str, Mapping[str, Policy]] = {"first": FIRST_PHASE, "non-permanent": NON_PERMANENT_PHASE}
DEFAULT_POLICY = FIRST_PHASE

# What ``issue`` accepts as ``policy``: one region's Policy, a table of them by region, or None.
PolicyArg = Union[Policy, Mapping[str, Policy], None]


def birth_day(value: Any, path: str = "birth_date") -> _dt.date | None:
    """The latest day a birth date can mean: a full date is itself; YYYY-MM the month's last day,
    YYYY the year's (so a holder is never taken to be older than the records show)."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        raise TypeError(f"{path}: give a datetime.date or YYYY-MM-DD text, not a datetime")
    if isinstance(value, _dt.date):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{path}: a date or YYYY-MM-DD, YYYY-MM or YYYY text, not {type(value).__name__}")
    match = re.fullmatch(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?", value)
    try:
        if not match:
            raise ValueError
        year, month, day = int(match.group(1)), match.group(2), match.group(3)
        if month is None:
            return _dt.date(year, 12, 31)
        if day is None:
            return _dt.date(year, int(month), calendar.monthrange(year, int(month))[1])
        return _dt.date(year, int(month), int(day))
    except ValueError:
        raise ValueError(f"{path}: {value!r} is not a date of the form YYYY-MM-DD, YYYY-MM or YYYY") from None


def apply(policy: PolicyArg, claims: Mapping[str, Any], birth_date: Any = None) -> None:
    """Check completed claims against ``policy`` (a Policy, a table by region, or None for none)."""
    if policy is None:
        return
    given = birth_day(birth_date)
    xc = claims.get("xc")
    in_claims = birth_day(xc.get("birth_date"), "xc.birth_date") if isinstance(xc, Mapping) else None
    if given is not None and in_claims is not None and given != in_claims:
        raise ValueError(f"birth_date {given.isoformat()} differs from xc.birth_date {xc['birth_date']}")  # type: ignore[index]
    if isinstance(policy, Policy):
        chosen = policy
    elif isinstance(policy, Mapping):
        region = str(claims.get("iss"))
        if region not in policy:
            raise ValueError(f"eligibility: no policy for issuer {region!r} (policies for {', '.join(sorted(policy))}); pass policy=None to issue without one")
        chosen = policy[region]
        if not isinstance(chosen, Policy):
            raise TypeError(f"policy[{region!r}] is a Policy, not {type(chosen).__name__}")
    else:
        raise TypeError(f"policy is a Policy, a mapping of region to Policy, or None; not {type(policy).__name__}")
    chosen.check(claims, given if given is not None else in_claims)

