"""Use cases of working-day calendars: the calendar in force, adding a year's notice, listing a year."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from greenport.kernel.errors import NotFound
from greenport.workdays.calendar import WorkCalendar, parse_year_table, shipped_tables
from greenport.workdays.model import YearTable
from greenport.workdays.ports import WorkdaysUnitOfWork


def calendar(uow: WorkdaysUnitOfWork) -> WorkCalendar:
    """The calendar in force: the release's years, each overridden by a year the deployment stored."""
    return WorkCalendar.from_tables(shipped_tables().values(), uow.workdays.stored_years())


def add_year(uow: WorkdaysUnitOfWork, *, text: str, file_name: str, now: datetime) -> tuple[YearTable, bool]:
    """Check a year's calendar file (:func:`parse_year_table`) and store it; nothing is stored on
    any error. Returns the table and whether it replaced a stored copy of its year."""
    table = parse_year_table(text, file_name=file_name, origin="stored")
    replaced = uow.workdays.put_year(table, file_name=file_name, added_at=now)
    return table, replaced


def year_public(table: YearTable) -> dict[str, Any]:
    """A year's holidays and make-up working days, JSON-ready, with where they come from."""

    def listed(days: Any) -> list[dict[str, str]]:
        return [{"date": d.day.isoformat(), "name_zh": d.name_zh, "name_en": d.name_en} for d in days]

    return {
        "year": table.year,
        "origin": table.origin,
        "source": table.source,
        "holidays": listed(table.holidays()),
        "make_up_workdays": listed(table.make_up_days()),
    }


def show_year(uow: WorkdaysUnitOfWork, *, year: int) -> dict[str, Any]:
    """The year's listing (:func:`year_public`); :class:`NotFound` naming the years there are."""
    in_force = calendar(uow)
    if year not in in_force.tables:
        raise NotFound(
            f"no working-day calendar for {year} (years: {', '.join(map(str, in_force.years))}); "
            "add the State Council's notice with `greenport calendar add FILE`",
            field="year",
        )
    return year_public(in_force.tables[year])
