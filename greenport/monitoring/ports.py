"""What the monitoring service needs from storage (implemented by
``greenport.storage.monitoring_repo.MonitoringRepository``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from greenport.kernel.time import PeriodKind
from greenport.monitoring.model import (
    Aggregate,
    AggregationFailure,
    DeviceRef,
    Frame,
    IndexKind,
    IndexValue,
    Observation,
    QuarantineEntry,
    SiteRef,
)


class MonitoringRepository(Protocol):
    def device_credentials(self, mn: str) -> DeviceRef | None: ...

    def devices(self, *, site_id: int | None = None) -> list[DeviceRef]: ...

    def devices_by_mn(self, mns: Iterable[str]) -> dict[str, DeviceRef]: ...

    def sites(self, ids: Iterable[int] | None = None) -> dict[int, SiteRef]: ...

    def store(
        self,
        *,
        frames: Sequence[Frame] = (),
        observations: Sequence[Observation] = (),
        quarantine: Sequence[QuarantineEntry] = (),
        dirty: Iterable[tuple[int, datetime]] = (),
    ) -> None: ...

    def observations(
        self,
        *,
        start: datetime,
        end: datetime,
        site_ids: Iterable[int] | None = None,
        device_ids: Iterable[int] | None = None,
        periods: Iterable[PeriodKind] | None = None,
    ) -> list[Observation]: ...

    def count_observations(self, *, device_ids: Iterable[int] | None = None) -> int: ...

    def last_data_time(self, device_id: int) -> datetime | None: ...

    def put_aggregates(
        self, aggregates: Sequence[Aggregate], *, computed_at: datetime | None = None
    ) -> None: ...

    def aggregates(
        self,
        *,
        start: datetime,
        end: datetime,
        period: PeriodKind,
        site_ids: Iterable[int] | None = None,
        parameters: Iterable[str] | None = None,
    ) -> list[Aggregate]: ...

    def put_indices(self, indices: Sequence[IndexValue], *, computed_at: datetime | None = None) -> None: ...

    def indices(
        self,
        *,
        start: datetime,
        end: datetime,
        period: PeriodKind,
        kind: IndexKind,
        site_ids: Iterable[int] | None = None,
    ) -> list[IndexValue]: ...

    def take_dirty(self, *, before: datetime, limit: int = 10000) -> list[tuple[int, datetime]]: ...

    def quarantine(self, *, limit: int = 100, reason: str | None = None) -> list[QuarantineEntry]: ...

    def purge_quarantine(self, *, before: datetime) -> int: ...

    def savepoint(self) -> AbstractContextManager[None]: ...

    def record_aggregation_failure(self, failure: AggregationFailure) -> None: ...

    def clear_aggregation_failures(self, marks: Iterable[tuple[int, datetime]]) -> None: ...

    def aggregation_failures(self, *, limit: int = 100) -> list[AggregationFailure]: ...


class MonitoringReadModels(Protocol):
    """The read models pages and the dashboard draw from (plain values and dicts)."""

    def sites_last_seen(self, site_ids: list[int], *, since: datetime) -> dict[int, datetime]: ...

    def latest_indices(
        self, site_ids: list[int], *, kind: str, period: str, since: datetime
    ) -> dict[int, dict[str, Any]]: ...

    def latest_aggregates(
        self, site_ids: list[int], *, period: str, since: datetime
    ) -> dict[int, dict[str, tuple[datetime, float]]]: ...

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

    def observation_rows(
        self, site_id: int, *, start: datetime, end: datetime, period: str = "raw"
    ) -> list[dict[str, Any]]: ...

    def latest_aggregate_time(
        self, site_ids: list[int], *, period: str, valid_only: bool = False
    ) -> datetime | None: ...


class MonitoringReadsUnitOfWork(Protocol):
    @property
    def monitoring(self) -> MonitoringReadModels: ...


class MonitoringUnitOfWork(Protocol):
    @property
    def monitoring(self) -> MonitoringRepository: ...

    def commit(self) -> None: ...
