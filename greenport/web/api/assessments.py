"""Assessments: shipped indicator systems, runs for a period, results, breakdown of a score."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from greenport.accounts import service as accounts_service
from greenport.accounts.model import ANALYSTS, CITY_ROLES, Principal, Role
from greenport.assessments import service as assessments
from greenport.web import assessments_view as view
from greenport.web.deps import UowDep, allow, client_ip
from greenport.web.params import RowId

router = APIRouter(prefix="/assessments", tags=["assessments"])
READERS = CITY_ROLES | {Role.TOWN_OFFICER}


class RunIn(BaseModel):
    system_id: str = Field(description="A shipped system id (GET /api/assessments/systems).")
    period: str = Field(min_length=1, max_length=20, description="Period key, e.g. 2022.")
    uncertainty: int = Field(0, ge=0, le=2000, description="Monte-Carlo samples for rank intervals.")
    note: str = Field("", max_length=200)


@router.get("/systems", summary="Shipped indicator systems")
def list_systems(_: Annotated[Principal, allow(READERS)]) -> dict[str, Any]:
    rows = view.systems()
    return {"data": rows, "count": len(rows)}


@router.get("/runs", summary="Stored runs, newest first")
def list_runs(
    uow: UowDep, user: Annotated[Principal, allow(READERS)], system_id: str | None = None
) -> dict[str, Any]:
    rows = view.list_runs(uow, user, system_id=system_id)
    return {"data": rows, "count": len(rows)}


def start_run(uow: UowDep, user: Principal, body: RunIn, ip: str) -> dict[str, Any]:
    run = assessments.run_assessment(
        uow, system_id=body.system_id, period=body.period, uncertainty=body.uncertainty, note=body.note
    )
    accounts_service.record_audit(
        uow,
        principal=user,
        action="run",
        entity="assessment",
        entity_id=str(run.id),
        detail={"system_id": body.system_id, "period": body.period, "uncertainty": body.uncertainty},
        ip=ip,
    )
    return view.run_summary(run)


@router.post("/runs", summary="Run a shipped system over the values stored for a period (audited)")
def create_run(
    body: RunIn, request: Request, uow: UowDep, user: Annotated[Principal, allow(ANALYSTS)]
) -> dict[str, Any]:
    return start_run(uow, user, body, client_ip(request))


@router.get(
    "/runs/{run_id}",
    summary="A run: one page of its results (grades, rank intervals, obstacles), comparison, audit",
)
def get_run(
    run_id: RowId,
    uow: UowDep,
    user: Annotated[Principal, allow(READERS)],
    q: Annotated[str, Query(max_length=100, description="Only units whose name or key contains this")] = "",
    sort: Annotated[
        str, Query(max_length=40, description="rank, total, label, grade or a dimension id")
    ] = "rank",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=view.MAX_RUN_PAGE_SIZE)] = view.MAX_RUN_PAGE_SIZE,
) -> dict[str, Any]:
    """``data`` holds one page of the caller's units; ``count`` how many match ``q`` in all,
    ``total_units`` how many the caller sees in the run."""
    detail = view.run_detail(uow, user, run_id)
    table = view.table_page(
        detail, search=q, sort=sort, descending=order == "desc", page=page, per_page=per_page
    )
    return {**detail, **table, "total_units": detail["count"]}


@router.get("/runs/{run_id}/units/{unit}", summary="The breakdown that explains one unit's score")
def get_breakdown(
    run_id: RowId, unit: str, uow: UowDep, user: Annotated[Principal, allow(READERS)]
) -> dict[str, Any]:
    return view.breakdown(uow, user, run_id, unit)
