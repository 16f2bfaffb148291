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
from greenport.cases.statistics import CASE_QUERIES
from greenport.evaluation import System
from greenport.kernel.errors import InvalidInput
from greenport.systems import all_systems, get_system
from greenport.web.api.cases import cases_link

#: How many weakest indicators the obstacle diagnosis lists per unit.
TOP_OBSTACLES = 3
#: Rows of a run's results table per page (a per-mu run ranks some 600 enterprises).
RUN_PAGE_SIZE = 50
#: Largest page of a run's table the API and the page serve.
MAX_RUN_PAGE_SIZE = 1000
#: Sort keys of a run's table besides the system's dimension ids.
RUN_SORT_KEYS = ("rank", "total", "label", "grade")


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
        "audit": audit_section(user, run, system),
    }


def _matches(row: dict[str, Any], needle: str) -> bool:
    return needle in str(row.get("label") or "").casefold() or needle in str(row["unit"]).casefold()


def table_page(
    detail: dict[str, Any],
    *,
    search: str = "",
    sort: str = "rank",
    descending: bool = False,
    page: int = 1,
    per_page: int = RUN_PAGE_SIZE,
) -> dict[str, Any]:
    """One page of a run's table (``detail`` from :func:`run_detail`): the rows whose label or unit
    key contains ``search`` (case-insensitive), sorted by ``sort`` (rank, total, label, grade or a
    dimension id; units without a value last in either order), ``per_page`` rows from page ``page``
    (clamped to the last page). Raises :class:`InvalidInput` naming ``sort`` for an unknown key."""
    keys = (*RUN_SORT_KEYS, *(d["id"] for d in detail["dimensions"]))
    if sort not in keys:
        raise InvalidInput(f"sort must be one of {', '.join(keys)}, not {sort!r}", field="sort")
    needle = search.strip().casefold()
    rows = [r for r in detail["data"] if _matches(r, needle)] if needle else list(detail["data"])
    present = [r for r in rows if r.get(sort) is not None]
    absent = [r for r in rows if r.get(sort) is None]
    key = (lambda r: str(r[sort])) if sort in ("label", "grade") else (lambda r: r[sort])
    present.sort(key=key, reverse=descending)
    ordered = present + sorted(absent, key=lambda r: r.get("rank") or 0)
    pages = max(1, -(-len(ordered) // per_page))
    page = min(max(page, 1), pages)
    start = (page - 1) * per_page
    return {
        "data": ordered[start : start + per_page],
        "count": len(ordered),
        "page": page,
        "pages": pages,
        "per_page": per_page,
        "search": search,
        "sort": sort,
        "order": "desc" if descending else "asc",
    }


def _node_names(system: System) -> dict[str, tuple[str, str]]:
    names = {node.id: (node.name_zh, node.name_en) for node in system.root.walk()}
    names[system.root.id] = (system.name_zh, system.name_en)
    names.update({ind.id: (ind.name_zh, ind.name_en) for ind in system.all_items})
    return names


def audit_section(user: Principal, run: EvaluationRun, system: System) -> dict[str, Any] | None:
    """The run's statistical audit (:func:`greenport.evaluation.audit_system`) with names: per
    indicator its correlations with its parent and with the index and the siblings it correlates
    negatively with; per aggregate Cronbach's alpha and the first component's share of variance;
    and the units screened out for missing data that the caller may see. None for a run stored
    before audits existed."""
    audit = run.results.get("audit")
    screened = run.results.get("screened") or []
    if not audit and not screened:
        return None
    names = _node_names(system)
    labels = run.inputs.get("labels") or {}

    def named(item_id: str) -> dict[str, str]:
        zh, en = names.get(item_id, (item_id, item_id))
        return {"name_zh": zh, "name_en": en}

    indicators = [
        {
            "id": e["id"],
            **named(e["id"]),
            "parent": e["parent"],
            "parent_name": named(e["parent"]),
            **{k: e.get(k) for k in ("pearson_parent", "spearman_parent", "pearson_index", "spearman_index")},
            "negative_with_siblings": [{"id": o, **named(o)} for o in e.get("negative_with_siblings") or []],
        }
        for e in (audit or {}).get("indicators", [])
    ]
    aggregates = [
        {
            "id": a["id"],
            **named(a["id"]),
            "children": a["children"],
            "cronbach_alpha": a.get("cronbach_alpha"),
            "pc1_share": a.get("pc1_share"),
        }
        for a in (audit or {}).get("aggregates", [])
    ]
    return {
        "indicators": indicators,
        "aggregates": aggregates,
        "method": (audit or {}).get("method", ""),
        "screened": [
            {
                "unit": s["unit"],
                "label": labels.get(s["unit"], s["unit"]),
                "share": s.get("share"),
                "failing_aggregates": [
                    {"id": a, "share": share, **named(a)}
                    for a, share in (s.get("failing_aggregates") or {}).items()
                ],
            }
            for s in screened
            if unit_visible(user, run, s["unit"])
        ],
    }


def breakdown(uow: UnitOfWork, user: Principal, run_id: int, unit: str) -> dict[str, Any]:
    """Why ``unit`` scored what it did in run ``run_id``: every dimension and indicator, explained
    from what the run stored (:func:`greenport.assessments.service.explain_run`). An indicator
    computed from the cases (:data:`greenport.cases.statistics.CASE_QUERIES`) carries
    ``cases_link``, the list of the unit's cases of the period behind its value."""
    result = assessments.explain_run(
        uow, run_id=run_id, unit=unit, may_see=lambda run, name: unit_visible(user, run, name)
    )
    period = str(result.get("period", ""))
    if len(period) == 4 and period.isdigit():  # the case indicators are yearly

        def link(node: dict[str, Any]) -> None:
            for indicator in node.get("indicators") or ():
                if indicator.get("id") in CASE_QUERIES:
                    by, _figure = CASE_QUERIES[indicator["id"]]
                    indicator["cases_link"] = cases_link(by, unit, period)
            for child in node.get("dimensions") or ():
                link(child)

        link(result)
    return result
