"""What the alarms service needs from storage (implemented by
``greenport.storage.alarms_repo.AlarmsRepository``, ``monitoring_repo`` and ``registry_repo``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from greenport.accounts.model import RowScope
from greenport.accounts.ports import ScopeLookups
from greenport.alarms.model import Alarm, AlarmEvent
from greenport.kernel.time import PeriodKind
from greenport.monitoring.model import Aggregate, Frame, IndexKind, IndexValue, Observation
from greenport.notifications.ports import NotificationsUnitOfWork


class AlarmsRepository(Protocol):
    def mark_dirty(self, marks: Iterable[tuple[int, datetime]]) -> None: ...

    def take_dirty(self, *, limit: int = 5000) -> list[tuple[int, datetime]]: ...

    def count_dirty(self) -> int: ...

    def peek_dirty(self, *, limit: int = 5000) -> list[tuple[int, datetime, int]]: ...

    def drop_marks(self, marks: Sequence[tuple[int, int]]) -> None: ...

    def lease_free(self, name: str, *, holder: str, now: datetime) -> bool: ...

    def claim_lease(self, name: str, *, holder: str, now: datetime, until: datetime) -> bool: ...

    def episodes(self, site_ids: Sequence[int], *, ending_after: datetime) -> list[Alarm]: ...

    def checkpoints(self, site_ids: Sequence[int]) -> dict[int, tuple[datetime, int, int]]: ...

    def insert_alarm(self, values: dict[str, Any]) -> int: ...

    def update_alarm(self, alarm_id: int, values: dict[str, Any]) -> None: ...

    def append_events(self, events: Sequence[dict[str, Any]]) -> None: ...

    def flush(self) -> None: ...

    def visible_alarms(
        self,
        scope: RowScope,
        *,
        states: Iterable[str] | None = None,
        site_id: int | None = None,
        severity: str | None = None,
        town_code: str | None = None,
        rule_id: str | None = None,
        family: Iterable[str] | None = None,
        fired_only: bool = True,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[Alarm], int]: ...

    def visible_alarm(self, alarm_id: int, scope: RowScope) -> Alarm | None: ...

    def counts(self, scope: RowScope, *, states: Iterable[str]) -> list[tuple[str, str, str, int]]: ...

    def events(self, alarm_id: int) -> list[AlarmEvent]: ...

    def version(self) -> tuple[int, datetime | None]: ...

    def site_park_codes(self, site_ids: Sequence[int]) -> dict[int, str]: ...

    def site_park_ids(self, site_ids: Sequence[int]) -> dict[int, int]: ...

    def open_site_ids(self, *, rule_id: str, site_ids: Sequence[int]) -> set[int]: ...

    def purge_unfired(self, *, before: datetime) -> int: ...


class MonitoringReads(Protocol):
    def reading_entries(
        self,
        *,
        start: datetime,
        end: datetime,
        site_ids: Iterable[int],
        periods: Iterable[PeriodKind] | None = None,
    ) -> list[tuple[datetime, int, str, datetime, str]]: ...

    def aggregates(
        self,
        *,
        start: datetime,
        end: datetime,
        period: PeriodKind,
        site_ids: Iterable[int] | None = None,
        parameters: Iterable[str] | None = None,
    ) -> list[Aggregate]: ...

    def indices(
        self,
        *,
        start: datetime,
        end: datetime,
        period: PeriodKind,
        kind: IndexKind,
        site_ids: Iterable[int] | None = None,
    ) -> list[IndexValue]: ...

    def sites_last_received(self, site_ids: list[int], *, since: datetime) -> dict[int, datetime]: ...

    def sites_last_seen(self, site_ids: list[int], *, since: datetime) -> dict[int, datetime]: ...


class RegistryReads(ScopeLookups, Protocol):
    def visible_sites(
        self,
        scope: RowScope,
        *,
        kind: str | None = None,
        enterprise_id: int | None = None,
        town_code: str | None = None,
    ) -> list[dict[str, Any]]: ...

    def visible_site(self, site_id: int, scope: RowScope) -> dict[str, Any] | None: ...


class AlarmReadsUnitOfWork(Protocol):
    """What reading alarms needs (pages, dashboards): the alarms repository alone."""

    @property
    def alarms(self) -> AlarmsRepository: ...


class FrameReads(Protocol):
    def observations(
        self,
        *,
        start: datetime,
        end: datetime,
        site_ids: Iterable[int] | None = None,
        device_ids: Iterable[int] | None = None,
        periods: Iterable[PeriodKind] | None = None,
    ) -> list[Observation]: ...

    def frame(self, frame_id: int) -> Frame | None: ...


class AlarmEvidenceUnitOfWork(AlarmReadsUnitOfWork, Protocol):
    """What tracing an alarm to the raw HJ 212 frames behind it needs."""

    @property
    def monitoring(self) -> FrameReads: ...


class AlarmsUnitOfWork(NotificationsUnitOfWork, Protocol):
    @property
    def alarms(self) -> AlarmsRepository: ...

    @property
    def monitoring(self) -> MonitoringReads: ...

    @property
    def registry(self) -> RegistryReads: ...
