"""Assessment pages: run a shipped system, results with grades and radar charts, obstacle
diagnosis, rank intervals, comparison with the previous period, and a unit's breakdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from greenport.accounts.model import ANALYSTS, Principal
from greenport.web import assessments_view as view
from greenport.web import charts, i18n
from greenport.web.api.assessments import READERS, RunIn, start_run
from greenport.web.deps import UowDep, allow, client_ip
from greenport.web.pages.base import chrome, menu_page, render
from greenport.web.params import RowId

router = APIRouter(tags=["pages"], include_in_schema=False)


@dataclass(frozen=True)
class AssessmentsContext:
    systems: list[dict[str, Any]] = field(metadata={"help": "shipped indicator systems"})
    runs: list[dict[str, Any]] = field(metadata={"help": "stored runs, newest first"})
    can_run: bool = field(metadata={"help": "the caller may start a run"})


@router.get("/assessments")
def assessments_page(
    request: Request, uow: UowDep, user: Annotated[Principal, menu_page("/assessments")]
) -> Response:
    ctx = AssessmentsContext(
        systems=view.systems(), runs=view.list_runs(uow, user), can_run=user.role in ANALYSTS
    )
    return render(request, "assessments.html", ctx)


@router.post("/assessments/run")
def assessments_run(
    request: Request,
    uow: UowDep,
    user: Annotated[Principal, allow(ANALYSTS)],
    system_id: Annotated[str, Form()],
    period: Annotated[str, Form()],
    uncertainty: Annotated[int, Form()] = 0,
) -> Response:
    run = start_run(
        uow, user, RunIn(system_id=system_id, period=period, uncertainty=uncertainty), client_ip(request)
    )
    return RedirectResponse(f"/assessments/runs/{run['id']}", status_code=303)


#: How many units the totals charts show at each end of the ranking (the rest on demand).
CHART_TOP_N = 20
#: Most units drawn as radar charts at once (the selection of the run page).
MAX_RADAR_UNITS = 5
#: Units whose radar the run page draws when the caller selected none (the best ranked).
DEFAULT_RADAR_UNITS = 3


@dataclass(frozen=True)
class RunContext:
    run: dict[str, Any] = field(metadata={"help": "the run (system, dimensions, comparison, audit)"})
    table: dict[str, Any] = field(
        metadata={"help": "one page of the results table: data, count, page, pages, search, sort, order"}
    )
    selected: list[str] = field(metadata={"help": f"unit keys drawn as radars (at most {MAX_RADAR_UNITS})"})
    radars: list[dict[str, Any]] = field(metadata={"help": "one ECharts radar option per selected unit"})
    totals_charts: dict[str, dict[str, Any]] = field(
        metadata={"help": "ECharts bar charts of totals: top and bottom N, or all (element id -> option)"}
    )
    all_totals: bool = field(metadata={"help": "the totals chart shows every unit (asked for)"})
    chart_top_n: int = field(metadata={"help": "units per end of the ranking in the totals charts"})
    max_radar_units: int = field(metadata={"help": "most units drawn as radars"})
    audit_chart: dict[str, Any] | None = field(
        metadata={"help": "ECharts heat map: each indicator's correlation with its parent and the index"}
    )
    links: dict[str, Any] = field(
        metadata={"help": "URLs of the page with one thing changed: sort (per key), prev, next, chart"}
    )


def _radars(detail: dict[str, Any], units: list[str], lang: str) -> list[dict[str, Any]]:
    """Radar charts of the ``units`` selected, on axes scaled to the whole run (so they compare),
    the axes named in ``lang``."""
    dims = detail["dimensions"]
    rows = detail["data"]
    tops = {d["id"]: max([abs(r.get(d["id"]) or 0) for r in rows] + [1e-9]) * 1.1 for d in dims}
    by_unit = {r["unit"]: r for r in rows}
    return [
        charts.radar(
            [(_dimension_name(d, lang), round(tops[d["id"]], 3)) for d in dims],
            [by_unit[u].get(d["id"]) or 0 for d in dims],
            name=str(by_unit[u].get("label") or u),
        )
        for u in units
    ]


def _dimension_name(dimension: dict[str, Any], lang: str) -> str:
    """A dimension's name in ``lang`` (its Chinese name where it has no English one)."""
    chinese = str(dimension.get("name_zh") or dimension.get("id") or "")
    return str(dimension.get("name_en") or chinese) if lang == "en" else chinese


def breakdown_radar(result: dict[str, Any], lang: str) -> dict[str, Any]:
    """The radar of one unit's dimension scores, its axes named in ``lang``."""
    dims = result["dimensions"]
    return charts.radar(
        [(_dimension_name(d, lang), max(abs(d.get("display_score") or 0) * 1.25, 1e-9)) for d in dims],
        [d.get("display_score") or 0 for d in dims],
        name=str(result["label"]),
    )


