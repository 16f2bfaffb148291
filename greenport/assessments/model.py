"""Domain objects of assessments: stored indicator values, immutable evaluation runs, period comparisons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class IndicatorValue:
    """One input value of one unit for one indicator of a system in one period (e.g. ``"2022"``)."""

    system_id: str
    unit_kind: str
    unit_key: str
    period: str
    indicator_id: str
    value: float | None
    source: str = ""


@dataclass(frozen=True)
class EvaluationRun:
    """A stored run: the system's version hash, the inputs, the method and the full result.

    Runs are never recomputed in place: a rerun is a new run with a new id.
    """

    system_id: str
    system_version: str
    version_hash: str
    period: str
    unit_kind: str
    inputs: dict[str, Any]
    method: dict[str, Any]
    results: dict[str, Any]
    created_at: datetime
    uncertainty_samples: int = 0
    note: str = ""
    id: int | None = None

    def unit_rows(self) -> list[dict[str, Any]]:
        """One row per unit: unit, label, total, rank, grade and top-level dimension scores."""
        return list(self.results.get("table", []))


@dataclass(frozen=True)
class UnitChange:
    unit_key: str
    label: str
    total_a: float | None
    total_b: float | None
    delta: float | None
    rank_a: int | None
    rank_b: int | None
    grade_a: str | None
    grade_b: str | None
    dimensions: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class PeriodComparison:
    system_id: str
    period_a: str
    period_b: str
    run_a: int
    run_b: int
    same_version: bool
    units: list[UnitChange]

    def to_dict(self) -> dict[str, Any]:
        return {
            "system_id": self.system_id,
            "period_a": self.period_a,
            "period_b": self.period_b,
            "run_a": self.run_a,
            "run_b": self.run_b,
            "same_version": self.same_version,
            "units": [
                {
                    "unit": u.unit_key,
                    "label": u.label,
                    "total_a": u.total_a,
                    "total_b": u.total_b,
                    "delta": u.delta,
                    "rank_a": u.rank_a,
                    "rank_b": u.rank_b,
                    "grade_a": u.grade_a,
                    "grade_b": u.grade_b,
                    "dimensions": {k: list(v) for k, v in u.dimensions.items()},
                }
                for u in self.units
            ],
        }
