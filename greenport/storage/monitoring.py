"""Tables of online monitoring: received frames, quarantine, observations, aggregates, indices.

Key layout (issue 4): every uniqueness key starts with *time*. New data arrive in time order, so
inserts append to the right edge of the B-tree instead of touching a random leaf per device; on
SQLite (WAL) that is about ten times faster than a device-first key. ``observations`` is a
``WITHOUT ROWID`` table on SQLite (one B-tree, the key) and a table partitioned by month on
PostgreSQL (``PARTITION BY RANGE (data_time)``; partitions live in schema
:data:`PARTITION_SCHEMA`, created by the migration for 2022-2027 and on demand by the repository).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import BigInteger, Boolean, Float, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from greenport.kernel.time import utcnow
from greenport.storage.base import Base, UTCDateTime

#: PostgreSQL schema that holds the monthly partitions of ``observations``.
PARTITION_SCHEMA = "observation_parts"


class FrameRow(Base):
    """Every accepted HJ 212 packet, raw, for audit; observations link to it by ``frame_id``."""

    __tablename__ = "monitoring_frames"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    device_id: Mapped[int | None] = mapped_column(Integer)
    mn: Mapped[str] = mapped_column(String(64))
    cn: Mapped[str] = mapped_column(String(8))
    qn: Mapped[str | None] = mapped_column(String(24))
    peer: Mapped[str | None] = mapped_column(String(64))
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class QuarantineRow(Base):
    """A packet (or connection event) that was refused, with its raw bytes and the reason."""

    __tablename__ = "monitoring_quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    field: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    peer: Mapped[str | None] = mapped_column(String(64))
    mn: Mapped[str | None] = mapped_column(String(64))
    device_id: Mapped[int | None] = mapped_column(Integer)
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class ObservationRow(Base):
    """One *reading*: every value a device reported for one period at one DataTime, in one row.

    Key ``(data_time, device_id, period)``; the values are the JSON object ``measurements``
    (:data:`MEASUREMENT_FIELDS`, written by :func:`pack_measurements`). Storing a reading as one
    row instead of one row per parameter took the database out of ingest's way (issue 4; figures
    in docs/ingest.md): a frame costs the database two rows (this and its audit frame) instead
    of nine. A re-sent frame adds nothing (its parameters are already there); a frame of
    the same key with other parameters (a split packet) is merged in, each added value keeping
    the id of the frame it came from, so the store stays idempotent on time, device, period and
    parameter (:meth:`greenport.storage.monitoring_repo.MonitoringRepository.store_rows`).
    """

    __tablename__ = "observations"

    data_time: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    device_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer)
    frame_id: Mapped[int | None] = mapped_column(BigInteger)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: number of parameters in ``measurements`` (counts without parsing the JSON)
    n_values: Mapped[int] = mapped_column(Integer)
    #: JSON text ``{parameter: [value, flag, zs_value, ... received_at]}`` (:data:`MEASUREMENT_FIELDS`)
    measurements: Mapped[str] = mapped_column(Text)

    __table_args__ = {  # noqa: RUF012
        "sqlite_with_rowid": False,
        "postgresql_partition_by": "RANGE (data_time)",
    }


#: The fields of a measurement entry, in order. Values are in the parameter's canonical unit;
#: ``flag`` is the device flag letter (HJ 212-2017 Table 8, ``N`` when none was sent). The last
#: three say where a value came from when that differs from its reading's row (a value merged in
#: from another frame): ``frame_id`` (``0``: no frame, e.g. a back-fill; frame ids are never 0),
#: ``late`` and ``received_at`` (ISO 8601, UTC); left out (null) when they are the row's.
#: Trailing nulls are left out: ``[12.5, "N"]`` is the usual entry.
MEASUREMENT_FIELDS = (
    "value",
    "flag",
    "zs_value",
    "min_value",
    "max_value",
    "cou",
    "frame_id",
    "late",
    "received_at",
)

#: (frame id, late, reception) of a value or of a reading row.
Origin = tuple[int | None, bool, datetime]


def measurement_entry(
    value: float | None,
    flag: str,
    zs_value: float | None = None,
    min_value: float | None = None,
    max_value: float | None = None,
    cou: float | None = None,
    origin: Origin | None = None,
    row_origin: Origin | None = None,
) -> list[Any]:
    """The JSON array of one parameter (:data:`MEASUREMENT_FIELDS`), trailing nulls left out;
    with the value's ``origin`` where it differs from the ``row_origin`` of its reading."""
    entry: list[Any] = [value, flag, zs_value, min_value, max_value, cou, None, None, None]
    if origin is not None and row_origin is not None and origin != row_origin:
        frame_id, late, received_at = origin
        if frame_id != row_origin[0]:
            entry[6] = 0 if frame_id is None else frame_id
        if late != row_origin[1]:
            entry[7] = late
        if received_at != row_origin[2]:
            entry[8] = received_at.astimezone(UTC).isoformat()
    while len(entry) > 2 and entry[-1] is None:
        entry.pop()
    return entry


