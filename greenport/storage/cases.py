"""Tables of cases (工单): the cases, their append-only events, the files attached to events
(stored once by content hash) and the public report form's per-client counters.

A case row is a cache of its events (``greenport.cases.lifecycle.replay`` folds the events back to
its state); every action updates the row ``WHERE version = expected`` and inserts the event with
``(case_id, version)`` unique in the same transaction, so two officers acting on one version
cannot both win and nothing is half-written.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from greenport.storage.base import Base, UTCDateTime


class CaseRow(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(40), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    department: Mapped[str] = mapped_column(String(100), index=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(200))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    division_code: Mapped[str | None] = mapped_column(String(12))
    grid_cell_code: Mapped[str | None] = mapped_column(String(40), index=True)
    town_code: Mapped[str | None] = mapped_column(String(12), index=True)
    site_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: one case per alarm: a second evaluator (or a retried pass) cannot open two
    alarm_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    assignee: Mapped[str | None] = mapped_column(String(80), index=True)
    tracking_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    reporter_contact: Mapped[str | None] = mapped_column(String(200))
    #: who opened it: ``system`` (an alarm), ``citizen`` (a report), an officer's user name (patrol)
    opened_by: Mapped[str] = mapped_column(String(80))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: 0 none, 1 escalated to the town, 2 to the city
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    #: the deadline steps (remind, notice, ...) the timer has taken for the current deadline, "|"-joined
    steps_done: Mapped[str] = mapped_column(String(120), default="")
    #: when a pending extension request stopped the clock (None: running)
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rating: Mapped[int | None] = mapped_column(Integer)


class CaseEventRow(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    from_state: Mapped[str] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")
    #: JSON list of {sha256, size, media_type}
    attachments: Mapped[str] = mapped_column(Text, default="[]")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("case_id", "version", name="uq_case_events_version"),)


class CaseFileRow(Base):
    """A file attached to a case event, stored once by its content (SHA-256, hex)."""

    __tablename__ = "case_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseReportCounterRow(Base):
    """Reports filed by one client (a hash of its address) in one window: the public form's rate limit."""

    __tablename__ = "case_report_counters"

    client_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_case_report_counters_window", "window_start"),)
