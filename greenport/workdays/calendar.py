"""Working-day and working-hour arithmetic on the Chinese calendar.

Strategy: a :class:`WorkCalendar` holds one :class:`~greenport.workdays.model.YearTable` per
year (the State Council's notice: holidays and make-up working days 调休上班) and the office
hours of a working day. A day is a working day when its year's table says so, or, if the table
does not list it, when it is Monday–Friday. A day in a year without a table raises
:class:`~greenport.workdays.model.NoCalendar`: the week alone is never trusted, because every
year moves several weekend days (2024: Sun 4 Feb and Sun 18 Feb were worked).

Conventions (docs/calendar.md):

* **"N working days"** counts from the day *after* acceptance, as the 12345 hotlines do
  (shared/reference/response-workflow.md §3: "within 3 working days" of acceptance): a case
  accepted at any time of day ``d`` has day 1 = the first working day after ``d``, whether or not
  ``d`` itself is a working day. ``add_working_days(d, 0)`` is ``d`` itself (the same day).
* **Working hours** run only inside the office hours of working days (``data/working_hours.csv``,
  the deployment's setting: 9:00–12:00 and 13:30–17:30 Beijing time); time outside them does not
  count, so 4 working hours from Friday 16:00 end on the next working day at 11:30.
* Dates are Beijing local dates; instants are aware datetimes, returned in UTC (kernel.time).

Files: :func:`parse_year_table` reads and checks one year's CSV (the shipped files and a
deployment's ``greenport calendar add FILE`` go through the same checks); :func:`shipped_tables`
reads the release's files ``data/calendar/YYYY.csv``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources

from greenport.kernel.errors import InvalidInput, InvalidRows, RowError
from greenport.kernel.time import CHINA_TZ, ensure_utc
from greenport.workdays.model import CalendarDay, DayKind, NoCalendar, WorkingHours, YearTable

#: The columns of a year's calendar file, in order.
COLUMNS = ("date", "kind", "name_zh", "name_en")

#: Saturday and Sunday (``date.weekday()``).
WEEKEND = frozenset({5, 6})

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _source_header(lines: list[str]) -> str:
    """The leading ``#`` comment lines joined, without the ``source:`` label."""
    parts: list[str] = []
    for line in lines:
        if not line.startswith("#"):
            break
        parts.append(line.lstrip("#").strip())
    return " ".join(parts).removeprefix("source:").strip()


