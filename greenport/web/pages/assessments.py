"""Assessment pages: run a shipped system, results with grades and radar charts, obstacle
diagnosis, rank intervals, comparison with the previous period, and a unit's breakdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from greenport.accounts.model import ANALYSTS, Principal
from greenport.web import assessments_view as view
from greenport.web import charts
from greenport.web.api.assessments import READERS, RunIn, start_run
from greenport.web.deps import UowDep, allow, client_ip
from greenport.web.pages.base import menu_page, render
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


@dataclass(frozen=True)
class RunContext:
    run: dict[str, Any] = field(metadata={"help": "the run with its scoped results table"})
    radars: list[dict[str, Any]] = field(metadata={"help": "one ECharts radar option per unit"})
    totals_chart: dict[str, Any] = field(metadata={"help": "ECharts bar chart of totals with rank intervals"})


def _radars(detail: dict[str, Any]) -> list[dict[str, Any]]:
    dims = detail["dimensions"]
    rows = detail["data"]
    tops = {d["id"]: max([abs(r.get(d["id"]) or 0) for r in rows] + [1e-9]) * 1.1 for d in dims}
    return [
        charts.radar(
            [(d["name_zh"], round(tops[d["id"]], 3)) for d in dims],
            [r.get(d["id"]) or 0 for d in dims],
            name=str(r.get("label") or r["unit"]),
        )
        for r in rows
    ]


@router.get("/assessments/runs/{run_id}")
def run_page(
    run_id: RowId, request: Request, uow: UowDep, user: Annotated[Principal, allow(READERS)]
) -> Response:
    detail = view.run_detail(uow, user, run_id)
    ctx = RunContext(run=detail, radars=_radars(detail), totals_chart=charts.ranked_totals(detail["data"]))
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
    dims = result["dimensions"]
    radar = charts.radar(
        [(d["name_zh"], max(abs(d.get("display_score") or 0) * 1.25, 1e-9)) for d in dims],
        [d.get("display_score") or 0 for d in dims],
        name=str(result["label"]),
    )
    return render(request, "assessment_unit.html", BreakdownContext(breakdown=result, radar=radar))
