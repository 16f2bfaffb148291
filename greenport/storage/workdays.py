"""Table of working-day calendars a deployment added (``greenport calendar add``).

One row per year; ``days`` is the JSON array of the year's listed days
``[[date, kind, name_zh, name_en], ...]`` (a year has some 30 rows, always read whole). A stored
year overrides the release's shipped file of that year.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from greenport.storage.base import Base, UTCDateTime


class WorkdayCalendarRow(Base):
    __tablename__ = "workday_calendars"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(String(255))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    days: Mapped[str] = mapped_column(Text)
