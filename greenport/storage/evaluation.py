"""Tables of assessments: indicator values (inputs) and immutable evaluation runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from greenport.storage.base import Base, UTCDateTime


class IndicatorValueRow(Base):
    """One input value: (system, unit kind, unit, period, indicator) -> value, with its source."""

    __tablename__ = "indicator_values"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[str] = mapped_column(String(80))
    unit_kind: Mapped[str] = mapped_column(String(40))
    unit_key: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(20))
    indicator_id: Mapped[str] = mapped_column(String(80))
    value: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint(
            "system_id", "period", "unit_kind", "unit_key", "indicator_id", name="uq_indicator_values_key"
        ),
    )


class EvaluationRunRow(Base):
    """A stored run; never updated (a rerun is a new row)."""

    __tablename__ = "evaluation_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[str] = mapped_column(String(80), index=True)
    system_version: Mapped[str] = mapped_column(String(40))
    version_hash: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(20), index=True)
    unit_kind: Mapped[str] = mapped_column(String(40))
    inputs_json: Mapped[str] = mapped_column(Text)
    method_json: Mapped[str] = mapped_column(Text)
    results_json: Mapped[str] = mapped_column(Text)
    uncertainty_samples: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
