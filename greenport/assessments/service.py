"""Use cases: record indicator values, run a system for a period over stored data, compare two periods.

Runs are immutable: :func:`run_assessment` always adds a new run holding the system's version hash, the
inputs it used (values, labels, groups), the method and the full result (``EvaluationResult.to_dict()`` plus
a per-unit table). A rerun after a correction is a new run; nothing is recomputed in place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from greenport.assessments.explain import SYSTEM_SNAPSHOT_KEY, explain_unit, stored_system, system_snapshot
from greenport.assessments.model import EvaluationRun, IndicatorValue, PeriodComparison, UnitChange
from greenport.assessments.ports import AssessmentsUnitOfWork
from greenport.evaluation import EvaluationResult, System, evaluate
from greenport.kernel.errors import InvalidInput, NotFound, PermissionDenied
from greenport.kernel.fields import cell_number
from greenport.kernel.time import ensure_utc, utcnow
from greenport.systems import get_system

MAX_PERIOD_LENGTH = 20


def _period(period: str) -> str:
    text = str(period).strip()
    if not text or len(text) > MAX_PERIOD_LENGTH:
        raise InvalidInput(f"period must be 1-{MAX_PERIOD_LENGTH} characters (e.g. 2022)", field="period")
    return text


def _number(value: Any, unit: str, indicator: str) -> float | None:
    try:
        return cell_number(value, booleans=True)
    except ValueError as exc:
        problem = "is infinite" if str(exc) == "infinite" else f"= {value!r} is not a number"
        raise InvalidInput(f"unit {unit!r}: {indicator} {problem}", column=indicator) from None


def record_values(
    uow: AssessmentsUnitOfWork,
    *,
    system_id: str,
    period: str,
    values: Mapping[str, Mapping[str, Any]],
    source: str = "",
    system: System | None = None,
    recorded_at: datetime | None = None,
) -> int:
    """Store ``{unit_key: {indicator_id: value}}`` for a shipped system and period (replacing old values).

    Every id must belong to the system (scored or adjustment item, or a raw variable a ratio indicator is
    computed from); unknown ids are refused before anything is written. Returns the number of values stored.
    """
    system = system or get_system(system_id)
    period = _period(period)
    known = {item.id for item in system.all_items} | set(system.variables)
    batch: list[IndicatorValue] = []
    for unit, row in values.items():
        for indicator, value in row.items():
            if indicator not in known:
                raise InvalidInput(
                    f"{indicator!r} is not an indicator of {system.id}", column=indicator, unit=str(unit)
                )
            batch.append(
                IndicatorValue(
                    system.id,
                    system.unit_kind,
                    str(unit),
                    period,
                    indicator,
                    _number(value, str(unit), indicator),
                    source,
                )
            )
    return uow.evaluation.put_indicator_values(batch, recorded_at=recorded_at)


def fill_named_queries(
    uow: AssessmentsUnitOfWork, *, system_id: str, period: str, recorded_at: datetime | None = None
) -> int:
    """Store the values of the system's named-query indicators (e.g. per-mu figures from ``enterprise_years``)."""
    system = get_system(system_id)
    period = _period(period)
    values: dict[str, dict[str, Any]] = {}
    for item in system.all_items:
        if item.query is None:
            continue
        for unit, row in uow.evaluation.named_query(item.query, period).items():
            values.setdefault(unit, {})[item.id] = row.get(item.query)
    if not values:
        return 0
    return record_values(
        uow,
        system_id=system_id,
        period=period,
        values=values,
        source="query",
        system=system,
        recorded_at=recorded_at,
    )


def stored_data(uow: AssessmentsUnitOfWork, *, system: System, period: str) -> dict[str, dict[str, Any]]:
    """``{unit_key: {data_key: value}}`` of the stored values, ready for :func:`greenport.evaluation.evaluate`."""
    rows: dict[str, dict[str, Any]] = {}
    by_id = {item.id: item.data_key for item in system.all_items}
    by_id.update({name: name for name in system.variables})  # raw variables of ratio indicators
    for value in uow.evaluation.indicator_values(system.id, period):
        key = by_id.get(value.indicator_id)
        if key is None:
            continue
        rows.setdefault(value.unit_key, {})[key] = value.value
    return dict(sorted(rows.items()))


