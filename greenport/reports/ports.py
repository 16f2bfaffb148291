"""What the report service reads (Protocols over ``uow.monitoring`` and ``uow.registry``; no storage import here)."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from typing import Any, Protocol

from greenport.accounts.model import RowScope


class MonitoringReadsPort(Protocol):
    def aggregate_values(
        self,
        site_ids: list[int],
        *,
        period: str,
        start: datetime,
        end: datetime,
        parameters: list[str] | None = None,
        valid_only: bool = True,
    ) -> list[tuple[datetime, int, str, float]]: ...

    def index_rows(
        self, site_ids: list[int], *, kind: str, period: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]: ...

    def latest_aggregate_time(self, site_ids: list[int], *, period: str) -> datetime | None: ...

    def data_version(self) -> Hashable: ...


class RegistryReadsPort(Protocol):
    def visible_sites(self, scope: RowScope, *, kind: str | None = None) -> list[dict[str, Any]]: ...
    def city_summary(self) -> dict[str, Any] | None: ...
    def visible_towns(self, scope: RowScope, *, with_boundaries: bool = False) -> list[dict[str, Any]]: ...
    def visible_parks(self, scope: RowScope) -> list[dict[str, Any]]: ...


class ReportUow(Protocol):
    monitoring: MonitoringReadsPort
    registry: RegistryReadsPort
