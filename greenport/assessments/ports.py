"""What the assessments service needs from storage (``greenport.storage.evaluation_repo.EvaluationRepository``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from greenport.assessments.model import EvaluationRun, IndicatorValue


class EvaluationRepository(Protocol):
    def put_indicator_values(
        self, values: Sequence[IndicatorValue], *, recorded_at: datetime | None = None
    ) -> int:
        """Insert or replace values on (system, unit kind, unit, period, indicator); returns the count."""
        ...

    def indicator_values(self, system_id: str, period: str) -> list[IndicatorValue]: ...

    def add_run(self, run: EvaluationRun) -> EvaluationRun:
        """Store a new run (never updates an existing one); returns it with its id."""
        ...

    def get_run(self, run_id: int) -> EvaluationRun | None: ...

    def list_runs(self, *, system_id: str | None = None, period: str | None = None) -> list[EvaluationRun]:
        """Runs newest first."""
        ...

    def named_query(self, name: str, period: str) -> dict[str, dict[str, float | None]]:
        """Values of a named query: ``{unit_key: {query_name: value}}`` for the period."""
        ...

    def unit_labels(self, unit_kind: str, unit_keys: Sequence[str]) -> dict[str, str]: ...


class AssessmentsUnitOfWork(Protocol):
    evaluation: EvaluationRepository

    def commit(self) -> None: ...