def parse_year_table(
    text: str, *, file_name: str, year: int | None = None, origin: str = "shipped"
) -> YearTable:
    """One year's calendar from the text of its CSV file, every rule checked.

    The file has ``#`` comment lines first (the first names the source: the notice and its
    number), then the header ``date,kind,name_zh,name_en`` and one row per day that differs from
    the week. Checks: the header; each ``date`` a valid ISO date (YYYY-MM-DD) in one and the same
    year (``year`` when given); ``kind`` is ``holiday`` or ``workday``; a ``workday`` falls on a
    Saturday or Sunday (a weekday is already a working day: marking it is a mistake in the file);
    no date twice; ``name_zh`` not empty. Every problem is reported at once by row (the file's
    line number) and column; nothing is returned on any error (:class:`InvalidRows`).
    """
    lines = text.splitlines()
    source = _source_header(lines)
    body = [
        (number, line)
        for number, line in enumerate(lines, start=1)
        if line.strip() and not line.startswith("#")
    ]
    if not body:
        raise InvalidInput(f"{file_name}: no header row; expected {','.join(COLUMNS)}", field="file")
    header_line, header = body[0]
    columns = [c.strip() for c in next(csv.reader([header]))]
    if tuple(columns) != COLUMNS:
        raise InvalidInput(
            f"{file_name}: header is {','.join(columns)!r}; expected {','.join(COLUMNS)}",
            row=header_line,
            column="header",
        )
    errors: list[RowError] = []
    days: list[CalendarDay] = []
    seen: dict[date, int] = {}
    years: dict[int, int] = {}
    for line_number, record in zip(
        (n for n, _ in body[1:]), csv.reader(line for _, line in body[1:]), strict=True
    ):
        values = [v.strip() for v in record]
        if len(values) != len(COLUMNS):
            errors.append(
                RowError(line_number, "date", f"expected {len(COLUMNS)} columns, found {len(values)}")
            )
            continue
        raw_date, raw_kind, name_zh, name_en = values
        day: date | None = None
        if not _DATE.match(raw_date):
            errors.append(RowError(line_number, "date", "not a date YYYY-MM-DD", raw_date))
        else:
            try:
                day = date.fromisoformat(raw_date)
            except ValueError:
                errors.append(RowError(line_number, "date", "no such day", raw_date))
        kind: DayKind | None = None
        try:
            kind = DayKind(raw_kind)
        except ValueError:
            errors.append(RowError(line_number, "kind", "kind must be holiday or workday", raw_kind))
        if not name_zh:
            errors.append(RowError(line_number, "name_zh", "a name is required"))
        if day is None:
            continue
        if year is not None and day.year != year:
            errors.append(RowError(line_number, "date", f"not in {year}", raw_date))
        years.setdefault(day.year, line_number)
        if day in seen:
            errors.append(
                RowError(line_number, "date", f"date listed twice (also row {seen[day]})", raw_date)
            )
        else:
            seen[day] = line_number
        if kind is DayKind.WORKDAY and day.weekday() not in WEEKEND:
            errors.append(
                RowError(
                    line_number,
                    "kind",
                    f"{raw_date} is a {day:%A}: only a weekend day can be a make-up workday",
                )
            )
        if kind is not None:
            days.append(CalendarDay(day=day, kind=kind, name_zh=name_zh, name_en=name_en))
    if year is None and len(years) > 1:
        first_year = next(iter(years))
        for other, line_number in years.items():
            if other != first_year:
                errors.append(
                    RowError(
                        line_number,
                        "date",
                        f"every row must be in one year: {first_year} first, then {other}",
                    )
                )
    if errors:
        raise InvalidRows(errors, source=file_name)
    if not days:
        raise InvalidInput(f"{file_name}: no rows; a year's notice lists at least its holidays", field="file")
    return YearTable(
        year=year if year is not None else days[0].day.year,
        source=source,
        days=tuple(sorted(days, key=lambda d: d.day)),
        origin=origin,
    )


def _package_text(*parts: str) -> str:
    return resources.files("greenport.workdays").joinpath("data", *parts).read_text(encoding="utf-8")


@cache
def shipped_tables() -> Mapping[int, YearTable]:
    """The release's year tables (``data/calendar/YYYY.csv``), by year."""
    folder = resources.files("greenport.workdays").joinpath("data", "calendar")
    tables: dict[int, YearTable] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".csv") and entry.name[:4].isdigit():
            year = int(entry.name[:4])
            tables[year] = parse_year_table(
                entry.read_text(encoding="utf-8"), file_name=entry.name, year=year
            )
    return tables


@cache
def default_working_hours() -> WorkingHours:
    """The office hours of ``data/working_hours.csv`` (the deployment's setting)."""
    text = _package_text("working_hours.csv")
    lines = text.splitlines()
    rows = list(csv.DictReader(line for line in lines if line.strip() and not line.startswith("#")))
    intervals = tuple((time.fromisoformat(r["start"]), time.fromisoformat(r["end"])) for r in rows)
    return WorkingHours(intervals=intervals, source=_source_header(lines))


