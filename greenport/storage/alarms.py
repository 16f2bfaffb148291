"""Tables of alarms: the alarms (one row per episode of a rule at a site and parameter), their
append-only events, the (site, hour) marks still to evaluate and the evaluator's lease.

One open alarm per rule, site and parameter is a partial unique index (``state`` pending, firing
or recovering), so two processes can never both open one; an episode is identified by its rule,
site, parameter and first breach.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from greenport.storage.base import Base, UTCDateTime

#: The states of an open alarm (``greenport.alarms.model.OPEN_STATES``), as the partial index names them.
OPEN_STATE_SQL = "state IN ('pending', 'firing', 'recovering')"


class AlarmRow(Base):
    __tablename__ = "alarms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    site_id: Mapped[int] = mapped_column(Integer, index=True)
    parameter: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True)
    first_breach_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_breach_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    peak: Mapped[float | None] = mapped_column(Float)
    peak_at: Mapped[datetime] = mapped_column(UTCDateTime())
    limit_value: Mapped[float | None] = mapped_column(Float)
    #: how far the peak is past its rule, in the kind's own measure (Episode.peak_excess): what a
    #: continued alarm's new points are compared with to keep the peak (NULL before alarms_0002)
    peak_excess: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    breaches: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: the lifecycle's checkpoint after the newest folded point (greenport.alarms.model.Checkpoint)
    cursor_at: Mapped[datetime] = mapped_column(UTCDateTime())
    breach_run: Mapped[int] = mapped_column(Integer)
    clear_run: Mapped[int] = mapped_column(Integer)
    acknowledged_by: Mapped[str | None] = mapped_column(String(80))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ack_note: Mapped[str | None] = mapped_column(Text)
    silenced_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    silenced_by: Mapped[str | None] = mapped_column(String(80))
    silence_reason: Mapped[str | None] = mapped_column(Text)
    explanation: Mapped[str | None] = mapped_column(Text)
    explained_by: Mapped[str | None] = mapped_column(String(80))
    explained_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("rule_id", "site_id", "parameter", "first_breach_at", name="uq_alarms_episode"),
        Index(
            "uq_alarms_one_open",
            "rule_id",
            "site_id",
            "parameter",
            unique=True,
            sqlite_where=text(OPEN_STATE_SQL),
            postgresql_where=text(OPEN_STATE_SQL),
        ),
    )


class AlarmEventRow(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "alarm_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)


class AlarmDirtyRow(Base):
    """A site whose data changed since the rules last saw it, and the earliest data time that
    changed (``since``); written in the same transaction as the observations (or the recomputed
    aggregates), so no change is missed. One row per site: a later mark keeps the earlier time."""

    __tablename__ = "alarm_dirty"

    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    #: bumped by every mark: an evaluator that read version v deletes the row only if it is still v
    version: Mapped[int] = mapped_column(Integer, default=1)


class AlarmLeaseRow(Base):
    """Which process evaluates the rules until when: one evaluator at a time across processes."""

    __tablename__ = "alarm_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