#: The measured fields of an entry: value, flag, zs_value, min_value, max_value, cou.
Measured = tuple[Any, Any, Any, Any, Any, Any]


def split_entry(entry: list[Any], row_origin: Origin) -> tuple[Measured, Origin]:
    """An entry's six measured fields (trailing ones ``None`` when left out) and where its value
    came from, in a reading row of ``row_origin`` (the inverse of :func:`measurement_entry`)."""
    measured: Measured = (*entry, None, None, None, None)[:6]  # type: ignore[assignment]
    return measured, (row_origin if len(entry) <= 6 else entry_origin(entry, row_origin))


def entry_origin(entry: list[Any], row_origin: Origin) -> Origin:
    """Where the value of ``entry`` came from, in a reading row of ``row_origin``."""
    frame_id, late, received_at = row_origin
    if len(entry) > 6 and entry[6] is not None:
        frame_id = entry[6] or None
    if len(entry) > 7 and entry[7] is not None:
        late = bool(entry[7])
    if len(entry) > 8 and entry[8] is not None:
        received_at = datetime.fromisoformat(entry[8])
    return frame_id, late, received_at


def pack_measurements(entries: dict[str, list[Any]]) -> str:
    """``{parameter: entry}`` as the JSON text of ``measurements``.

    Raises
    ------
    ValueError
        A value that is not a finite number (JSON has no NaN or infinity; storing ``null`` in
        its place would lose it silently).
    """
    text = orjson.dumps(entries)
    if b"null" in text:  # orjson writes NaN and infinities as null: look closer
        for entry in entries.values():
            for item in entry:
                if type(item) is float and item - item != 0.0:
                    raise ValueError(f"{item!r} is not a finite number")
    return text.decode()


def unpack_measurements(text: str | bytes) -> dict[str, list[Any]]:
    """The ``{parameter: entry}`` of a ``measurements`` JSON text."""
    result: dict[str, list[Any]] = orjson.loads(text)
    return result


class DirtyPeriodRow(Base):
    """A (site, hour) whose aggregates must be (re)computed; written in the same transaction as
    the observations, so a crash never loses a recomputation."""

    __tablename__ = "monitoring_dirty"

    period_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class AggregationFailureRow(Base):
    """A (site, hour) whose aggregation failed, with the error (issue 12): the others carry on."""

    __tablename__ = "monitoring_aggregation_failures"

    period_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    error: Mapped[str] = mapped_column(Text)


class AggregateRow(Base):
    """Hourly and daily means per site and parameter, with the data capture behind them."""

    __tablename__ = "monitoring_aggregates"

    period_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    parameter: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    n_values: Mapped[int] = mapped_column(Integer)
    valid: Mapped[bool] = mapped_column(Boolean)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IndexRow(Base):
    """Derived indices: hourly/daily AQI of an air station, daily class of a water section."""

    __tablename__ = "monitoring_indices"

    period_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
