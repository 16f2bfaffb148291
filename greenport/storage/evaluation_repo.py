"""Repository of assessments (``uow.evaluation``): indicator values, immutable runs, named queries."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.orm import Session

from greenport.assessments.model import EvaluationRun, IndicatorValue
from greenport.cases.model import ALL_CASES
from greenport.cases.statistics import CASE_QUERIES, NO_GROUP, CaseStatistics, GroupBy, group_statistics
from greenport.kernel.errors import InvalidInput
from greenport.kernel.time import CHINA_TZ, utcnow
from greenport.storage.base import optional_float
from greenport.storage.cases_repo import CasesRepository
from greenport.storage.evaluation import EvaluationRunRow, IndicatorValueRow
from greenport.storage.registry import DivisionRow, EnterpriseRow, EnterpriseYearRow


def _ratio(numerator: float | None, denominator: float | None, factor: float = 1.0) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator * factor


def _per_mu_indicators(figures: dict[str, float | None]) -> dict[str, float | None]:
    emissions = [figures.get(k) for k in ("cod_t", "nh3_n_t", "so2_t", "nox_t")]
    total_emission = (
        sum(e for e in emissions if e is not None) if any(e is not None for e in emissions) else None
    )
    return {
        "tax_per_mu": _ratio(figures["tax_10k_yuan"], figures["land_area_mu"]),
        "revenue_per_mu": _ratio(figures["revenue_10k_yuan"], figures["land_area_mu"]),
        "value_added_per_mu": _ratio(figures["value_added_10k_yuan"], figures["land_area_mu"]),
        "value_added_per_energy": _ratio(figures["value_added_10k_yuan"], figures["energy_tce"]),
        "value_added_per_emission": _ratio(figures["value_added_10k_yuan"], total_emission),
        "rd_intensity": _ratio(figures["rd_expense_10k_yuan"], figures["revenue_10k_yuan"], 100.0),
        "labour_productivity": _ratio(figures["value_added_10k_yuan"], figures["employees"]),
    }


class EvaluationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._per_mu_cache: dict[int, dict[str, dict[str, float | None]]] = {}
        self._case_cache: dict[tuple[GroupBy, int], dict[str, CaseStatistics]] = {}

    # --- indicator values -------------------------------------------------------------------
    def put_indicator_values(
        self, values: Sequence[IndicatorValue], *, recorded_at: datetime | None = None
    ) -> int:
        if not values:
            return 0
        now = recorded_at or utcnow()
        keys = {(v.system_id, v.period, v.unit_kind, v.unit_key, v.indicator_id) for v in values}
        if len(keys) != len(values):
            raise InvalidInput("the same (unit, indicator) appears twice in one batch", field="values")
        key_columns = tuple_(
            IndicatorValueRow.system_id,
            IndicatorValueRow.period,
            IndicatorValueRow.unit_kind,
            IndicatorValueRow.unit_key,
            IndicatorValueRow.indicator_id,
        )
        key_list = sorted(keys)
        for start in range(0, len(key_list), 500):
            self.session.execute(
                delete(IndicatorValueRow).where(key_columns.in_(key_list[start : start + 500]))
            )
        self.session.execute(
            insert(IndicatorValueRow),
            [
                {
                    "system_id": v.system_id,
                    "unit_kind": v.unit_kind,
                    "unit_key": v.unit_key,
                    "period": v.period,
                    "indicator_id": v.indicator_id,
                    "value": None if v.value is None or math.isnan(v.value) else float(v.value),
                    "source": v.source[:200],
                    "recorded_at": now,
                }
                for v in values
            ],
        )
        return len(values)

    def indicator_values(self, system_id: str, period: str) -> list[IndicatorValue]:
        rows = self.session.scalars(
            select(IndicatorValueRow)
            .where(IndicatorValueRow.system_id == system_id, IndicatorValueRow.period == period)
            .order_by(IndicatorValueRow.unit_key, IndicatorValueRow.indicator_id)
        )
        return [
            IndicatorValue(r.system_id, r.unit_kind, r.unit_key, r.period, r.indicator_id, r.value, r.source)
            for r in rows
        ]

    # --- runs -----------------------------------------------------------------------------------
    @staticmethod
    def _run_from_row(row: EvaluationRunRow) -> EvaluationRun:
        return EvaluationRun(
            id=row.id,
            system_id=row.system_id,
            system_version=row.system_version,
            version_hash=row.version_hash,
            period=row.period,
            unit_kind=row.unit_kind,
            inputs=json.loads(row.inputs_json),
            method=json.loads(row.method_json),
            results=json.loads(row.results_json),
            created_at=row.created_at,
            uncertainty_samples=row.uncertainty_samples,
            note=row.note,
        )

    def add_run(self, run: EvaluationRun) -> EvaluationRun:
        if run.id is not None:
            raise InvalidInput("a stored run is never rewritten; store a new run instead", field="id")
        row = EvaluationRunRow(
            system_id=run.system_id,
            system_version=run.system_version,
            version_hash=run.version_hash,
            period=run.period,
            unit_kind=run.unit_kind,
            inputs_json=json.dumps(run.inputs, ensure_ascii=False, sort_keys=True, allow_nan=False),
            method_json=json.dumps(run.method, ensure_ascii=False, sort_keys=True, allow_nan=False),
            results_json=json.dumps(run.results, ensure_ascii=False, allow_nan=False),
            uncertainty_samples=run.uncertainty_samples,
            note=run.note,
            created_at=run.created_at,
        )
        self.session.add(row)
        self.session.flush()
        return self._run_from_row(row)

    def get_run(self, run_id: int) -> EvaluationRun | None:
        row = self.session.get(EvaluationRunRow, run_id)
        return None if row is None else self._run_from_row(row)

    def list_runs(self, *, system_id: str | None = None, period: str | None = None) -> list[EvaluationRun]:
        query = select(EvaluationRunRow).order_by(EvaluationRunRow.id.desc())
        if system_id is not None:
            query = query.where(EvaluationRunRow.system_id == system_id)
        if period is not None:
            query = query.where(EvaluationRunRow.period == period)
        return [self._run_from_row(row) for row in self.session.scalars(query)]

    # --- named queries --------------------------------------------------------------------------
    def named_query(self, name: str, period: str) -> dict[str, dict[str, float | None]]:
        """Per-mu figures of above-scale enterprises for ``period`` (a year), keyed by credit code;
        or a case figure (:data:`CASE_QUERIES`) per town code or department name."""
        known = sorted([*_per_mu_indicators({k: None for k in _FIELDS}), *CASE_QUERIES])
        if name not in known:
            raise InvalidInput(f"unknown named query {name!r}; known: {', '.join(known)}", field="query")
        try:
            year = int(period)
        except ValueError:
            raise InvalidInput(
                f"named query {name} needs a year as period, got {period!r}", field="period"
            ) from None
        if name in CASE_QUERIES:
            by, figure = CASE_QUERIES[name]
            # A unit with no figure (no case closed, none rated) is left out rather than stored as
            # missing: the assessments refuse a missing value, and the figure is then recorded by hand.
            figures = {key: getattr(stats, figure) for key, stats in self._case_table(by, year).items()}
            return {
                key: {name: value} for key, value in figures.items() if key != NO_GROUP and value is not None
            }
        table = self._per_mu_table(year)
        return {code: {name: figures[name]} for code, figures in table.items()}

    def _case_table(self, by: GroupBy, year: int) -> dict[str, CaseStatistics]:
        """Statistics of the cases opened in ``year`` (Beijing calendar year) per unit
        (:mod:`greenport.cases.statistics`; the rates need no working-day calendar)."""
        if (by, year) not in self._case_cache:
            cases_repo = CasesRepository(self.session)
            since = datetime(year, 1, 1, tzinfo=CHINA_TZ).astimezone(UTC)
            until = datetime(year + 1, 1, 1, tzinfo=CHINA_TZ).astimezone(UTC)
            _, total = cases_repo.visible_cases(ALL_CASES, opened_from=since, opened_until=until, limit=1)
            cohort, _ = cases_repo.visible_cases(
                ALL_CASES, opened_from=since, opened_until=until, limit=max(total, 1)
            )
            reopened = cases_repo.reopened_case_ids([case.id for case in cohort])
            # ``now`` only counts overdue open cases, which no figure here uses: the end of the year
            self._case_cache[(by, year)] = group_statistics(
                cohort, by=by, reopened_ids=reopened, calendar=None, now=until
            )
        return self._case_cache[(by, year)]

    def _per_mu_table(self, year: int) -> dict[str, dict[str, float | None]]:
        """All per-mu figures of above-scale enterprises for a year (computed once per session)."""
        if year not in self._per_mu_cache:
            rows = self.session.execute(
                select(EnterpriseRow.credit_code, EnterpriseRow.land_area_mu, EnterpriseYearRow)
                .join(EnterpriseYearRow, EnterpriseYearRow.enterprise_id == EnterpriseRow.id)
                .where(EnterpriseYearRow.year == year, EnterpriseRow.above_scale.is_(True))
                .order_by(EnterpriseRow.credit_code)
            )
            table: dict[str, dict[str, float | None]] = {}
            for credit_code, land_area_mu, figures in rows:
                fields = {k: optional_float(getattr(figures, k)) for k in _FIELDS if k != "land_area_mu"}
                fields["land_area_mu"] = optional_float(land_area_mu)
                table[credit_code] = _per_mu_indicators(fields)
            self._per_mu_cache[year] = table
        return self._per_mu_cache[year]

    def unit_labels(self, unit_kind: str, unit_keys: Sequence[str]) -> dict[str, str]:
        """Names of towns (division code) and enterprises (credit code); other kinds use the key."""
        keys = list(unit_keys)
        labels = {key: key for key in keys}
        if unit_kind in ("town", "leader"):
            codes = [k.split(":")[0] for k in keys]
            names = dict(
                self.session.execute(
                    select(DivisionRow.code, DivisionRow.name).where(DivisionRow.code.in_(codes))
                ).all()
            )
            for key in keys:
                name = names.get(key.split(":")[0])
                if name:
                    labels[key] = name if unit_kind == "town" else f"{name}党政主要领导"
        elif unit_kind == "enterprise":
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                names = dict(
                    self.session.execute(
                        select(EnterpriseRow.credit_code, EnterpriseRow.name).where(
                            EnterpriseRow.credit_code.in_(chunk)
                        )
                    ).all()
                )
                labels.update({k: v for k, v in names.items() if v})
        return labels


_FIELDS = (
    "tax_10k_yuan",
    "revenue_10k_yuan",
    "value_added_10k_yuan",
    "rd_expense_10k_yuan",
    "energy_tce",
    "employees",
    "cod_t",
    "nh3_n_t",
    "so2_t",
    "nox_t",
    "land_area_mu",
)
