"""Read models of assessment runs for the API and the pages (scoped to the caller).

A stored run holds its system declaration, inputs, method and result (``greenport.assessments``);
the breakdown of one unit comes from :func:`greenport.assessments.service.explain_run`, built from
what the run stored, so it explains exactly the stored score even after the YAML file changed.
"""

from __future__ import annotations

from typing import Any

from greenport.accounts.model import CITY_ROLES, Principal, Role, town_of
from greenport.assessments import service as assessments
from greenport.assessments.model import EvaluationRun
from greenport.bootstrap import UnitOfWork
from greenport.systems import all_systems, get_system

#: How many weakest indicators the obstacle diagnosis lists per unit.
TOP_OBSTACLES = 3


def systems() -> list[dict[str, Any]]:
    return [
        {
            "id": s.id,
            "name_zh": s.name_zh,
            "name_en": s.name_en,
            "unit_kind": s.unit_kind,
            "scheme": s.scheme,
            "version": s.version,
            "dimensions": [{"id": d.id, "name_zh": d.name_zh, "name_en": d.name_en} for d in s.dimensions],
        }
        for s in all_systems()
    ]


def unit_visible(user: Principal, run: EvaluationRun, unit: str) -> bool:
    """Callers with the whole city in scope see every unit; a town officer sees its own town's
    units only; a park-scoped department user none (units are towns, not parks)."""
    if user.scope.is_city:
        return True
    if user.role is Role.TOWN_OFFICER and run.unit_kind in ("town", "leader") and user.division_code:
        return unit.split(":")[0] == town_of(user.division_code)
    return False


def run_summary(run: EvaluationRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "system_id": run.system_id,
        "system_version": run.system_version,
        "period": run.period,
        "unit_kind": run.unit_kind,
        "created_at": run.created_at.isoformat(),
        "uncertainty_samples": run.uncertainty_samples,
        "note": run.note,
    }


def list_runs(uow: UnitOfWork, user: Principal, *, system_id: str | None = None) -> list[dict[str, Any]]:
    runs = assessments.list_runs(uow, system_id=system_id)
    return [run_summary(r) for r in runs if user.role in CITY_ROLES or r.unit_kind in ("town", "leader")]


def _previous_period(period: str) -> str | None:
    return str(int(period) - 1) if period.isdigit() else None


def run_detail(uow: UnitOfWork, user: Principal, run_id: int) -> dict[str, Any]:
    """A run's table (grades, dimension scores, rank interval, top obstacles) for the caller's
    units, and the comparison with the previous period's latest run when there is one."""
    run = assessments.get_run(uow, run_id=run_id)
    results = run.results
    units: list[str] = list(results.get("units", []))
    indicators: list[str] = list(results.get("indicators", []))
    obstacles = results.get("obstacles") or []
    ranks = ((results.get("uncertainty") or {}).get("ranks")) or {}
    system = get_system(run.system_id)
    names = {ind.id: (ind.name_zh, ind.name_en) for ind in system.indicators}
    rows = []
    for row in run.unit_rows():
        unit = row["unit"]
        if not unit_visible(user, run, unit):
            continue
        i = units.index(unit) if unit in units else -1
        item = dict(row)
        if i >= 0 and i < len(obstacles):
            pairs = sorted(
                ((v, k) for k, v in enumerate(obstacles[i]) if v is not None and v > 0), reverse=True
            )[:TOP_OBSTACLES]
            item["obstacles"] = [
                {
                    "indicator": indicators[k],
                    "name_zh": names.get(indicators[k], (indicators[k], ""))[0],
                    "name_en": names.get(indicators[k], ("", indicators[k]))[1],
                    "obstacle": v,
                }
                for v, k in pairs
            ]
        if i >= 0 and ranks:
            item["rank_interval"] = {key: ranks[key][i] for key in ("median", "p05", "p95") if key in ranks}
        rows.append(item)
    comparison = None
    previous = _previous_period(run.period)
    if previous is not None and assessments.list_runs(uow, system_id=run.system_id, period=previous):
        compared = assessments.compare_periods(
            uow, system_id=run.system_id, period_a=previous, period_b=run.period
        )
        comparison = {
            "period_a": compared.period_a,
            "period_b": compared.period_b,
            "same_version": compared.same_version,
            "units": [
                {
                    "unit": c.unit_key,
                    "label": c.label,
                    "total_a": c.total_a,
                    "total_b": c.total_b,
                    "delta": c.delta,
                    "rank_a": c.rank_a,
                    "rank_b": c.rank_b,
                    "grade_a": c.grade_a,
                    "grade_b": c.grade_b,
                }
                for c in compared.units
                if unit_visible(user, run, c.unit_key)
            ],
        }
    return {
        **run_summary(run),
        "system": {
            "id": system.id,
            "name_zh": system.name_zh,
            "name_en": system.name_en,
            "scheme": system.scheme,
        },
        "dimensions": [{"id": d.id, "name_zh": d.name_zh, "name_en": d.name_en} for d in system.dimensions],
        "max_points": system.max_points,
        "data": rows,
        "count": len(rows),
        "comparison": comparison,
    }


def breakdown(uow: UnitOfWork, user: Principal, run_id: int, unit: str) -> dict[str, Any]:
    """Why ``unit`` scored what it did in run ``run_id``: every dimension and indicator, explained
    from what the run stored (:func:`greenport.assessments.service.explain_run`)."""
    return assessments.explain_run(
        uow, run_id=run_id, unit=unit, may_see=lambda run, name: unit_visible(user, run, name)
    )
