"""Repository of working-day calendars (``uow.workdays``): the years a deployment added.

It never commits (the unit of work does).
"""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from greenport.storage.workdays import WorkdayCalendarRow
from greenport.workdays.model import CalendarDay, DayKind, YearTable


class WorkdaysRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def stored_years(self) -> list[YearTable]:
        rows = self.session.scalars(select(WorkdayCalendarRow).order_by(WorkdayCalendarRow.year))
        return [
            YearTable(
                year=row.year,
                source=row.source,
                days=tuple(
                    CalendarDay(day=date.fromisoformat(d), kind=DayKind(k), name_zh=zh, name_en=en)
                    for d, k, zh, en in json.loads(row.days)
                ),
                origin="stored",
            )
            for row in rows
        ]

    def put_year(self, table: YearTable, *, file_name: str, added_at: datetime) -> bool:
        """Store ``table``, replacing a stored copy of its year; True when one was replaced."""
        days = json.dumps(
            [[d.day.isoformat(), d.kind.value, d.name_zh, d.name_en] for d in table.days], ensure_ascii=False
        )
        row = self.session.get(WorkdayCalendarRow, table.year)
        replaced = row is not None
        if row is None:
            row = WorkdayCalendarRow(year=table.year)
            self.session.add(row)
        row.source, row.file_name, row.added_at, row.days = table.source, file_name, added_at, days
        self.session.flush()
        return replaced
