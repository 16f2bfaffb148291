"""Tables of online monitoring: received frames, quarantine, observations, aggregates, indices.

Key layout (issue 4): every uniqueness key starts with *time*. New data arrive in time order, so
inserts append to the right edge of the B-tree instead of touching a random leaf per device; on
SQLite (WAL) that is about ten times faster than a device-first key. ``observations`` is a
``WITHOUT ROWID`` table on SQLite (one B-tree, the key) and a table partitioned by month on
PostgreSQL (``PARTITION BY RANGE (data_time)``; partitions live in schema
:data:`PARTITION_SCHEMA`, created by the migration for 2022-2027 and on demand by the repository).
"""

from __future__ import annotations

from datetime import datetime

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
    """One value per (time, device, period kind, parameter); re-sent frames are ignored on this key."""

    __tablename__ = "observations"

    data_time: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    device_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    parameter: Mapped[str] = mapped_column(String(32), primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    flag: Mapped[str] = mapped_column(String(2), default="N")
    zs_value: Mapped[float | None] = mapped_column(Float)
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    cou: Mapped[float | None] = mapped_column(Float)
    frame_id: Mapped[int | None] = mapped_column(BigInteger)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = {  # noqa: RUF012
        "sqlite_with_rowid": False,
        "postgresql_partition_by": "RANGE (data_time)",
    }


class DirtyPeriodRow(Base):
    """A (site, hour) whose aggregates must be (re)computed; written in the same transaction as
    the observations, so a crash never loses a recomputation."""

    __tablename__ = "monitoring_dirty"

    period_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)


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