class WorkCalendar:
    """Working days and hours over the years it has tables for (Beijing local dates).

    Build it with :meth:`from_tables` (a later table for a year replaces an earlier one, so
    stored years passed after the shipped ones override them).
    """

    def __init__(self, tables: Mapping[int, YearTable], hours: WorkingHours | None = None) -> None:
        self.tables: dict[int, YearTable] = dict(sorted(tables.items()))
        self.hours = hours or default_working_hours()
        self._exceptions: dict[date, DayKind] = {d.day: d.kind for t in self.tables.values() for d in t.days}

    @classmethod
    def from_tables(cls, *groups: Iterable[YearTable], hours: WorkingHours | None = None) -> WorkCalendar:
        tables: dict[int, YearTable] = {}
        for group in groups:
            for table in group:
                tables[table.year] = table
        return cls(tables, hours)

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(self.tables)

    # -- days --------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` (a Beijing local date) is a working day; :class:`NoCalendar` for a year
        without a table."""
        if day.year not in self.tables:
            raise NoCalendar(day.year)
        kind = self._exceptions.get(day)
        if kind is not None:
            return kind is DayKind.WORKDAY
        return day.weekday() not in WEEKEND

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        candidate = day + timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate += timedelta(days=1)
        return candidate

    def add_working_days(self, start: date | datetime, n: int) -> date:
        """The date of working day ``n`` counted from the day after ``start`` (day 1 = the first
        working day after ``start``'s local date); ``n = 0`` gives ``start``'s date itself.

        ``start`` is a local date or an aware instant (its Beijing date is used). [working days]
        """
        if n < 0:
            raise ValueError(f"n must be 0 or more working days, got {n}")
        day = _local_day(start)
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def working_days_between(self, a: date | datetime, b: date | datetime) -> int:
        """The number of working days ``d`` with ``a < d <= b`` (negative when ``b`` is before ``a``),
        so that ``working_days_between(a, add_working_days(a, n)) == n``. [working days]"""
        first, last = _local_day(a), _local_day(b)
        if last < first:
            return -self.working_days_between(last, first)
        count = 0
        day = first + timedelta(days=1)
        while day <= last:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count

    # -- hours -------------------------------------------------------------------------------

    def working_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The office-hour intervals of ``day`` as aware Beijing datetimes ([] on a day off)."""
        if not self.is_working_day(day):
            return []
        return [
            (datetime.combine(day, start, CHINA_TZ), datetime.combine(day, end, CHINA_TZ))
            for start, end in self.hours.intervals
        ]

    def _intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Office-hour intervals from ``moment`` on, the first clipped to start at ``moment``."""
        local = ensure_utc(moment).astimezone(CHINA_TZ)
        day = local.date()
        while True:
            for start, end in self.working_intervals(day):
                if end > local:
                    yield max(start, local), end
            day += timedelta(days=1)

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when ``duration`` of office hours has passed after ``start`` (aware; UTC out).

        Time outside the office hours of working days does not count; a start outside them
        begins at the next opening. A zero duration returns ``start``.
        """
        if duration < timedelta(0):
            raise ValueError(f"duration must not be negative, got {duration}")
        if duration == timedelta(0):
            return ensure_utc(start)
        remaining = duration
        for begin, end in self._intervals_from(start):
            if end - begin >= remaining:
                return (begin + remaining).astimezone(UTC)
            remaining -= end - begin
        raise AssertionError("unreachable: the interval iterator ends only by NoCalendar")

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """:meth:`add_working_time` with a number of hours. [h of office time]"""
        return self.add_working_time(start, timedelta(hours=hours))

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Office time inside [a, b) (zero when ``b <= a``)."""
        a, b = ensure_utc(a), ensure_utc(b)
        total = timedelta(0)
        if b <= a:
            return total
        for begin, end in self._intervals_from(a):
            if begin >= b:
                break
            total += min(end, b) - begin
        return total

    def opening(self, day: date) -> datetime:
        """The first office hour of ``day`` (a working day), in UTC."""
        intervals = self.working_intervals(day)
        if not intervals:
            raise ValueError(f"{day} is not a working day")
        return intervals[0][0].astimezone(UTC)

    def closing(self, day: date) -> datetime:
        """The end of the office hours of ``day`` (a working day), in UTC."""
        intervals = self.working_intervals(day)
        if not intervals:
            raise ValueError(f"{day} is not a working day")
        return intervals[-1][1].astimezone(UTC)

    def subtract_working_time(self, end: datetime, duration: timedelta) -> datetime:
        """The instant ``duration`` of office time before ``end`` (the inverse of :meth:`add_working_time`)."""
        if duration < timedelta(0):
            raise ValueError(f"duration must not be negative, got {duration}")
        local = ensure_utc(end).astimezone(CHINA_TZ)
        remaining = duration
        day = local.date()
        while True:
            for begin, stop in reversed(self.working_intervals(day)):
                if begin >= local:
                    continue
                stop = min(stop, local)
                if stop - begin >= remaining:
                    return (stop - remaining).astimezone(UTC)
                remaining -= stop - begin
            day -= timedelta(days=1)


def _local_day(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return ensure_utc(value).astimezone(CHINA_TZ).date()
    return value


def calendar_from_shipped(hours: WorkingHours | None = None) -> WorkCalendar:
    """The calendar of the release's files only (a deployment's stored years: workdays.service)."""
    return WorkCalendar(shipped_tables(), hours)
