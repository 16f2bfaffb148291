"""What the report service reads (Protocols over ``uow.monitoring`` and ``uow.registry``; no storage import here)."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from typing import Any, Protocol

from greenport.accounts.model import RowScope
from greenport.assessments.ports import EvaluationRepository
from greenport.monitoring.ports import MonitoringReadModels


class MonitoringReadsPort(MonitoringReadModels, Protocol):
    """The monitoring read models the site status needs, and what the reports add."""

    def index_rows(
        self, site_ids: list[int], *, kind: str, period: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]: ...

    def data_version(self) -> Hashable: ...


class RegistryReadsPort(Protocol):
    def visible_sites(self, scope: RowScope, *, kind: str | None = None) -> list[dict[str, Any]]: ...
    def city_summary(self) -> dict[str, Any] | None: ...
    def visible_towns(self, scope: RowScope, *, with_boundaries: bool = False) -> list[dict[str, Any]]: ...
    def visible_parks(self, scope: RowScope) -> list[dict[str, Any]]: ...


class ReportUow(Protocol):
    """What the reports read; ``evaluation`` (and ``commit``) so the scorecard can ask the
    assessments service for a stored run."""

    monitoring: MonitoringReadsPort
    registry: RegistryReadsPort
    evaluation: EvaluationRepository

    def commit(self) -> None: ...
