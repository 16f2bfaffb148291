"""Repository of online monitoring: bulk idempotent writes, reads by time range.

Writes go through the DB-API driver directly (``executemany`` on SQLite, ``COPY`` into a staging
table then ``INSERT ... ON CONFLICT DO NOTHING`` on PostgreSQL): tens of thousands of rows per
group commit, where ORM objects would cost more than the database. Reads use SQLAlchemy Core.
Every key starts with time (see :mod:`greenport.storage.monitoring`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session

from greenport.kernel.time import PeriodKind
from greenport.monitoring.model import (
    Aggregate,
    AggregationFailure,
    DeviceFlag,
    DeviceRef,
    Frame,
    IndexKind,
    IndexValue,
    Observation,
    QuarantineEntry,
    SiteRef,
)
from greenport.storage.monitoring import (
    PARTITION_SCHEMA,
    AggregateRow,
    AggregationFailureRow,
    DirtyPeriodRow,
    FrameRow,
    IndexRow,
    ObservationRow,
    Origin,
    QuarantineRow,
    measurement_entry,
    pack_measurements,
    split_entry,
    unpack_measurements,
)
from greenport.storage.registry import DeviceRow, SiteRow

_OBS_COLUMNS = "data_time, device_id, period, site_id, frame_id, late, received_at, n_values, measurements"
_FRAME_COLUMNS = "id, received_at, device_id, mn, cn, qn, peer, raw"
#: PostgreSQL types of those columns, for the binary COPY of :meth:`MonitoringRepository._copy_into`.
_PG_TYPES = {
    "observations": ("timestamptz", "int4", "varchar", "int4", "int8", "bool", "timestamptz", "int4", "text"),
    "monitoring_frames": ("int8", "timestamptz", "int4", "varchar", "varchar", "varchar", "varchar", "bytea"),
}
#: Column order of the tuples :meth:`MonitoringRepository.store_rows` takes.
OBSERVATION_COLUMNS = tuple(_OBS_COLUMNS.split(", "))
FRAME_COLUMNS = tuple(_FRAME_COLUMNS.split(", "))
_QUARANTINE_COLUMNS = "received_at, reason, field, detail, peer, mn, device_id, raw"

#: (database identity, 'YYYY-MM') of partitions known to exist, per process.
_KNOWN_PARTITIONS: set[tuple[str, str]] = set()


def _partitions_committed(session: Session) -> None:
    _KNOWN_PARTITIONS.update(session.info.pop("greenport_new_partitions", ()))


def _partitions_rolled_back(session: Session) -> None:
    session.info.pop("greenport_new_partitions", None)


#: Widths of the quarantine's text columns [characters] (``None``: unbounded).
_QUARANTINE_WIDTHS: dict[str, int | None] = {
    name: getattr(QuarantineRow.__table__.c[name].type, "length", None)
    for name in ("reason", "field", "detail", "peer", "mn")
}


def _fit(text: str | None, column: str) -> str | None:
    """Text a refused frame claims (its MN, a factor code, a message quoting them) made storable
    in the quarantine column: NUL written as ``\\x00`` (PostgreSQL text cannot hold it) and cut
    to the column's width with a final "…". The raw bytes keep all of it; a row that does not
    fit would fail the whole group commit, and with it the frames of every other connection."""
    if text is None:
        return None
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    width = _QUARANTINE_WIDTHS[column]
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def _sqlite_time(moment: datetime) -> str:
    """SQLAlchemy's SQLite DATETIME text for an aware UTC instant (what UTCDateTime stores):
    ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(" ", "microseconds")[:26]