def _selected_units(detail: dict[str, Any], asked: list[str]) -> list[str]:
    """The units asked for that the caller sees (at most :data:`MAX_RADAR_UNITS`), else the best ranked."""
    visible = {r["unit"] for r in detail["data"]}
    chosen = list(dict.fromkeys(u for u in asked if u in visible))[:MAX_RADAR_UNITS]
    if chosen:
        return chosen
    best = sorted(detail["data"], key=lambda r: r.get("rank") or 10**9)
    return [r["unit"] for r in best[:DEFAULT_RADAR_UNITS]]


def _totals_charts(rows: list[dict[str, Any]], *, show_all: bool, lang: str) -> dict[str, dict[str, Any]]:
    _ = i18n.gettext_for(lang)
    ordered = sorted(rows, key=lambda r: r.get("rank") or 10**9)
    if show_all or len(ordered) <= 2 * CHART_TOP_N:
        return {"totals": charts.ranked_totals(ordered)}
    return {
        "totals-top": charts.ranked_totals(
            ordered[:CHART_TOP_N], title=_("Top {n} totals").format(n=CHART_TOP_N)
        ),
        "totals-bottom": charts.ranked_totals(
            ordered[-CHART_TOP_N:], title=_("Bottom {n} totals").format(n=CHART_TOP_N)
        ),
    }


def _audit_chart(detail: dict[str, Any], lang: str) -> dict[str, Any] | None:
    audit = detail.get("audit")
    if not audit or not audit["indicators"]:
        return None
    _ = i18n.gettext_for(lang)
    name = "name_zh" if lang == "zh" else "name_en"
    return charts.correlation_heatmap(
        [i[name] for i in audit["indicators"]],
        [_("With parent"), _("With index")],
        [[i["pearson_parent"], i["pearson_index"]] for i in audit["indicators"]],
        title=_("Correlation of each indicator with its parent and the index (Pearson)"),
    )


def _links(path: str, query: dict[str, Any], table: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """The page's own URL with one parameter changed (the selected units kept)."""

    def url(**changes: Any) -> str:
        merged = {**query, **changes}
        units = merged.pop("units")
        pairs = [(k, v) for k, v in merged.items() if v not in ("", None)] + [("units", u) for u in units]
        return f"{path}?{urlencode(pairs)}"

    current = table["sort"]
    flipped = "desc" if table["order"] == "asc" else "asc"
    return {
        "sort": {k: url(sort=k, order=flipped if k == current else "asc", page=1) for k in keys},
        "prev": url(page=table["page"] - 1) if table["page"] > 1 else None,
        "next": url(page=table["page"] + 1) if table["page"] < table["pages"] else None,
        "chart": url(chart="ends" if query["chart"] == "all" else "all"),
    }


@router.get("/assessments/runs/{run_id}")
def run_page(
    run_id: RowId,
    request: Request,
    uow: UowDep,
    user: Annotated[Principal, allow(READERS)],
    q: Annotated[str, Query(max_length=100, description="Search in unit names and keys")] = "",
    sort: Annotated[str, Query(max_length=40)] = "rank",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=view.MAX_RUN_PAGE_SIZE)] = view.RUN_PAGE_SIZE,
    units: Annotated[list[str] | None, Query(max_length=50, description="Units drawn as radars")] = None,
    chart: Annotated[str, Query(pattern="^(ends|all)$")] = "ends",
) -> Response:
    lang = chrome(request).lang
    detail = view.run_detail(uow, user, run_id)
    table = view.table_page(
        detail, search=q, sort=sort, descending=order == "desc", page=page, per_page=per_page
    )
    selected = _selected_units(detail, units or [])
    query = {"q": q, "sort": sort, "order": order, "page": table["page"], "per_page": per_page}
    query |= {"chart": chart, "units": selected}
    sort_keys = [*view.RUN_SORT_KEYS, *(d["id"] for d in detail["dimensions"])]
    if detail["comparison"]:  # the comparison follows the table: the units of this page
        shown = {r["unit"] for r in table["data"]}
        detail["comparison"]["units"] = [c for c in detail["comparison"]["units"] if c["unit"] in shown]
    ctx = RunContext(
        run=detail,
        table=table,
        selected=selected,
        radars=_radars(detail, selected, lang),
        totals_charts=_totals_charts(detail["data"], show_all=chart == "all", lang=lang),
        all_totals=chart == "all",
        chart_top_n=CHART_TOP_N,
        max_radar_units=MAX_RADAR_UNITS,
        audit_chart=_audit_chart(detail, lang),
        links=_links(request.url.path, query, table, sort_keys),
    )
    return render(request, "assessment_run.html", ctx)


@dataclass(frozen=True)
class BreakdownContext:
    breakdown: dict[str, Any] = field(metadata={"help": "dimensions and indicators of the unit's score"})
    radar: dict[str, Any] = field(metadata={"help": "ECharts radar of the unit's dimension scores"})


@router.get("/assessments/runs/{run_id}/units/{unit}")
def breakdown_page(
    run_id: RowId, unit: str, request: Request, uow: UowDep, user: Annotated[Principal, allow(READERS)]
) -> Response:
    result = view.breakdown(uow, user, run_id, unit)
    radar = breakdown_radar(result, chrome(request).lang)
    return render(request, "assessment_unit.html", BreakdownContext(breakdown=result, radar=radar))
