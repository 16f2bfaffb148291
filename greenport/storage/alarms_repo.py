"""The alarms repository (``uow.alarms``): alarms and their events, the (site, hour) marks to
evaluate, the evaluator's lease. Reads for people apply the caller's scope in SQL
(:func:`greenport.storage.registry_repo.scope_sites`); the public sees no alarm."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, false, func, insert, select, update
from sqlalchemy.orm import Session

from greenport.accounts.model import RowScope
from greenport.alarms.model import (
    CITY_KIND,
    CITY_SUBJECT,
    FALSIFIED_DATA_FAMILY,
    FALSIFIED_DATA_KINDS,
    Alarm,
    AlarmEvent,
    AlarmState,
    EventKind,
    RuleKind,
    Severity,
)
from greenport.storage.alarms import AlarmDirtyRow, AlarmEventRow, AlarmLeaseRow, AlarmRow
from greenport.storage.monitoring_repo import cached_time_value
from greenport.storage.registry import EnterpriseRow, ParkRow, SiteRow
from greenport.storage.registry_repo import scope_sites

#: Columns of :class:`AlarmRow` the service writes (everything but the id and the people's fields).
EPISODE_FIELDS = (
    "rule_id",
    "kind",
    "severity",
    "site_id",
    "parameter",
    "state",
    "first_breach_at",
    "last_breach_at",
    "fired_at",
    "resolved_at",
    "peak",
    "peak_at",
    "limit_value",
    "peak_excess",
    "unit",
    "breaches",
    "updated_at",
    "cursor_at",
    "breach_run",
    "clear_run",
)


def _alarm(row: AlarmRow, site: SiteRow | None) -> Alarm:
    kind = RuleKind(row.kind)
    return Alarm(
        id=row.id,
        rule_id=row.rule_id,
        kind=kind,
        severity=Severity(row.severity),
        site_id=row.site_id,
        parameter=row.parameter,
        state=AlarmState(row.state),
        first_breach_at=row.first_breach_at,
        last_breach_at=row.last_breach_at,
        fired_at=row.fired_at,
        resolved_at=row.resolved_at,
        peak=row.peak,
        peak_at=row.peak_at,
        limit=row.limit_value,
        peak_excess=row.peak_excess,
        unit=row.unit,
        breaches=row.breaches,
        updated_at=row.updated_at,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        ack_note=row.ack_note,
        silenced_until=row.silenced_until,
        silenced_by=row.silenced_by,
        silence_reason=row.silence_reason,
        explanation=row.explanation,
        explained_by=row.explained_by,
        explained_at=row.explained_at,
        site_code=site.code if site else ("city" if row.site_id == CITY_SUBJECT else ""),
        site_name=site.name if site else ("全市" if row.site_id == CITY_SUBJECT else ""),
        site_kind=str(site.kind.value) if site else (CITY_KIND if row.site_id == CITY_SUBJECT else ""),
        town_code=site.town_code if site else None,
        enterprise_id=site.enterprise_id if site else None,
        longitude=site.lon if site else None,
        latitude=site.lat if site else None,
        family=FALSIFIED_DATA_FAMILY if kind in FALSIFIED_DATA_KINDS else None,
    )


def _event(row: AlarmEventRow) -> AlarmEvent:
    return AlarmEvent(
        id=row.id,
        alarm_id=row.alarm_id,
        kind=EventKind(row.kind),
        at=row.at,
        recorded_at=row.recorded_at,
        from_state=None if row.from_state is None else AlarmState(row.from_state),
        to_state=None if row.to_state is None else AlarmState(row.to_state),
        actor=row.actor,
        note=row.note,
    )


class AlarmsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    # -- marks and lease ---------------------------------------------------------------------------

    def mark_dirty(self, marks: Iterable[tuple[int, datetime]]) -> None:
        """Mark sites for evaluation from their earliest changed data time (site, instant); a site
        already marked keeps the earlier of the two instants."""
        earliest: dict[int, datetime] = {}
        for site_id, moment in marks:
            if site_id not in earliest or moment < earliest[site_id]:
                earliest[site_id] = moment
        if not earliest:
            return
        convert = cached_time_value(self.dialect)
        rows = [(site_id, convert(moment)) for site_id, moment in sorted(earliest.items())]
        conn = self.session.connection()
        if self.dialect == "postgresql":
            sites, moments = zip(*rows, strict=True)
            conn.exec_driver_sql(
                "INSERT INTO alarm_dirty (site_id, since, version) "
                "SELECT s, t, 1 FROM unnest(%s::int[], %s::timestamptz[]) AS m(s, t) "
                "ON CONFLICT (site_id) DO UPDATE SET since = LEAST(alarm_dirty.since, excluded.since), "
                "version = alarm_dirty.version + 1",
                (list(sites), list(moments)),
            )
        else:  # the stored text instants compare as the instants they are
            conn.exec_driver_sql(
                "INSERT INTO alarm_dirty (site_id, since, version) VALUES (?, ?, 1) "
                "ON CONFLICT (site_id) DO UPDATE SET since = MIN(alarm_dirty.since, excluded.since), "
                "version = alarm_dirty.version + 1",
                rows,
            )

    def take_dirty(self, *, limit: int = 5000) -> list[tuple[int, datetime]]:
        """Remove and return up to ``limit`` marks (site, earliest changed data time), oldest first."""
        d = AlarmDirtyRow
        rows = self.session.execute(select(d.site_id, d.since).order_by(d.since).limit(limit)).all()
        for site_id in sorted(int(site_id) for site_id, _ in rows):  # site order, as the writer locks
            self.session.execute(delete(d).where(d.site_id == site_id))
        return [(int(site_id), since) for site_id, since in rows]

    def peek_dirty(self, *, limit: int = 5000) -> list[tuple[int, datetime, int]]:
        """Up to ``limit`` marks (site, earliest changed data time, version), oldest first, left in
        place (:meth:`drop_marks` removes them once their evaluation is stored)."""
        d = AlarmDirtyRow
        rows = self.session.execute(
            select(d.site_id, d.since, d.version).order_by(d.since).limit(limit)
        ).all()
        return [(int(site_id), since, int(version)) for site_id, since, version in rows]

    def drop_marks(self, marks: Sequence[tuple[int, int]]) -> None:
        """Delete the marks (site, version) still at the version read: a site marked again since
        keeps its mark for the next pass."""
        d = AlarmDirtyRow
        # in site order, the order the ingest writer's upsert locks them in (else the two
        # transactions can each wait for a row the other holds: a deadlock on PostgreSQL)
        for site_id, version in sorted(marks):
            self.session.execute(delete(d).where(d.site_id == site_id, d.version == version))

    def lease_free(self, name: str, *, holder: str, now: datetime) -> bool:
        """Nobody else holds the lease ``name`` at ``now`` (a read: the claim comes with the writes)."""
        row = self.session.get(AlarmLeaseRow, name)
        return row is None or row.holder == holder or row.expires_at < now

    def count_dirty(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(AlarmDirtyRow)) or 0)

    def claim_lease(self, name: str, *, holder: str, now: datetime, until: datetime) -> bool:
        """Take or extend the lease ``name`` for ``holder`` until ``until``; False while another
        holder's lease runs. The row lock (PostgreSQL) or the write lock (SQLite) taken here is held
        to the end of the transaction, so two processes never both evaluate."""
        lease = AlarmLeaseRow
        done = self.session.execute(
            update(lease)
            .where(lease.name == name, (lease.holder == holder) | (lease.expires_at < now))
            .values(holder=holder, expires_at=until)
        )
        if done.rowcount:  # type: ignore[attr-defined]
            return True
        if self.session.get(lease, name) is not None:
            return False
        conn = self.session.connection()
        convert = cached_time_value(self.dialect)
        placeholder = "%s" if self.dialect == "postgresql" else "?"
        inserted = conn.exec_driver_sql(
            f"INSERT INTO alarm_lease (name, holder, expires_at) VALUES ({placeholder}, {placeholder}, "
            f"{placeholder}) ON CONFLICT DO NOTHING",
            (name, holder, convert(until)),
        )
        return bool(inserted.rowcount)

    # -- the evaluator's reads and writes ------------------------------------------------------------

    def episodes(self, site_ids: Sequence[int], *, ending_after: datetime) -> list[Alarm]:
        """Alarms of ``site_ids`` that are open, or were resolved (or invalidated) after
        ``ending_after``, or whose breaches reach it (an invalidated alarm has no resolution; its
        span anchors the run that replaced it): the ones a re-evaluation from then may touch."""
        a = AlarmRow
        query = select(a).where(
            a.site_id.in_(list(site_ids)),
            a.state.in_(["pending", "firing", "recovering"])
            | (a.resolved_at >= ending_after)
            | (a.last_breach_at >= ending_after)
            | (a.first_breach_at >= ending_after),
        )
        return [_alarm(row, None) for row in self.session.scalars(query.order_by(a.id))]

    def checkpoints(self, site_ids: Sequence[int]) -> dict[int, tuple[datetime, int, int]]:
        """(cursor_at, breach_run, clear_run) of the open alarms of ``site_ids``, by alarm id."""
        a = AlarmRow
        rows = self.session.execute(
            select(a.id, a.cursor_at, a.breach_run, a.clear_run).where(
                a.site_id.in_(list(site_ids)), a.state.in_(["pending", "firing", "recovering"])
            )
        )
        return {int(r.id): (r.cursor_at, int(r.breach_run), int(r.clear_run)) for r in rows}

    def insert_alarm(self, values: dict[str, Any]) -> int:
        result = self.session.execute(insert(AlarmRow).values(**values).returning(AlarmRow.id))
        return int(result.scalar_one())

    def update_alarm(self, alarm_id: int, values: dict[str, Any]) -> None:
        self.session.execute(
            update(AlarmRow).where(AlarmRow.id == alarm_id).values(**values),
            execution_options={"synchronize_session": False},  # no ORM objects of alarms are held
        )

    def append_events(self, events: Sequence[dict[str, Any]]) -> None:
        """Append events (append-only: there is no update or delete of an event)."""
        if events:
            self.session.execute(insert(AlarmEventRow), list(events))

    def flush(self) -> None:
        self.session.flush()

    def purge_unfired(self, *, before: datetime) -> int:
        """Delete the alarms that never fired and were resolved before ``before`` (or, invalidated,
        whose last breach is before it), with their events."""
        a = AlarmRow
        doomed = select(a.id).where(
            a.fired_at.is_(None),
            ((a.state == "resolved") & (a.resolved_at < before))
            | ((a.state == "invalidated") & (a.last_breach_at < before)),
        )
        self.session.execute(delete(AlarmEventRow).where(AlarmEventRow.alarm_id.in_(doomed)))
        result = self.session.execute(delete(a).where(a.id.in_(doomed.scalar_subquery())))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def open_site_ids(self, *, rule_id: str, site_ids: Sequence[int]) -> set[int]:
        """The sites among ``site_ids`` with an open alarm of ``rule_id``."""
        a = AlarmRow
        rows = self.session.scalars(
            select(a.site_id).where(
                a.rule_id == rule_id,
                a.site_id.in_(list(site_ids)),
                a.state.in_(["pending", "firing", "recovering"]),
            )
        )
        return {int(site_id) for site_id in rows}

    def open_alarm_ids(
        self, site_ids: Sequence[int], *, rule_ids: Iterable[str]
    ) -> dict[tuple[str, int, str], int]:
        a = AlarmRow
        rows = self.session.execute(
            select(a.id, a.rule_id, a.site_id, a.parameter).where(
                a.site_id.in_(list(site_ids)),
                a.rule_id.in_(list(rule_ids)),
                a.state.in_(["pending", "firing", "recovering"]),
            )
        )
        return {(r.rule_id, int(r.site_id), r.parameter): int(r.id) for r in rows}

    # -- reads for people -------------------------------------------------------------------------

    def _scoped(self, query: Any, scope: RowScope) -> Any:
        """``query`` over alarms narrowed to ``scope``: the alarms of the sites it sees, and the
        city-wide ones (no site row) for a city scope; the public sees no alarm."""
        if scope.disclosed_only:
            return query.join(SiteRow, SiteRow.id == AlarmRow.site_id).where(false())
        if scope.is_city:
            return query.outerjoin(SiteRow, SiteRow.id == AlarmRow.site_id)
        return scope_sites(query.join(SiteRow, SiteRow.id == AlarmRow.site_id), scope)

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
    ) -> tuple[list[Alarm], int]:
        """One page of the alarms ``scope`` may see, newest first, and how many match."""
        a = AlarmRow
        query = self._scoped(select(a, SiteRow), scope)
        if states is not None:
            query = query.where(a.state.in_(list(states)))
        if site_id is not None:
            query = query.where(a.site_id == site_id)
        if severity:
            query = query.where(a.severity == severity)
        if town_code:
            query = query.where(SiteRow.town_code == town_code)
        if rule_id:
            query = query.where(a.rule_id == rule_id)
        if family is not None:
            query = query.where(a.kind.in_(list(family)))
        if fired_only:
            query = query.where(a.fired_at.is_not(None))
        total = self.session.scalar(
            select(func.count()).select_from(query.with_only_columns(a.id).subquery())
        )
        rows = self.session.execute(
            query.order_by(a.first_breach_at.desc(), a.id.desc()).limit(limit).offset(offset)
        )
        return [_alarm(row, site) for row, site in rows], int(total or 0)

    def visible_alarm(self, alarm_id: int, scope: RowScope) -> Alarm | None:
        row = self.session.execute(
            self._scoped(select(AlarmRow, SiteRow), scope).where(AlarmRow.id == alarm_id)
        ).first()
        return None if row is None else _alarm(row[0], row[1])

    def counts(self, scope: RowScope, *, states: Iterable[str]) -> list[tuple[str, str, str, int]]:
        """(severity, town code, kind, count) of the fired alarms in ``states`` that ``scope`` sees."""
        a = AlarmRow
        query = self._scoped(
            select(a.severity, SiteRow.town_code, a.kind, func.count()).where(
                a.state.in_(list(states)), a.fired_at.is_not(None)
            ),
            scope,
        ).group_by(a.severity, SiteRow.town_code, a.kind)
        return [(str(s), t or "", str(k), int(n)) for s, t, k, n in self.session.execute(query)]

    def events(self, alarm_id: int) -> list[AlarmEvent]:
        e = AlarmEventRow
        rows = self.session.scalars(select(e).where(e.alarm_id == alarm_id).order_by(e.id))
        return [_event(row) for row in rows]

    def version(self) -> tuple[int, datetime | None]:
        """(newest event id, newest update of an alarm): moves with every state change, person's
        action and re-evaluation (events are append-only, so the id only grows)."""
        newest_event = self.session.scalar(select(func.max(AlarmEventRow.id)))
        newest_update = self.session.scalar(select(func.max(AlarmRow.updated_at)))
        return int(newest_event or 0), newest_update

    def event_count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(AlarmEventRow)) or 0)

    def site_park_ids(self, site_ids: Sequence[int]) -> dict[int, int]:
        """The park id of each outlet's enterprise (sites outside a park are absent)."""
        rows = self.session.execute(
            select(SiteRow.id, EnterpriseRow.park_id)
            .join(EnterpriseRow, EnterpriseRow.id == SiteRow.enterprise_id)
            .where(SiteRow.id.in_(list(site_ids)), EnterpriseRow.park_id.is_not(None))
        )
        return {int(site_id): int(park_id) for site_id, park_id in rows if park_id is not None}

    def site_park_codes(self, site_ids: Sequence[int]) -> dict[int, str]:
        """The park code of each outlet's enterprise (sites outside a park are absent)."""
        rows = self.session.execute(
            select(SiteRow.id, ParkRow.code)
            .join(EnterpriseRow, EnterpriseRow.id == SiteRow.enterprise_id)
            .join(ParkRow, ParkRow.id == EnterpriseRow.park_id)
            .where(SiteRow.id.in_(list(site_ids)))
        )
        return {int(site_id): str(code) for site_id, code in rows}