def _utc_instant(value: Any) -> Any:
    """An instant read by a raw cursor or an untyped SQL expression: SQLite gives the text of
    :func:`_sqlite_time`, turned back into an aware UTC datetime; anything else is returned as is."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if isinstance(value, str) else value


def _same(moment: datetime) -> datetime:
    return moment


def time_value_for(dialect: str) -> Callable[[datetime], Any]:
    """Instant -> driver value of a ``UTCDateTime`` column for ``dialect`` (see :meth:`store_rows`)."""
    return _sqlite_time if dialect == "sqlite" else _same


def cached_time_value(dialect: str, *, size: int = 8192) -> Callable[[datetime], Any]:
    """:func:`time_value_for` with a memo of the last ``size`` or so instants: ingest converts
    the same few (a DataTime shared by every device of a minute, a reception millisecond) tens
    of thousands of times a second, and formatting the SQLite text costs about 3 µs."""
    convert = time_value_for(dialect)
    if convert is _same:
        return convert
    memo: dict[datetime, Any] = {}
    get = memo.get

    def time_value(moment: datetime) -> Any:
        value = get(moment)
        if value is None:
            if len(memo) >= size:
                memo.clear()
            value = memo[moment] = convert(moment)
        return value

    return time_value


def frame_row(f: Frame, time_value: Callable[[datetime], Any]) -> tuple[Any, ...]:
    """A frame as the row tuple of ``monitoring_frames`` (:data:`FRAME_COLUMNS` order)."""
    return (f.id, time_value(f.received_at), f.device_id, f.mn, f.cn, f.qn, f.peer, f.raw)


def reading_rows(
    observations: Iterable[Observation], time_value: Callable[[datetime], Any]
) -> list[tuple[Any, ...]]:
    """Observations as row tuples of ``observations`` (:data:`OBSERVATION_COLUMNS` order): one
    row per reading (time, device, period), instants through the dialect's ``time_value``.

    The first observation of a reading gives the row its frame, lateness and reception time; a
    value whose origin differs keeps its own in its entry (:func:`measurement_entry`); a
    parameter given twice keeps its first value (what the table's key does with a re-sent frame). The ingest hot path
    (``greenport.ingest.pipeline.reading_row``) builds the same row from a decoded frame.

    Raises
    ------
    ValueError
        A value that is not a finite number (see :func:`pack_measurements`).
    """
    readings: dict[tuple[datetime, int, str], tuple[Observation, dict[str, list[Any]]]] = {}
    for o in observations:
        key = (o.data_time, o.device_id, o.period.value)
        found = readings.get(key)
        if found is None:
            found = readings[key] = (o, {})
        first, entries = found
        if o.parameter not in entries:
            entries[o.parameter] = measurement_entry(
                o.value,
                o.flag.value,
                o.zs_value,
                o.min_value,
                o.max_value,
                o.cou,
                (o.frame_id, o.late, o.received_at or o.data_time),
                (first.frame_id, first.late, first.received_at or first.data_time),
            )
    return [
        (
            time_value(first.data_time),
            first.device_id,
            first.period.value,
            first.site_id,
            first.frame_id,
            1 if first.late else 0,
            time_value(first.received_at or first.data_time),
            len(entries),
            pack_measurements(entries),
        )
        for first, entries in readings.values()
    ]


def observations_in(
    data_time: datetime,
    device_id: int,
    period: str,
    site_id: int,
    frame_id: int | None,
    late: bool,
    received_at: datetime,
    measurements: str | bytes,
) -> list[Observation]:
    """The observations of one stored reading, by parameter name (the inverse of :func:`reading_rows`)."""
    kind = PeriodKind(period)
    row_origin = (frame_id, bool(late), received_at)
    out = []
    for parameter, entry in sorted(unpack_measurements(measurements).items()):
        (value, flag, zs, minimum, maximum, cou), origin = split_entry(entry, row_origin)
        out.append(
            Observation(
                data_time,
                device_id,
                site_id,
                kind,
                parameter,
                value,
                DeviceFlag.parse(flag),
                zs,
                minimum,
                maximum,
                cou,
                *origin,
            )
        )
    return out


#: The columns of a stored reading in the order :func:`observations_in` takes them.
READING_COLUMNS = (
    ObservationRow.data_time,
    ObservationRow.device_id,
    ObservationRow.period,
    ObservationRow.site_id,
    ObservationRow.frame_id,
    ObservationRow.late,
    ObservationRow.received_at,
    ObservationRow.measurements,
)


def _in(column: Any, values: Iterable[Any] | None) -> Any:
    return None if values is None else column.in_(list(values))


class MonitoringRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    # -- registry lookups ------------------------------------------------------------------------

    def _device_ref(self, row: DeviceRow) -> DeviceRef:
        return DeviceRef(
            id=row.id,
            mn=row.mn,
            site_id=row.site_id,
            password_hash=row.password_hash,
            crc_variant=str(getattr(row.crc_variant, "value", row.crc_variant)),
            active=row.active,
        )

    def device_credentials(self, mn: str) -> DeviceRef | None:
        """The registered device of an MN as a frame claims it, or ``None``."""
        if "\x00" in mn:  # no registered MN holds NUL, and PostgreSQL refuses it in a query
            return None
        row = self.session.scalars(select(DeviceRow).where(DeviceRow.mn == mn)).one_or_none()
        return None if row is None else self._device_ref(row)

    def devices_by_mn(self, mns: Iterable[str]) -> dict[str, DeviceRef]:
        """The registered devices of these MNs (absent ones are left out)."""
        wanted = sorted({mn for mn in mns if "\x00" not in mn})  # as in device_credentials
        out: dict[str, DeviceRef] = {}
        for start in range(0, len(wanted), 5000):  # well under SQLite's bound-parameter limit
            query = select(DeviceRow).where(DeviceRow.mn.in_(wanted[start : start + 5000]))
            out.update((row.mn, self._device_ref(row)) for row in self.session.scalars(query))
        return out

    def devices(self, *, site_id: int | None = None) -> list[DeviceRef]:
        query = select(DeviceRow).order_by(DeviceRow.mn)
        if site_id is not None:
            query = query.where(DeviceRow.site_id == site_id)
        return [self._device_ref(row) for row in self.session.scalars(query)]

    def sites(self, ids: Iterable[int] | None = None) -> dict[int, SiteRef]:
        query = select(SiteRow)
        if ids is not None:
            query = query.where(SiteRow.id.in_(list(ids)))
        return {
            row.id: SiteRef(
                id=row.id,
                code=row.code,
                kind=str(getattr(row.kind, "value", row.kind)),
                level=str(getattr(row.level, "value", row.level)),
                target_class=row.target_class,
                waterbody=None
                if row.waterbody is None
                else str(getattr(row.waterbody, "value", row.waterbody)),
            )
            for row in self.session.scalars(query)
        }

    # -- bulk writes -----------------------------------------------------------------------------

    def _raw(self) -> Any:
        return self.session.connection().connection.driver_connection

    def _ph(self, n: int) -> str:
        mark = "?" if self.dialect == "sqlite" else "%s"
        return ", ".join([mark] * n)

    def _t(self, moment: datetime | None) -> Any:
        if moment is None:
            return None
        return _sqlite_time(moment) if self.dialect == "sqlite" else moment

    def ensure_partitions(self, moments: Iterable[datetime]) -> None:
        """Create the monthly partitions of ``observations`` that these instants need (PostgreSQL).

        The creation is part of the caller's transaction: a partition is remembered as existing
        only once that transaction commits, so a batch that fails after creating one (and rolls
        it back) does not leave the next batches for that month without a partition.
        """
        if self.dialect != "postgresql":
            return
        identity = str(self.session.get_bind().engine.url)
        months = {(u.year, u.month) for u in (m if m.tzinfo is UTC else m.astimezone(UTC) for m in moments)}
        created: set[tuple[str, str]] = self.session.info.setdefault("greenport_new_partitions", set())
        for year, month in sorted(months):
            key = (identity, f"{year:04d}-{month:02d}")
            if key in _KNOWN_PARTITIONS or key in created:
                continue
            end_year, end_month = (year + 1, 1) if month == 12 else (year, month + 1)
            self.session.connection().exec_driver_sql(
                f"CREATE TABLE IF NOT EXISTS {PARTITION_SCHEMA}.readings_y{year:04d}m{month:02d} "
                f"PARTITION OF observations FOR VALUES FROM ('{year:04d}-{month:02d}-01 00:00:00+00') "
                f"TO ('{end_year:04d}-{end_month:02d}-01 00:00:00+00')"
            )
            if not event.contains(self.session, "after_commit", _partitions_committed):
                event.listen(self.session, "after_commit", _partitions_committed)
                event.listen(self.session, "after_rollback", _partitions_rolled_back)
            created.add(key)

    def store(
        self,
        *,
        frames: Sequence[Frame] = (),
        observations: Sequence[Observation] = (),
        quarantine: Sequence[QuarantineEntry] = (),
        dirty: Iterable[tuple[int, datetime]] = (),
    ) -> None:
        """Write a batch in the current transaction; values already stored are left alone
        (idempotent on time, device, period, parameter; see :meth:`store_rows`)."""
        t = cached_time_value(self.dialect)
        self.store_rows(
            frames=[frame_row(f, t) for f in frames],
            observations=reading_rows(observations, t),
            quarantine=quarantine,
            dirty=dirty,
        )

    def store_rows(
        self,
        *,
        frames: Sequence[tuple[Any, ...]] = (),
        observations: Sequence[tuple[Any, ...]] = (),
        quarantine: Sequence[QuarantineEntry] = (),
        dirty: Iterable[tuple[int, datetime]] = (),
    ) -> None:
        """The bulk path of ingest: rows as plain tuples in table column order
        (:data:`FRAME_COLUMNS`, :data:`OBSERVATION_COLUMNS`: one row per reading), instants
        already converted with :func:`time_value_for` (or :func:`cached_time_value`).

        Readings are inserted with ``ON CONFLICT DO NOTHING`` on the time-first key. When fewer
        rows went in than were given (a re-sent frame, or a frame whose key is already stored
        with other parameters), :meth:`_merge_readings` adds the parameters the stored reading
        lacks; values already stored are never changed, so a re-sent frame is stored once."""
        conn = self.session.connection()
        convert = cached_time_value(self.dialect)  # a batch marks the same few hours many times
        if frames:
            if self.dialect == "postgresql":
                self._copy_into("monitoring_frames", _FRAME_COLUMNS, frames)
            else:
                conn.exec_driver_sql(
                    f"INSERT INTO monitoring_frames ({_FRAME_COLUMNS}) VALUES ({self._ph(8)}) ON CONFLICT DO NOTHING",
                    list(frames),
                )
        if quarantine:
            conn.exec_driver_sql(
                f"INSERT INTO monitoring_quarantine ({_QUARANTINE_COLUMNS}) VALUES ({self._ph(8)})",
                [
                    (
                        convert(q.received_at),
                        _fit(q.reason, "reason"),
                        _fit(q.field, "field"),
                        _fit(q.detail, "detail"),
                        _fit(q.peer, "peer"),
                        _fit(q.mn, "mn"),
                        q.device_id,
                        q.raw,
                    )
                    for q in quarantine
                ],
            )
        if observations:
            if self.dialect == "postgresql":
                self.ensure_partitions({row[0] for row in observations})
                inserted = self._copy_into("observations", _OBS_COLUMNS, observations)
            else:
                with closing(self._raw().cursor()) as cur:
                    cur.executemany(
                        f"INSERT INTO observations ({_OBS_COLUMNS}) VALUES ({self._ph(9)}) ON CONFLICT DO NOTHING",
                        observations,
                    )
                    inserted = cur.rowcount
            if inserted != len(observations):
                self._merge_readings(observations)
        dirty_rows = sorted({(convert(hour), site_id) for site_id, hour in dirty})
        if dirty_rows and self.dialect == "postgresql":  # one statement, not one per row
            hours, sites = zip(*dirty_rows, strict=True)
            with self._raw().cursor() as cur:
                cur.execute(
                    "INSERT INTO monitoring_dirty (period_start, site_id) "
                    "SELECT * FROM unnest(%s::timestamptz[], %s::int[]) ON CONFLICT DO NOTHING",
                    (list(hours), list(sites)),
                )
        elif dirty_rows:
            conn.exec_driver_sql(
                f"INSERT INTO monitoring_dirty (period_start, site_id) VALUES ({self._ph(2)}) "
                "ON CONFLICT DO NOTHING",
                dirty_rows,
            )

    def _merge_readings(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Merge readings whose key was already stored: parameters the stored reading lacks are
        added (each with its own frame, lateness and reception where they differ from the stored
        row's), those it has are left as they are. The rare path of :meth:`store_rows` (re-sent
        or split frames), in the same transaction."""

        def origin(frame_id: Any, late: Any, received_at: Any) -> Origin:
            return frame_id, bool(late), _utc_instant(received_at)

        class Stored:
            def __init__(self, text: str, row_origin: Origin) -> None:
                self.text, self.origin = text, row_origin
                self.entries = unpack_measurements(text)
                self.changed = False

        stored: dict[tuple[Any, Any, Any], Stored] = {}
        mark = "?" if self.dialect == "sqlite" else "%s"
        keys = list(dict.fromkeys((row[0], row[1], row[2]) for row in rows))
        with closing(self._raw().cursor()) as cur:
            for chunk in range(0, len(keys), 300):
                part = keys[chunk : chunk + 300]
                cur.execute(
                    "SELECT data_time, device_id, period, frame_id, late, received_at, measurements "
                    "FROM observations WHERE (data_time, device_id, period) IN "
                    f"(VALUES {', '.join([f'({mark}, {mark}, {mark})'] * len(part))})",
                    [item for key in part for item in key],
                )
                for data_time, device_id, period, frame_id, late, received_at, text in cur.fetchall():
                    stored[(data_time, device_id, period)] = Stored(text, origin(frame_id, late, received_at))
            for row in rows:
                found = stored.get((row[0], row[1], row[2]))
                if found is None or row[8] == found.text:
                    continue  # the row that went in, or the same values again
                row_origin = origin(row[4], row[5], row[6])
                for parameter, entry in unpack_measurements(row[8]).items():
                    if parameter not in found.entries:
                        measured, value_origin = split_entry(entry, row_origin)
                        found.entries[parameter] = measurement_entry(*measured, value_origin, found.origin)
                        found.changed = True
            changed = [
                (len(reading.entries), pack_measurements(reading.entries), *key)
                for key, reading in stored.items()
                if reading.changed
            ]
            if changed:
                cur.executemany(
                    f"UPDATE observations SET n_values = {mark}, measurements = {mark} "
                    f"WHERE data_time = {mark} AND device_id = {mark} AND period = {mark}",
                    changed,
                )

    def _copy_into(self, table: str, columns: str, rows: Sequence[tuple[Any, ...]]) -> int:
        """PostgreSQL bulk path: COPY into a temporary staging table, then insert what is new;
        returns the number of rows inserted."""
        with self._raw().cursor() as cur:
            cur.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {table}_stage (LIKE {table} INCLUDING DEFAULTS) "
                "ON COMMIT DELETE ROWS"
            )
            with cur.copy(f"COPY {table}_stage ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(list(_PG_TYPES[table]))  # binary: no text formatting of times and floats
                write = copy.write_row
                for row in rows:
                    write(row)
            cur.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}_stage ON CONFLICT DO NOTHING"
            )
            inserted = cur.rowcount
            cur.execute(f"DELETE FROM {table}_stage")
        return inserted

    # -- reads -----------------------------------------------------------------------------------

    def observations(
        self,
        *,
        start: datetime,
        end: datetime,
        site_ids: Iterable[int] | None = None,
        device_ids: Iterable[int] | None = None,
        periods: Iterable[PeriodKind] | None = None,
    ) -> list[Observation]:
        o = ObservationRow
        query = select(*READING_COLUMNS).where(o.data_time >= start, o.data_time < end)
        for clause in (
            _in(o.site_id, site_ids),
            _in(o.device_id, device_ids),
            _in(o.period, None if periods is None else [p.value for p in periods]),
        ):
            if clause is not None:
                query = query.where(clause)
        query = query.order_by(o.data_time, o.device_id, o.period)
        out: list[Observation] = []
        for row in self.session.execute(query):
            out.extend(observations_in(*row))
        return out

    def reading_entries(
        self,
        *,
        start: datetime,
        end: datetime,
        site_ids: Iterable[int],
        periods: Iterable[PeriodKind] | None = None,
    ) -> list[tuple[datetime, int, str, datetime, str]]:
        """(data time, site, period, reception, measurements JSON text) of the readings of
        ``site_ids`` with data times in [start, end), in time order: the compact read of the alarm
        rules, which parse only the readings they judge (entries as :data:`MEASUREMENT_FIELDS`)."""
        o = ObservationRow
        query = select(o.data_time, o.site_id, o.period, o.received_at, o.measurements).where(
            o.data_time >= start, o.data_time < end, o.site_id.in_(list(site_ids))
        )
        if periods is not None:
            query = query.where(o.period.in_([p.value for p in periods]))
        return [
            (t, int(site), str(period), received, text)
            for t, site, period, received, text in self.session.execute(query.order_by(o.data_time))
        ]

    def sites_last_received(self, site_ids: list[int], *, since: datetime) -> dict[int, datetime]:
        """Newest reception per site of the readings with data times since ``since``."""
        return self._newest_per_site(ObservationRow.received_at, site_ids, since=since)

    def count_observations(self, *, device_ids: Iterable[int] | None = None) -> int:
        """Stored values (one per time, device, period and parameter)."""
        query = select(func.coalesce(func.sum(ObservationRow.n_values), 0))
        if device_ids is not None:
            query = query.where(ObservationRow.device_id.in_(list(device_ids)))
        return int(self.session.execute(query).scalar_one())

    def last_data_time(self, device_id: int) -> datetime | None:
        value = self.session.execute(
            select(func.max(ObservationRow.data_time)).where(ObservationRow.device_id == device_id)
        ).scalar_one()
        return _utc_instant(value)  # SQLite max() of a text column bypasses the type

    def frame(self, frame_id: int) -> Frame | None:
        row = self.session.get(FrameRow, frame_id)
        if row is None:
            return None
        return Frame(row.id, row.received_at, row.mn, row.cn, row.raw, row.device_id, row.qn, row.peer)

    def count_frames(self) -> int:
        return int(self.session.execute(select(func.count()).select_from(FrameRow)).scalar_one())

    # -- aggregates and indices ------------------------------------------------------------------

    def _upsert(
        self, table: str, keys: tuple[str, ...], columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        names = keys + columns
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns)
        self.session.connection().exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({self._ph(len(names))}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}",
            rows,
        )

    def put_aggregates(self, aggregates: Sequence[Aggregate], *, computed_at: datetime | None = None) -> None:
        now = self._t(computed_at or datetime.now(UTC))
        self._upsert(
            "monitoring_aggregates",
            ("period_start", "site_id", "period", "parameter"),
            ("value", "n_values", "valid", "computed_at"),
            [
                (
                    self._t(a.period_start),
                    a.site_id,
                    a.period.value,
                    a.parameter,
                    a.value,
                    a.n_values,
                    a.valid,
                    now,
                )
                for a in aggregates
            ],
        )

    def aggregates(
        self,
        *,
        start: datetime,
        end: datetime,
        period: PeriodKind,
        site_ids: Iterable[int] | None = None,
        parameters: Iterable[str] | None = None,
    ) -> list[Aggregate]:
        a = AggregateRow
        query = select(*AggregateRow.__table__.columns).where(
            a.period_start >= start, a.period_start < end, a.period == period.value
        )
        for clause in (_in(a.site_id, site_ids), _in(a.parameter, parameters)):
            if clause is not None:
                query = query.where(clause)
        query = query.order_by(a.period_start, a.site_id, a.parameter)
        return [
            Aggregate(
                r.period_start,
                r.site_id,
                PeriodKind(r.period),
                r.parameter,
                r.value,
                r.n_values,
                bool(r.valid),
            )
            for r in self.session.execute(query)
        ]

    def put_indices(self, indices: Sequence[IndexValue], *, computed_at: datetime | None = None) -> None:
        now = self._t(computed_at or datetime.now(UTC))
        self._upsert(
            "monitoring_indices",
            ("period_start", "site_id", "period", "kind"),
            ("value", "label", "detail", "computed_at"),
            [
                (
                    self._t(i.period_start),
                    i.site_id,
                    i.period.value,
                    i.kind.value,
                    i.value,
                    i.label,
                    i.detail,
                    now,
                )
                for i in indices
            ],
        )

    def indices(
        self,
        *,
        start: datetime,
        end: datetime,
        period: PeriodKind,
        kind: IndexKind,
        site_ids: Iterable[int] | None = None,
    ) -> list[IndexValue]:
        i = IndexRow
        query = select(i).where(
            i.period_start >= start, i.period_start < end, i.period == period.value, i.kind == kind.value
        )
        if site_ids is not None:
            query = query.where(i.site_id.in_(list(site_ids)))
        query = query.order_by(i.period_start, i.site_id)
        return [
            IndexValue(
                r.period_start, r.site_id, PeriodKind(r.period), IndexKind(r.kind), r.value, r.label, r.detail
            )
            for r in self.session.scalars(query)
        ]

    def take_dirty(self, *, before: datetime, limit: int = 10000) -> list[tuple[int, datetime]]:
        """Remove and return up to ``limit`` dirty (site, hour) marks of hours starting before ``before``."""
        d = DirtyPeriodRow
        rows = self.session.execute(
            select(d.site_id, d.period_start)
            .where(d.period_start < before)
            .order_by(d.period_start)
            .limit(limit)
        ).all()
        if not rows:
            return []
        for site_id, start in rows:
            self.session.execute(delete(d).where(d.site_id == site_id, d.period_start == start))
        return [(site_id, start) for site_id, start in rows]

    def purge_quarantine(self, *, before: datetime) -> int:
        """Delete the quarantine entries received before ``before``; the number deleted."""
        q = QuarantineRow
        result = self.session.execute(delete(q).where(q.received_at < before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Writes in the block are undone, alone, when it raises (a SAVEPOINT)."""
        with self.session.begin_nested():
            yield

    def record_aggregation_failure(self, failure: AggregationFailure) -> None:
        self._upsert(
            "monitoring_aggregation_failures",
            ("period_start", "site_id"),
            ("failed_at", "error"),
            [(self._t(failure.period_start), failure.site_id, self._t(failure.failed_at), failure.error)],
        )

    def clear_aggregation_failures(self, marks: Iterable[tuple[int, datetime]]) -> None:
        f = AggregationFailureRow
        for site_id, hour in marks:
            self.session.execute(delete(f).where(f.site_id == site_id, f.period_start == hour))

    def aggregation_failures(self, *, limit: int = 100) -> list[AggregationFailure]:
        f = AggregationFailureRow
        query = select(f).order_by(f.failed_at.desc(), f.site_id, f.period_start).limit(limit)
        return [
            AggregationFailure(r.site_id, r.period_start, r.failed_at, r.error)
            for r in self.session.scalars(query)
        ]

    def quarantine(self, *, limit: int = 100, reason: str | None = None) -> list[QuarantineEntry]:
        q = QuarantineRow
        query = select(q).order_by(q.id.desc()).limit(limit)
        if reason is not None:
            query = query.where(q.reason == reason)
        return [
            QuarantineEntry(
                received_at=r.received_at,
                reason=r.reason,
                raw=r.raw,
                peer=r.peer,
                mn=r.mn,
                device_id=r.device_id,
                field=r.field,
                detail=r.detail,
                id=r.id,
            )
            for r in self.session.scalars(query)
        ]

    # --- read models for pages and reports (plain dicts) ------------------------------------------

    def sites_last_seen(self, site_ids: list[int], *, since: datetime) -> dict[int, datetime]:
        """Newest observation time per site since ``since`` (sites with none are absent)."""
        return self._newest_per_site(ObservationRow.data_time, site_ids, since=since)

    def _newest_per_site(self, column: Any, site_ids: list[int], *, since: datetime) -> dict[int, datetime]:
        """max(``column``) per site over the readings with data times since ``since``."""
        if not site_ids:
            return {}
        query = (
            select(ObservationRow.site_id, func.max(column))
            .where(ObservationRow.data_time >= since, ObservationRow.site_id.in_(site_ids))
            .group_by(ObservationRow.site_id)
        )
        out: dict[int, datetime] = {}
        for site_id, moment in self.session.execute(query):
            if moment is not None:
                if isinstance(moment, str):  # SQLite max() of a text column bypasses the type
                    moment = datetime.fromisoformat(moment)
                out[int(site_id)] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return out

    def data_version(self) -> tuple[Any, ...]:
        """A cheap marker that moves when monitoring data arrive: the newest frame id,
        observation time and index period (each read from the head of a primary key)."""
        return (
            self.session.scalar(select(func.max(FrameRow.id))),
            self.session.scalar(select(func.max(ObservationRow.data_time))),
            self.session.scalar(select(func.max(IndexRow.period_start))),
        )

    def latest_aggregate_time(
        self, site_ids: list[int], *, period: str, valid_only: bool = False
    ) -> datetime | None:
        """Start of the newest stored aggregate of ``period`` among ``site_ids`` (with
        ``valid_only``, of the newest one marked valid: an incomplete hour does not count)."""
        if not site_ids:
            return None
        query = (
            select(AggregateRow.period_start)
            .where(AggregateRow.period == period, AggregateRow.site_id.in_(site_ids))
            .order_by(AggregateRow.period_start.desc())
            .limit(1)
        )
        if valid_only:
            query = query.where(AggregateRow.valid.is_(True), AggregateRow.value.is_not(None))
        return self.session.scalar(query)

    def latest_indices(
        self, site_ids: list[int], *, kind: str, period: str, since: datetime
    ) -> dict[int, dict[str, Any]]:
        """Newest index (AQI or water class) per site since ``since``."""
        if not site_ids:
            return {}
        newest = (
            select(IndexRow.site_id, func.max(IndexRow.period_start).label("t"))
            .where(
                IndexRow.kind == kind,
                IndexRow.period == period,
                IndexRow.period_start >= since,
                IndexRow.site_id.in_(site_ids),
            )
            .group_by(IndexRow.site_id)
            .subquery()
        )
        query = select(IndexRow).join(
            newest,
            (IndexRow.site_id == newest.c.site_id)
            & (IndexRow.period_start == newest.c.t)
            & (IndexRow.kind == kind)
            & (IndexRow.period == period),
        )
        return {row.site_id: _index_dict(row) for row in self.session.scalars(query)}

    def index_rows(
        self, site_ids: list[int], *, kind: str, period: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:

        if not site_ids:
            return []
        query = (
            select(IndexRow)
            .where(
                IndexRow.kind == kind,
                IndexRow.period == period,
                IndexRow.period_start >= start,
                IndexRow.period_start < end,
                IndexRow.site_id.in_(site_ids),
            )
            .order_by(IndexRow.period_start, IndexRow.site_id)
        )
        return [_index_dict(row) for row in self.session.scalars(query)]

    def aggregate_values(
        self,
        site_ids: list[int],
        *,
        period: str,
        start: datetime,
        end: datetime,
        parameters: list[str] | None = None,
        valid_only: bool = True,
    ) -> list[tuple[datetime, int, str, float]]:
        """(period start, site id, parameter, value) of stored aggregates in [start, end)."""
        if not site_ids:
            return []
        query = select(
            AggregateRow.period_start, AggregateRow.site_id, AggregateRow.parameter, AggregateRow.value
        ).where(
            AggregateRow.period == period,
            AggregateRow.period_start >= start,
            AggregateRow.period_start < end,
            AggregateRow.site_id.in_(site_ids),
            AggregateRow.value.is_not(None),
        )
        if valid_only:
            query = query.where(AggregateRow.valid.is_(True))
        if parameters:
            query = query.where(AggregateRow.parameter.in_(parameters))
        return [
            (t, int(s), str(p), float(v))
            for t, s, p, v in self.session.execute(query.order_by(AggregateRow.period_start))
            if v is not None
        ]

    def latest_aggregates(
        self, site_ids: list[int], *, period: str, since: datetime
    ) -> dict[int, dict[str, tuple[datetime, float]]]:
        """Per site and parameter, the newest valid aggregate of ``period`` since ``since``:
        {site id: {parameter: (period start, value)}}."""
        if not site_ids:
            return {}
        where = (
            AggregateRow.period == period,
            AggregateRow.period_start >= since,
            AggregateRow.site_id.in_(site_ids),
            AggregateRow.valid.is_(True),
            AggregateRow.value.is_not(None),
        )
        newest = (
            select(
                AggregateRow.site_id.label("site_id"),
                AggregateRow.parameter.label("parameter"),
                func.max(AggregateRow.period_start).label("period_start"),
            )
            .where(*where)
            .group_by(AggregateRow.site_id, AggregateRow.parameter)
            .subquery()
        )
        query = (
            select(
                AggregateRow.site_id, AggregateRow.parameter, AggregateRow.period_start, AggregateRow.value
            )
            .join(
                newest,
                (AggregateRow.site_id == newest.c.site_id)
                & (AggregateRow.parameter == newest.c.parameter)
                & (AggregateRow.period_start == newest.c.period_start),
            )
            .where(AggregateRow.period == period)
        )
        out: dict[int, dict[str, tuple[datetime, float]]] = {}
        for site_id, parameter, start, value in self.session.execute(query):
            if value is not None:
                out.setdefault(int(site_id), {})[str(parameter)] = (start, float(value))
        return out

    def observation_rows(
        self, site_id: int, *, start: datetime, end: datetime, period: str = "raw"
    ) -> list[dict[str, Any]]:
        """Stored observations of one site (oldest first, at most 20,000), with their device flags."""
        o = ObservationRow
        query = (
            select(*READING_COLUMNS)
            .where(o.data_time >= start, o.data_time < end, o.site_id == site_id, o.period == period)
            .order_by(o.data_time, o.device_id)
        )
        out: list[dict[str, Any]] = []
        for row in self.session.execute(query):
            for obs in observations_in(*row):
                out.append(
                    {
                        "time": obs.data_time.isoformat(),
                        "parameter": obs.parameter,
                        "value": obs.value,
                        "flag": obs.flag.value,
                        "device_id": obs.device_id,
                        "late": obs.late,
                    }
                )
            if len(out) >= 20000:
                return out[:20000]
        return out


def _index_dict(row: Any) -> dict[str, Any]:
    return {
        "period_start": row.period_start,
        "site_id": row.site_id,
        "period": row.period,
        "kind": row.kind,
        "value": row.value,
        "label": row.label,
        "detail": json.loads(row.detail) if row.detail else {},
    }
