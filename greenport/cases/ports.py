"""What the cases service needs from storage (implemented by
``greenport.storage.cases_repo.CasesRepository``; the calendar by ``workdays_repo``, notices by
``notifications_repo``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from greenport.cases.model import Attachment, Case, CaseEvent, CaseScope
from greenport.cases.routing import CellOfficers, Place
from greenport.notifications.ports import NotificationsUnitOfWork
from greenport.workdays.ports import WorkdaysRepository


class CasesRepository(Protocol):
    def add_case(self, values: dict[str, Any]) -> int: ...

    def get_case(self, case_id: int) -> Case | None: ...

    def visible_case(self, case_id: int, scope: CaseScope) -> Case | None: ...

    def case_by_tracking_number(self, tracking_number: str) -> Case | None: ...

    def tracking_number_taken(self, tracking_number: str) -> bool: ...

    def record_action(
        self, case: Case, event: CaseEvent, *, expected_version: int, changes: dict[str, Any]
    ) -> bool: ...

    def events(self, case_id: int) -> list[CaseEvent]: ...

    def visible_cases(
        self,
        scope: CaseScope,
        *,
        assignee: str | None = None,
        states: Iterable[str] | None = None,
        overdue_at: datetime | None = None,
        due_before: datetime | None = None,
        town_code: str | None = None,
        grid_cell_code: str | None = None,
        category: str | None = None,
        department: str | None = None,
        source: str | None = None,
        opened_from: datetime | None = None,
        opened_until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[Case], int]: ...

    def timed_cases(self, states: Sequence[str], *, limit: int = 5000) -> list[Case]: ...

    def undated_cases(self, states: Sequence[str], *, limit: int = 5000) -> list[Case]: ...

    def set_deadline(self, case_id: int, due_at: datetime) -> None: ...

    def reopened_case_ids(self, case_ids: Sequence[int]) -> set[int]: ...

    def open_counts(self, usernames: Sequence[str]) -> dict[str, int]: ...

    def fired_alarms_without_case(
        self, *, fired_since: datetime, limit: int = 500
    ) -> list[dict[str, Any]]: ...

    def site_place(self, site_id: int) -> dict[str, Any] | None: ...

    def division(self, code: str) -> tuple[str, str, str | None] | None: ...

    def places_in(self, parent_code: str) -> list[Place]: ...

    def town_containing(self, lon: float, lat: float) -> list[Place]: ...

    def cell_of_division(self, division_code: str) -> str | None: ...

    def grid_cells(self) -> dict[str, CellOfficers]: ...

    def cell_town(self, cell_code: str) -> str | None: ...

    def put_file(self, attachment: Attachment, data: bytes, *, now: datetime) -> None: ...

    def get_file(self, sha256: str) -> tuple[str, bytes] | None: ...

    def cases_with_file(self, sha256: str) -> list[int]: ...

    def count_report(self, client_key: str, window_start: datetime) -> int: ...

    def forget_report_counts(self, before: datetime) -> int: ...


class CasesUnitOfWork(NotificationsUnitOfWork, Protocol):
    @property
    def cases(self) -> CasesRepository: ...

    @property
    def workdays(self) -> WorkdaysRepository: ...
