"""What the report service reads (a Protocol over ``uow.web``; no storage import here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class MonitoringReadsPort(Protocol):
    def aggregates(
        self,
        site_ids: list[int],
        *,
        period: str,
        start: datetime,
        end: datetime,
        parameters: list[str] | None = None,
        valid_only: bool = True,
    ) -> list[tuple[datetime, int, str, float]]: ...

    def indices(
        self, site_ids: list[int], *, kind: str, period: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]: ...


class ReportReadsPort(Protocol):
    monitoring: MonitoringReadsPort

    def city_sites(self, kind: str) -> list[dict[str, Any]]: ...
    def city(self) -> dict[str, Any] | None: ...
    def city_towns(self) -> list[dict[str, Any]]: ...


class ReportUow(Protocol):
    web: ReportReadsPort