def result_payload(result: EvaluationResult, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The stored form of a result: ``to_dict()`` plus a per-unit table with labels."""
    payload = result.to_dict()
    table = result.table()
    for row in table:
        row["label"] = (labels or {}).get(row["unit"], row["unit"])
    payload["table"] = table
    return payload


def run_assessment(
    uow: AssessmentsUnitOfWork,
    *,
    system_id: str,
    period: str,
    uncertainty: int = 0,
    seed: int = 0,
    groups: Mapping[str, str] | None = None,
    note: str = "",
    created_at: datetime | None = None,
    system: System | None = None,
) -> EvaluationRun:
    """Evaluate a shipped system over the values stored for ``period`` and store a new immutable run.

    ``system`` runs a checked system given by the caller (e.g. read from a YAML file) instead of the
    shipped one; its id must be ``system_id``. The run stores the system's declaration with its
    inputs, so :func:`explain_run` can explain it whatever happens to the file later.
    ``created_at`` (aware) is for reproducible demo builds; it defaults to now.
    """
    if system is None:
        system = get_system(system_id)
    elif system.id != system_id:
        raise InvalidInput(f"the system given is {system.id!r}, not {system_id!r}", field="system")
    period = _period(period)
    data = stored_data(uow, system=system, period=period)
    if not data:
        raise NotFound(f"no indicator values stored for {system_id} in period {period}", field="period")
    group_list: Sequence[str] | None = [groups.get(u, "") for u in data] if groups else None
    result = evaluate(system, data, groups=group_list, uncertainty=uncertainty, seed=seed, period=period)
    labels = uow.evaluation.unit_labels(system.unit_kind, list(data))
    run = EvaluationRun(
        system_id=system.id,
        system_version=system.version,
        version_hash=system.version_hash,
        period=period,
        unit_kind=system.unit_kind,
        inputs={
            "data": data,
            "labels": labels,
            "groups": dict(groups or {}),
            "seed": seed,
            SYSTEM_SNAPSHOT_KEY: system_snapshot(system),
        },
        method=result.to_dict()["method"],
        results=result_payload(result, labels),
        created_at=ensure_utc(created_at) if created_at is not None else utcnow(),
        uncertainty_samples=uncertainty,
        note=note,
    )
    return uow.evaluation.add_run(run)


def get_run(uow: AssessmentsUnitOfWork, *, run_id: int) -> EvaluationRun:
    run = uow.evaluation.get_run(run_id)
    if run is None:
        raise NotFound(f"no evaluation run {run_id}", field="run_id")
    return run


def explain_run(
    uow: AssessmentsUnitOfWork,
    *,
    run_id: int,
    unit: str,
    may_see: Callable[[EvaluationRun, str], bool] | None = None,
) -> dict[str, Any]:
    """Why ``unit`` scored what it did in run ``run_id``, from what the run stored (its system
    declaration, inputs and result; :mod:`greenport.assessments.explain`).

    ``may_see(run, unit)`` is the caller's scope: a unit it refuses raises
    :class:`PermissionDenied`. Raises :class:`NotFound` for an unknown run or a unit not in it.
    """
    run = get_run(uow, run_id=run_id)
    if unit not in run.inputs.get("data", {}):
        raise NotFound(f"unit {unit!r} is not in run {run_id}", field="unit")
    if may_see is not None and not may_see(run, unit):
        raise PermissionDenied(f"unit {unit!r} is outside your scope", field="unit")
    shipped = get_system(run.system_id) if SYSTEM_SNAPSHOT_KEY not in run.inputs else None
    return explain_unit(run, stored_system(run, shipped=shipped), unit)


def list_runs(
    uow: AssessmentsUnitOfWork, *, system_id: str | None = None, period: str | None = None
) -> list[EvaluationRun]:
    return uow.evaluation.list_runs(system_id=system_id, period=period)


def latest_run(uow: AssessmentsUnitOfWork, *, system_id: str, period: str) -> EvaluationRun:
    runs = uow.evaluation.list_runs(system_id=system_id, period=_period(period))
    if not runs:
        raise NotFound(f"no evaluation run of {system_id} for period {period}", field="period")
    return runs[0]


def latest_grades(uow: AssessmentsUnitOfWork, *, system_id: str) -> tuple[str, dict[str, str]] | None:
    """``(period, {unit_key: grade})`` of the newest run of ``system_id`` over all periods (e.g. the
    per-mu classes A-D of enterprises, keyed by credit code), or None when it has never been run."""
    runs = uow.evaluation.list_runs(system_id=system_id)
    if not runs:
        return None
    latest = max(runs, key=lambda r: (r.period, r.created_at, r.id or 0))
    return latest.period, {row["unit"]: row["grade"] for row in latest.unit_rows() if row.get("grade")}


def compare_periods(
    uow: AssessmentsUnitOfWork, *, system_id: str, period_a: str, period_b: str
) -> PeriodComparison:
    """Compare the latest runs of two periods unit by unit (total, rank, grade, dimension scores)."""
    run_a = latest_run(uow, system_id=system_id, period=period_a)
    run_b = latest_run(uow, system_id=system_id, period=period_b)
    rows_a = {row["unit"]: row for row in run_a.unit_rows()}
    rows_b = {row["unit"]: row for row in run_b.unit_rows()}
    system = get_system(system_id)
    dims = [d.id for d in system.dimensions]
    units = []
    for unit in sorted(set(rows_a) | set(rows_b)):
        a, b = rows_a.get(unit, {}), rows_b.get(unit, {})
        ta, tb = a.get("total"), b.get("total")
        units.append(
            UnitChange(
                unit_key=unit,
                label=b.get("label") or a.get("label") or unit,
                total_a=ta,
                total_b=tb,
                delta=(tb - ta) if ta is not None and tb is not None else None,
                rank_a=a.get("rank"),
                rank_b=b.get("rank"),
                grade_a=a.get("grade"),
                grade_b=b.get("grade"),
                dimensions={d: (a.get(d), b.get(d)) for d in dims},
            )
        )
    assert run_a.id is not None and run_b.id is not None
    return PeriodComparison(
        system_id=system_id,
        period_a=run_a.period,
        period_b=run_b.period,
        run_a=run_a.id,
        run_b=run_b.id,
        same_version=run_a.version_hash == run_b.version_hash,
        units=units,
    )
