"""What the workdays service needs from storage (implemented by
``greenport.storage.workdays_repo.WorkdaysRepository``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from greenport.workdays.model import YearTable


class WorkdaysRepository(Protocol):
    def stored_years(self) -> list[YearTable]: ...

    def put_year(self, table: YearTable, *, file_name: str, added_at: datetime) -> bool: ...


class WorkdaysUnitOfWork(Protocol):
    @property
    def workdays(self) -> WorkdaysRepository: ...
