"""Which edition of a standard applies on a date: the one home of effective dates.

Every rule set carries its standard number, edition (year) and effective dates (``data/editions.csv``,
from the version alerts of the monitoring reference, §0). Functions that apply a standard take the
date of the data (``on=``) or an explicit ``edition=`` and record the edition they used.

Policy
------
* ``on=None`` means *today* (the Asia/Shanghai calendar date): the newest edition in force now.
* ``on`` may be a :class:`~datetime.date` or a :class:`~datetime.datetime`; an aware datetime is
  turned into its Asia/Shanghai date (the standards' dates are China dates), a naive one is taken as
  local.
* A date before the first edition's effective date raises :class:`NoEditionInForce`: GreenPort does
  not implement the predecessors (GB 3095-1996 and the API system). HJ 633-2012 / GB 3095-2012 are
  applied from their issue date 2012-02-29 (implemented in phases, nationwide from 2016-01-01).
* ``edition`` may be an :class:`Edition`, a year (``2012`` or ``"2012"``) or a code
  (``"HJ 633-2012"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from greenport.kernel.errors import InvalidInput
from greenport.kernel.time import CHINA_TZ, local_date, utcnow
from greenport.standards._data import read_rows


class NoEditionInForce(InvalidInput):
    """No edition of the family was in force on the date asked for."""


@dataclass(frozen=True, slots=True)
class Edition:
    """One edition of one standard, with its effective dates (``effective_to`` inclusive)."""

    family: str
    standard: str
    year: int
    title: str
    effective_from: date
    effective_to: date | None
    note: str = ""

    @property
    def code(self) -> str:
        """The standard's number with its year, e.g. ``HJ 633-2026``."""
        return f"{self.standard}-{self.year}"

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def __str__(self) -> str:
        return self.code


EditionLike = Edition | int | str


@cache
def _all() -> dict[str, tuple[Edition, ...]]:
    families: dict[str, list[Edition]] = {}
    for row in read_rows("editions.csv"):
        families.setdefault(row["family"], []).append(
            Edition(
                family=row["family"],
                standard=row["standard"],
                year=int(row["edition"]),
                title=row["title"],
                effective_from=date.fromisoformat(row["effective_from"]),
                effective_to=date.fromisoformat(row["effective_to"]) if row["effective_to"] else None,
                note=row["note"],
            )
        )
    return {name: tuple(sorted(items, key=lambda e: e.effective_from)) for name, items in families.items()}


def families() -> tuple[str, ...]:
    return tuple(sorted(_all()))


def editions(family: str) -> tuple[Edition, ...]:
    """Every edition of ``family``, oldest first; an unknown family lists the known ones."""
    try:
        return _all()[family]
    except KeyError:
        raise ValueError(f"unknown standards family {family!r}; known: {', '.join(families())}") from None


def as_date(on: date | datetime | str | None) -> date:
    """The China calendar date of ``on`` (None = today in Asia/Shanghai)."""
    if on is None:
        return local_date(utcnow())
    if isinstance(on, str):
        try:
            on = datetime.fromisoformat(on) if "T" in on or " " in on else date.fromisoformat(on)
        except ValueError:
            raise InvalidInput(f"not an ISO date: {on!r}", field="on") from None
    if isinstance(on, datetime):
        if on.tzinfo is None:
            return on.date()
        return on.astimezone(CHINA_TZ).date()
    return on


def edition_in_force(family: str, on: date | datetime | str | None = None) -> Edition:
    """The edition of ``family`` in force on ``on`` (default: today, Asia/Shanghai)."""
    day = as_date(on)
    items = editions(family)
    for item in reversed(items):
        if item.in_force(day):
            return item
    raise NoEditionInForce(
        f"no edition of {items[0].standard} in force on {day.isoformat()} "
        f"(earliest implemented: {items[0].code}, from {items[0].effective_from.isoformat()})",
        field="on",
    )


def resolve_edition(
    family: str, *, on: date | datetime | str | None = None, edition: EditionLike | None = None
) -> Edition:
    """``edition`` if given (checked against the family), else the edition in force on ``on``."""
    if edition is None:
        return edition_in_force(family, on)
    if isinstance(edition, Edition):
        if edition.family != family:
            raise InvalidInput(f"edition {edition.code} is not of family {family!r}", field="edition")
        return edition
    text = str(edition).strip()
    for item in editions(family):
        if text in (str(item.year), item.code, item.code.replace(" ", "")):
            return item
    known = ", ".join(item.code for item in editions(family))
    raise InvalidInput(f"unknown edition {edition!r} of {family!r}; known: {known}", field="edition")
