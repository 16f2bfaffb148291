"""The vocabulary of working-day calendars: a year's table of exceptions to the week.

A year table lists only the days that differ from the plain week (Monday–Friday working,
Saturday–Sunday off): the public holidays and days off of the State Council's yearly notice
(国务院办公厅关于YYYY年部分节假日安排的通知) and the weekend days it makes working days (调休上班).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from greenport.kernel.errors import DomainError


class DayKind(enum.StrEnum):
    """What a listed day is: a day off (any weekday) or a weekend day worked (调休上班)."""

    HOLIDAY = "holiday"
    WORKDAY = "workday"


@dataclass(frozen=True, slots=True)
class CalendarDay:
    day: date
    kind: DayKind
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class YearTable:
    """One year's exceptions to the week, with where they come from.

    ``source`` is the file's ``# source:`` header (the notice and the tool that transcribed it);
    ``origin`` says which copy is in use: ``shipped`` (a release's data file) or ``stored`` (added
    by the deployment with ``greenport calendar add``, which overrides the shipped year).
    """

    year: int
    source: str
    days: tuple[CalendarDay, ...]
    origin: str = "shipped"

    def holidays(self) -> tuple[CalendarDay, ...]:
        return tuple(d for d in self.days if d.kind is DayKind.HOLIDAY)

    def make_up_days(self) -> tuple[CalendarDay, ...]:
        return tuple(d for d in self.days if d.kind is DayKind.WORKDAY)


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """The office hours of a working day, Beijing time, as ordered half-open intervals [start, end)."""

    intervals: tuple[tuple[time, time], ...]
    source: str = ""

    def __post_init__(self) -> None:
        if not self.intervals:
            raise ValueError("working hours need at least one interval")
        previous_end = time.min
        for start, end in self.intervals:
            if not previous_end <= start < end:
                raise ValueError(f"working-hour intervals must be ordered and not overlap: {self.intervals}")
            previous_end = end

    @property
    def per_day(self) -> timedelta:
        """The office time of one working day (the sum of the intervals) [h:min]."""
        return sum(
            (
                datetime.combine(date.min, end) - datetime.combine(date.min, start)
                for start, end in self.intervals
            ),
            timedelta(0),
        )


class NoCalendar(DomainError):
    """A day falls in a year with no working-day calendar: GreenPort refuses to guess Monday–Friday."""

    status_hint = 422

    def __init__(self, year: int) -> None:
        super().__init__(
            f"no working-day calendar for {year}: add the State Council's notice with `greenport calendar add FILE`",
            field="year",
            year=year,
        )
        self.year = year
